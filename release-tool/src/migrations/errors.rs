//! What the migrations folder and the history table tell a person when
//! they cannot be used: titles, causes, fixes and warnings.

use std::fmt::Write as _;

use serde_json::json;
use slipway_contract::{FilesError, IgnoredFile};

use crate::errors::{ExitClass, Failure};
use crate::migrations::history::Applied;
use crate::migrations::plan::PlanError;
use crate::migrations::source::SourceError;

impl From<SourceError> for Failure {
    fn from(error: SourceError) -> Self {
        let fix = match &error {
            SourceError::Files(FilesError::BadVersion { .. }) => {
                "Name migration files <VERSION>_<DESCRIPTION>.sql with an integer VERSION, as `sqlx migrate add` does \
                 (e.g. 20240101120000_create_users.sql)."
            }
            SourceError::Files(FilesError::DuplicateVersion { .. }) => {
                "Give each migration its own version: rename one of the two files (if the other was already \
                 applied somewhere, keep that one's name), e.g. with the next free version. A version holds one \
                 <VERSION>_<DESCRIPTION>.sql, or one .up.sql with its .down.sql."
            }
            SourceError::Files(
                FilesError::Unreadable { .. } | FilesError::UnreadableEntry { .. },
            )
            | SourceError::UnreadableFile { .. } => {
                "Make the migrations folder and its files readable, and the files UTF-8 text."
            }
            SourceError::Files(FilesError::NotUtf8Name { .. }) => {
                "Rename the file with a UTF-8 name (the description is stored in the history table), \
                 e.g. 20240101120000_create_users.sql."
            }
            SourceError::NotUtf8 { .. } => {
                "Save the file as UTF-8 (PostgreSQL and sqlx read migrations as UTF-8 text); the first \
                 byte that is not UTF-8 is on the line named above."
            }
        };
        Failure::new(
            ExitClass::Usage,
            "the migrations folder cannot be used",
            error.to_string(),
            fix,
        )
    }
}

/// The history table could not be read.
pub(crate) fn history_unreadable(table: &str, source: &sqlx::Error) -> Failure {
    Failure::new(
        ExitClass::Drift,
        "the migration history cannot be read",
        format!(
            "reading the history table {table} failed: {}",
            crate::errors::db_error(source)
        ),
        format!(
            "{table} must be the table sqlx creates (version, description, installed_on, success, \
             checksum, execution_time). Check its owner and privileges, and that no other table of that name \
             comes first on the search_path (`table-name` in sqlx.toml names another table)."
        ),
    )
}

/// The history table's schema does not exist and `create-schemas` does not
/// list it: sqlx (`CREATE TABLE`) and slipway would fail on it (3F000).
pub(crate) fn history_schema_missing(table: &str, schema: &str) -> Failure {
    // As a SQL name in a TOML string: quoted when folding would change it.
    let simple = schema
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let name = if simple {
        schema.to_owned()
    } else {
        format!("\"{}\"", schema.replace('"', "\"\""))
    };
    Failure::new(
        ExitClass::Usage,
        "the history table's schema does not exist",
        format!(
            "sqlx.toml sets `table-name = {table:?}`, but the database has no schema {schema:?}, and \
             `create-schemas` does not list it"
        ),
        format!(
            "Add it to `create-schemas` in sqlx.toml's [migrate] table (`create-schemas = [{name:?}]`): \
             slipway and sqlx's Migrator then create it before the history table. Or create the schema \
             once yourself, or set a `table-name` in an existing schema."
        ),
    )
}

/// A schema of `create-schemas` could not be created (before any migration ran).
pub(crate) fn schema_not_created(source: &sqlx::Error) -> Failure {
    Failure::new(
        ExitClass::Migration,
        "a schema of create-schemas cannot be created",
        format!(
            "CREATE SCHEMA IF NOT EXISTS failed: {}",
            crate::errors::db_error(source)
        ),
        "No migration ran. Let the database user create schemas (GRANT CREATE ON DATABASE), or create \
         the schema once as its owner; sqlx's Migrator runs the same statement on every run.",
    )
}

/// The warning for a rollback release: what slipway does, and what an app
/// that migrates at boot must do to start on this database.
pub(crate) fn rollback_warning(unknown_applied: &[Applied]) -> String {
    let listed: Vec<String> = unknown_applied
        .iter()
        .map(|a| format!("{} ({})", a.version, a.description))
        .collect();
    format!(
        "the database has {} migration(s) this code does not know: {}. This is a rollback (or a config \
         change on an older release): nothing will be applied or reverted, and the checks still run. \
         An app that also runs sqlx::migrate!().run() at boot will fail to start on this database: sqlx's \
         Migrator refuses it with VersionMissing. Let it accept a newer database: \
         `let mut migrator = sqlx::migrate!(); migrator.set_ignore_missing(true); migrator.run(&pool).await?;`.",
        listed.len(),
        listed.join(", ")
    )
}

/// The warning for a file sqlx ignores although it looks like a migration.
pub(crate) fn ignored_file_warning(file: &IgnoredFile) -> String {
    format!(
        "{} is not a migration for sqlx, which ignores it: {}. Rename it <VERSION>_<DESCRIPTION>.sql \
         (as `sqlx migrate add` does) if it is one, or move it out of the migrations folder.",
        file.file_name, file.rule
    )
}

/// A history that does not fit the folder, for people; `table` is the
/// history table as the messages name it.
pub(crate) fn plan_failure(error: &PlanError, table: &str) -> Failure {
    {
        let class = ExitClass::Drift;
        match error {
            PlanError::Dirty {
                version,
                description,
            } => Failure::new(
                class,
                "the migration history is unusable",
                format!("{error}: a migration was left half-applied ({version} {description})"),
                format!(
                    "Check what migration {version} changed and undo or finish it by hand, then \
                     DELETE FROM {table} WHERE version = {version} (sqlx refuses this state too)."
                ),
            )
            .with_details(json!({ "dirty_version": version })),
            PlanError::Drift(mismatches) => {
                let mut cause = format!("{error}:");
                let mut crlf = false;
                for m in mismatches {
                    let _ = write!(
                        cause,
                        "\n{} (version {})\n  checksum in {table}: {}\n  checksum of the file now:     {}",
                        m.file, m.version, m.applied_checksum, m.file_checksum
                    );
                    if m.line_endings_only {
                        crlf = true;
                        cause.push_str("\n  the file differs only in line endings (CRLF vs LF)");
                    }
                }
                let mut fix =
                    "An applied migration must never change: restore the file to what was applied \
                               (git log -p on it), and put new changes in a new migration."
                        .to_owned();
                if crlf {
                    fix.push_str(
                        " Line endings changed: check git's core.autocrlf and add `*.sql -text` (or `eol=lf`) \
                         to .gitattributes so the file keeps the bytes it was applied with.",
                    );
                } else {
                    fix.push_str(" If the file only changed in whitespace or line endings, check .gitattributes and core.autocrlf.");
                }
                Failure::new(class, "applied migrations changed (drift)", cause, fix)
                    .with_details(json!({ "drift": mismatches }))
            }
            PlanError::Diverged {
                unknown_applied,
                pending,
            } => {
                let unknown: Vec<String> = unknown_applied
                    .iter()
                    .map(|a| format!("{} ({})", a.version, a.description))
                    .collect();
                let pending_names: Vec<String> =
                    pending.iter().map(|(v, f)| format!("{v} ({f})")).collect();
                Failure::new(
                    class,
                    "the code and the database have diverged",
                    format!(
                        "{error}.\n  only in the database: {}\n  only in the code:     {}",
                        unknown.join(", "),
                        pending_names.join(", ")
                    ),
                    "This happens when two branches each added migrations. Deploy code that contains every \
                     migration the database has (merge the branches), then release again.",
                )
                .with_details(json!({ "unknown_applied": unknown_applied, "pending": pending }))
            }
        }
    }
}
