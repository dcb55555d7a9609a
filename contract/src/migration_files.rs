//! Which files of a migrations folder are migrations, by sqlx 0.9's rules
//! (`sqlx-core/src/migrate/source.rs`, `resolve_blocking_with_config`). The
//! release tool migrates from this list and the buildpack scans it for
//! pgvector, so the two never disagree about which files count.
//!
//! - only regular files (symlinks followed) count; folders are ignored;
//! - the name is split at the first `_`: `<VERSION>_<DESCRIPTION>.sql`; a name
//!   without `_`, or not ending in `.sql` (lower case), is ignored by sqlx;
//! - `<VERSION>` must parse as an `i64`, or sqlx rejects the whole folder;
//! - `.up.sql` / `.down.sql` make a reversible pair; plain `.sql` is simple;
//! - the description is the rest of the name without the type's suffix, with
//!   `_` replaced by spaces;
//! - migrations are ordered by version, then type.
//!
//! sqlx takes two migrations of one version (`1_a.sql` and `1_a.up.sql`, or
//! `1_a.sql` and `01_b.sql`) and fails on the second one's history row,
//! after the first was applied; here they are refused up front. A version
//! holds one `.sql`, or one `.up.sql` and one `.down.sql`.
//!
//! sqlx 0.9.0 ignores the files it does not take without a word; this list
//! keeps the ones that look like a migration (a name that starts with a digit
//! or ends in `.sql` in any case), with the rule each breaks, so that the
//! callers can warn about them.
//!
//! sqlx 0.9.1 added `sqlx.toml`'s `[migrate] unrecognized-sql-files` for one
//! kind of them, a name ending in `.sql` (lower case) that is not
//! `<VERSION>_<DESCRIPTION>.sql`: `error` refuses the folder, `warn` and
//! `ignore` skip the file (`ignore` without the warning; the file is still
//! listed). Its default is `error`; slipway's, when the file
//! does not set it, is to skip with a warning, as sqlx 0.9.0 and sqlx-cli
//! 0.9.0 (the newest sqlx-cli) skip. An app whose `sqlx::migrate!()` is 0.9.1
//! does not compile with such a file, so it never reaches a release.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::sqlx_toml::{Located, UnrecognizedSqlFiles};

/// sqlx's three migration types, in sqlx's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MigrationKind {
    /// `<VERSION>_<DESCRIPTION>.sql`.
    Simple,
    /// `<VERSION>_<DESCRIPTION>.up.sql`.
    ReversibleUp,
    /// `<VERSION>_<DESCRIPTION>.down.sql`.
    ReversibleDown,
}

impl MigrationKind {
    /// The type a file name (after `<VERSION>_`) says, as sqlx's `MigrationType::from_filename`.
    fn from_filename(name: &str) -> Self {
        if name.ends_with(".up.sql") {
            Self::ReversibleUp
        } else if name.ends_with(".down.sql") {
            Self::ReversibleDown
        } else {
            Self::Simple
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Self::Simple => ".sql",
            Self::ReversibleUp => ".up.sql",
            Self::ReversibleDown => ".down.sql",
        }
    }

    /// Whether `Migrator::run` applies this type (down migrations are for `undo`).
    #[must_use]
    pub fn is_up(self) -> bool {
        !matches!(self, Self::ReversibleDown)
    }

    /// `simple`, `reversible_up` or `reversible_down`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Simple => "simple",
            Self::ReversibleUp => "reversible_up",
            Self::ReversibleDown => "reversible_down",
        }
    }
}

/// One migration file, as sqlx resolves it (its text is the caller's to read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFile {
    /// The path: the folder joined with the file name.
    pub path: PathBuf,
    /// The file name.
    pub file_name: String,
    /// The version before the first `_`.
    pub version: i64,
    /// The type its suffix says.
    pub kind: MigrationKind,
    /// The description sqlx stores in the history.
    pub description: String,
}

/// The sqlx rule a file that looks like a migration breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoredRule {
    /// No `_` between the version and the description.
    NoUnderscore,
    /// The name does not end in `.sql` (lower case).
    NotDotSql,
}

impl IgnoredRule {
    /// A short name for JSON: `no_underscore` or `not_dot_sql`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::NoUnderscore => "no_underscore",
            Self::NotDotSql => "not_dot_sql",
        }
    }
}

impl fmt::Display for IgnoredRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoUnderscore => {
                "there is no `_` after the version (sqlx reads <VERSION>_<DESCRIPTION>.sql)"
            }
            Self::NotDotSql => "the name does not end in `.sql` (lower case)",
        })
    }
}

/// A file sqlx ignores although it looks like a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredFile {
    /// The path: the folder joined with the file name.
    pub path: PathBuf,
    /// The file name (lossy when it is not UTF-8).
    pub file_name: String,
    /// The rule it breaks.
    pub rule: IgnoredRule,
    /// `sqlx.toml`'s `unrecognized-sql-files`, when it is set and governs this file (see
    /// [`is_unrecognized_sql`](Self::is_unrecognized_sql)): `warn` or `ignore`.
    pub setting: Option<UnrecognizedSqlFiles>,
}

impl IgnoredFile {
    /// Whether sqlx 0.9.1's `unrecognized-sql-files` governs it: a name that ends in `.sql`
    /// (lower case) but is not `<VERSION>_<DESCRIPTION>.sql`.
    #[must_use]
    pub fn is_unrecognized_sql(&self) -> bool {
        // Case-sensitive on purpose: sqlx 0.9.1 tests `file_name.ends_with(".sql")`.
        #[allow(clippy::case_sensitive_file_extension_comparisons)]
        let dot_sql = self.file_name.ends_with(".sql");
        self.rule == IgnoredRule::NoUnderscore && dot_sql
    }

    /// Whether the callers warn about it: not when `sqlx.toml` says `ignore`, as sqlx then
    /// skips it without a word.
    #[must_use]
    pub fn is_warned(&self) -> bool {
        self.setting != Some(UnrecognizedSqlFiles::Ignore)
    }

    /// For a file [`is_unrecognized_sql`](Self::is_unrecognized_sql) that `sqlx.toml` says
    /// nothing about, the sentence that says newer sqlx refuses it and which setting decides;
    /// else nothing.
    #[must_use]
    pub fn unrecognized_sql_note(&self) -> &'static str {
        if self.is_unrecognized_sql() && self.setting.is_none() {
            " sqlx 0.9.1 and later refuse such a .sql file unless sqlx.toml sets [migrate] \
             unrecognized-sql-files (\"warn\" or \"ignore\" to keep it there)."
        } else {
            ""
        }
    }
}

/// The migrations of a folder, and the look-alikes sqlx ignores.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationFiles {
    /// Every migration, in sqlx's order (version, then type).
    pub migrations: Vec<MigrationFile>,
    /// The files sqlx ignores that look like migrations, by file name.
    pub ignored: Vec<IgnoredFile>,
}

/// Why a migrations folder cannot be used. sqlx rejects the same folders.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// The folder cannot be listed.
    #[error("cannot read the migrations folder {}: {source}", dir.display())]
    Unreadable {
        /// The folder.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An entry's type cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    UnreadableEntry {
        /// The entry.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The version before the first `_` of a `.sql` file is not an `i64`.
    #[error("{}: the version before the first `_` is not a 64-bit integer", path.display())]
    BadVersion {
        /// The file.
        path: PathBuf,
    },
    /// Two migrations have one version: two up migrations (`.sql` or
    /// `.up.sql`), or two down migrations.
    #[error(
        "{} and {} have the same version {version}: sqlx would apply the first and fail on the second",
        first.display(),
        second.display()
    )]
    DuplicateVersion {
        /// The version.
        version: i64,
        /// The first file, in sqlx's order.
        first: PathBuf,
        /// The second file.
        second: PathBuf,
    },
    /// A `.sql` file whose name is not `<VERSION>_<DESCRIPTION>.sql`, with
    /// `sqlx.toml` saying `unrecognized-sql-files = "error"`.
    #[error(
        "{} is not named <VERSION>_<DESCRIPTION>.sql, and sqlx.toml (line {setting_line}) sets \
         `unrecognized-sql-files = \"error\"`: sqlx refuses the folder",
        path.display()
    )]
    UnrecognizedSqlFile {
        /// The file.
        path: PathBuf,
        /// The line of `sqlx.toml` that sets `unrecognized-sql-files`.
        setting_line: usize,
    },
    /// A migration's name is not UTF-8.
    #[error("{}: the file name is not valid UTF-8", path.display())]
    NotUtf8Name {
        /// The file.
        path: PathBuf,
    },
}

/// What sqlx makes of one file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileName {
    /// A migration.
    Migration {
        /// The version before the first `_`.
        version: i64,
        /// The type its suffix says.
        kind: MigrationKind,
        /// The description sqlx stores.
        description: String,
    },
    /// A `.sql` name with `_` whose version is not an `i64`: sqlx rejects the folder.
    BadVersion,
    /// sqlx ignores it, though it looks like a migration.
    Ignored(IgnoredRule),
    /// sqlx ignores it, and it does not look like a migration (`README.md`).
    Other,
}

/// Parses a file name with sqlx's rules.
#[must_use]
pub fn parse_file_name(file_name: &str) -> FileName {
    let Some((version, rest)) = file_name.split_once('_') else {
        return ignored(file_name, IgnoredRule::NoUnderscore);
    };
    // Case-sensitive on purpose: sqlx ignores `1_a.SQL`.
    #[allow(clippy::case_sensitive_file_extension_comparisons)]
    if !rest.ends_with(".sql") {
        return ignored(file_name, IgnoredRule::NotDotSql);
    }
    let Ok(version) = version.parse::<i64>() else {
        return FileName::BadVersion;
    };
    let kind = MigrationKind::from_filename(rest);
    // `trim_end_matches`, like sqlx: `a.sql.sql` describes as `a`.
    let description = rest.trim_end_matches(kind.suffix()).replace('_', " ");
    FileName::Migration {
        version,
        kind,
        description,
    }
}

/// `Ignored(rule)` for a name that looks like a migration, else `Other`.
fn ignored(file_name: &str, rule: IgnoredRule) -> FileName {
    let starts_with_digit = file_name.starts_with(|c: char| c.is_ascii_digit());
    let ends_in_sql = file_name.to_ascii_lowercase().ends_with(".sql");
    if starts_with_digit || ends_in_sql {
        FileName::Ignored(rule)
    } else {
        FileName::Other
    }
}

/// Lists the migrations of `dir` with sqlx's rules, and the files sqlx
/// ignores that look like migrations, as `sqlx.toml`'s `unrecognized-sql-files`
/// (`unrecognized`) says. A missing folder holds nothing.
///
/// # Errors
///
/// The folder or an entry cannot be read, or a file name is one sqlx rejects.
pub fn list_migration_files(
    dir: &Path,
    unrecognized: Option<&Located<UnrecognizedSqlFiles>>,
) -> Result<MigrationFiles, FilesError> {
    let unreadable = |source| FilesError::Unreadable {
        dir: dir.to_owned(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(MigrationFiles::default());
        }
        Err(error) => return Err(unreadable(error)),
    };
    let mut files = MigrationFiles::default();
    for entry in entries {
        let path = entry.map_err(unreadable)?.path();
        add_entry(&mut files, path)?;
    }
    files
        .migrations
        .sort_by(|a, b| (a.version, a.kind, &a.file_name).cmp(&(b.version, b.kind, &b.file_name)));
    files.ignored.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    apply_unrecognized_sql_files(&mut files.ignored, unrecognized)?;
    reject_duplicates(&files.migrations)?;
    Ok(files)
}

/// sqlx 0.9.1's `unrecognized-sql-files` on the ignored files (sorted by name):
/// `error` refuses the first `.sql` one; `warn` and `ignore` are noted on each,
/// for the callers' warnings.
fn apply_unrecognized_sql_files(
    ignored: &mut [IgnoredFile],
    unrecognized: Option<&Located<UnrecognizedSqlFiles>>,
) -> Result<(), FilesError> {
    let Some(setting) = unrecognized else {
        return Ok(());
    };
    let mut governed = ignored.iter_mut().filter(|f| f.is_unrecognized_sql());
    if setting.value == UnrecognizedSqlFiles::Error {
        return match governed.next() {
            Some(file) => Err(FilesError::UnrecognizedSqlFile {
                path: file.path.clone(),
                setting_line: setting.line,
            }),
            None => Ok(()),
        };
    }
    for file in governed {
        file.setting = Some(setting.value);
    }
    Ok(())
}

/// Refuses two up migrations (`.sql`, `.up.sql`) of one version.
// sqlx's `run` applies the first and fails on the second. Down migrations are
// never run by a release (only `sqlx migrate revert` reads them), so two of
// one version are left alone, as sqlx leaves them.
fn reject_duplicates(migrations: &[MigrationFile]) -> Result<(), FilesError> {
    let ups: Vec<&MigrationFile> = migrations.iter().filter(|m| m.kind.is_up()).collect();
    for (index, second) in ups.iter().enumerate() {
        let first = ups[..index]
            .iter()
            .find(|first| first.version == second.version);
        if let Some(first) = first {
            return Err(FilesError::DuplicateVersion {
                version: second.version,
                first: first.path.clone(),
                second: second.path.clone(),
            });
        }
    }
    Ok(())
}

/// Sorts one folder entry into `files`.
fn add_entry(files: &mut MigrationFiles, path: PathBuf) -> Result<(), FilesError> {
    // sqlx uses `fs::metadata`, which follows symlinks.
    let metadata = std::fs::metadata(&path).map_err(|source| FilesError::UnreadableEntry {
        path: path.clone(),
        source,
    })?;
    let Some(os_name) = path.file_name() else {
        return Ok(());
    };
    if !metadata.is_file() {
        return Ok(());
    }
    // sqlx reads the name lossily.
    let file_name = os_name.to_string_lossy().into_owned();
    match parse_file_name(&file_name) {
        FileName::Migration {
            version,
            kind,
            description,
        } => {
            // sqlx would store U+FFFD in the history's description; a name that cannot be
            // shown faithfully is a mistake.
            if os_name.to_str().is_none() {
                return Err(FilesError::NotUtf8Name { path });
            }
            files.migrations.push(MigrationFile {
                path,
                file_name,
                version,
                kind,
                description,
            });
        }
        FileName::BadVersion => return Err(FilesError::BadVersion { path }),
        FileName::Ignored(rule) => files.ignored.push(IgnoredFile {
            path,
            file_name,
            rule,
            setting: None,
        }),
        FileName::Other => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests;
