//! The indexes PostgreSQL marked INVALID (a failed `CREATE INDEX
//! CONCURRENTLY` leaves one behind): finding, describing and dropping them.
//! The checks report them; a failed migration drops the ones it left.

use sqlx::PgConnection;

/// An index PostgreSQL marked INVALID.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct InvalidIndex {
    pub(crate) schema: String,
    pub(crate) index: String,
    pub(crate) table: String,
    /// `pg_index.indexrelid`: tells a new index from an old one of the same name.
    #[serde(skip)]
    pub(crate) oid: i64,
}

impl InvalidIndex {
    /// `schema.index (on table)`, for messages.
    pub(crate) fn describe(&self) -> String {
        format!("{}.{} (on {})", self.schema, self.index, self.table)
    }

    /// `DROP INDEX CONCURRENTLY "schema"."index"`, quoted.
    pub(crate) fn drop_statement(&self) -> String {
        format!(
            "DROP INDEX CONCURRENTLY {}.{}",
            quote_ident(&self.schema),
            quote_ident(&self.index)
        )
    }
}

/// `name` as a quoted SQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Every index with `pg_index.indisvalid = false`, as schema, index and
/// table, except those a session is building right now: a `CREATE INDEX
/// CONCURRENTLY` (or `REINDEX CONCURRENTLY`) in progress is INVALID until it
/// finishes, and is not a leftover.
pub(crate) async fn invalid_indexes(
    conn: &mut PgConnection,
) -> Result<Vec<InvalidIndex>, sqlx::Error> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT n.nspname::text, ic.relname::text, tc.relname::text, i.indexrelid::int8
           FROM pg_index i
           JOIN pg_class ic ON ic.oid = i.indexrelid
           JOIN pg_class tc ON tc.oid = i.indrelid
           JOIN pg_namespace n ON n.oid = ic.relnamespace
          WHERE NOT i.indisvalid
            AND i.indexrelid NOT IN (SELECT p.index_relid FROM pg_stat_progress_create_index p
                                      WHERE p.datid = (SELECT oid FROM pg_database
                                                        WHERE datname = current_database()))
          ORDER BY 1, 2",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(schema, index, table, oid)| InvalidIndex {
            schema,
            index,
            table,
            oid,
        })
        .collect())
}

/// The indexes other sessions are building right now, as `schema.index (on
/// table)`.
pub(crate) async fn indexes_being_built(
    conn: &mut PgConnection,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT n.nspname || '.' || ic.relname || ' (on ' || tc.relname || ')'
           FROM pg_stat_progress_create_index p
           JOIN pg_class ic ON ic.oid = p.index_relid
           JOIN pg_class tc ON tc.oid = p.relid
           JOIN pg_namespace n ON n.oid = ic.relnamespace
          WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND p.pid <> pg_backend_pid()
          ORDER BY 1",
    )
    .fetch_all(conn)
    .await
}

/// The OIDs of every index in the database now.
pub(crate) async fn index_oids(conn: &mut PgConnection) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT indexrelid::int8 FROM pg_index")
        .fetch_all(conn)
        .await
}

/// Drops `index` with `DROP INDEX CONCURRENTLY` (no table lock that blocks
/// reads or writes). Must run outside a transaction.
pub(crate) async fn drop_concurrently(
    conn: &mut PgConnection,
    index: &InvalidIndex,
) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(index.drop_statement()))
        .execute(conn)
        .await
        .map(|_| ())
}
