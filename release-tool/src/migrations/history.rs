//! The history table of the app's migration tool, whatever the tool: which
//! table, reading it, creating it, recording a migration, and what a restore
//! does to it. The statements are each tool's own, in `sqlx/history.rs` and
//! `diesel/history.rs`, so the tool and slipway read and write the same rows.

use sqlx::{AssertSqlSafe, PgConnection};

use super::source::{Migration, Version};
use super::{diesel, sqlx as sqlx_format};

/// The history table: sqlx's (`_sqlx_migrations`, or sqlx.toml's
/// `table-name`, with its `create-schemas`) or Diesel's
/// (`__diesel_schema_migrations`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HistoryTable {
    Sqlx(sqlx_format::history::SqlxTable),
    Diesel,
}

impl Default for HistoryTable {
    /// sqlx's default, `Migrator::DEFAULT`.
    fn default() -> Self {
        Self::Sqlx(sqlx_format::history::SqlxTable::default())
    }
}

impl HistoryTable {
    /// The table's name, as written in SQL.
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::Sqlx(table) => &table.name,
            Self::Diesel => slipway_contract::DIESEL_TABLE_NAME,
        }
    }

    /// The schemas the tool creates before its table (sqlx.toml's `create-schemas`).
    pub(crate) fn create_schemas(&self) -> &[String] {
        match self {
            Self::Sqlx(table) => &table.create_schemas,
            Self::Diesel => &[],
        }
    }

    /// The columns that tell the tool's table from others.
    fn columns(&self) -> &'static [&'static str] {
        match self {
            Self::Sqlx(_) => sqlx_format::history::COLUMNS,
            Self::Diesel => diesel::history::COLUMNS,
        }
    }
}

/// One row of the history table (Diesel's rows have a version only: no
/// description, no checksum, and no failed state).
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Applied {
    pub(crate) version: Version,
    pub(crate) description: String,
    pub(crate) success: bool,
    #[serde(serialize_with = "as_hex")]
    pub(crate) checksum: Option<Vec<u8>>,
}

// serde's `serialize_with` hands over the field as it is.
#[allow(clippy::ref_option)]
fn as_hex<S: serde::Serializer>(bytes: &Option<Vec<u8>>, serializer: S) -> Result<S::Ok, S::Error> {
    match bytes {
        Some(bytes) => serializer.serialize_str(&hex::encode(bytes)),
        None => serializer.serialize_none(),
    }
}

/// The history table's identity (its OID), or `None` when it does not exist.
pub(crate) async fn identity(
    conn: &mut PgConnection,
    table: &HistoryTable,
) -> Result<Option<u32>, sqlx::Error> {
    let oid: Option<sqlx::postgres::types::Oid> = sqlx::query_scalar("SELECT to_regclass($1)::oid")
        .bind(table.name())
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
    sqlx::query(AssertSqlSafe(format!("DROP TABLE {}", table.name())))
        .execute(conn)
        .await?;
    Ok(AfterRestore::Dropped)
}

/// Another table than `table` with the columns of the tool's history table.
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
                    AND a.attname = ANY($2)) = cardinality($2)
          ORDER BY 1
          LIMIT 1",
    )
    .bind(table.name())
    .bind(table.columns())
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
        .bind(table.name())
        .fetch_one(&mut *conn)
        .await?;
    if !exists {
        return Ok(Vec::new());
    }
    match table {
        HistoryTable::Sqlx(table) => sqlx_format::history::read_rows(conn, table).await,
        HistoryTable::Diesel => diesel::history::read_rows(conn).await,
    }
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
    for schema in table.create_schemas() {
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
    .bind(table.name())
    .bind(table.create_schemas())
    .fetch_optional(conn)
    .await
}

/// Creates the history table if needed, as the tool does (sqlx after
/// [`create_schemas`]; Diesel before reading it).
pub(crate) async fn ensure_table(
    conn: &mut PgConnection,
    table: &HistoryTable,
) -> Result<(), sqlx::Error> {
    let ddl = match table {
        HistoryTable::Sqlx(table) => sqlx_format::history::create_table(&table.name),
        HistoryTable::Diesel => diesel::history::CREATE_TABLE.to_owned(),
    };
    sqlx::raw_sql(AssertSqlSafe(ddl))
        .execute(conn)
        .await
        .map(|_| ())
}

/// Records a migration as applied, with the tool's statement (inside the
/// migration's transaction, when it has one).
pub(crate) async fn record(
    conn: &mut PgConnection,
    table: &HistoryTable,
    migration: &Migration,
) -> Result<(), sqlx::Error> {
    match table {
        HistoryTable::Sqlx(table) => sqlx_format::history::record(conn, table, migration).await,
        HistoryTable::Diesel => diesel::history::record(conn, migration).await,
    }
}

/// Stores the measured execution time after the commit, as sqlx does
/// (Diesel records none).
pub(crate) async fn set_execution_time(
    conn: &mut PgConnection,
    table: &HistoryTable,
    migration: &Migration,
    nanos: i64,
) -> Result<(), sqlx::Error> {
    match table {
        HistoryTable::Sqlx(table) => {
            sqlx_format::history::set_execution_time(conn, table, &migration.version, nanos).await
        }
        HistoryTable::Diesel => Ok(()),
    }
}
