//! The live facts no linter has: how big each table a finding touches is,
//! read from the database the release is about to change.

use std::collections::HashMap;
use std::time::Duration;

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

/// The size on disk. Reading it takes an ACCESS SHARE lock on the table.
// The catalog's page counts need no lock, but are 0 until the first VACUUM
// or ANALYZE: a big table locked by another session would look empty, and a
// blocking statement on it would pass. So the size is read, waiting for the
// lock as long as the migrate step would wait.
const MEASURED_SIZE: &str = "pg_total_relation_size(k.oid)";

/// SQLSTATE `lock_not_available` (55P03).
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// SQLSTATE `invalid_name` (42602): `to_regclass` on a name it cannot split.
const INVALID_NAME: &str = "42602";

/// Looks up every finding's table once, and attaches what the database says,
/// waiting at most `wait` (the lock wait; zero: no limit) for a table another
/// session holds locked.
pub(crate) async fn attach(
    conn: &mut PgConnection,
    outcome: &mut Outcome,
    wait: Duration,
) -> Result<(), LintError> {
    let mut known: HashMap<(String, bool), Option<Facts>> = HashMap::new();
    for finding in outcome.findings.iter_mut().chain(&mut outcome.ignored) {
        let Some(table) = finding.table.clone() else {
            continue;
        };
        let key = (table, finding.children);
        if !known.contains_key(&key) {
            let facts = table_facts(conn, &key.0, key.1, wait).await?;
            known.insert(key.clone(), facts);
        }
        finding.facts = known.get(&key).cloned().flatten();
    }
    Ok(())
}

/// name, bytes, rows, children.
type FactsRow = (String, i64, Option<f64>, i64);

/// The facts of one relation, waiting at most `wait` (zero: no limit) for
/// a lock another session holds on the table.
async fn facts_row(
    conn: &mut PgConnection,
    relation: &str,
    children: bool,
    wait: Duration,
) -> Result<Option<FactsRow>, sqlx::Error> {
    let mut tx = conn.begin().await?;
    sqlx::raw_sql(AssertSqlSafe(format!(
        "SET LOCAL lock_timeout = '{}ms'",
        wait.as_millis()
    )))
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query_as(AssertSqlSafe(TABLE_FACTS.replace("{size}", MEASURED_SIZE)))
        .bind(relation)
        .bind(children)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(row)
}

/// The facts of one relation, with its inheritance children when
/// `children`; `NotCreatedYet` when it does not exist.
async fn table_facts(
    conn: &mut PgConnection,
    relation: &str,
    children: bool,
    wait: Duration,
) -> Result<Option<Facts>, LintError> {
    match facts_row(conn, relation, children, wait).await {
        Ok(Some((name, bytes, rows, children))) => Ok(Some(Facts::Table {
            name,
            bytes,
            rows,
            children,
        })),
        Ok(None) => Ok(Some(Facts::NotCreatedYet)),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(LOCK_NOT_AVAILABLE) => {
            Err(LintError::TableLocked {
                table: relation.to_owned(),
                waited: wait,
            })
        }
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(INVALID_NAME) => Ok(None),
        Err(e) => Err(LintError::Facts(e)),
    }
}
