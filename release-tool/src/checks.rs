//! Checks after migrating (and the `check` command): the extension is there at
//! the minimum version and computes a real distance, and no index is INVALID
//! (a failed `CREATE INDEX CONCURRENTLY` leaves one behind, and PostgreSQL
//! then silently ignores it for reads while still paying for it on writes).

use slipway_pgvector_scan::Version;
use sqlx::PgConnection;

use crate::pgvector::{self, PgvectorError, Requirement};

/// L2 distance between [1,2,3] and [3,2,1]: sqrt(4 + 0 + 4).
const SMOKE_EXPECTED: f64 = 2.828_427_124_746_190_3;

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
    #[error("the vector smoke query failed: {0}")]
    SmokeFailed(sqlx::Error),
    #[error("{} index(es) are INVALID", .0.len())]
    InvalidIndexes(Vec<InvalidIndex>),
    #[error(transparent)]
    Pgvector(#[from] PgvectorError),
    #[error("reading the catalog failed: {0}")]
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
