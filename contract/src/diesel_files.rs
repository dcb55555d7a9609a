//! Which folders of a migrations folder are Diesel migrations, by
//! `diesel_migrations` 2.3's rules (`migrations_internals` 2.3.0
//! `migrations_directories`/`valid_sql_migration_directory`/`version_from_string`,
//! `FileBasedMigrations`). The release tool migrates from this list and the
//! buildpack scans and lints it, so the two never disagree.
//!
//! - every entry that is not a regular file and whose name does not start with
//!   `.` is a migration (a symlink counts, as `DirEntry::metadata` does not
//!   follow it); files at the top (`README.md`, `.keep`) are ignored;
//! - each must hold `up.sql` (`down.sql` and `metadata.toml` are optional), or
//!   Diesel refuses the whole folder ("Invalid migration directory"), an empty
//!   folder included (the published 2.3 crates do not skip it);
//! - the version is the name before the first `_` with every `-` removed, so
//!   `20240101000000_a`, `2024-01-01-000000_a` and `2024-01-01-000000-0000_a`
//!   (the form `diesel migration generate` writes) give `20240101000000`,
//!   `20240101000000` and `202401010000000000`;
//! - migrations run in byte order of their versions (a string sort, not a
//!   number sort: `9_a` runs after `2024…_b`).
//!
//! Where Diesel does something surprising, the list refuses the folder with a
//! clear error before anything runs, as sqlx's duplicates are refused:
//! - two folders of one version: Diesel keeps one of them (whichever the
//!   filesystem lists last) and never runs the other;
//! - an empty version (`_name`), or one longer than the `VARCHAR(50)` of
//!   `__diesel_schema_migrations`, whose history row Diesel cannot write.

use std::path::{Path, PathBuf};

/// The history table Diesel writes, unqualified (it follows `search_path`).
pub const DIESEL_TABLE_NAME: &str = "__diesel_schema_migrations";

/// The length of `__diesel_schema_migrations.version` (`VARCHAR(50)`).
const MAX_VERSION_LEN: usize = 50;

/// One Diesel migration folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DieselMigration {
    /// The folder: the migrations folder joined with its name.
    pub dir: PathBuf,
    /// The folder's name (`2024-01-01-000000_create_users`).
    pub name: String,
    /// The version Diesel records: the name before the first `_`, without `-`.
    pub version: String,
    /// `<dir>/up.sql`.
    pub up_sql: PathBuf,
}

impl DieselMigration {
    /// `<name>/up.sql`, as messages name the file.
    #[must_use]
    pub fn up_sql_name(&self) -> String {
        format!("{}/up.sql", self.name)
    }

    /// `<name>/metadata.toml`.
    #[must_use]
    pub fn metadata_path(&self) -> PathBuf {
        self.dir.join("metadata.toml")
    }
}

/// Why a Diesel migrations folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DieselFilesError {
    /// The folder cannot be listed.
    #[error("cannot read the migrations folder {}: {source}", dir.display())]
    Unreadable {
        /// The folder.
        dir: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An entry cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    UnreadableEntry {
        /// The entry.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A migration folder holds no `up.sql` (or is not a folder).
    #[error(
        "{}: a Diesel migration folder must hold up.sql (Diesel refuses the whole migrations folder: \"Invalid migration directory\")",
        path.display()
    )]
    NoUpSql {
        /// The entry.
        path: PathBuf,
    },
    /// Two folders give one version.
    #[error(
        "{} and {} have the same version {version}: Diesel would run only one of them",
        first.display(),
        second.display()
    )]
    DuplicateVersion {
        /// The version.
        version: String,
        /// The first folder, in name order.
        first: PathBuf,
        /// The second folder.
        second: PathBuf,
    },
    /// The name starts with `_`: the version is empty.
    #[error("{}: the folder name has no version before its first `_`", path.display())]
    EmptyVersion {
        /// The folder.
        path: PathBuf,
    },
    /// The version does not fit `__diesel_schema_migrations.version`.
    #[error(
        "{}: the version {version} is {} characters long; __diesel_schema_migrations.version holds at most 50",
        path.display(),
        version.chars().count()
    )]
    VersionTooLong {
        /// The folder.
        path: PathBuf,
        /// The version.
        version: String,
    },
    /// A migration folder's name is not UTF-8.
    #[error("{}: the folder name is not valid UTF-8", path.display())]
    NotUtf8Name {
        /// The folder.
        path: PathBuf,
    },
}

/// Diesel's version of a migration folder name: the part before the first
/// `_`, with every `-` removed (`migrations_internals::version_from_string`).
#[must_use]
pub fn diesel_version(folder_name: &str) -> String {
    folder_name
        .split('_')
        .next()
        .unwrap_or_default()
        .replace('-', "")
}

/// Lists the Diesel migrations of `dir` in the order Diesel runs them. A
/// missing folder holds nothing.
///
/// # Errors
///
/// The folder or an entry cannot be read, or the folder is one Diesel
/// refuses or would run wrongly (see the module's documentation).
pub fn list_diesel_migrations(dir: &Path) -> Result<Vec<DieselMigration>, DieselFilesError> {
    let unreadable = |source| DieselFilesError::Unreadable {
        dir: dir.to_owned(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(unreadable(error)),
    };
    let mut migrations = Vec::new();
    for entry in entries {
        let entry = entry.map_err(unreadable)?;
        if let Some(migration) = migration_of(&entry)? {
            migrations.push(migration);
        }
    }
    // Byte order of the version, as `MigrationVersion`'s derived `Ord`; the
    // name breaks ties so that a duplicate is reported the same way each time.
    migrations.sort_by(|a, b| (&a.version, &a.name).cmp(&(&b.version, &b.name)));
    reject_duplicates(&migrations)?;
    Ok(migrations)
}

/// The migration an entry of the folder is, or `None` for an entry Diesel skips.
fn migration_of(entry: &std::fs::DirEntry) -> Result<Option<DieselMigration>, DieselFilesError> {
    let path = entry.path();
    let file_type = entry
        .file_type()
        .map_err(|source| DieselFilesError::UnreadableEntry {
            path: path.clone(),
            source,
        })?;
    let os_name = entry.file_name();
    if file_type.is_file() || os_name.as_encoded_bytes().starts_with(b".") {
        return Ok(None);
    }
    let Some(name) = os_name.to_str().map(str::to_owned) else {
        return Err(DieselFilesError::NotUtf8Name { path });
    };
    if !holds_up_sql(&path) {
        return Err(DieselFilesError::NoUpSql { path });
    }
    let version = diesel_version(&name);
    if version.is_empty() {
        return Err(DieselFilesError::EmptyVersion { path });
    }
    if version.chars().count() > MAX_VERSION_LEN {
        return Err(DieselFilesError::VersionTooLong { path, version });
    }
    Ok(Some(DieselMigration {
        up_sql: path.join("up.sql"),
        dir: path,
        name,
        version,
    }))
}

/// Whether `dir` holds a regular file `up.sql` (Diesel checks the name only,
/// then fails reading a folder of that name; slipway says so up front).
fn holds_up_sql(dir: &Path) -> bool {
    std::fs::metadata(dir.join("up.sql")).is_ok_and(|m| m.is_file())
}

/// Refuses two folders of one version (`migrations` is sorted by version).
fn reject_duplicates(migrations: &[DieselMigration]) -> Result<(), DieselFilesError> {
    match migrations.windows(2).find(|w| w[0].version == w[1].version) {
        Some([first, second]) => Err(DieselFilesError::DuplicateVersion {
            version: second.version.clone(),
            first: first.dir.clone(),
            second: second.dir.clone(),
        }),
        _ => Ok(()),
    }
}

/// Whether a migration runs in a transaction, and what slipway has to say
/// about its `metadata.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DieselMetadata {
    /// What Diesel does: `run_in_transaction`.
    pub run_in_transaction: bool,
    /// A `metadata.toml` Diesel reads in a way its author likely did not mean.
    pub problem: Option<MetadataProblem>,
}

/// A `metadata.toml` Diesel misreads without a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataProblem {
    /// Not TOML, or `run_in_transaction` is not a boolean: Diesel ignores the
    /// whole file and runs the migration in a transaction.
    Invalid {
        /// The 1-based line of the problem.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// Valid TOML without `run_in_transaction` (an empty file): Diesel's
    /// `#[serde(default)]` reads that as `false`, no transaction.
    NoKey,
}

/// Reads a migration's `metadata.toml` as `diesel_migrations` 2.3 does
/// (`TomlMetadata`, `toml::from_str(..).unwrap_or_default()`): a missing file
/// or an invalid one is `run_in_transaction = true`; valid TOML without the
/// key is `false`; other keys are ignored.
///
/// # Errors
///
/// The file exists but cannot be read.
pub fn read_diesel_metadata(migration: &DieselMigration) -> std::io::Result<DieselMetadata> {
    match std::fs::read_to_string(migration.metadata_path()) {
        Ok(text) => Ok(parse_diesel_metadata(&text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(DieselMetadata {
            run_in_transaction: true,
            problem: None,
        }),
        Err(error) => Err(error),
    }
}

/// Parses the text of a `metadata.toml` (see [`read_diesel_metadata`]).
#[must_use]
pub fn parse_diesel_metadata(text: &str) -> DieselMetadata {
    let invalid = |offset: usize, problem: String| DieselMetadata {
        run_in_transaction: true,
        problem: Some(MetadataProblem::Invalid {
            line: crate::text::line_of(text, offset),
            problem,
        }),
    };
    let table: toml::Table = match toml::from_str(text) {
        Ok(table) => table,
        Err(error) => {
            return invalid(
                error.span().map_or(0, |span| span.start),
                error.message().trim().to_owned(),
            );
        }
    };
    match table.get("run_in_transaction") {
        Some(toml::Value::Boolean(value)) => DieselMetadata {
            run_in_transaction: *value,
            problem: None,
        },
        Some(other) => invalid(
            text.find("run_in_transaction").unwrap_or(0),
            format!(
                "`run_in_transaction` must be true or false, not {}",
                crate::text::a_toml_type(other)
            ),
        ),
        None => DieselMetadata {
            run_in_transaction: false,
            problem: Some(MetadataProblem::NoKey),
        },
    }
}

#[cfg(test)]
mod tests;
