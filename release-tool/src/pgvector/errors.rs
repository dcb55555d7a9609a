//! What a pgvector failure tells a person: its title, cause and fix.

use serde_json::json;

use crate::errors::{ExitClass, Failure};
use crate::pgvector::{PgvectorError, show};

impl From<PgvectorError> for Failure {
    fn from(error: PgvectorError) -> Self {
        let class = ExitClass::Check;
        match &error {
            PgvectorError::NotAvailable => Failure::new(
                class,
                "pgvector is not available on this server",
                "the `vector` extension is wanted, but pg_available_extensions has no `vector`",
                "Use a PostgreSQL server with pgvector (Heroku Postgres has it), or set SLIPWAY_PGVECTOR=off if \
                 the app does not use it.",
            ),
            PgvectorError::TooOld {
                installed,
                available,
                required,
                why,
            } => Failure::new(
                class,
                "pgvector is too old",
                format!(
                    "pgvector {required} is required{}; installed: {}; available on the server: {}",
                    why.as_ref().map(|w| format!(" ({w})")).unwrap_or_default(),
                    show(installed.as_ref()),
                    show(available.as_ref())
                ),
                "The server cannot provide that version, so nothing was changed. Upgrade the server's pgvector \
                 (on Heroku, upgrade the Postgres plan or version), or lower SLIPWAY_PGVECTOR_MIN_VERSION if the \
                 migrations do not need it.",
            )
            .with_details(json!({
                "installed": installed.map(|v| v.to_string()),
                "available": available.map(|v| v.to_string()),
                "required": required.to_string(),
            })),
            PgvectorError::Sql { action, source } => {
                // The server's hint says who may: "Must be superuser to create
                // this extension" (pgvector is not marked trusted), or the
                // CREATE privilege on the database where it is.
                let who = server_hint(source).map_or_else(
                    || "a user allowed to (a superuser, or the database owner where the extension is trusted)".to_owned(),
                    |hint| format!("a user allowed to: the server says \"{hint}\""),
                );
                Failure::new(
                    class,
                    "the `vector` extension could not be set up",
                    error.to_string(),
                    format!(
                        "Run `{action}` as {who}. On Heroku the default credential can. Or ask your database \
                         administrator to run it; nothing was migrated."
                    ),
                )
            }
            PgvectorError::BadVersion { .. } => Failure::new(
                class,
                "the server reports an unreadable pgvector version",
                error.to_string(),
                "Check pg_available_extensions for `vector`; a custom build may need a standard version string.",
            ),
        }
    }
}

/// The server's HINT, when the error came from PostgreSQL with one.
fn server_hint(source: &sqlx::Error) -> Option<String> {
    source
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>())
        .and_then(sqlx::postgres::PgDatabaseError::hint)
        .map(str::to_owned)
}
