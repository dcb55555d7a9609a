//! Applies one migration the way sqlx-postgres 0.9's `Migrate::apply` does:
//! the file's text is sent as one simple-protocol query (so it may hold many
//! statements), inside a transaction together with its history row unless it
//! starts with `-- no-transaction`; then `execution_time` is set in ns.

use std::time::{Duration, Instant};

use sqlx::postgres::{PgDatabaseError, PgErrorPosition};
use sqlx::{Connection, PgConnection};

use super::Migration;
use super::history::{self, HistoryTable};

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

#[derive(Debug, thiserror::Error)]
pub(crate) enum ApplyError {
    #[error("migration {file} failed: {}", error.message)]
    Rejected {
        file: String,
        version: i64,
        no_tx: bool,
        error: ServerError,
    },
    #[error("migration {file} failed: {source}")]
    Failed {
        file: String,
        version: i64,
        source: sqlx::Error,
    },
    #[error("migration {file} ran, but recording it in the history table failed: {source}")]
    Bookkeeping { file: String, source: sqlx::Error },
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
            .map_err(|source| bookkeeping(migration, source))?;
    } else {
        // One transaction for the script and its history row, so it is never
        // applied twice (https://github.com/launchbadge/sqlx/issues/1966).
        let mut tx = conn
            .begin()
            .await
            .map_err(|source| bookkeeping(migration, source))?;
        run_script(&mut tx, migration).await?;
        history::record(&mut tx, table, migration)
            .await
            .map_err(|source| bookkeeping(migration, source))?;
        tx.commit()
            .await
            .map_err(|source| bookkeeping(migration, source))?;
    }
    let elapsed = started.elapsed();
    let nanos = i64::try_from(elapsed.as_nanos()).unwrap_or(i64::MAX);
    history::set_execution_time(conn, table, migration.version, nanos)
        .await
        .map_err(|source| bookkeeping(migration, source))?;
    Ok(elapsed)
}

/// Sends the file's text as one simple-protocol query, like sqlx's `execute(sql)`.
async fn run_script(conn: &mut PgConnection, migration: &Migration) -> Result<(), ApplyError> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(migration.sql.clone()))
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(|source| rejected(migration, source))
}

fn bookkeeping(migration: &Migration, source: sqlx::Error) -> ApplyError {
    ApplyError::Bookkeeping {
        file: migration.file_name(),
        source,
    }
}

/// Turns the server's error into one that names the file, line and column.
fn rejected(migration: &Migration, source: sqlx::Error) -> ApplyError {
    let Some(pg) = source
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<PgDatabaseError>())
    else {
        return ApplyError::Failed {
            file: migration.file_name(),
            version: migration.version,
            source,
        };
    };
    let (line, column, internal_query) = match pg.position() {
        Some(PgErrorPosition::Original(position)) => {
            let (line, column) = line_and_column(&migration.sql, position);
            (Some(line), Some(column), None)
        }
        Some(PgErrorPosition::Internal { query, .. }) => (None, None, Some(query.to_owned())),
        None => (None, None, None),
    };
    ApplyError::Rejected {
        file: migration.file_name(),
        version: migration.version,
        no_tx: migration.no_tx,
        error: ServerError {
            code: pg.code().to_owned(),
            message: pg.message().to_owned(),
            detail: pg.detail().map(str::to_owned),
            hint: pg.hint().map(str::to_owned),
            line,
            column,
            internal_query,
        },
    }
}

/// The 1-based line and column of PostgreSQL's error position, which counts
/// characters (not bytes) from 1.
pub(crate) fn line_and_column(sql: &str, position: usize) -> (usize, usize) {
    let before: Vec<char> = sql.chars().take(position.saturating_sub(1)).collect();
    let line = before.iter().filter(|c| **c == '\n').count() + 1;
    let column = before.iter().rev().take_while(|c| **c != '\n').count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_from_one() {
        let sql = "SELECT 1;\nSELECT é, nope;\n";
        // "nope" starts at character 21 (1-based): 10 chars on line 1 + 11 on line 2.
        assert_eq!(line_and_column(sql, 1), (1, 1));
        assert_eq!(line_and_column(sql, 11), (2, 1));
        assert_eq!(line_and_column(sql, 21), (2, 11));
    }
}
