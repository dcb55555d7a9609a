//! What can be wrong with the settings, and how each mistake reads: its
//! title, cause and fix (exit 2).

use std::path::PathBuf;

use slipway_contract::{MigrationsDirError, SqlxTomlError};

use super::Origin;
use super::table::file_keys;
use crate::errors::{ExitClass, Failure};

#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    FileUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}, line {line}: {message}", path.display())]
    FileInvalid {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(
        "{}, line {line}: unknown key `{key}`{}",
        path.display(),
        suggestion.map_or_else(String::new, |known| format!("; did you mean `{known}`?"))
    )]
    UnknownKey {
        path: PathBuf,
        line: usize,
        key: String,
        suggestion: Option<&'static str>,
    },
    #[error("{origin}: database_url does not belong in the settings file")]
    DatabaseUrlInFile { origin: Origin },
    #[error("{origin}: invalid value {value:?}: {problem}")]
    InvalidValue {
        origin: Origin,
        value: String,
        problem: String,
        expected: &'static str,
    },
    #[error("{origin}: the database URL is invalid: {problem}")]
    InvalidDatabaseUrl { origin: Origin, problem: String },
    #[error("no database URL")]
    MissingDatabaseUrl {
        /// `DATABASE_URL`, or the variable sqlx.toml's `database-url-var` names.
        var: String,
    },
    /// The migrations folder a setting names does not exist, is a file, or is empty.
    #[error(transparent)]
    MigrationsDir(MigrationsDirError),
    #[error(transparent)]
    SqlxToml(#[from] SqlxTomlError),
    #[error("the migrations format is `command` ({origin}), but no migrate command is set")]
    MissingMigrateCommand { origin: String },
    #[error(
        "a migrate command is set, but the migrations format is `{format}` ({origin}), which runs \
         no command"
    )]
    MigrateCommandUnused {
        format: &'static str,
        origin: String,
    },
}

impl From<MigrationsDirError> for ConfigError {
    fn from(error: MigrationsDirError) -> Self {
        match error {
            MigrationsDirError::SettingsFileUnreadable { path, source } => {
                Self::FileUnreadable { path, source }
            }
            MigrationsDirError::SettingsFileInvalid {
                path,
                line,
                problem,
            } => Self::FileInvalid {
                path,
                line,
                message: problem,
            },
            MigrationsDirError::SqlxToml(error) => Self::SqlxToml(error),
            other => Self::MigrationsDir(other),
        }
    }
}

/// The title of a migrations-folder setting that names no folder.
fn migrations_dir_title(problem: &MigrationsDirError) -> &'static str {
    match problem {
        MigrationsDirError::NotAFolder { .. } => "the migrations folder is not a folder",
        MigrationsDirError::Empty { .. } => "the migrations folder setting is empty",
        MigrationsDirError::DieselTomlInvalid { .. } => "diesel.toml is invalid",
        MigrationsDirError::UnknownFormat { .. } => "the migrations format is unknown",
        MigrationsDirError::MixedFormats { .. } => {
            "the migrations folder mixes sqlx and Diesel migrations"
        }
        MigrationsDirError::OtherFormatsFolder { .. } => {
            "the migrations folder holds another tool's migrations"
        }
        _ => "the migrations folder does not exist",
    }
}

/// How to fix a migrations-folder or format setting.
fn migrations_dir_fix(problem: &MigrationsDirError) -> &'static str {
    match problem {
        MigrationsDirError::DieselTomlInvalid { .. } => {
            "diesel CLI refuses this file too. Fix the line named above: `[migrations_directory]` \
             takes `dir = \"path/to/migrations\"` (relative to diesel.toml)."
        }
        MigrationsDirError::UnknownFormat { .. } => {
            "Set --migrations-format / SLIPWAY_MIGRATIONS_FORMAT / migrations_format (slipway.toml) to \
             `sqlx`, `diesel` or `command`, or unset it to detect the format."
        }
        MigrationsDirError::MixedFormats { .. } => {
            "One of the two sets would never run: sqlx ignores folders and Diesel ignores files. Keep \
             the migrations of the app's tool in the folder and move the others out (or into their own \
             folder and app)."
        }
        MigrationsDirError::OtherFormatsFolder { .. } => {
            "Set --migrations-format / SLIPWAY_MIGRATIONS_FORMAT / migrations_format (slipway.toml) to the \
             tool that wrote these migrations (a diesel.toml kept only for `print_schema` makes an app \
             look like a Diesel app), or point the migrations folder setting at the right folder."
        }
        MigrationsDirError::NoDieselFolder { .. } => {
            "Point --migrations / SLIPWAY_MIGRATIONS_DIR / migrations_dir (slipway.toml) / \
             `[migrations_directory] dir` (diesel.toml) / MIGRATION_DIRECTORY at the folder of Diesel \
             migrations (`diesel setup` makes ./migrations), or set SLIPWAY_MIGRATIONS_FORMAT if the app \
             is not migrated with Diesel."
        }
        _ => {
            "Point --migrations / SLIPWAY_MIGRATIONS_DIR / migrations_dir (slipway.toml) / migrations-dir \
             (sqlx.toml) / `[migrations_directory] dir` (diesel.toml) at the migrations folder, or unset \
             it to use ./migrations (a missing ./migrations means \"no migrations\")."
        }
    }
}

impl From<ConfigError> for Failure {
    // One arm per mistake reads best as one table.
    #[allow(clippy::too_many_lines)]
    fn from(error: ConfigError) -> Self {
        let class = ExitClass::Usage;
        match error {
            ConfigError::FileUnreadable { .. } => Failure::new(
                class,
                "the settings file cannot be read",
                error.to_string(),
                "Check the path given with --config / SLIPWAY_CONFIG, or remove it to use ./slipway.toml.",
            ),
            ConfigError::FileInvalid { .. } => Failure::new(
                class,
                "the settings file is invalid",
                error.to_string(),
                format!(
                    "Keys slipway.toml accepts: {}. Fix or remove the line named above.",
                    file_keys().collect::<Vec<_>>().join(", ")
                ),
            ),
            ConfigError::UnknownKey { suggestion, .. } => Failure::new(
                class,
                "the settings file has an unknown key",
                error.to_string(),
                format!(
                    "{}Keys slipway.toml accepts: {}. (database_url is never read from the file: set \
                     DATABASE_URL in the environment.)",
                    suggestion.map_or_else(String::new, |known| format!(
                        "Rename it to `{known}`, or remove it. "
                    )),
                    file_keys().collect::<Vec<_>>().join(", ")
                ),
            ),
            ConfigError::DatabaseUrlInFile { .. } => Failure::new(
                class,
                "the database URL is in slipway.toml",
                error.to_string(),
                "Remove database_url from the file (it holds a password, and files get committed). \
                 Set DATABASE_URL in the environment, or pass --database-url.",
            ),
            ConfigError::InvalidValue { expected, .. } => Failure::new(
                class,
                "a setting has an invalid value",
                error.to_string(),
                format!("Use {expected}."),
            ),
            ConfigError::InvalidDatabaseUrl { .. } => Failure::new(
                class,
                "the database URL is invalid",
                error.to_string(),
                "Set DATABASE_URL (or --database-url) to postgres://USER:PASSWORD@HOST:PORT/DATABASE. \
                 On Heroku, attach a Postgres add-on, which sets DATABASE_URL.",
            ),
            ConfigError::MissingDatabaseUrl { var } if var == "DATABASE_URL" => Failure::new(
                class,
                "no database URL",
                "neither --database-url nor DATABASE_URL is set",
                "Set DATABASE_URL (or --database-url) to postgres://USER:PASSWORD@HOST:PORT/DATABASE. \
                 On Heroku, attach a Postgres add-on, which sets DATABASE_URL.",
            ),
            ConfigError::MissingDatabaseUrl { var } => Failure::new(
                class,
                "no database URL",
                format!(
                    "neither --database-url nor {var} (`database-url-var` in sqlx.toml) is set; \
                     DATABASE_URL is not read then, as sqlx-cli does not read it"
                ),
                format!(
                    "Set {var} (or --database-url) to the URL of the database these migrations are for, \
                     as for sqlx-cli. On Heroku, attach the add-on as {} (heroku addons:attach ... --as {}), \
                     or remove `database-url-var` from sqlx.toml to use DATABASE_URL.",
                    var.trim_end_matches("_URL"),
                    var.trim_end_matches("_URL")
                ),
            ),
            ConfigError::MigrationsDir(ref problem) => Failure::new(
                class,
                migrations_dir_title(problem),
                error.to_string(),
                migrations_dir_fix(problem),
            ),
            ConfigError::MissingMigrateCommand { .. } => Failure::new(
                class,
                "no migrate command",
                error.to_string(),
                "Set --migrate-command / SLIPWAY_MIGRATE_COMMAND / migrate_command (slipway.toml) to the \
                 command that migrates the app (e.g. `migration up`), or set the format to `sqlx` or `diesel`.",
            ),
            ConfigError::MigrateCommandUnused { .. } => Failure::new(
                class,
                "the migrate command would be ignored",
                error.to_string(),
                "Unset SLIPWAY_MIGRATE_COMMAND (slipway then migrates the folder itself; set it to an \
                 empty value to turn off a default the buildpack set for a SeaORM migrator), or set \
                 SLIPWAY_MIGRATIONS_FORMAT=command to run the command instead.",
            ),
            ConfigError::SqlxToml(SqlxTomlError::Unreadable { .. }) => Failure::new(
                class,
                "sqlx.toml cannot be read",
                error.to_string(),
                "Make sqlx.toml a readable UTF-8 file, or remove it (sqlx-cli and sqlx::migrate!() read it too).",
            ),
            ConfigError::SqlxToml(SqlxTomlError::Invalid { .. }) => Failure::new(
                class,
                "sqlx.toml is invalid",
                error.to_string(),
                "sqlx 0.9.1 refuses this file too (`sqlx migrate run` fails, and so does the build of an app \
                 using sqlx::migrate!()). Fix the key named above. [migrate] accepts table-name, \
                 migrations-dir, ignored-chars, create-schemas, unrecognized-sql-files (sqlx 0.9.1; \
                 sqlx 0.9.0 refuses it) and [migrate.defaults]; the other tables are \
                 [common], [drivers] and [macros] (sqlx's reference: sqlx-core/src/config/reference.toml).",
            ),
        }
    }
}
