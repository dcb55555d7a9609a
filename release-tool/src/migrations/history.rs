//! sqlx's `_sqlx_migrations` table: the DDL and the bookkeeping statements are
//! those of sqlx-postgres 0.9 `migrate.rs`, so sqlx and slipway read and write
//! the same rows.

use sqlx::PgConnection;

use super::Migration;

/// The history table's name (sqlx's default; `Migrator::DEFAULT.table_name`).
pub(crate) const TABLE: &str = "_sqlx_migrations";

/// sqlx-postgres 0.9 `ensure_migrations_table`, byte for byte.
const CREATE_TABLE: &str = r"
CREATE TABLE IF NOT EXISTS _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
    success BOOLEAN NOT NULL,
    checksum BYTEA NOT NULL,
    execution_time BIGINT NOT NULL
);
                ";

/// One row of the history table.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Applied {
    pub(crate) version: i64,
    pub(crate) description: String,
    pub(crate) success: bool,
    #[serde(serialize_with = "as_hex")]
    pub(crate) checksum: Vec<u8>,
}

fn as_hex<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&hex::encode(bytes))
}

/// Reads the history, or an empty one when the table does not exist yet.
/// Reading never creates the table, so `plan` changes nothing.
pub(crate) async fn read(conn: &mut PgConnection) -> Result<Vec<Applied>, sqlx::Error> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(TABLE)
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String, bool, Vec<u8>)> = sqlx::query_as(
        "SELECT version, description, success, checksum FROM _sqlx_migrations ORDER BY version",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(version, description, success, checksum)| Applied {
            version,
            description,
            success,
            checksum,
        })
        .collect())
}

/// Creates the history table if needed (sqlx's DDL).
pub(crate) async fn ensure_table(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(CREATE_TABLE).execute(conn).await.map(|_| ())
}

/// Records a migration as applied, with `execution_time` -1 until it is
/// measured, as sqlx does inside the migration's transaction.
pub(crate) async fn record(
    conn: &mut PgConnection,
    migration: &Migration,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO _sqlx_migrations ( version, description, success, checksum, execution_time )
    VALUES ( $1, $2, TRUE, $3, -1 )",
    )
    .bind(migration.version)
    .bind(&migration.description)
    .bind(&migration.checksum)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Stores the measured execution time in nanoseconds, after the commit, as sqlx does.
pub(crate) async fn set_execution_time(
    conn: &mut PgConnection,
    version: i64,
    nanos: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE _sqlx_migrations SET execution_time = $1 WHERE version = $2")
        .bind(nanos)
        .bind(version)
        .execute(conn)
        .await
        .map(|_| ())
}
