//! The live facts no linter has: how big each table a finding touches is,
//! read from the database the release is about to change.

use std::collections::HashMap;

use sqlx::PgConnection;

use super::{Facts, LintError, Outcome};

/// The table of `relation` (a table, or an index whose table is wanted), its
/// total size and estimated rows. `to_regclass` resolves the name as the
/// migration would, through the session's `search_path`, and quotes as written.
const TABLE_FACTS: &str = "\
SELECT format('%I.%I', n.nspname, t.relname) AS name,
       pg_total_relation_size(t.oid) AS bytes,
       t.reltuples::float8 AS rows
FROM pg_class c
LEFT JOIN pg_index i ON i.indexrelid = c.oid
JOIN pg_class t ON t.oid = COALESCE(i.indrelid, c.oid)
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE c.oid = to_regclass($1)";

/// SQLSTATE `invalid_name` (42602): `to_regclass` on a name it cannot split.
const INVALID_NAME: &str = "42602";

/// Looks up every finding's table once, and attaches what the database says.
pub(crate) async fn attach(
    conn: &mut PgConnection,
    outcome: &mut Outcome,
) -> Result<(), LintError> {
    let mut known: HashMap<String, Option<Facts>> = HashMap::new();
    for finding in outcome.findings.iter_mut().chain(&mut outcome.ignored) {
        let Some(table) = finding.table.clone() else {
            continue;
        };
        if !known.contains_key(&table) {
            let facts = table_facts(conn, &table).await?;
            known.insert(table.clone(), facts);
        }
        finding.facts = known.get(&table).cloned().flatten();
    }
    Ok(())
}

/// The facts of one relation; `NotCreatedYet` when it does not exist.
async fn table_facts(conn: &mut PgConnection, relation: &str) -> Result<Option<Facts>, LintError> {
    let row: Result<Option<(String, i64, f64)>, sqlx::Error> = sqlx::query_as(TABLE_FACTS)
        .bind(relation)
        .fetch_optional(&mut *conn)
        .await;
    match row {
        Ok(Some((name, bytes, rows))) => Ok(Some(Facts::Table {
            name,
            bytes,
            // PostgreSQL 14+ says -1 for a table that was never analysed.
            rows: (rows >= 0.0).then_some(rows),
        })),
        Ok(None) => Ok(Some(Facts::NotCreatedYet)),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(INVALID_NAME) => Ok(None),
        Err(e) => Err(LintError::Facts(e)),
    }
}
