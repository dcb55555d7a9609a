//! Who blocked a migration that failed on `lock_timeout`. PostgreSQL's error
//! ("canceling statement due to lock timeout") names neither the statement
//! nor the table, and a migration file is sent as one query, so slipway asks
//! the server which other sessions hold locks on the tables the migration
//! names, and points at the first line that names such a table.

use sqlx::PgConnection;

/// Another session holding a lock on a table the migration names.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Blocker {
    pub(crate) pid: i32,
    pub(crate) table: String,
    pub(crate) mode: String,
    pub(crate) application_name: String,
    pub(crate) state: String,
    /// 1-based line of the first statement in the file that names the table.
    pub(crate) line: Option<usize>,
    /// That line, trimmed.
    pub(crate) statement: Option<String>,
}

/// The sessions other than ours holding locks on tables `sql` names.
pub(crate) async fn find(conn: &mut PgConnection, sql: &str) -> Result<Vec<Blocker>, sqlx::Error> {
    let rows: Vec<(i32, String, String, String, String, String)> = sqlx::query_as(
        "SELECT l.pid, c.relname::text, n.nspname::text, l.mode,
                coalesce(a.application_name, ''), coalesce(a.state, '')
           FROM pg_locks l
           JOIN pg_class c ON c.oid = l.relation
           JOIN pg_namespace n ON n.oid = c.relnamespace
           LEFT JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          ORDER BY l.pid, c.relname",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(pid, table, schema, mode, application_name, state)| {
            let (line, statement) = first_line_naming(sql, &table)?;
            Some(Blocker {
                pid,
                table: format!("{schema}.{table}"),
                mode,
                application_name,
                state,
                line: Some(line),
                statement: Some(statement),
            })
        })
        .collect())
}

/// The first line of `sql` naming `table` as a whole word (case-insensitive,
/// as unquoted SQL names are; `--` comment lines skipped), with its 1-based number.
pub(crate) fn first_line_naming(sql: &str, table: &str) -> Option<(usize, String)> {
    let table = table.to_lowercase();
    sql.lines().enumerate().find_map(|(index, line)| {
        let lower = line.to_lowercase();
        if lower.trim_start().starts_with("--") {
            return None;
        }
        let names_it = lower
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .any(|word| word == table);
        names_it.then(|| (index + 1, line.trim().to_owned()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_line_naming_the_table_as_a_word() {
        let sql = "CREATE TABLE items_archive (id int);\n-- items\nALTER TABLE public.Items ADD COLUMN x int;\n";
        assert_eq!(
            first_line_naming(sql, "items"),
            Some((3, "ALTER TABLE public.Items ADD COLUMN x int;".to_owned()))
        );
        assert_eq!(
            first_line_naming(sql, "items_archive").map(|f| f.0),
            Some(1)
        );
        assert_eq!(first_line_naming(sql, "orders"), None);
    }
}
