//! Applies one migration the way sqlx-postgres 0.9's `Migrate::apply` and
//! `diesel_migrations` 2.3's `MigrationHarness::run_migration` both do: the
//! file's text is sent as one simple-protocol query (so it may hold many
//! statements), inside a transaction together with its history row unless it
//! says otherwise (`-- no-transaction`; `run_in_transaction = false`), when
//! the row is written after it; then sqlx's `execution_time` is set in ns.

use std::time::{Duration, Instant};

use sqlx::postgres::{PgDatabaseError, PgErrorPosition, PgSeverity};
use sqlx::{Connection, PgConnection};

use super::history::{self, HistoryTable};
use super::{Migration, Version};
use crate::errors::db_error;
use slipway_contract::text;

/// Where and why the server rejected a migration.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct ServerError {
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) detail: Option<String>,
    pub(crate) hint: Option<String>,
    /// 1-based line and column in the migration file.
    pub(crate) line: Option<usize>,
    pub(crate) column: Option<usize>,
    /// When the error is inside a function the migration called.
    pub(crate) internal_query: Option<String>,
}

/// Why applying a migration failed. Each variant says, through its name and
/// `errors.rs`, what the database holds afterwards.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApplyError {
    /// The server rejected the script: a transactional migration rolled back
    /// whole; a `-- no-transaction` one kept what ran before the error.
    #[error("migration {file} failed: {}", error.message)]
    Rejected {
        file: String,
        version: Version,
        no_tx: bool,
        error: ServerError,
    },
    /// The script failed without an answer from the server (a lost connection).
    #[error("migration {file} failed: {}", db_error(source))]
    Failed {
        file: String,
        version: Version,
        source: sqlx::Error,
    },
    /// `BEGIN` failed: nothing of the migration ran.
    #[error(
        "starting the transaction of migration {file} failed: {}",
        db_error(source)
    )]
    BeginFailed {
        file: String,
        version: Version,
        source: sqlx::Error,
    },
    /// The history row's `INSERT` failed inside the migration's transaction,
    /// which therefore rolled back with the script.
    #[error(
        "recording migration {file} in the history table failed: {}",
        db_error(source)
    )]
    RecordRolledBack {
        file: String,
        version: Version,
        source: sqlx::Error,
    },
    /// The server answered `COMMIT` with an ERROR (a deferred constraint or
    /// constraint trigger, a serialization failure): it rolled back.
    #[error("COMMIT of migration {file} failed: {}", error.message)]
    CommitRejected {
        file: String,
        version: Version,
        error: ServerError,
    },
    /// The connection failed (or the server ended the session) during
    /// `COMMIT`: the migration and its row committed together or not at all.
    #[error(
        "the connection failed during COMMIT of migration {file}: {}",
        db_error(source)
    )]
    CommitUnknown {
        file: String,
        version: Version,
        source: sqlx::Error,
    },
    /// The migration is applied and recorded (committed); storing its
    /// measured `execution_time` afterwards failed, so the row keeps -1.
    #[error(
        "migration {file} is applied and recorded, but storing its execution time failed: {}",
        db_error(source)
    )]
    TimeNotStored {
        file: String,
        version: Version,
        source: sqlx::Error,
    },
    /// A `-- no-transaction` migration ran to its end, but its history row's
    /// `INSERT` failed: applied, not recorded.
    #[error(
        "migration {file} ran (without a transaction), but recording it in {table} failed: {}",
        db_error(source)
    )]
    NotRecorded {
        file: String,
        version: Version,
        /// The history table's name, as written in SQL.
        table: String,
        description: String,
        checksum: Vec<u8>,
        source: sqlx::Error,
    },
}

impl ApplyError {
    /// The server's SQLSTATE, when the server rejected the migration.
    pub(crate) fn server_code(&self) -> Option<&str> {
        match self {
            ApplyError::Rejected { error, .. } => Some(error.code.as_str()),
            _ => None,
        }
    }
}

/// Applies `migration` and returns how long it took.
pub(crate) async fn apply(
    conn: &mut PgConnection,
    table: &HistoryTable,
    migration: &Migration,
) -> Result<Duration, ApplyError> {
    let started = Instant::now();
    if migration.no_tx {
        run_script(conn, migration).await?;
        history::record(conn, table, migration)
            .await
            .map_err(|source| ApplyError::NotRecorded {
                file: migration.file_name(),
                version: migration.version.clone(),
                table: table.name().to_owned(),
                description: migration.description.clone(),
                checksum: migration.checksum.clone(),
                source,
            })?;
    } else {
        apply_in_transaction(conn, table, migration).await?;
    }
    let elapsed = started.elapsed();
    let nanos = i64::try_from(elapsed.as_nanos()).unwrap_or(i64::MAX);
    history::set_execution_time(conn, table, migration, nanos)
        .await
        .map_err(|source| ApplyError::TimeNotStored {
            file: migration.file_name(),
            version: migration.version.clone(),
            source,
        })?;
    Ok(elapsed)
}

/// Runs the script and records it in one transaction, so it is never applied
/// twice (<https://github.com/launchbadge/sqlx/issues/1966>).
async fn apply_in_transaction(
    conn: &mut PgConnection,
    table: &HistoryTable,
    migration: &Migration,
) -> Result<(), ApplyError> {
    let mut tx = conn
        .begin()
        .await
        .map_err(|source| ApplyError::BeginFailed {
            file: migration.file_name(),
            version: migration.version.clone(),
            source,
        })?;
    run_script(&mut tx, migration).await?;
    // On error `tx` is dropped, which rolls the script back with the row.
    history::record(&mut tx, table, migration)
        .await
        .map_err(|source| ApplyError::RecordRolledBack {
            file: migration.file_name(),
            version: migration.version.clone(),
            source,
        })?;
    tx.commit()
        .await
        .map_err(|source| commit_failed(migration, source))
}

/// Tells a COMMIT the server refused (rolled back) from one whose outcome is
/// unknown. PostgreSQL reports problems found before the commit record is
/// written (deferred constraints, serialization failures) as an ERROR and
/// rolls back; a FATAL or PANIC, or a lost connection, can also come after
/// the commit is durable (e.g. a terminated wait for synchronous replication).
fn commit_failed(migration: &Migration, source: sqlx::Error) -> ApplyError {
    let refused = source
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<PgDatabaseError>())
        .filter(|pg| pg.severity() == PgSeverity::Error)
        .map(|pg| server_error(migration, pg));
    match refused {
        Some(error) => ApplyError::CommitRejected {
            file: migration.file_name(),
            version: migration.version.clone(),
            error,
        },
        None => ApplyError::CommitUnknown {
            file: migration.file_name(),
            version: migration.version.clone(),
            source,
        },
    }
}

/// Sends the file's text as one simple-protocol query, like sqlx's `execute(sql)`.
async fn run_script(conn: &mut PgConnection, migration: &Migration) -> Result<(), ApplyError> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(migration.sql.clone()))
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(|source| rejected(migration, source))
}

/// Turns the server's error into one that names the file, line and column.
fn rejected(migration: &Migration, source: sqlx::Error) -> ApplyError {
    let Some(pg) = source
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<PgDatabaseError>())
    else {
        return ApplyError::Failed {
            file: migration.file_name(),
            version: migration.version.clone(),
            source,
        };
    };
    ApplyError::Rejected {
        file: migration.file_name(),
        version: migration.version.clone(),
        no_tx: migration.no_tx,
        error: server_error(migration, pg),
    }
}

/// The server's error, with its position as a line and column of the file.
fn server_error(migration: &Migration, pg: &PgDatabaseError) -> ServerError {
    let (line, column, internal_query) = match pg.position() {
        Some(PgErrorPosition::Original(position)) => {
            let (line, column) = error_line_and_column(&migration.sql, position);
            (Some(line), Some(column), None)
        }
        Some(PgErrorPosition::Internal { query, .. }) => (None, None, Some(query.to_owned())),
        None => (None, None, None),
    };
    ServerError {
        code: pg.code().to_owned(),
        message: pg.message().to_owned(),
        detail: pg.detail().map(str::to_owned),
        hint: pg.hint().map(str::to_owned),
        line,
        column,
        internal_query,
    }
}

/// The 1-based line and column of PostgreSQL's error position, which counts
/// characters (not bytes) from 1.
fn error_line_and_column(sql: &str, position: usize) -> (usize, usize) {
    text::line_and_column(sql, text::offset_of_character(sql, position))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_from_one() {
        let sql = "SELECT 1;\nSELECT é, nope;\n";
        // "nope" starts at character 21 (1-based): 10 chars on line 1 + 11 on line 2.
        assert_eq!(error_line_and_column(sql, 1), (1, 1));
        assert_eq!(error_line_and_column(sql, 11), (2, 1));
        assert_eq!(error_line_and_column(sql, 21), (2, 11));
    }
}
