//! sqlx's history table (`_sqlx_migrations`, or `table-name` in `sqlx.toml`):
//! the DDL and the bookkeeping statements are those of sqlx-postgres 0.9
//! `migrate.rs`, so sqlx and slipway read and write the same rows. Like sqlx,
//! the table's name is written into the SQL as it is (it may be
//! schema-qualified and quoted); the config step checked it is a name.

use sqlx::{AssertSqlSafe, PgConnection};

use super::Migration;

/// The history table and the schemas to create before it (`[migrate]`
/// `table-name` and `create-schemas` in `sqlx.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HistoryTable {
    pub(crate) name: String,
    pub(crate) create_schemas: Vec<String>,
}

impl Default for HistoryTable {
    /// sqlx's default, `Migrator::DEFAULT`.
    fn default() -> Self {
        Self {
            name: slipway_contract::DEFAULT_TABLE_NAME.to_owned(),
            create_schemas: Vec::new(),
        }
    }
}

/// sqlx-postgres 0.9 `ensure_migrations_table`, byte for byte.
fn create_table(table: &str) -> String {
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

/// The history table's identity (its OID), or `None` when it does not exist.
pub(crate) async fn identity(
    conn: &mut PgConnection,
    table: &HistoryTable,
) -> Result<Option<u32>, sqlx::Error> {
    let oid: Option<sqlx::postgres::types::Oid> = sqlx::query_scalar("SELECT to_regclass($1)::oid")
        .bind(&table.name)
        .fetch_one(conn)
        .await?;
    Ok(oid.map(|oid| oid.0))
}

/// What a restore did to the history table.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AfterRestore {
    /// The backup held it (or there was none): the restore replaced it.
    Replaced,
    /// The backup did not hold it, so it was dropped.
    Dropped,
    /// The restore left it in place, but brought back another table of the
    /// same shape (the history under another name or schema, before
    /// `table-name` changed): both are kept, for a person to decide.
    KeptBeside(String),
}

/// Drops the history table if it is still the one whose identity was
/// `before` a restore. `pg_restore --clean` drops and recreates every table
/// its archive holds, so a table it left alone was not in the backup: its
/// rows record migrations applied after the backup was taken, which the
/// restore has just undone.
pub(crate) async fn drop_if_not_restored(
    conn: &mut PgConnection,
    table: &HistoryTable,
    before: Option<u32>,
) -> Result<AfterRestore, sqlx::Error> {
    if before.is_none() || identity(&mut *conn, table).await? != before {
        return Ok(AfterRestore::Replaced);
    }
    if let Some(other) = another_history(&mut *conn, table).await? {
        return Ok(AfterRestore::KeptBeside(other));
    }
    sqlx::query(AssertSqlSafe(format!("DROP TABLE {}", table.name)))
        .execute(conn)
        .await?;
    Ok(AfterRestore::Dropped)
}

/// Another table with the columns of sqlx's history table than `table`.
async fn another_history(
    conn: &mut PgConnection,
    table: &HistoryTable,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT format('%I.%I', n.nspname, c.relname)
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p')
            AND c.oid IS DISTINCT FROM to_regclass($1)
            AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND (SELECT count(*) FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                    AND a.attname IN ('version', 'description', 'installed_on', 'success',
                                      'checksum', 'execution_time')) = 6
          ORDER BY 1
          LIMIT 1",
    )
    .bind(&table.name)
    .fetch_optional(conn)
    .await
}

/// Reads the history, or an empty one when the table does not exist yet.
/// Reading never creates the table, so `plan` changes nothing.
pub(crate) async fn read(
    conn: &mut PgConnection,
    table: &HistoryTable,
) -> Result<Vec<Applied>, sqlx::Error> {
    // `to_regclass` resolves the name as the SQL below does (search_path,
    // quoting), and is NULL when the table or its schema does not exist.
    let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(&table.name)
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64, String, bool, Vec<u8>)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT version, description, success, checksum FROM {} ORDER BY version",
        table.name
    )))
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

/// Creates the schemas `sqlx.toml` lists (`create-schemas`) that do not exist
/// yet, with sqlx's statement. sqlx's `Migrator` runs `CREATE SCHEMA IF NOT
/// EXISTS` for each on every run, before it ensures the history table, so a
/// schema added to the list later exists before the migration that uses it.
/// An existing schema gets no statement: `CREATE SCHEMA` checks the `CREATE`
/// privilege on the database even when the schema exists. Returns the
/// schemas created.
pub(crate) async fn create_schemas(
    conn: &mut PgConnection,
    table: &HistoryTable,
) -> Result<Vec<String>, sqlx::Error> {
    let mut created = Vec::new();
    for schema in &table.create_schemas {
        // `to_regnamespace` reads the name as SQL does (quoted or folded).
        let exists: bool = sqlx::query_scalar("SELECT to_regnamespace($1) IS NOT NULL")
            .bind(schema)
            .fetch_one(&mut *conn)
            .await?;
        if !exists {
            sqlx::raw_sql(AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS {schema};"
            )))
            .execute(&mut *conn)
            .await?;
            created.push(schema.clone());
        }
    }
    Ok(created)
}

/// The schema of a schema-qualified history table when it does not exist
/// and `create-schemas` does not list it: sqlx's `CREATE TABLE` would fail
/// on it (3F000). `parse_ident` splits the name as SQL does.
pub(crate) async fn missing_schema(
    conn: &mut PgConnection,
    table: &HistoryTable,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT s FROM (SELECT (parse_ident($1))[cardinality(parse_ident($1)) - 1] AS s) t
          WHERE s IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = s)
            AND s <> ALL (SELECT (parse_ident(c))[1] FROM unnest($2::text[]) c)",
    )
    .bind(&table.name)
    .bind(&table.create_schemas)
    .fetch_optional(conn)
    .await
}

/// Creates the history table if needed, as sqlx's `Migrator::run` does
/// (after [`create_schemas`]).
pub(crate) async fn ensure_table(
    conn: &mut PgConnection,
    table: &HistoryTable,
) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(AssertSqlSafe(create_table(&table.name)))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Records a migration as applied, with `execution_time` -1 until it is
/// measured, as sqlx does inside the migration's transaction.
pub(crate) async fn record(
    conn: &mut PgConnection,
    table: &HistoryTable,
    migration: &Migration,
) -> Result<(), sqlx::Error> {
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO {} ( version, description, success, checksum, execution_time )
    VALUES ( $1, $2, TRUE, $3, -1 )",
        table.name
    )))
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
    table: &HistoryTable,
    version: i64,
    nanos: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE {} SET execution_time = $1 WHERE version = $2",
        table.name
    )))
    .bind(nanos)
    .bind(version)
    .execute(conn)
    .await
    .map(|_| ())
}
