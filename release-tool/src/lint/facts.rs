//! The live facts no linter has: how big each table a finding touches is,
//! read from the database the release is about to change.

use std::collections::HashMap;

use sqlx::{AssertSqlSafe, Connection as _, PgConnection};

use super::{Facts, LintError, Outcome};

/// The table of `relation` (a table, or an index whose table is wanted), its
/// total size and estimated rows, with `{size}` the size of one relation `k`.
/// `to_regclass` resolves the name as the migration would, through the
/// session's `search_path`, and quotes as written.
///
/// A partitioned table holds no data itself (`pg_total_relation_size` is 0):
/// its size is the sum over its whole partition tree, and its rows the sum
/// over the leaf partitions. Inheritance children count when `$2` says the
/// statement reaches them (an `ALTER TABLE` without `ONLY`). A `reltuples`
/// of -1 (never analysed, PostgreSQL 14+) counts as unknown, not as -1 rows.
const TABLE_FACTS: &str = "\
WITH RECURSIVE target AS (
    SELECT t.oid, format('%I.%I', n.nspname, t.relname) AS name
    FROM pg_class c
    LEFT JOIN pg_index i ON i.indexrelid = c.oid
    JOIN pg_class t ON t.oid = COALESCE(i.indrelid, c.oid)
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE c.oid = to_regclass($1)
), tree AS (
    SELECT oid FROM target
    UNION ALL
    SELECT h.inhrelid
    FROM tree
    JOIN pg_inherits h ON h.inhparent = tree.oid
    JOIN pg_class k ON k.oid = h.inhrelid
    WHERE k.relispartition OR $2
)
SELECT target.name,
       sum({size})::int8 AS bytes,
       sum(k.reltuples) FILTER (WHERE k.reltuples >= 0 AND k.relkind <> 'p')::float8 AS rows,
       count(*) - 1 AS children
FROM target
JOIN tree ON true
JOIN pg_class k ON k.oid = tree.oid
GROUP BY target.name";

/// The size measured on disk; it takes an ACCESS SHARE lock on the table.
const MEASURED_SIZE: &str = "pg_total_relation_size(k.oid)";

/// The size the catalog estimates (pages as of the last VACUUM, ANALYZE or
/// index build, of the table, its TOAST table and its indexes), read without
/// any lock on the table.
const CATALOG_SIZE: &str = "(k.relpages::int8
        + COALESCE((SELECT relpages FROM pg_class WHERE oid = k.reltoastrelid), 0)
        + COALESCE((SELECT sum(x.relpages) FROM pg_index ix JOIN pg_class x ON x.oid = ix.indexrelid
                    WHERE ix.indrelid = k.oid), 0))
       * current_setting('block_size')::int8";

/// How long the measured size may wait for a table another session holds
/// locked, before the catalog's estimate is used instead.
// A lock held for the whole of a lint would otherwise fail the release here
// (exit 3), where the migrate step would have waited for it and retried.
const MEASURE_LOCK_WAIT: &str = "1s";

/// SQLSTATE `lock_not_available` (55P03).
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// SQLSTATE `invalid_name` (42602): `to_regclass` on a name it cannot split.
const INVALID_NAME: &str = "42602";

/// Looks up every finding's table once, and attaches what the database says.
pub(crate) async fn attach(
    conn: &mut PgConnection,
    outcome: &mut Outcome,
) -> Result<(), LintError> {
    let mut known: HashMap<(String, bool), Option<Facts>> = HashMap::new();
    for finding in outcome.findings.iter_mut().chain(&mut outcome.ignored) {
        let Some(table) = finding.table.clone() else {
            continue;
        };
        let key = (table, finding.children);
        if !known.contains_key(&key) {
            let facts = table_facts(conn, &key.0, key.1).await?;
            known.insert(key.clone(), facts);
        }
        finding.facts = known.get(&key).cloned().flatten();
    }
    Ok(())
}

/// name, bytes, rows, children.
type FactsRow = (String, i64, Option<f64>, i64);

/// The facts of one relation, measured; or, when another session holds the
/// table locked, estimated from the catalog.
async fn facts_row(
    conn: &mut PgConnection,
    relation: &str,
    children: bool,
) -> Result<(Option<FactsRow>, bool), sqlx::Error> {
    let mut tx = conn.begin().await?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "SET LOCAL lock_timeout = '{MEASURE_LOCK_WAIT}'"
    )))
    .execute(&mut *tx)
    .await?;
    let measured: Result<Option<FactsRow>, sqlx::Error> =
        sqlx::query_as(AssertSqlSafe(TABLE_FACTS.replace("{size}", MEASURED_SIZE)))
            .bind(relation)
            .bind(children)
            .fetch_optional(&mut *tx)
            .await;
    match measured {
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(LOCK_NOT_AVAILABLE) => {
            tx.rollback().await?;
            let estimated =
                sqlx::query_as(AssertSqlSafe(TABLE_FACTS.replace("{size}", CATALOG_SIZE)))
                    .bind(relation)
                    .bind(children)
                    .fetch_optional(conn)
                    .await?;
            Ok((estimated, true))
        }
        measured => {
            let row = measured?;
            tx.commit().await?;
            Ok((row, false))
        }
    }
}

/// The facts of one relation, with its inheritance children when
/// `children`; `NotCreatedYet` when it does not exist.
async fn table_facts(
    conn: &mut PgConnection,
    relation: &str,
    children: bool,
) -> Result<Option<Facts>, LintError> {
    match facts_row(conn, relation, children).await {
        Ok((Some((name, bytes, rows, children)), estimated)) => Ok(Some(Facts::Table {
            name,
            bytes,
            rows,
            children,
            estimated,
        })),
        Ok((None, _)) => Ok(Some(Facts::NotCreatedYet)),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(INVALID_NAME) => Ok(None),
        Err(e) => Err(LintError::Facts(e)),
    }
}
