//! sqlx's history table (`_sqlx_migrations`, or `table-name` in `sqlx.toml`):
//! the DDL and the bookkeeping statements are those of sqlx-postgres 0.9
//! `migrate.rs`, so sqlx and slipway read and write the same rows. Like sqlx,
//! the table's name is written into the SQL as it is (it may be
//! schema-qualified and quoted); the config step checked it is a name.

use sqlx::{AssertSqlSafe, PgConnection};

use crate::migrations::history::Applied;
use crate::migrations::source::{Migration, Version};

/// The history table and the schemas to create before it (`[migrate]`
/// `table-name` and `create-schemas` in `sqlx.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SqlxTable {
    pub(crate) name: String,
    pub(crate) create_schemas: Vec<String>,
}

impl Default for SqlxTable {
    /// sqlx's default, `Migrator::DEFAULT`.
    fn default() -> Self {
        Self {
            name: slipway_contract::DEFAULT_TABLE_NAME.to_owned(),
            create_schemas: Vec::new(),
        }
    }
}

/// The columns of sqlx's table, which tell it from other tables.
pub(crate) const COLUMNS: &[&str] = &[
    "version",
    "description",
    "installed_on",
    "success",
    "checksum",
    "execution_time",
];

/// sqlx-postgres 0.9 `ensure_migrations_table`, byte for byte.
pub(crate) fn create_table(table: &str) -> String {
    format!(
        r"
CREATE TABLE IF NOT EXISTS {table} (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
);
                "
    )
}

/// Every row, by version.
pub(crate) async fn read_rows(
    conn: &mut PgConnection,
    table: &SqlxTable,
) -> Result<Vec<Applied>, sqlx::Error> {
    let rows: Vec<(i64, String, bool, Vec<u8>)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT version, description, success, checksum FROM {} ORDER BY version",
        table.name
    )))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(version, description, success, checksum)| Applied {
            version: Version::Number(version),
            description,
            success,
            checksum: Some(checksum),
        })
        .collect())
}

/// Records a migration as applied, with `execution_time` -1 until it is
/// measured, as sqlx does inside the migration's transaction.
pub(crate) async fn record(
    conn: &mut PgConnection,
    table: &SqlxTable,
    migration: &Migration,
) -> Result<(), sqlx::Error> {
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO {} ( version, description, success, checksum, execution_time )
    VALUES ( $1, $2, TRUE, $3, -1 )",
        table.name
    )))
    .bind(number(&migration.version))
    .bind(&migration.description)
    .bind(&migration.checksum)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Stores the measured execution time in nanoseconds, after the commit, as sqlx does.
pub(crate) async fn set_execution_time(
    conn: &mut PgConnection,
    table: &SqlxTable,
    version: &Version,
    nanos: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE {} SET execution_time = $1 WHERE version = $2",
        table.name
    )))
    .bind(nanos)
    .bind(number(version))
    .execute(conn)
    .await
    .map(|_| ())
}

/// A sqlx version as the `BIGINT` it is stored as (the sqlx source gives only numbers).
fn number(version: &Version) -> Option<i64> {
    match version {
        Version::Number(version) => Some(*version),
        Version::Text(_) => None,
    }
}
