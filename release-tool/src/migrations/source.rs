//! A migrations folder, read by the rules of the app's migration tool: one
//! [`Migration`] per up-migration the tool would run, whatever the format.
//! The formats' own rules live in `sqlx/source.rs` and `diesel/source.rs`.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use slipway_contract::text::line_of;
use slipway_contract::{
    DieselFilesError, FilesError, IgnoredFile, Located, MigrationFormat, MigrationsDir,
    UnrecognizedSqlFiles,
};

use super::{diesel, sqlx};

pub(crate) use slipway_contract::MigrationKind as Kind;

/// A migration's version, as its tool records it: sqlx's `BIGINT`, Diesel's
/// `VARCHAR(50)` (compared as text, byte for byte).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub(crate) enum Version {
    Number(i64),
    Text(String),
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(version) => write!(f, "{version}"),
            Self::Text(version) => f.write_str(version),
        }
    }
}

impl Version {
    /// The version as an SQL literal, for a statement a person runs by hand.
    pub(crate) fn sql_literal(&self) -> String {
        match self {
            Self::Number(version) => version.to_string(),
            Self::Text(version) => format!("'{}'", version.replace('\'', "''")),
        }
    }
}

/// How a migration asks its tool to run it outside a transaction (the lint's
/// safe patterns say it in these words: `{no_tx_migration}` in their text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum NoTxMarker {
    /// sqlx: the file starts with `-- no-transaction`.
    #[default]
    SqlxComment,
    /// Diesel: `run_in_transaction = false` in the folder's `metadata.toml`.
    DieselMetadata,
}

impl NoTxMarker {
    /// `safe` in the tool's words.
    pub(crate) fn words(self, safe: &str) -> String {
        let migration = match self {
            Self::SqlxComment => {
                "a migration that starts with `-- no-transaction` (sqlx then runs it outside a transaction)"
            }
            Self::DieselMetadata => {
                "a migration whose metadata.toml says `run_in_transaction = false` (Diesel then runs it \
                 outside a transaction)"
            }
        };
        safe.replace("{no_tx_migration}", migration)
    }
}

/// One migration the tool would run.
#[derive(Debug, Clone)]
pub(crate) struct Migration {
    pub(crate) version: Version,
    /// sqlx's description (Diesel has none: the folder's name after the version).
    pub(crate) description: String,
    pub(crate) kind: Kind,
    pub(crate) sql: String,
    /// sqlx's SHA-384 of the file; empty for Diesel, which keeps no checksums.
    pub(crate) checksum: Vec<u8>,
    /// Runs outside a transaction (`-- no-transaction`, `run_in_transaction = false`).
    pub(crate) no_tx: bool,
    /// How its tool is asked for that.
    pub(crate) marker: NoTxMarker,
    /// The SQL file.
    pub(crate) path: PathBuf,
    /// How messages name it: the file (`1_a.sql`) or the folder's file (`1_a/up.sql`).
    pub(crate) name: String,
    /// Why the tool would refuse or misrun it, if it is pending: the release
    /// stops before anything changes (exit 2).
    pub(crate) refusal: Option<String>,
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

    /// The file, as messages name it.
    pub(crate) fn file_name(&self) -> String {
        self.name.clone()
    }
}

/// The migrations of the folder, and what slipway warns about.
#[derive(Debug, Default)]
pub(crate) struct Source {
    pub(crate) migrations: Vec<Migration>,
    /// Files sqlx ignores that look like migrations.
    pub(crate) ignored: Vec<IgnoredFile>,
    /// Warnings about files the tool reads in a surprising way.
    pub(crate) warnings: Vec<String>,
}

/// How to read the folder: the format, and what sqlx.toml changes in sqlx's
/// checksums and in which files it refuses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reading<'a> {
    pub(crate) format: MigrationFormat,
    pub(crate) ignored_chars: &'a BTreeSet<char>,
    pub(crate) unrecognized_sql_files: Option<&'a Located<UnrecognizedSqlFiles>>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum SourceError {
    #[error(transparent)]
    Files(#[from] FilesError),
    #[error(transparent)]
    Diesel(#[from] DieselFilesError),
    #[error("{}, line {line}: the file is not UTF-8 text", path.display())]
    NotUtf8 { path: PathBuf, line: usize },
    #[error("cannot read {}: {source}", path.display())]
    UnreadableFile {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Reads every migration in `dir` by the format's rules. A missing default
/// folder means "no migrations"; an explicit folder was checked to exist by
/// the config step. The `command` format reads nothing.
pub(crate) fn load(dir: &MigrationsDir, reading: Reading<'_>) -> Result<Source, SourceError> {
    if !dir.is_explicit() && !dir.path.exists() {
        return Ok(Source::default());
    }
    match reading.format {
        MigrationFormat::Sqlx => sqlx::source::load(&dir.path, reading),
        MigrationFormat::Diesel => diesel::source::load(&dir.path),
        MigrationFormat::Command => Ok(Source::default()),
    }
}

/// Reads a migration's text; bytes that are not UTF-8 are reported with
/// their line, so the file can be fixed.
pub(crate) fn read_utf8(path: &Path) -> Result<String, SourceError> {
    let bytes = std::fs::read(path).map_err(|source| SourceError::UnreadableFile {
        path: path.to_owned(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|error| {
        let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
        SourceError::NotUtf8 {
            path: path.to_owned(),
            line: line_of(&String::from_utf8_lossy(valid), valid.len()),
        }
    })
}
