//! Settings: flag, then environment variable, then `slipway.toml`, then
//! `sqlx.toml` (for what sqlx itself reads from it), then the default. Each
//! setting is declared once, in [`table`]. Every bad value is reported with
//! where it came from, so that the message names the flag, the variable, or
//! the file, line and key.

mod args;
mod errors;
mod file;
pub(crate) mod readme;
mod setting;
mod table;
mod values;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use slipway_contract::{
    FormatOrigin, Given, Located, MigrationFormat, MigrationSettings, MigrationsDir, SqlxToml,
    UnrecognizedSqlFiles, Version, locate_migrations, read_sqlx_toml,
};

pub(crate) use self::args::SettingArgs;
pub(crate) use self::errors::ConfigError;
pub(crate) use self::file::parse_file_text;
use self::file::{LoadedFile, REFUSED_KEY};
use self::setting::{About, Setting};
pub(crate) use self::table::FORMAT;
use crate::backup::{BackupEnv, HerokuEnv, S3Env, TargetSpec, ToolSettings};
use crate::db::DatabaseUrl;
use crate::lint::LintSettings;
use crate::migrations::history::HistoryTable;
use crate::migrations::sqlx::history::SqlxTable;
use crate::pgvector::Mode;
use crate::report::Format;

/// The resolved settings every command works from.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) database_url: Option<DatabaseUrl>,
    /// Where the database URL is read from when no flag gives it:
    /// `DATABASE_URL`, or the variable sqlx.toml's `database-url-var` names.
    pub(crate) database_url_var: String,
    pub(crate) migrations_dir: MigrationsDir,
    /// The app's migration tool, and why slipway thinks so.
    pub(crate) migrations_format: MigrationFormat,
    pub(crate) format_origin: FormatOrigin,
    /// The tool's history table (sqlx's for the `command` format, which reads none).
    pub(crate) history: HistoryTable,
    /// The `command` format's migrator.
    pub(crate) migrate_command: Option<String>,
    pub(crate) backup: Option<TargetSpec>,
    pub(crate) backup_keep: usize,
    pub(crate) pgvector: Mode,
    pub(crate) pgvector_min_version: Option<Version>,
    pub(crate) lock_wait: Duration,
    pub(crate) lock_timeout: Duration,
    /// How often a transactional migration that hit `lock_timeout` is
    /// retried (it rolled back, so a retry is safe), within `lock_wait`.
    pub(crate) lock_retries: u32,
    pub(crate) statement_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) lint: LintSettings,
    pub(crate) format: Format,
    pub(crate) sqlx: SqlxSettings,
    /// What the backup targets read from the environment.
    pub(crate) backup_env: BackupEnv,
}

/// What `sqlx.toml`'s `[migrate]` sets that slipway must follow as sqlx does:
/// the history table (and the schemas created first) and the characters left
/// out of checksums, and what becomes of a `.sql` file that is no migration.
#[derive(Debug, Clone, Default)]
pub(crate) struct SqlxSettings {
    /// The `sqlx.toml` that was read, if there is one.
    pub(crate) file: Option<PathBuf>,
    pub(crate) history: SqlxTable,
    pub(crate) ignored_chars: std::collections::BTreeSet<char>,
    pub(crate) unrecognized_sql_files: Option<Located<UnrecognizedSqlFiles>>,
}

impl SqlxSettings {
    fn from_file(file: Option<&SqlxToml>) -> Self {
        let Some(file) = file else {
            return Self::default();
        };
        let migrate = &file.migrate;
        Self {
            file: Some(file.path.clone()),
            history: SqlxTable {
                name: migrate.table_name.as_ref().map_or_else(
                    || slipway_contract::DEFAULT_TABLE_NAME.to_owned(),
                    |name| name.value.clone(),
                ),
                create_schemas: migrate.create_schemas.clone(),
            },
            ignored_chars: migrate.ignored_chars.clone(),
            unrecognized_sql_files: migrate.unrecognized_sql_files.clone(),
        }
    }
}

/// Where a value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    Flag(&'static str),
    Env(&'static str),
    /// The variable `[common] database-url-var` of sqlx.toml names.
    NamedEnv(String),
    File {
        path: PathBuf,
        line: usize,
        key: &'static str,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => write!(f, "flag {flag}"),
            Origin::Env(var) => write!(f, "environment variable {var}"),
            Origin::NamedEnv(var) => write!(
                f,
                "environment variable {var} (`database-url-var` in sqlx.toml)"
            ),
            Origin::File { path, line, key } => {
                write!(f, "{}, line {line}, key `{key}`", path.display())
            }
        }
    }
}

/// A raw value and where it came from.
type Raw = Option<(String, Origin)>;

/// The places a setting is read from, in precedence order.
struct Sources<'a> {
    args: &'a SettingArgs,
    file: Option<LoadedFile>,
}

impl Sources<'_> {
    /// The first of flag or environment, then file, that sets the setting.
    /// The file's value is read (and a value of the wrong type refused) even
    /// when the command line overrides it.
    fn raw(&self, about: &About) -> Result<Raw, ConfigError> {
        let from_file = match &self.file {
            Some(file) => file.setting(about)?,
            None => None,
        };
        let given = match about.flag {
            Some(_) => self.args.raw(about),
            None => args::environment_value(about)?,
        };
        Ok(given.or(from_file))
    }

    /// The setting's value, parsed, or its default.
    fn get<T>(&self, setting: &Setting<T>) -> Result<T, ConfigError> {
        match self.raw(&setting.about)? {
            None => Ok((setting.default)()),
            Some((value, origin)) => {
                (setting.parse)(&value).map_err(|problem| ConfigError::InvalidValue {
                    origin,
                    // A refused secret-bearing value is echoed without its
                    // credentials, the user (an access key id) included.
                    value: if setting.about.secret.is_some() {
                        crate::redact::without_user_info(&value)
                    } else {
                        value
                    },
                    problem,
                    expected: setting.about.expected,
                })
            }
        }
    }
}

/// Resolves every setting from the command line (flag and environment) and
/// the settings file.
pub(crate) fn resolve(args: &SettingArgs) -> Result<Settings, ConfigError> {
    let settings_file = given(args.raw(&table::CONFIG_FILE.about));
    let file = file::load(settings_file.as_ref())?;
    if let Some(file) = &file
        && let Some((_, origin)) = file.raw(REFUSED_KEY)?
    {
        return Err(ConfigError::DatabaseUrlInFile { origin });
    }
    let sources = Sources { args, file };
    // sqlx-cli reads sqlx.toml from the current directory, the app root here.
    let sqlx_toml = read_sqlx_toml(Path::new(""))?;
    let database_url_var = sqlx_toml
        .as_ref()
        .and_then(|file| file.database_url_var.as_ref())
        .map_or(table::DATABASE_URL.about.env, |var| var.value.as_str());
    let database_url = database_url_raw(args, database_url_var)?
        .map(|(value, origin)| {
            DatabaseUrl::parse(&value).map_err(|e| ConfigError::InvalidDatabaseUrl {
                origin,
                problem: e.to_string(),
            })
        })
        .transpose()?;
    // Checked here, so that a bad value names its setting as every other does.
    let _ = sources.get(&table::MIGRATIONS_FORMAT)?;
    let migrate_command = sources.get(&table::MIGRATE_COMMAND)?;
    let located = locate_migrations(
        Path::new(""),
        MigrationSettings {
            format: given(args.raw(&table::MIGRATIONS_FORMAT.about)),
            migrations_dir: given(args.raw(&table::MIGRATIONS_DIR.about)),
            settings_file: settings_file.clone(),
            migrate_command: given(args.raw(&table::MIGRATE_COMMAND.about)),
            diesel_migration_directory: given(args::environment_value(
                &table::DIESEL_MIGRATION_DIRECTORY.about,
            )?),
            diesel_config_file: given(args::environment_value(&table::DIESEL_CONFIG_FILE.about)?),
        },
    )?;
    check_migrate_command(&located, migrate_command.as_ref())?;
    let sqlx = SqlxSettings::from_file(sqlx_toml.as_ref());
    let history = match located.format {
        MigrationFormat::Diesel => HistoryTable::Diesel,
        MigrationFormat::Sqlx | MigrationFormat::Command => {
            HistoryTable::Sqlx(sqlx.history.clone())
        }
    };
    Ok(Settings {
        database_url,
        database_url_var: database_url_var.to_owned(),
        migrations_dir: located.dir,
        migrations_format: located.format,
        format_origin: located.format_origin,
        history,
        migrate_command,
        backup: sources.get(&table::BACKUP)?,
        backup_keep: sources.get(&table::BACKUP_KEEP)?,
        pgvector: sources.get(&table::PGVECTOR)?,
        pgvector_min_version: sources.get(&table::PGVECTOR_MIN_VERSION)?,
        lock_wait: sources.get(&table::LOCK_WAIT)?,
        lock_timeout: sources.get(&table::LOCK_TIMEOUT)?,
        lock_retries: sources.get(&table::LOCK_RETRIES)?,
        statement_timeout: sources.get(&table::STATEMENT_TIMEOUT)?,
        connect_timeout: sources.get(&table::CONNECT_TIMEOUT)?,
        lint: LintSettings {
            mode: sources.get(&table::LINT)?,
            blocking_max_size: sources.get(&table::LINT_BLOCKING_MAX_SIZE)?,
            rules: sources.get(&table::LINT_RULES)?,
        },
        format: sources.get(&FORMAT)?,
        sqlx,
        backup_env: backup_env(&sources)?,
    })
}

/// The `command` format needs a command, and a command needs the `command` format: a command
/// beside another format would be ignored, which is never what its author meant.
fn check_migrate_command(
    located: &slipway_contract::LocatedMigrations,
    command: Option<&String>,
) -> Result<(), ConfigError> {
    match (located.format, command) {
        (MigrationFormat::Command, None) => Err(ConfigError::MissingMigrateCommand {
            origin: located.format_origin.to_string(),
        }),
        (MigrationFormat::Sqlx | MigrationFormat::Diesel, Some(_)) => {
            Err(ConfigError::MigrateCommandUnused {
                format: located.format.name(),
                origin: located.format_origin.to_string(),
            })
        }
        _ => Ok(()),
    }
}

/// The backup targets' settings, all read from the environment.
fn backup_env(sources: &Sources<'_>) -> Result<BackupEnv, ConfigError> {
    Ok(BackupEnv {
        s3: S3Env {
            access_key_id: sources.get(&table::AWS_ACCESS_KEY_ID)?,
            secret_access_key: sources.get(&table::AWS_SECRET_ACCESS_KEY)?,
            session_token: sources.get(&table::AWS_SESSION_TOKEN)?,
            region: sources.get(&table::AWS_REGION)?,
            default_region: sources.get(&table::AWS_DEFAULT_REGION)?,
            endpoint: sources.get(&table::S3_ENDPOINT)?,
            path_style: sources.get(&table::S3_PATH_STYLE)?,
            part_size: sources.get(&table::S3_PART_SIZE)?,
        },
        heroku: HerokuEnv {
            api_key: sources.get(&table::HEROKU_API_KEY)?,
            app: sources.get(&table::HEROKU_APP)?,
            app_name: sources.get(&table::HEROKU_APP_NAME)?,
            platform_url: sources.get(&table::HEROKU_API_URL)?,
            data_url: sources.get(&table::HEROKU_DATA_API_URL)?,
            poll_interval: sources.get(&table::HEROKU_POLL_INTERVAL)?,
            capture_timeout: sources.get(&table::HEROKU_CAPTURE_TIMEOUT)?,
        },
        s3_bucket: sources.get(&table::S3_BUCKET)?,
        tools: ToolSettings {
            bin_dir: sources.get(&table::PG_BIN_DIR)?,
            compression: sources.get(&table::BACKUP_COMPRESSION)?,
        },
    })
}

/// Registers for redaction every secret the settings' variables hold, in the form it was
/// given, before anything prints: a message about one setting may quote another's value, and
/// a bad value is reported before the setting that would register it is parsed.
pub(crate) fn register_environment_secrets() {
    for about in table::ALL.iter().map(|setting| setting.about()) {
        if let (Some(register), Some(value)) = (about.secret, std::env::var_os(about.env)) {
            register(&value.to_string_lossy());
        }
    }
}

/// The database URL as sqlx-cli finds it: `--database-url`, else the variable
/// `[common] database-url-var` of sqlx.toml names, else `DATABASE_URL`. A
/// named variable replaces `DATABASE_URL` rather than coming before it: an
/// app that names one keeps its migrations' database there, and `DATABASE_URL`
/// may be another database (Heroku sets it for the primary add-on).
fn database_url_raw(args: &SettingArgs, var: &str) -> Result<Raw, ConfigError> {
    let given = args.raw(&table::DATABASE_URL.about);
    if var == table::DATABASE_URL.about.env || matches!(given, Some((_, Origin::Flag(_)))) {
        return Ok(given);
    }
    let origin = Origin::NamedEnv(var.to_owned());
    match std::env::var(var) {
        Ok(value) => Ok(Some((value, origin))),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::InvalidDatabaseUrl {
            origin,
            problem: "it is not valid UTF-8".to_owned(),
        }),
    }
}

/// A flag's or a variable's value in the words the shared migrations-folder rule quotes;
/// a blank one is unset, as the rule reads it.
fn given(raw: Raw) -> Option<Given> {
    raw.and_then(|(value, origin)| Given::new(&value, origin.to_string()))
}

impl Settings {
    /// The database URL, or the error that explains how to set one.
    pub(crate) fn database(&self) -> Result<&DatabaseUrl, ConfigError> {
        self.database_url
            .as_ref()
            .ok_or_else(|| ConfigError::MissingDatabaseUrl {
                var: self.database_url_var.clone(),
            })
    }
}
