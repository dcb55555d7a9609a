//! Which migration tool an app uses, and so how its migrations folder is read, where it is
//! and which history table records it. The build wires `release` by it and the release phase
//! migrates by it; both call [`locate_migrations`], so they cannot disagree.
//!
//! The format is the first of:
//! 1. `SLIPWAY_MIGRATIONS_FORMAT` (or the release tool's `--migrations-format`), then
//!    `migrations_format` in the settings file: `sqlx`, `diesel` or `command`;
//! 2. `command`, when `SLIPWAY_MIGRATE_COMMAND` (or `migrate_command` in the settings file) is
//!    set: a migrate command is never ignored without a word;
//! 3. `diesel`, when `diesel.toml` is at the app root, or diesel CLI's own `DIESEL_CONFIG_FILE`
//!    or `MIGRATION_DIRECTORY` is set;
//! 4. `diesel`, when the folder (found as for sqlx) holds Diesel migration folders (a folder
//!    with `up.sql`);
//! 5. `sqlx`.
//!
//! The folder is found as [`locate_migrations_dir`](crate::locate_migrations_dir) finds it,
//! except that a Diesel app's own configuration is `diesel.toml`'s
//! `[migrations_directory] dir` (relative to `diesel.toml`, as diesel CLI reads it), not
//! `sqlx.toml`. A folder that holds both sqlx migration files and Diesel migration folders is
//! refused whatever the format: one of the two sets would never run.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::migration_files::{FileName, parse_file_name};
use crate::migrations_dir::{
    Candidate, DirOrigin, Given, MigrationsDir, MigrationsDirError, locate_dir, read_settings_file,
    relative_to, sqlx_toml_dir,
};
use crate::text::line_of;

/// Diesel CLI's configuration file, at the app root.
pub const DIESEL_TOML: &str = "diesel.toml";

/// The migration tool whose rules slipway follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrationFormat {
    /// sqlx 0.9: `<VERSION>_<DESCRIPTION>.sql` files, `_sqlx_migrations`.
    Sqlx,
    /// `diesel_migrations` 2.3: `<VERSION>_<NAME>/up.sql` folders, `__diesel_schema_migrations`.
    Diesel,
    /// Any other migrator, run as `SLIPWAY_MIGRATE_COMMAND`.
    Command,
}

impl MigrationFormat {
    /// Parses `sqlx`, `diesel` or `command`, in any case.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "sqlx" => Some(Self::Sqlx),
            "diesel" => Some(Self::Diesel),
            "command" => Some(Self::Command),
            _ => None,
        }
    }

    /// `sqlx`, `diesel` or `command`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlx => "sqlx",
            Self::Diesel => "diesel",
            Self::Command => "command",
        }
    }
}

/// Why the format is what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatOrigin {
    /// A setting named it.
    Setting(DirOrigin),
    /// A migrate command is set, here.
    MigrateCommand(DirOrigin),
    /// `diesel.toml` is at the app root.
    DieselToml,
    /// One of diesel CLI's own variables is set (`DIESEL_CONFIG_FILE`, `MIGRATION_DIRECTORY`).
    DieselVariable(&'static str),
    /// The folder holds Diesel migration folders, e.g. this one.
    DieselFolder { example: String },
    /// Nothing says otherwise.
    Default,
}

impl fmt::Display for FormatOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Setting(origin) => write!(f, "set by {origin}"),
            Self::MigrateCommand(origin) => write!(f, "a migrate command is set by {origin}"),
            Self::DieselToml => write!(f, "{DIESEL_TOML} at the app root"),
            Self::DieselVariable(var) => write!(f, "diesel CLI's {var} is set"),
            Self::DieselFolder { example } => {
                write!(
                    f,
                    "the folder holds Diesel migrations, e.g. {example}/up.sql"
                )
            }
            Self::Default => f.write_str("the default"),
        }
    }
}

/// An app's migrations: the folder, its format and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedMigrations {
    /// The folder and the setting that chose it.
    pub dir: MigrationsDir,
    /// The format.
    pub format: MigrationFormat,
    /// Why the format is what it is.
    pub format_origin: FormatOrigin,
}

/// The settings given outside any file (flags or environment variables) that say where an
/// app's migrations are and what they are.
#[derive(Debug, Clone, Default)]
pub struct MigrationSettings {
    /// `SLIPWAY_MIGRATIONS_FORMAT`.
    pub format: Option<Given>,
    /// `SLIPWAY_MIGRATIONS_DIR`.
    pub migrations_dir: Option<Given>,
    /// `SLIPWAY_CONFIG`.
    pub settings_file: Option<Given>,
    /// `SLIPWAY_MIGRATE_COMMAND` (only whether it is set matters here).
    pub migrate_command: Option<Given>,
    /// Diesel CLI's `MIGRATION_DIRECTORY`, which comes before `diesel.toml` for it.
    pub diesel_migration_directory: Option<Given>,
    /// Diesel CLI's `DIESEL_CONFIG_FILE`: the `diesel.toml` to read instead of the app root's.
    pub diesel_config_file: Option<Given>,
}

/// Finds the migrations of the app at `app_dir` and their format.
///
/// # Errors
///
/// A settings file, `sqlx.toml` or `diesel.toml` cannot be read or is invalid; a setting names
/// no format or a folder that does not exist; the folder mixes sqlx and Diesel migrations.
pub fn locate_migrations(
    app_dir: &Path,
    settings: MigrationSettings,
) -> Result<LocatedMigrations, MigrationsDirError> {
    let MigrationSettings {
        format,
        migrations_dir,
        settings_file,
        migrate_command,
        diesel_migration_directory,
        diesel_config_file,
    } = settings;
    let file = read_settings_file(app_dir, settings_file.as_ref())?;
    let diesel_toml = diesel_toml_dir(app_dir, diesel_config_file.as_ref())?;
    // diesel CLI reads MIGRATION_DIRECTORY before diesel.toml; slipway's own settings come first.
    let diesel_dir = |toml: DieselTomlDir| {
        diesel_migration_directory
            .clone()
            .map(|given| {
                (
                    app_dir.join(given.value()),
                    given.value().to_owned(),
                    DirOrigin::DieselEnv("MIGRATION_DIRECTORY"),
                )
            })
            .or_else(|| toml.candidate())
    };
    let named = match format {
        Some(given) => Some((given.value().to_owned(), DirOrigin::Given(given.origin))),
        None => file.format,
    };
    let command = migrate_command
        .map(|given| DirOrigin::Given(given.origin))
        .or(file.command);
    let named = named
        .map(|(value, origin)| match MigrationFormat::parse(&value) {
            Some(format) => Ok((format, FormatOrigin::Setting(origin))),
            None => Err(MigrationsDirError::UnknownFormat { origin, value }),
        })
        .transpose()?
        .or_else(|| command.map(|o| (MigrationFormat::Command, FormatOrigin::MigrateCommand(o))));
    let (format, format_origin, dir) = match (named, diesel_toml) {
        (Some((MigrationFormat::Diesel, origin)), toml) => (
            MigrationFormat::Diesel,
            origin,
            locate_dir(app_dir, migrations_dir, file.dir, diesel_dir(toml))?,
        ),
        (Some((format, origin)), _) => (
            format,
            origin,
            locate_dir(app_dir, migrations_dir, file.dir, sqlx_toml_dir(app_dir)?)?,
        ),
        (None, toml @ (DieselTomlDir::NotNamed | DieselTomlDir::Named(_))) => (
            MigrationFormat::Diesel,
            match diesel_config_file {
                Some(_) => FormatOrigin::DieselVariable("DIESEL_CONFIG_FILE"),
                None => FormatOrigin::DieselToml,
            },
            locate_dir(app_dir, migrations_dir, file.dir, diesel_dir(toml))?,
        ),
        (None, DieselTomlDir::NoFile) if diesel_migration_directory.is_some() => (
            MigrationFormat::Diesel,
            FormatOrigin::DieselVariable("MIGRATION_DIRECTORY"),
            locate_dir(
                app_dir,
                migrations_dir,
                file.dir,
                diesel_dir(DieselTomlDir::NoFile),
            )?,
        ),
        (None, DieselTomlDir::NoFile) => {
            let dir = locate_dir(app_dir, migrations_dir, file.dir, sqlx_toml_dir(app_dir)?)?;
            match folder_shape(&dir.path).diesel {
                Some(example) => (
                    MigrationFormat::Diesel,
                    FormatOrigin::DieselFolder { example },
                    dir,
                ),
                None => (MigrationFormat::Sqlx, FormatOrigin::Default, dir),
            }
        }
    };
    if format != MigrationFormat::Command {
        refuse_mixed_folder(app_dir, &dir.path)?;
        refuse_other_formats_folder(app_dir, format, &format_origin, &dir.path)?;
    }
    if format == MigrationFormat::Diesel && !dir.path.is_dir() {
        return Err(MigrationsDirError::NoDieselFolder {
            why: format_origin.to_string(),
            path: relative_to(app_dir, dir.path),
        });
    }
    Ok(LocatedMigrations {
        dir,
        format,
        format_origin,
    })
}

/// An example of each shape a migrations folder holds.
#[derive(Debug, Default)]
struct FolderShape {
    /// A folder holding `up.sql`.
    diesel: Option<String>,
    /// A file sqlx takes as a migration.
    sqlx: Option<String>,
}

/// The first (by name) Diesel migration folder and sqlx migration file of `dir`.
fn folder_shape(dir: &Path) -> FolderShape {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return FolderShape::default();
    };
    let mut names: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|entry| {
            (
                entry.file_name().to_string_lossy().into_owned(),
                entry.path(),
            )
        })
        .filter(|(name, _)| !name.starts_with('.'))
        .collect();
    names.sort();
    let mut shape = FolderShape::default();
    for (name, path) in names {
        if path.is_dir() && path.join("up.sql").is_file() {
            shape.diesel.get_or_insert(name);
        } else if path.is_file() && matches!(parse_file_name(&name), FileName::Migration { .. }) {
            shape.sqlx.get_or_insert(name);
        }
    }
    shape
}

/// Refuses a folder that holds both sqlx migration files and Diesel migration folders.
fn refuse_mixed_folder(app_dir: &Path, dir: &Path) -> Result<(), MigrationsDirError> {
    match folder_shape(dir) {
        FolderShape {
            diesel: Some(diesel_example),
            sqlx: Some(sqlx_example),
        } => Err(MigrationsDirError::MixedFormats {
            dir: relative_to(app_dir, dir.to_owned()),
            sqlx_example,
            diesel_example,
        }),
        _ => Ok(()),
    }
}

/// Refuses a folder that holds only the other format's migrations: a `diesel.toml` kept for
/// `print_schema` beside sqlx files, or `SLIPWAY_MIGRATIONS_FORMAT=sqlx` on Diesel folders,
/// would otherwise release "up to date" with nothing applied.
fn refuse_other_formats_folder(
    app_dir: &Path,
    format: MigrationFormat,
    why: &FormatOrigin,
    dir: &Path,
) -> Result<(), MigrationsDirError> {
    let shape = folder_shape(dir);
    let other = match (format, shape) {
        (
            MigrationFormat::Diesel,
            FolderShape {
                diesel: None,
                sqlx: Some(example),
            },
        ) => ("sqlx", example),
        (
            MigrationFormat::Sqlx,
            FolderShape {
                sqlx: None,
                diesel: Some(example),
            },
        ) => ("Diesel", format!("{example}/up.sql")),
        _ => return Ok(()),
    };
    Err(MigrationsDirError::OtherFormatsFolder {
        format: format.name(),
        why: why.to_string(),
        other: other.0,
        example: other.1,
        dir: relative_to(app_dir, dir.to_owned()),
    })
}

/// What `diesel.toml` at the app root says about the migrations folder.
enum DieselTomlDir {
    /// There is no `diesel.toml`.
    NoFile,
    /// It names no folder.
    NotNamed,
    /// Its `[migrations_directory] dir`, relative to it.
    Named(Candidate),
}

impl DieselTomlDir {
    fn candidate(self) -> Option<Candidate> {
        match self {
            Self::Named(candidate) => Some(candidate),
            Self::NoFile | Self::NotNamed => None,
        }
    }
}

/// Reads `diesel.toml` at the app root, or the file `DIESEL_CONFIG_FILE` names, as diesel
/// CLI does (its other keys are diesel CLI's). A relative `dir` is relative to the file.
fn diesel_toml_dir(
    app_dir: &Path,
    config_file: Option<&Given>,
) -> Result<DieselTomlDir, MigrationsDirError> {
    let path = PathBuf::from(config_file.map_or(DIESEL_TOML, Given::value));
    let text = match std::fs::read_to_string(app_dir.join(&path)) {
        Ok(text) => text,
        Err(source) if config_file.is_none() && source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(DieselTomlDir::NoFile);
        }
        Err(source) => {
            return Err(MigrationsDirError::SettingsFileUnreadable { path, source });
        }
    };
    let invalid = |offset: usize, problem: String| MigrationsDirError::DieselTomlInvalid {
        path: path.clone(),
        line: line_of(&text, offset),
        problem,
    };
    let file: DieselToml = toml::from_str(&text).map_err(|error| {
        invalid(
            error.span().map_or(0, |span| span.start),
            error.message().trim().to_owned(),
        )
    })?;
    let Some(value) = file.migrations_directory.and_then(|table| table.dir) else {
        return Ok(DieselTomlDir::NotNamed);
    };
    let line = line_of(&text, value.span().start);
    match value.into_inner() {
        toml::Value::String(dir) => Ok(DieselTomlDir::Named((
            app_dir
                .join(path.parent().unwrap_or(Path::new("")))
                .join(&dir),
            dir,
            DirOrigin::DieselToml { path, line },
        ))),
        other => Err(MigrationsDirError::DieselTomlInvalid {
            problem: format!(
                "`migrations_directory.dir` must be a string (a folder path), not {}",
                crate::text::a_toml_type(&other)
            ),
            path,
            line,
        }),
    }
}

/// The part of `diesel.toml` slipway reads.
#[derive(Debug, serde::Deserialize)]
struct DieselToml {
    migrations_directory: Option<DieselMigrationsDirectory>,
}

#[derive(Debug, serde::Deserialize)]
struct DieselMigrationsDirectory {
    dir: Option<toml::Spanned<toml::Value>>,
}

#[cfg(test)]
mod tests;
