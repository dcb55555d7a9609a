//! Checks after migrating (and the `check` command): the extension is there at
//! the minimum version and computes a real distance, and no index is INVALID
//! (a failed `CREATE INDEX CONCURRENTLY` leaves one behind, and PostgreSQL
//! then silently ignores it for reads while still paying for it on writes).

use serde_json::json;
use slipway_contract::Version;
use sqlx::PgConnection;

use crate::db::indexes::{InvalidIndex, indexes_being_built, invalid_indexes};
use crate::errors::{ExitClass, Failure};
use crate::pgvector::{self, PgvectorError, Requirement};

/// L2 distance between [1,2,3] and [3,2,1]: sqrt(4 + 0 + 4).
const SMOKE_EXPECTED: f64 = 2.828_427_124_746_190_3;

/// What the checks found.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct CheckSummary {
    pub(crate) pgvector_version: Option<String>,
    pub(crate) smoke_distance: Option<f64>,
    /// Indexes other sessions are building now (INVALID until they finish,
    /// so not counted as INVALID).
    pub(crate) indexes_being_built: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum CheckError {
    #[error("the `vector` extension is not installed")]
    ExtensionMissing,
    #[error("pgvector {installed} is installed, below the required {required}")]
    BelowMinimum {
        installed: Version,
        required: Version,
    },
    #[error("the vector smoke query returned {got}, expected {SMOKE_EXPECTED}")]
    WrongDistance { got: f64 },
    #[error("the vector smoke query failed: {}", crate::errors::db_error(.0))]
    SmokeFailed(sqlx::Error),
    #[error("{} index(es) are INVALID", .0.len())]
    InvalidIndexes(Vec<InvalidIndex>),
    #[error(transparent)]
    Pgvector(#[from] PgvectorError),
    #[error("reading the catalog failed: {}", crate::errors::db_error(.0))]
    Database(#[from] sqlx::Error),
}

/// Runs every check: the extension when it is wanted, then the indexes.
pub(crate) async fn run(
    conn: &mut PgConnection,
    requirement: &Requirement,
) -> Result<CheckSummary, CheckError> {
    let mut summary = CheckSummary {
        pgvector_version: None,
        smoke_distance: None,
        indexes_being_built: Vec::new(),
    };
    if requirement.wanted {
        let (version, distance) = check_extension(conn, requirement).await?;
        summary.pgvector_version = Some(version.to_string());
        summary.smoke_distance = Some(distance);
    }
    let invalid = invalid_indexes(conn).await?;
    if !invalid.is_empty() {
        return Err(CheckError::InvalidIndexes(invalid));
    }
    summary.indexes_being_built = indexes_being_built(conn).await?;
    Ok(summary)
}

/// Confirms the installed version and runs the smoke query.
async fn check_extension(
    conn: &mut PgConnection,
    requirement: &Requirement,
) -> Result<(Version, f64), CheckError> {
    let state = pgvector::server_state(conn).await?;
    let (Some(installed), Some(schema)) = (state.installed, state.schema) else {
        return Err(CheckError::ExtensionMissing);
    };
    if let Some(required) = requirement.minimum.filter(|min| installed < *min) {
        return Err(CheckError::BelowMinimum {
            installed,
            required,
        });
    }
    let distance = smoke_query(conn, &schema).await?;
    Ok((installed, distance))
}

/// Computes a real L2 distance with the extension's type and operator,
/// qualified by its schema so a schema off the `search_path` still works.
async fn smoke_query(conn: &mut PgConnection, schema: &str) -> Result<f64, CheckError> {
    let schema = format!("\"{}\"", schema.replace('"', "\"\""));
    let sql = format!(
        "SELECT ('[1,2,3]'::{schema}.vector OPERATOR({schema}.<->) '[3,2,1]'::{schema}.vector)::float8"
    );
    let got: f64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(conn)
        .await
        .map_err(CheckError::SmokeFailed)?;
    if (got - SMOKE_EXPECTED).abs() > 1e-6 {
        return Err(CheckError::WrongDistance { got });
    }
    Ok(got)
}

impl From<CheckError> for Failure {
    fn from(error: CheckError) -> Self {
        let class = ExitClass::Check;
        let cause = error.to_string();
        match error {
            CheckError::ExtensionMissing => Failure::new(
                class,
                "the `vector` extension is missing",
                format!("{cause} after the release, though the app needs it"),
                "A migration may have dropped it. Create it again (CREATE EXTENSION vector) in a new migration.",
            ),
            CheckError::BelowMinimum { .. } => Failure::new(
                class,
                "pgvector is below the required version",
                cause,
                "Run ALTER EXTENSION vector UPDATE as the database owner, or lower SLIPWAY_PGVECTOR_MIN_VERSION.",
            ),
            CheckError::WrongDistance { .. } | CheckError::SmokeFailed(_) => Failure::new(
                class,
                "the pgvector smoke query failed",
                cause,
                "The extension is installed but does not work: check the server's pgvector installation \
                 (its shared library and version).",
            ),
            CheckError::InvalidIndexes(ref indexes) => {
                let names: Vec<String> = indexes
                    .iter()
                    .map(|i| format!("{}.{} (on {})", i.schema, i.index, i.table))
                    .collect();
                let drops: Vec<String> = indexes
                    .iter()
                    .map(|i| format!("DROP INDEX CONCURRENTLY \"{}\".\"{}\";", i.schema, i.index))
                    .collect();
                Failure::new(
                    class,
                    "INVALID indexes found",
                    format!("{cause}: {}", names.join(", ")),
                    format!(
                        "A CREATE INDEX CONCURRENTLY (or REINDEX CONCURRENTLY) failed and left them behind; \
                         PostgreSQL does not use them for queries but still updates them. Drop them ({}) and \
                         create them again in a new migration.",
                        drops.join(" ")
                    ),
                )
                .with_details(json!({ "invalid_indexes": indexes }))
            }
            CheckError::Pgvector(inner) => Failure::from(inner),
            CheckError::Database(_) => Failure::new(
                class,
                "the checks could not read the catalog",
                cause,
                "Check that the database user may read pg_index, pg_class and pg_extension.",
            ),
        }
    }
}
