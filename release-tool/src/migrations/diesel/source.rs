//! Reads a migrations folder with `diesel_migrations` 2.3's rules. Which
//! folders count, their versions and order come from
//! `slipway_contract::list_diesel_migrations`, the one implementation the
//! buildpack's pgvector scan and lint use too. Here each folder is read:
//!
//! - `up.sql` is the migration (as UTF-8, as Diesel's `read_to_string`);
//! - `metadata.toml` says whether it runs in a transaction, read as Diesel
//!   reads it (`slipway_contract::read_diesel_metadata`);
//! - what Diesel would refuse at run time, or misread without a word, is kept
//!   as the migration's `refusal`: a pending migration with one stops the
//!   release before anything changes.

use std::path::Path;

use slipway_contract::{
    DieselMigration, MetadataProblem, MigrationKind, list_diesel_migrations, read_diesel_metadata,
};

use crate::migrations::source::{Migration, NoTxMarker, Source, SourceError, Version, read_utf8};

/// Reads every migration folder of `dir`, in the order Diesel runs them.
pub(crate) fn load(dir: &Path) -> Result<Source, SourceError> {
    let mut source = Source::default();
    for folder in list_diesel_migrations(dir)? {
        let (migration, warning) = read_migration(&folder)?;
        source.migrations.push(migration);
        source.warnings.extend(warning);
    }
    Ok(source)
}

/// Reads one migration folder, with a warning when its `metadata.toml` turns
/// the transaction off without saying so.
fn read_migration(folder: &DieselMigration) -> Result<(Migration, Option<String>), SourceError> {
    let sql = read_utf8(&folder.up_sql)?;
    let metadata = read_diesel_metadata(folder).map_err(|source| SourceError::UnreadableFile {
        path: folder.metadata_path(),
        source,
    })?;
    let metadata_file = format!("{}/metadata.toml", folder.name);
    let (refusal, warning) = match &metadata.problem {
        Some(MetadataProblem::Invalid { line, problem }) => (
            Some(format!(
                "{metadata_file}, line {line}: {problem}. Diesel ignores a metadata.toml it \
                 cannot read and runs the migration in a transaction; write \
                 `run_in_transaction = false` (or true), or delete the file"
            )),
            None,
        ),
        Some(MetadataProblem::NoKey) => (
            None,
            Some(format!(
                "{metadata_file} has no `run_in_transaction`: Diesel reads that as false, so \
                 {} runs without a transaction",
                folder.up_sql_name()
            )),
        ),
        None => (None, None),
    };
    let migration = Migration {
        version: Version::Text(folder.version.clone()),
        description: description_of(&folder.name),
        kind: MigrationKind::Simple,
        no_tx: !metadata.run_in_transaction,
        checksum: Vec::new(),
        refusal: refusal.or_else(|| empty_refusal(folder, &sql)),
        sql,
        path: folder.up_sql.clone(),
        name: folder.up_sql_name(),
        marker: NoTxMarker::DieselMetadata,
    };
    Ok((migration, warning))
}

/// Diesel fails on an `up.sql` with no statement: an empty file ("Attempted
/// to run an empty migration"), or one of only whitespace and comments (the
/// server's "Received an empty query").
fn empty_refusal(folder: &DieselMigration, sql: &str) -> Option<String> {
    let why = if sql.is_empty() {
        "it is empty (Diesel: \"Attempted to run an empty migration.\")"
    } else if holds_no_statement(sql) {
        "it holds no statement (Diesel: \"Received an empty query\")"
    } else {
        return None;
    };
    Some(format!(
        "{}: {why}. Diesel fails on it; add its SQL (or `SELECT 1;` to keep it as a marker)",
        folder.up_sql_name()
    ))
}

/// Whether the text holds only whitespace, `--` comments, `/* */` comments and `;`.
fn holds_no_statement(sql: &str) -> bool {
    let mut rest = sql;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ';');
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, tail)| tail);
        } else if let Some(after) = rest.strip_prefix("/*") {
            let Some(end) = block_comment_end(after) else {
                // An unterminated comment is the server's to report.
                return false;
            };
            rest = &after[end..];
        } else {
            return rest.is_empty();
        }
    }
}

/// The offset just past the `*/` that closes a block comment opened before
/// `text` (PostgreSQL's block comments nest).
fn block_comment_end(text: &str) -> Option<usize> {
    let mut depth = 1_usize;
    let mut index = 0;
    let bytes = text.as_bytes();
    while index + 1 < bytes.len() {
        match &bytes[index..index + 2] {
            b"/*" => {
                depth += 1;
                index += 2;
            }
            b"*/" => {
                depth -= 1;
                index += 2;
                if depth == 0 {
                    return Some(index);
                }
            }
            _ => index += 1,
        }
    }
    None
}

/// The folder's name after the version, `_` read as spaces, for the plan.
fn description_of(name: &str) -> String {
    name.split_once('_')
        .map_or_else(String::new, |(_, rest)| rest.replace('_', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(entries: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in entries {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn folders_become_migrations_in_diesels_order() {
        let dir = folder(&[
            ("2024-01-02-000000_b/up.sql", "CREATE TABLE b ();"),
            ("2024-01-02-000000_b/down.sql", "DROP TABLE b;"),
            ("00000000000000_diesel_initial_setup/up.sql", "SELECT 1;"),
            ("3_index/up.sql", "CREATE INDEX CONCURRENTLY i ON b (id);"),
            ("3_index/metadata.toml", "run_in_transaction = false\n"),
        ]);
        let source = load(dir.path()).unwrap();
        let summary: Vec<_> = source
            .migrations
            .iter()
            .map(|m| (m.version.to_string(), m.name.as_str(), m.no_tx))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "00000000000000".to_owned(),
                    "00000000000000_diesel_initial_setup/up.sql",
                    false
                ),
                (
                    "20240102000000".to_owned(),
                    "2024-01-02-000000_b/up.sql",
                    false
                ),
                ("3".to_owned(), "3_index/up.sql", true),
            ]
        );
        assert!(source.migrations.iter().all(|m| m.refusal.is_none()));
        assert_eq!(source.migrations[1].description, "b");
    }

    #[test]
    fn what_diesel_fails_on_is_a_refusal() {
        let cases = [
            ("", Some("it is empty")),
            (
                "  \n-- nothing\n/* not /* here */ either */;\n",
                Some("no statement"),
            ),
            ("-- a comment\nSELECT 1;", None),
            ("/* unterminated", None),
        ];
        for (sql, refused) in cases {
            let dir = folder(&[("1_a/up.sql", sql)]);
            let source = load(dir.path()).unwrap();
            let refusal = source.migrations[0].refusal.clone();
            match refused {
                Some(words) => assert!(
                    refusal.as_deref().is_some_and(|r| r.contains(words)),
                    "{sql:?}: {refusal:?}"
                ),
                None => assert!(refusal.is_none(), "{sql:?}: {refusal:?}"),
            }
        }
    }

    #[test]
    fn a_metadata_file_diesel_misreads_is_refused_or_warned() {
        let dir = folder(&[
            ("1_a/up.sql", "SELECT 1;"),
            ("1_a/metadata.toml", "run_in_transaction = \"false\"\n"),
            ("2_b/up.sql", "SELECT 1;"),
            ("2_b/metadata.toml", ""),
        ]);
        let source = load(dir.path()).unwrap();
        let refusal = source.migrations[0].refusal.as_deref().unwrap();
        assert!(
            refusal.starts_with(
                "1_a/metadata.toml, line 1: `run_in_transaction` must be true or false"
            ),
            "{refusal}"
        );
        assert!(
            !source.migrations[0].no_tx,
            "Diesel runs it in a transaction"
        );
        assert!(source.migrations[1].no_tx, "Diesel reads no key as false");
        assert_eq!(source.warnings.len(), 1);
        assert!(source.warnings[0].contains("2_b/metadata.toml has no `run_in_transaction`"));
    }
}
