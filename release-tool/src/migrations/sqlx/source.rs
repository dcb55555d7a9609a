//! Reads a migrations folder with sqlx 0.9's rules
//! (`sqlx-core/src/migrate/source.rs`, `resolve_blocking_with_config`). Which
//! files count, their versions, types and descriptions come from
//! `slipway_contract::list_migration_files`, the one implementation the
//! buildpack's pgvector scan uses too. Here the files are read:
//!
//! - the checksum is SHA-384 of the file's text (as read, BOM and CRLF kept),
//!   without the characters `sqlx.toml` lists in `[migrate] ignored-chars`;
//! - a file whose text starts with `-- no-transaction` runs outside a transaction;
//! - files that look like migrations but that sqlx ignores are returned with
//!   the rule they break, for a warning;
//! - two migrations of one version are refused by the listing, before
//!   anything runs.

use std::collections::BTreeSet;
use std::path::Path;

use sha2::{Digest, Sha384};
use slipway_contract::{MigrationFile, list_migration_files};

use crate::migrations::source::{
    Migration, NoTxMarker, Reading, Source, SourceError, Version, read_utf8,
};

/// SHA-384 of the file's text without `ignored` characters, exactly as sqlx's
/// `checksum_with` (`migration::checksum` when nothing is ignored).
pub(crate) fn checksum(sql: &str, ignored: &BTreeSet<char>) -> Vec<u8> {
    let mut digest = Sha384::new();
    for fragment in sql.split(|c| ignored.contains(&c)) {
        digest.update(fragment.as_bytes());
    }
    digest.finalize().to_vec()
}

/// Reads every migration in `dir`, with checksums that leave out the ignored
/// characters, refusing or skipping `.sql` files that are no migration as
/// `reading` says.
pub(crate) fn load(dir: &Path, reading: Reading<'_>) -> Result<Source, SourceError> {
    let files = list_migration_files(dir, reading.unrecognized_sql_files)?;
    let migrations = files
        .migrations
        .iter()
        .map(|file| read_migration(file, reading.ignored_chars))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Source {
        migrations,
        ignored: files.ignored,
        warnings: Vec::new(),
    })
}

/// Reads one migration file.
fn read_migration(
    file: &MigrationFile,
    ignored: &BTreeSet<char>,
) -> Result<Migration, SourceError> {
    let sql = read_utf8(&file.path)?;
    Ok(Migration {
        version: Version::Number(file.version),
        description: file.description.clone(),
        kind: file.kind,
        no_tx: is_no_transaction(&sql),
        checksum: checksum(&sql, ignored),
        sql,
        path: file.path.clone(),
        name: file.file_name.clone(),
        refusal: None,
        marker: NoTxMarker::SqlxComment,
    })
}

/// sqlx's rule: a migration whose text starts with `-- no-transaction` runs
/// outside a transaction.
pub(crate) fn is_no_transaction(sql: &str) -> bool {
    sql.starts_with("-- no-transaction")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::source::Kind;
    use indoc::indoc;
    use slipway_contract::FilesError;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    fn load_dir(dir: &tempfile::TempDir) -> Result<Vec<Migration>, SourceError> {
        load_with(dir, &BTreeSet::new()).map(|source| source.migrations)
    }

    fn load_with(dir: &tempfile::TempDir, ignored: &BTreeSet<char>) -> Result<Source, SourceError> {
        let reading = Reading {
            format: slipway_contract::MigrationFormat::Sqlx,
            ignored_chars: ignored,
            unrecognized_sql_files: None,
        };
        load(dir.path(), reading)
    }

    #[test]
    fn names_types_and_descriptions_follow_sqlx() {
        let dir = dir_with(&[
            (
                "20240101000000_create_users.sql",
                "CREATE TABLE users (id int);\n",
            ),
            ("2_add_posts.up.sql", "CREATE TABLE posts (id int);\n"),
            ("2_add_posts.down.sql", "DROP TABLE posts;\n"),
            (
                "3_index.sql",
                indoc! {"
                -- no-transaction
                CREATE INDEX CONCURRENTLY i ON users (id);
            "},
            ),
            ("README.md", "ignored"),
            ("notes.sql", "ignored: no underscore"),
            ("4_text.txt", "ignored: not .sql"),
        ]);
        let found = load_dir(&dir).unwrap();
        let summary: Vec<_> = found
            .iter()
            .map(|m| (m.version.clone(), m.description.as_str(), m.kind, m.no_tx))
            .collect();
        assert_eq!(
            summary,
            vec![
                (Version::Number(2), "add posts", Kind::ReversibleUp, false),
                (Version::Number(2), "add posts", Kind::ReversibleDown, false),
                (Version::Number(3), "index", Kind::Simple, true),
                (
                    Version::Number(20_240_101_000_000),
                    "create users",
                    Kind::Simple,
                    false
                ),
            ]
        );
    }

    #[test]
    fn checksum_is_sha384_of_the_bytes() {
        let dir = dir_with(&[("1_a.sql", "SELECT 1;\r\n")]);
        let found = load_dir(&dir).unwrap();
        assert_eq!(
            hex::encode(&found[0].checksum),
            hex::encode(Sha384::digest(b"SELECT 1;\r\n"))
        );
        assert_eq!(found[0].checksum.len(), 48);
    }

    #[test]
    fn ignored_chars_are_left_out_of_the_checksum() {
        let dir = dir_with(&[("1_a.sql", "SELECT\r\n 1;\r\n")]);
        let found = load_with(&dir, &BTreeSet::from(['\r'])).unwrap();
        assert_eq!(
            hex::encode(&found.migrations[0].checksum),
            hex::encode(Sha384::digest(b"SELECT\n 1;\n"))
        );
        assert_eq!(
            found.migrations[0].sql, "SELECT\r\n 1;\r\n",
            "the SQL keeps them"
        );
    }

    #[test]
    fn no_transaction_must_start_the_file() {
        let dir = dir_with(&[("1_a.sql", "\n-- no-transaction\nSELECT 1;")]);
        assert!(!load_dir(&dir).unwrap()[0].no_tx);
    }

    #[test]
    fn a_non_integer_version_is_an_error() {
        let dir = dir_with(&[("v1_a.sql", "SELECT 1;")]);
        assert!(matches!(
            load_dir(&dir),
            Err(SourceError::Files(FilesError::BadVersion { .. }))
        ));
    }

    #[test]
    fn duplicate_versions_are_an_error() {
        let dir = dir_with(&[("1_a.sql", "SELECT 1;"), ("01_b.sql", "SELECT 2;")]);
        assert!(matches!(
            load_dir(&dir),
            Err(SourceError::Files(FilesError::DuplicateVersion {
                version: 1,
                ..
            }))
        ));
    }
}
