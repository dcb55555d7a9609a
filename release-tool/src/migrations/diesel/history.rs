//! Diesel's history table, `__diesel_schema_migrations`: the DDL is
//! `diesel` 2.3.14's `setup_migration_table.sql` byte for byte, and the row is
//! written with the statement `diesel_migrations` 2.3.2's `MigrationHarness`
//! sends, so Diesel and slipway read and write the same rows. The name is
//! unqualified, as Diesel writes it: it follows `search_path`. Diesel keeps
//! no checksum and no failed state; `run_on` is the column's default.

use sqlx::PgConnection;

use crate::migrations::history::Applied;
use crate::migrations::source::{Migration, Version};

/// `diesel/src/migration/setup_migration_table.sql` (2.3.14).
pub(crate) const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
";

/// The columns of Diesel's table, which tell it from other tables.
pub(crate) const COLUMNS: &[&str] = &["version", "run_on"];

/// Every version, in Diesel's (byte) order.
pub(crate) async fn read_rows(conn: &mut PgConnection) -> Result<Vec<Applied>, sqlx::Error> {
    let versions: Vec<String> = sqlx::query_scalar(
        r#"SELECT "__diesel_schema_migrations"."version" FROM "__diesel_schema_migrations" ORDER BY "__diesel_schema_migrations"."version" COLLATE "C""#,
    )
    .fetch_all(conn)
    .await?;
    Ok(versions
        .into_iter()
        .map(|version| Applied {
            version: Version::Text(version),
            description: String::new(),
            success: true,
            checksum: None,
        })
        .collect())
}

/// Records a migration as `MigrationHarness::run_migration` does.
pub(crate) async fn record(
    conn: &mut PgConnection,
    migration: &Migration,
) -> Result<(), sqlx::Error> {
    sqlx::query(r#"INSERT INTO "__diesel_schema_migrations" ("version") VALUES ($1)"#)
        .bind(migration.version.to_string())
        .execute(conn)
        .await
        .map(|_| ())
}
