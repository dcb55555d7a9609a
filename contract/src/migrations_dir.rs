//! Where an app's migrations are. The build scans this folder for pgvector and wires `release`
//! when it holds migrations; the release phase migrates from it. Both call
//! [`locate_migrations_dir`], so they cannot disagree.
//!
//! Precedence: `SLIPWAY_MIGRATIONS_DIR` (or the release tool's `--migrations`), relative to the
//! app root; then `migrations_dir` in the settings file (`SLIPWAY_CONFIG`, or `slipway.toml`),
//! relative to that file; then `[migrate] migrations-dir` in `sqlx.toml`, relative to it; then
//! `./migrations`, which may be absent ("no migrations").

use std::fmt;
use std::path::{Path, PathBuf};

use crate::sqlx_toml::{SQLX_TOML, SqlxTomlError, read_sqlx_toml};
use crate::text::line_of;

/// The settings file read when `SLIPWAY_CONFIG` names none, at the app root.
pub const SETTINGS_FILE: &str = "slipway.toml";

/// The migrations folder when no setting names one, as sqlx-cli's default.
pub const DEFAULT_MIGRATIONS_DIR: &str = "./migrations";

/// A setting's value given outside any file (a flag or an environment variable), with the
/// words a message uses for where it came from (`environment variable SLIPWAY_CONFIG`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    value: String,
    pub(crate) origin: String,
}

impl Given {
    /// The value, trimmed, or `None` when it is blank: both products read `SLIPWAY_CONFIG=""`
    /// or `SLIPWAY_MIGRATIONS_DIR=" "` (an emptied config var) as unset, and a stray space
    /// around a path as no part of it.
    #[must_use]
    pub fn new(value: &str, origin: impl Into<String>) -> Option<Self> {
        let value = value.trim();
        (!value.is_empty()).then(|| Self {
            value: value.to_owned(),
            origin: origin.into(),
        })
    }

    /// The value, trimmed.
    #[must_use]
    pub fn value(&self) -> &str {
        &self.value
    }
}

/// Which setting chose the migrations folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirOrigin {
    /// `SLIPWAY_MIGRATIONS_DIR` or `--migrations`, in the words of [`Given::origin`].
    Given(String),
    /// `migrations_dir` in the settings file, on `line`.
    SettingsFile { path: PathBuf, line: usize },
    /// `[migrate] migrations-dir` in `sqlx.toml`, on `line`.
    SqlxToml { path: PathBuf, line: usize },
    /// `[migrations_directory] dir` in `diesel.toml`, on `line`.
    DieselToml { path: PathBuf, line: usize },
    /// Diesel's own environment variable (`MIGRATION_DIRECTORY`).
    DieselEnv(&'static str),
    /// Another key of the settings file (`migrations_format`), on `line`.
    SettingsFileKey {
        path: PathBuf,
        line: usize,
        key: &'static str,
    },
}

impl fmt::Display for DirOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Given(origin) => f.write_str(origin),
            Self::SettingsFile { path, line } => {
                write!(f, "{}, line {line}, key `migrations_dir`", path.display())
            }
            Self::SqlxToml { path, line } => {
                write!(
                    f,
                    "{}, line {line}, key `migrate.migrations-dir`",
                    path.display()
                )
            }
            Self::DieselToml { path, line } => {
                write!(
                    f,
                    "{}, line {line}, key `migrations_directory.dir`",
                    path.display()
                )
            }
            Self::SettingsFileKey { path, line, key } => {
                write!(f, "{}, line {line}, key `{key}`", path.display())
            }
            Self::DieselEnv(var) => write!(f, "environment variable {var} (read by diesel CLI)"),
        }
    }
}

/// The migrations folder and the setting that chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationsDir {
    pub path: PathBuf,
    /// `None` for the default folder, which may be absent.
    pub origin: Option<DirOrigin>,
}

impl MigrationsDir {
    /// Whether a setting named the folder: a missing default folder means "no migrations", a
    /// missing named one is a mistake.
    #[must_use]
    pub fn is_explicit(&self) -> bool {
        self.origin.is_some()
    }
}

/// Why the migrations folder cannot be found.
#[derive(Debug, thiserror::Error)]
pub enum MigrationsDirError {
    /// The settings file cannot be read (or `SLIPWAY_CONFIG` names one that does not exist).
    #[error("the settings file {} cannot be read: {source}", path.display())]
    SettingsFileUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The settings file is not TOML, or its `migrations_dir` is not a string.
    #[error("{}, line {line}: {problem}", path.display())]
    SettingsFileInvalid {
        path: PathBuf,
        line: usize,
        problem: String,
    },
    /// `sqlx.toml` is one sqlx (and so slipway) refuses. It is read even when another setting
    /// names the folder, as sqlx reads it whatever the folder.
    #[error(transparent)]
    SqlxToml(#[from] SqlxTomlError),
    /// A setting names a folder that does not exist.
    #[error("{origin}: the migrations folder {} does not exist", path.display())]
    Missing {
        origin: DirOrigin,
        value: String,
        path: PathBuf,
    },
    /// A setting names something that is not a folder (a file).
    #[error("{origin}: the migrations folder {} is a file, not a folder", path.display())]
    NotAFolder {
        origin: DirOrigin,
        value: String,
        path: PathBuf,
    },
    /// A file sets the folder to an empty string, which names no folder.
    #[error("{origin}: the migrations folder is empty")]
    Empty { origin: DirOrigin },
    /// `diesel.toml` is not TOML, or its `[migrations_directory] dir` is not a string.
    #[error("{}, line {line}: {problem}", path.display())]
    DieselTomlInvalid {
        path: PathBuf,
        line: usize,
        problem: String,
    },
    /// `SLIPWAY_MIGRATIONS_FORMAT` (or its flag or key) names no format.
    #[error("{origin}: `{value}` is not a migrations format; use sqlx, diesel or command")]
    UnknownFormat { origin: DirOrigin, value: String },
    /// The format's folder holds none of its migrations, but the other format's.
    #[error(
        "the migrations format is {format} ({why}), but the migrations folder {} holds {other} migrations (e.g. {example}) and no {format} ones: they would never run",
        dir.display()
    )]
    OtherFormatsFolder {
        format: &'static str,
        why: String,
        other: &'static str,
        example: String,
        dir: PathBuf,
    },
    /// A Diesel app without its migrations folder: Diesel fails on it.
    #[error(
        "the migrations format is diesel ({why}), but there is no migrations folder at {} (diesel: \"Unable to find migrations directory\")",
        path.display()
    )]
    NoDieselFolder { why: String, path: PathBuf },
    /// The folder holds sqlx migration files and Diesel migration folders.
    #[error(
        "the migrations folder {} holds both sqlx migration files (e.g. {sqlx_example}) and Diesel migration folders (e.g. {diesel_example}/up.sql)",
        dir.display()
    )]
    MixedFormats {
        dir: PathBuf,
        sqlx_example: String,
        diesel_example: String,
    },
}

/// Finds the migrations folder of a sqlx app at `app_dir` (the release phase's working
/// directory, `""` there). `migrations_dir` is `SLIPWAY_MIGRATIONS_DIR` (or `--migrations`), and
/// `settings_file` is `SLIPWAY_CONFIG` (or `--config`), when set. See
/// [`locate_migrations`](crate::locate_migrations) for an app of any format.
///
/// # Errors
///
/// When a settings file or `sqlx.toml` cannot be read or is invalid, or when a setting names a
/// folder that does not exist.
pub fn locate_migrations_dir(
    app_dir: &Path,
    migrations_dir: Option<Given>,
    settings_file: Option<&Given>,
) -> Result<MigrationsDir, MigrationsDirError> {
    let file = read_settings_file(app_dir, settings_file)?;
    locate_dir(app_dir, migrations_dir, file.dir, sqlx_toml_dir(app_dir)?)
}

/// The folder the first of `given`, `from_file` and `from_tool` names (the tool being sqlx's
/// or Diesel's own configuration), else the default; a named folder must exist.
pub(crate) fn locate_dir(
    app_dir: &Path,
    given: Option<Given>,
    from_file: Option<Candidate>,
    from_tool: Option<Candidate>,
) -> Result<MigrationsDir, MigrationsDirError> {
    let chosen = given
        .map(|given| {
            (
                app_dir.join(&given.value),
                given.value,
                DirOrigin::Given(given.origin),
            )
        })
        .or(from_file)
        .or(from_tool);
    let Some((path, value, origin)) = chosen else {
        return Ok(MigrationsDir {
            path: app_dir.join(DEFAULT_MIGRATIONS_DIR),
            origin: None,
        });
    };
    // `app_dir.join("")` is the app itself when the app is an absolute path and nothing at
    // all when it is the working directory (`""`): an empty value must mean the same to both.
    if value.trim().is_empty() {
        return Err(MigrationsDirError::Empty { origin });
    }
    if path.exists() && !path.is_dir() {
        return Err(MigrationsDirError::NotAFolder {
            origin,
            value,
            path: relative_to(app_dir, path),
        });
    }
    if !path.is_dir() {
        return Err(MigrationsDirError::Missing {
            origin,
            value,
            path: relative_to(app_dir, path),
        });
    }
    Ok(MigrationsDir {
        path,
        origin: Some(origin),
    })
}

/// A candidate folder: its path, the value as written, and the setting that named it.
pub(crate) type Candidate = (PathBuf, String, DirOrigin);

/// What the settings file says about the migrations: `migrations_dir` (relative to the file)
/// and `migrations_format` (the value, and the origin a message names).
#[derive(Debug, Default)]
pub(crate) struct SettingsFileKeys {
    pub(crate) dir: Option<Candidate>,
    pub(crate) format: Option<(String, DirOrigin)>,
    /// Where `migrate_command` is set.
    pub(crate) command: Option<DirOrigin>,
}

/// `migrations_dir` (relative to that file) and `migrations_format` from the settings file. A
/// missing default file sets nothing; a missing named one is an error.
pub(crate) fn read_settings_file(
    app_dir: &Path,
    settings_file: Option<&Given>,
) -> Result<SettingsFileKeys, MigrationsDirError> {
    let relative = PathBuf::from(settings_file.map_or(SETTINGS_FILE, |given| given.value.as_str()));
    let text = match std::fs::read_to_string(app_dir.join(&relative)) {
        Ok(text) => text,
        Err(source) if settings_file.is_none() && source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(SettingsFileKeys::default());
        }
        Err(source) => {
            return Err(MigrationsDirError::SettingsFileUnreadable {
                path: relative,
                source,
            });
        }
    };
    let path = relative;
    let invalid = |offset: usize, problem: String| MigrationsDirError::SettingsFileInvalid {
        path: path.clone(),
        line: line_of(&text, offset),
        problem,
    };
    let file: SettingsFileDir = toml::from_str(&text).map_err(|error| {
        invalid(
            error.span().map_or(0, |span| span.start),
            error.message().trim().to_owned(),
        )
    })?;
    let string = |key: &str, value: toml::Spanned<toml::Value>, what: &str| {
        let line = line_of(&text, value.span().start);
        match value.into_inner() {
            toml::Value::String(text) => Ok((text, line)),
            other => Err(MigrationsDirError::SettingsFileInvalid {
                problem: format!(
                    "`{key}` must be a string ({what}), not {}",
                    crate::text::a_toml_type(&other)
                ),
                path: path.clone(),
                line,
            }),
        }
    };
    let mut keys = SettingsFileKeys::default();
    if let Some(value) = file.migrations_dir {
        let (dir, line) = string("migrations_dir", value, "a folder path")?;
        let base = app_dir.join(path.parent().unwrap_or(Path::new("")));
        keys.dir = Some((
            base.join(&dir),
            dir,
            DirOrigin::SettingsFile {
                path: path.clone(),
                line,
            },
        ));
    }
    if let Some(value) = file.migrations_format {
        let (format, line) = string("migrations_format", value, "sqlx, diesel or command")?;
        keys.format = Some((
            format,
            DirOrigin::SettingsFileKey {
                path: path.clone(),
                line,
                key: "migrations_format",
            },
        ));
    }
    if let Some(value) = file.migrate_command {
        let line = line_of(&text, value.span().start);
        keys.command = Some(DirOrigin::SettingsFileKey {
            path: path.clone(),
            line,
            key: "migrate_command",
        });
    }
    Ok(keys)
}

/// The keys of the settings file this rule reads; the release tool checks the others.
#[derive(Debug, serde::Deserialize)]
struct SettingsFileDir {
    migrations_dir: Option<toml::Spanned<toml::Value>>,
    migrations_format: Option<toml::Spanned<toml::Value>>,
    migrate_command: Option<toml::Spanned<toml::Value>>,
}

/// `[migrate] migrations-dir` from `sqlx.toml`, relative to that file as for sqlx-cli.
pub(crate) fn sqlx_toml_dir(app_dir: &Path) -> Result<Option<Candidate>, MigrationsDirError> {
    let file = read_sqlx_toml(app_dir).map_err(|error| within_app(app_dir, error))?;
    let Some(dir) = file.and_then(|file| file.migrate.migrations_dir) else {
        return Ok(None);
    };
    Ok(Some((
        app_dir.join(&dir.value),
        dir.value,
        DirOrigin::SqlxToml {
            path: PathBuf::from(SQLX_TOML),
            line: dir.line,
        },
    )))
}

/// `error` with its path relative to the app, as every message names files.
pub(crate) fn within_app(app_dir: &Path, error: SqlxTomlError) -> SqlxTomlError {
    match error {
        SqlxTomlError::Unreadable { path, source } => SqlxTomlError::Unreadable {
            path: relative_to(app_dir, path),
            source,
        },
        SqlxTomlError::Invalid {
            path,
            line,
            key,
            problem,
        } => SqlxTomlError::Invalid {
            path: relative_to(app_dir, path),
            line,
            key,
            problem,
        },
    }
}

/// `path` relative to `app_dir`, when it is inside it.
pub(crate) fn relative_to(app_dir: &Path, path: PathBuf) -> PathBuf {
    match path.strip_prefix(app_dir) {
        Ok(relative) => relative.to_path_buf(),
        Err(_) => path,
    }
}

#[cfg(test)]
mod tests;
