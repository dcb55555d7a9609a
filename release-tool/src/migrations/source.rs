//! Reads a migrations folder with sqlx 0.9's rules
//! (`sqlx-core/src/migrate/source.rs`, `resolve_blocking`):
//!
//! - only regular files (symlinks followed) named `<VERSION>_<DESCRIPTION>.sql`
//!   count; other names are ignored silently;
//! - `<VERSION>` must parse as an `i64`, or the folder is rejected;
//! - `.up.sql` / `.down.sql` make a reversible pair; plain `.sql` is simple;
//! - the description is the rest of the name without the type's suffix, with
//!   `_` replaced by spaces;
//! - the checksum is SHA-384 of the file's bytes (as read, BOM and CRLF kept);
//! - a file whose text starts with `-- no-transaction` runs outside a transaction;
//! - migrations are ordered by version, then type.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha384};

use crate::config::MigrationsDir;

/// sqlx's three migration types, in sqlx's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    Simple,
    ReversibleUp,
    ReversibleDown,
}

impl Kind {
    /// The type a file name (after `<VERSION>_`) says, as `MigrationType::from_filename`.
    fn from_filename(name: &str) -> Self {
        if name.ends_with(".up.sql") {
            Kind::ReversibleUp
        } else if name.ends_with(".down.sql") {
            Kind::ReversibleDown
        } else {
            Kind::Simple
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Kind::Simple => ".sql",
            Kind::ReversibleUp => ".up.sql",
            Kind::ReversibleDown => ".down.sql",
        }
    }

    /// Whether `Migrator::run` applies this type (down migrations are for `undo`).
    pub(crate) fn is_up(self) -> bool {
        !matches!(self, Kind::ReversibleDown)
    }
}

/// One migration file.
#[derive(Debug, Clone)]
pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) description: String,
    pub(crate) kind: Kind,
    pub(crate) sql: String,
    pub(crate) checksum: Vec<u8>,
    pub(crate) no_tx: bool,
    pub(crate) path: PathBuf,
}

impl Migration {
    /// Whether the file holds no SQL: only whitespace and `--` comment lines
    /// (such as the `-- Add migration script here` of `sqlx migrate add`).
    pub(crate) fn is_blank(&self) -> bool {
        self.sql
            .lines()
            .map(str::trim)
            .all(|line| line.is_empty() || line.starts_with("--"))
    }

    /// The file name, for messages.
    pub(crate) fn file_name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum SourceError {
    #[error("cannot read the migrations folder {}: {source}", dir.display())]
    Unreadable {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: the version before the first `_` is not a 64-bit integer", path.display())]
    BadVersion { path: PathBuf },
    #[error("{}: the file name is not valid UTF-8", path.display())]
    NotUtf8Name { path: PathBuf },
    #[error("{}, line {line}: the file is not UTF-8 text", path.display())]
    NotUtf8 { path: PathBuf, line: usize },
    #[error("cannot read {}: {source}", path.display())]
    UnreadableFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} and {} have the same version {version} and type", first.display(), second.display())]
    DuplicateVersion {
        version: i64,
        first: PathBuf,
        second: PathBuf,
    },
}

/// SHA-384 of the file's text, exactly as sqlx's `migration::checksum`.
pub(crate) fn checksum(sql: &str) -> Vec<u8> {
    Sha384::digest(sql.as_bytes()).to_vec()
}

/// Reads every migration in `dir`. A missing default folder means "no
/// migrations"; an explicit folder was checked to exist by the config step.
pub(crate) fn load(dir: &MigrationsDir) -> Result<Vec<Migration>, SourceError> {
    if !dir.explicit && !dir.path.exists() {
        return Ok(Vec::new());
    }
    let unreadable = |source| SourceError::Unreadable {
        dir: dir.path.clone(),
        source,
    };
    let mut migrations = Vec::new();
    for entry in std::fs::read_dir(&dir.path).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        if let Some(migration) = read_migration(&path)? {
            migrations.push(migration);
        }
    }
    migrations.sort_by_key(|m| (m.version, m.kind));
    reject_duplicates(&migrations)?;
    Ok(migrations)
}

/// Reads one directory entry, or `None` when sqlx would ignore it.
fn read_migration(path: &Path) -> Result<Option<Migration>, SourceError> {
    let unreadable = |source| SourceError::UnreadableFile {
        path: path.to_owned(),
        source,
    };
    // sqlx uses `fs::metadata`, which follows symlinks.
    if !std::fs::metadata(path).map_err(unreadable)?.is_file() {
        return Ok(None);
    }
    let Some(os_name) = path.file_name() else {
        return Ok(None);
    };
    let file_name = os_name.to_string_lossy();
    let Some(parsed) = parse_file_name(&file_name) else {
        return Ok(None);
    };
    // sqlx reads such a name lossily and would store U+FFFD in the history's
    // description; a name that cannot be shown faithfully is a mistake.
    if os_name.to_str().is_none() {
        return Err(SourceError::NotUtf8Name {
            path: path.to_owned(),
        });
    }
    let (version, kind, description) = parsed.map_err(|()| SourceError::BadVersion {
        path: path.to_owned(),
    })?;
    let sql = read_utf8(path)?;
    Ok(Some(Migration {
        version,
        description,
        kind,
        no_tx: sql.starts_with("-- no-transaction"),
        checksum: checksum(&sql),
        sql,
        path: path.to_owned(),
    }))
}

/// Parses a migration file name with sqlx's rules: `None` when sqlx ignores
/// the file, `Some(Err(()))` when the version before the first `_` is not an
/// `i64`, else the version, type and description.
pub(crate) fn parse_file_name(file_name: &str) -> Option<Result<(i64, Kind, String), ()>> {
    let (version, rest) = file_name.split_once('_')?;
    // Case-sensitive on purpose: sqlx ignores `1_a.SQL`, so must we.
    #[allow(clippy::case_sensitive_file_extension_comparisons)]
    if !rest.ends_with(".sql") {
        return None;
    }
    let Ok(version) = version.parse::<i64>() else {
        return Some(Err(()));
    };
    let kind = Kind::from_filename(rest);
    // `trim_end_matches`, like sqlx: `a.sql.sql` describes as `a`.
    let description = rest.trim_end_matches(kind.suffix()).replace('_', " ");
    Some(Ok((version, kind, description)))
}

/// Reads a migration's text; bytes that are not UTF-8 are reported with
/// their line, so the file can be fixed.
fn read_utf8(path: &Path) -> Result<String, SourceError> {
    let bytes = std::fs::read(path).map_err(|source| SourceError::UnreadableFile {
        path: path.to_owned(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        SourceError::NotUtf8 {
            path: path.to_owned(),
            line: crate::config::line_of(&String::from_utf8_lossy(valid), valid.len()),
        }
    })
}

// sqlx would fail later, mid-run, on the history table's primary key; saying
// so before anything runs is kinder.
fn reject_duplicates(migrations: &[Migration]) -> Result<(), SourceError> {
    for pair in migrations.windows(2) {
        if pair[0].version == pair[1].version && pair[0].kind == pair[1].kind {
            return Err(SourceError::DuplicateVersion {
                version: pair[0].version,
                first: pair[0].path.clone(),
                second: pair[1].path.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use indoc::indoc;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    fn load_dir(dir: &tempfile::TempDir) -> Result<Vec<Migration>, SourceError> {
        load(&MigrationsDir {
            path: dir.path().to_owned(),
            explicit: true,
        })
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
            .map(|m| (m.version, m.description.as_str(), m.kind, m.no_tx))
            .collect();
        assert_eq!(
            summary,
            vec![
                (2, "add posts", Kind::ReversibleUp, false),
                (2, "add posts", Kind::ReversibleDown, false),
                (3, "index", Kind::Simple, true),
                (20_240_101_000_000, "create users", Kind::Simple, false),
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
    fn no_transaction_must_start_the_file() {
        let dir = dir_with(&[("1_a.sql", "\n-- no-transaction\nSELECT 1;")]);
        assert!(!load_dir(&dir).unwrap()[0].no_tx);
    }

    #[test]
    fn a_non_integer_version_is_an_error() {
        let dir = dir_with(&[("v1_a.sql", "SELECT 1;")]);
        assert!(matches!(
            load_dir(&dir),
            Err(SourceError::BadVersion { .. })
        ));
    }

    #[test]
    fn duplicate_versions_are_an_error() {
        let dir = dir_with(&[("1_a.sql", "SELECT 1;"), ("01_b.sql", "SELECT 2;")]);
        assert!(matches!(
            load_dir(&dir),
            Err(SourceError::DuplicateVersion { version: 1, .. })
        ));
    }

    #[test]
    fn a_missing_default_folder_means_no_migrations() {
        let found = load(&MigrationsDir {
            path: PathBuf::from("/nonexistent/slipway/migrations"),
            explicit: false,
        })
        .unwrap();
        assert!(found.is_empty());
    }
}
