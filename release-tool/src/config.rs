//! Settings: flag, then environment variable, then `slipway.toml`, then
//! `sqlx.toml` (for what sqlx itself reads from it), then the default. Every
//! bad value is reported with where it came from, so that the message names
//! the flag, the variable, or the file, line and key.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use clap::ArgMatches;
use clap::parser::ValueSource;
use serde::Deserialize;
use slipway_pgvector_scan::{SqlxToml, SqlxTomlError, Version, read_sqlx_toml};
use toml::Spanned;

use crate::backup::TargetSpec;
use crate::cli::SettingArgs;
use crate::db::DatabaseUrl;
use crate::format::Format;
use crate::lint::{self, LintSettings};
use crate::migrations::history::HistoryTable;
use crate::migrations_dir::MigrationsDir;
use crate::pgvector::Mode;
use crate::text::line_of;

pub(crate) const DEFAULT_MIGRATIONS_DIR: &str = "./migrations";
pub(crate) const DEFAULT_CONFIG_FILE: &str = "slipway.toml";
pub(crate) const DEFAULT_BACKUP_KEEP: usize = 10;
pub(crate) const DEFAULT_LOCK_WAIT: Duration = Duration::from_mins(5);
pub(crate) const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);
pub(crate) const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_mins(30);
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
pub(crate) const DEFAULT_LINT_BLOCKING_MAX_SIZE: u64 = 64 << 20;
pub(crate) const DEFAULT_LOCK_RETRIES: u32 = 3;
/// More retries than this would only stretch a release that the lock wait
/// bounds anyway.
const MAX_LOCK_RETRIES: u32 = 100;

/// What each kind of setting expects, for the "fix" line of its error.
const BACKUP_EXPECTED: &str = "`none`, `file:DIR`, `s3://BUCKET/PREFIX` or `heroku`";
const KEEP_EXPECTED: &str = "a whole number of backups to keep, at least 1";
const MODE_EXPECTED: &str = "`off`, `auto` or `required`";
const VERSION_EXPECTED: &str = "a version such as 0.7.0";
const DURATION_EXPECTED: &str = "a duration such as 30s, 5m or 1h";
const LINT_EXPECTED: &str = "`off`, `warn` or `error`";
const SIZE_EXPECTED: &str = "a size such as 64MiB, 1GiB or 500000 (bytes)";
const RETRIES_EXPECTED: &str = "a whole number of retries from 0 (no retry) to 100";

/// The resolved settings every command works from.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) database_url: Option<DatabaseUrl>,
    pub(crate) migrations_dir: MigrationsDir,
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
}

/// What `sqlx.toml`'s `[migrate]` sets that slipway must follow as sqlx does:
/// the history table (and the schemas created first) and the characters left
/// out of checksums.
#[derive(Debug, Clone, Default)]
pub(crate) struct SqlxSettings {
    /// The `sqlx.toml` that was read, if there is one.
    pub(crate) file: Option<PathBuf>,
    pub(crate) history: HistoryTable,
    pub(crate) ignored_chars: std::collections::BTreeSet<char>,
}

impl SqlxSettings {
    fn from_file(file: Option<&SqlxToml>) -> Self {
        let Some(file) = file else {
            return Self::default();
        };
        let migrate = &file.migrate;
        Self {
            file: Some(file.path.clone()),
            history: HistoryTable {
                name: migrate.table_name.as_ref().map_or_else(
                    || slipway_pgvector_scan::DEFAULT_TABLE_NAME.to_owned(),
                    |name| name.value.clone(),
                ),
                create_schemas: migrate.create_schemas.clone(),
            },
            ignored_chars: migrate.ignored_chars.clone(),
        }
    }
}

/// Where a value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    Flag(&'static str),
    Env(&'static str),
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
            Origin::File { path, line, key } => {
                write!(f, "{}, line {line}, key `{key}`", path.display())
            }
        }
    }
}

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
    MissingDatabaseUrl,
    #[error("{origin}: the migrations folder {} does not exist", path.display())]
    MigrationsDirMissing { origin: Origin, path: PathBuf },
    #[error(transparent)]
    SqlxToml(#[from] SqlxTomlError),
}

/// The keys `slipway.toml` accepts. `database_url` is not one of them: a
/// committed file must not hold a password, so it is refused with a message of
/// its own ([`ConfigError::DatabaseUrlInFile`]) and never offered.
pub(crate) const FILE_KEYS: [&str; 12] = [
    "migrations_dir",
    "backup",
    "backup_keep",
    "pgvector",
    "pgvector_min_version",
    "lock_wait",
    "lock_timeout",
    "lock_retries",
    "statement_timeout",
    "connect_timeout",
    "lint",
    "lint_blocking_max_size",
];

/// The settings file's fields. Values are kept as TOML values with their
/// position so that a bad one can be reported with its line.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    // Accepted only to say clearly that it must not be there.
    database_url: Option<Spanned<toml::Value>>,
    migrations_dir: Option<Spanned<toml::Value>>,
    backup: Option<Spanned<toml::Value>>,
    backup_keep: Option<Spanned<toml::Value>>,
    pgvector: Option<Spanned<toml::Value>>,
    pgvector_min_version: Option<Spanned<toml::Value>>,
    lock_wait: Option<Spanned<toml::Value>>,
    lock_timeout: Option<Spanned<toml::Value>>,
    lock_retries: Option<Spanned<toml::Value>>,
    statement_timeout: Option<Spanned<toml::Value>>,
    connect_timeout: Option<Spanned<toml::Value>>,
    lint: Option<Spanned<toml::Value>>,
    lint_blocking_max_size: Option<Spanned<toml::Value>>,
}

/// A raw value and where it came from.
type Raw = Option<(String, Origin)>;

/// The settings file, loaded, with the path and text needed to name lines.
struct LoadedFile {
    path: PathBuf,
    text: String,
    settings: FileSettings,
}

impl LoadedFile {
    /// Turns one key's value into a raw string with its origin.
    fn raw(
        &self,
        key: &'static str,
        value: Option<&Spanned<toml::Value>>,
    ) -> Result<Raw, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        let origin = Origin::File {
            path: self.path.clone(),
            line: line_of(&self.text, value.span().start),
            key,
        };
        match value.get_ref() {
            toml::Value::String(text) => Ok(Some((text.clone(), origin))),
            toml::Value::Integer(number) => Ok(Some((number.to_string(), origin))),
            other => Err(ConfigError::InvalidValue {
                origin,
                value: other.to_string(),
                problem: format!(
                    "expected a string or a number, found a {}",
                    other.type_str()
                ),
                expected: "a quoted string such as \"5m\"",
            }),
        }
    }
}

// One block per setting, in the same shape; splitting it would scatter the
// precedence rules.
#[allow(clippy::too_many_lines)]
/// Resolves every setting from the parsed command line (flag and environment)
/// and the settings file.
pub(crate) fn resolve(args: &SettingArgs, matches: &ArgMatches) -> Result<Settings, ConfigError> {
    let cli =
        |id: &'static str, flag: &'static str, env: &'static str, value: &Option<String>| -> Raw {
            let value = value.clone()?;
            let origin = match matches.value_source(id) {
                Some(ValueSource::EnvVariable) => Origin::Env(env),
                _ => Origin::Flag(flag),
            };
            Some((value, origin))
        };
    let file = load_file(cli(
        "config_file",
        "--config",
        "SLIPWAY_CONFIG",
        &args.config_file,
    ))?;
    let from_file = |key: &'static str,
                     pick: fn(&FileSettings) -> Option<&Spanned<toml::Value>>|
     -> Result<Raw, ConfigError> {
        match &file {
            Some(loaded) => loaded.raw(key, pick(&loaded.settings)),
            None => Ok(None),
        }
    };

    if let Some((_, origin)) = from_file("database_url", |f| f.database_url.as_ref())? {
        return Err(ConfigError::DatabaseUrlInFile { origin });
    }

    let database_url = cli(
        "database_url",
        "--database-url",
        "DATABASE_URL",
        &args.database_url,
    )
    .map(|(value, origin)| {
        DatabaseUrl::parse(&value).map_err(|e| ConfigError::InvalidDatabaseUrl {
            origin,
            problem: e.to_string(),
        })
    })
    .transpose()?;

    // sqlx-cli reads sqlx.toml from the current directory, the app root here.
    let sqlx_toml = read_sqlx_toml(Path::new(""))?;
    let migrations_raw = cli(
        "migrations_dir",
        "--migrations",
        "SLIPWAY_MIGRATIONS_DIR",
        &args.migrations_dir,
    )
    .or(from_file("migrations_dir", |f| f.migrations_dir.as_ref())?)
    .or_else(|| sqlx_migrations_dir(sqlx_toml.as_ref()));
    let migrations_dir = resolve_migrations_dir(migrations_raw)?;

    let backup = pick(
        cli("backup", "--backup", "SLIPWAY_BACKUP", &args.backup),
        from_file("backup", |f| f.backup.as_ref())?,
        BACKUP_EXPECTED,
        |text| TargetSpec::parse(text).map(Some),
        None,
    )?;
    let backup_keep = pick(
        cli(
            "backup_keep",
            "--backup-keep",
            "SLIPWAY_BACKUP_KEEP",
            &args.backup_keep,
        ),
        from_file("backup_keep", |f| f.backup_keep.as_ref())?,
        KEEP_EXPECTED,
        parse_keep,
        DEFAULT_BACKUP_KEEP,
    )?;
    let pgvector = pick(
        cli("pgvector", "--pgvector", "SLIPWAY_PGVECTOR", &args.pgvector),
        from_file("pgvector", |f| f.pgvector.as_ref())?,
        MODE_EXPECTED,
        Mode::parse,
        Mode::Auto,
    )?;
    let pgvector_min_version = pick(
        cli(
            "pgvector_min_version",
            "--pgvector-min-version",
            "SLIPWAY_PGVECTOR_MIN_VERSION",
            &args.pgvector_min_version,
        ),
        from_file("pgvector_min_version", |f| f.pgvector_min_version.as_ref())?,
        VERSION_EXPECTED,
        |text| {
            Version::from_str(text.trim())
                .map(Some)
                .map_err(|e| e.to_string())
        },
        None,
    )?;
    let duration = |raw: Raw, file_raw: Raw, default: Duration| {
        pick(
            raw,
            file_raw,
            DURATION_EXPECTED,
            crate::duration::parse_timeout,
            default,
        )
    };
    let lock_wait = duration(
        cli(
            "lock_wait",
            "--lock-wait",
            "SLIPWAY_LOCK_WAIT",
            &args.lock_wait,
        ),
        from_file("lock_wait", |f| f.lock_wait.as_ref())?,
        DEFAULT_LOCK_WAIT,
    )?;
    let lock_timeout = duration(
        cli(
            "lock_timeout",
            "--lock-timeout",
            "SLIPWAY_LOCK_TIMEOUT",
            &args.lock_timeout,
        ),
        from_file("lock_timeout", |f| f.lock_timeout.as_ref())?,
        DEFAULT_LOCK_TIMEOUT,
    )?;
    let lock_retries = pick(
        cli(
            "lock_retries",
            "--lock-retries",
            "SLIPWAY_LOCK_RETRIES",
            &args.lock_retries,
        ),
        from_file("lock_retries", |f| f.lock_retries.as_ref())?,
        RETRIES_EXPECTED,
        parse_retries,
        DEFAULT_LOCK_RETRIES,
    )?;
    let statement_timeout = duration(
        cli(
            "statement_timeout",
            "--statement-timeout",
            "SLIPWAY_STATEMENT_TIMEOUT",
            &args.statement_timeout,
        ),
        from_file("statement_timeout", |f| f.statement_timeout.as_ref())?,
        DEFAULT_STATEMENT_TIMEOUT,
    )?;
    let connect_timeout = duration(
        cli(
            "connect_timeout",
            "--connect-timeout",
            "SLIPWAY_CONNECT_TIMEOUT",
            &args.connect_timeout,
        ),
        from_file("connect_timeout", |f| f.connect_timeout.as_ref())?,
        DEFAULT_CONNECT_TIMEOUT,
    )?;
    let lint_mode = pick(
        cli("lint", "--lint", "SLIPWAY_LINT", &args.lint),
        from_file("lint", |f| f.lint.as_ref())?,
        LINT_EXPECTED,
        lint::Mode::parse,
        lint::Mode::Warn,
    )?;
    let lint_blocking_max_size = pick(
        cli(
            "lint_blocking_max_size",
            "--lint-blocking-max-size",
            "SLIPWAY_LINT_BLOCKING_MAX_SIZE",
            &args.lint_blocking_max_size,
        ),
        from_file("lint_blocking_max_size", |f| {
            f.lint_blocking_max_size.as_ref()
        })?,
        SIZE_EXPECTED,
        parse_size,
        DEFAULT_LINT_BLOCKING_MAX_SIZE,
    )?;
    let format = pick(
        cli("format", "--format", "SLIPWAY_FORMAT", &args.format),
        None,
        "`human`, `json` or `github` (`github` only for `lint`)",
        Format::parse,
        Format::Human,
    )?;

    Ok(Settings {
        database_url,
        migrations_dir,
        backup,
        backup_keep,
        pgvector,
        pgvector_min_version,
        lock_wait,
        lock_timeout,
        lock_retries,
        statement_timeout,
        connect_timeout,
        lint: LintSettings {
            mode: lint_mode,
            blocking_max_size: lint_blocking_max_size,
        },
        format,
        sqlx: SqlxSettings::from_file(sqlx_toml.as_ref()),
    })
}

/// `migrations-dir` in `sqlx.toml`, relative to that file as for sqlx-cli.
fn sqlx_migrations_dir(file: Option<&SqlxToml>) -> Raw {
    let file = file?;
    let dir = file.migrate.migrations_dir.as_ref()?;
    Some((
        dir.value.clone(),
        Origin::File {
            path: file.path.clone(),
            line: dir.line,
            key: "migrate.migrations-dir",
        },
    ))
}

impl Settings {
    /// The database URL, or the error that explains how to set one.
    pub(crate) fn database(&self) -> Result<&DatabaseUrl, ConfigError> {
        self.database_url
            .as_ref()
            .ok_or(ConfigError::MissingDatabaseUrl)
    }
}

/// Parses the first of `first` (flag or environment) and `second` (file)
/// that is set, or returns `default`.
fn pick<T>(
    first: Raw,
    second: Raw,
    expected: &'static str,
    parse: impl Fn(&str) -> Result<T, String>,
    default: T,
) -> Result<T, ConfigError> {
    match first.or(second) {
        None => Ok(default),
        Some((value, origin)) => parse(&value).map_err(|problem| ConfigError::InvalidValue {
            origin,
            value,
            problem,
            expected,
        }),
    }
}

/// Reads `slipway.toml` (or the file named by `--config`). A missing default
/// file is fine; a missing explicit one is an error.
fn load_file(explicit: Raw) -> Result<Option<LoadedFile>, ConfigError> {
    let (path, required) = match explicit {
        Some((path, _)) => (PathBuf::from(path), true),
        None => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(None),
        Err(source) => return Err(ConfigError::FileUnreadable { path, source }),
    };
    parse_file(path, text).map(Some)
}

/// Parses a settings file's text, naming the line of a syntax error or an
/// unknown key.
fn parse_file(path: PathBuf, text: String) -> Result<LoadedFile, ConfigError> {
    reject_unknown_keys(&path, &text)?;
    let settings: FileSettings = toml::from_str(&text).map_err(|e| ConfigError::FileInvalid {
        line: e.span().map_or(1, |span| line_of(&text, span.start)),
        message: e.message().trim().to_owned(),
        path: path.clone(),
    })?;
    Ok(LoadedFile {
        path,
        text,
        settings,
    })
}

/// Fails on the first key (in file order) that `slipway.toml` does not
/// accept, naming its line and the nearest accepted key. Syntax errors are
/// left to the parse that follows, which names their line.
fn reject_unknown_keys(path: &Path, text: &str) -> Result<(), ConfigError> {
    let Ok(table) = toml::de::DeTable::parse(text) else {
        return Ok(());
    };
    let mut unknown: Vec<(usize, String)> = table
        .get_ref()
        .keys()
        .filter(|key| {
            let name: &str = key.get_ref();
            name != "database_url" && !FILE_KEYS.contains(&name)
        })
        .map(|key| (key.span().start, key.get_ref().to_string()))
        .collect();
    unknown.sort();
    match unknown.into_iter().next() {
        None => Ok(()),
        Some((offset, key)) => Err(ConfigError::UnknownKey {
            path: path.to_owned(),
            line: line_of(text, offset),
            suggestion: nearest_key(&key),
            key,
        }),
    }
}

/// The accepted key closest to `key`, when it is close enough to be a typo
/// (`lock_wiat`, `migrations-dir`, `migrations`).
fn nearest_key(key: &str) -> Option<&'static str> {
    let typed = key.to_ascii_lowercase().replace('-', "_");
    FILE_KEYS
        .iter()
        .map(|known| (edit_distance(&typed, known), *known))
        .filter(|(distance, known)| {
            *distance <= (known.len() / 3).max(2)
                || (typed.len() >= 4 && (known.starts_with(&typed) || typed.starts_with(known)))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

/// Levenshtein distance between `a` and `b`, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// Parses `slipway.toml` text and every value in it with the parser
/// [`resolve`] uses, touching no file or folder (the config fuzz target).
pub(crate) fn parse_file_text(text: &str) -> Result<(), ConfigError> {
    let loaded = parse_file(PathBuf::from(DEFAULT_CONFIG_FILE), text.to_owned())?;
    let file = &loaded.settings;
    let raw = |key, value: &Option<Spanned<toml::Value>>| loaded.raw(key, value.as_ref());
    raw("database_url", &file.database_url)?;
    raw("migrations_dir", &file.migrations_dir)?;
    let backup = raw("backup", &file.backup)?;
    pick(
        None,
        backup,
        BACKUP_EXPECTED,
        |t| TargetSpec::parse(t).map(Some),
        None,
    )?;
    pick(
        None,
        raw("backup_keep", &file.backup_keep)?,
        KEEP_EXPECTED,
        parse_keep,
        1,
    )?;
    pick(
        None,
        raw("pgvector", &file.pgvector)?,
        MODE_EXPECTED,
        Mode::parse,
        Mode::Auto,
    )?;
    let minimum = raw("pgvector_min_version", &file.pgvector_min_version)?;
    pick(
        None,
        minimum,
        VERSION_EXPECTED,
        |t| {
            Version::from_str(t.trim())
                .map(Some)
                .map_err(|e| e.to_string())
        },
        None,
    )?;
    pick(
        None,
        raw("lock_retries", &file.lock_retries)?,
        RETRIES_EXPECTED,
        parse_retries,
        0,
    )?;
    for (key, value) in [
        ("lock_wait", &file.lock_wait),
        ("lock_timeout", &file.lock_timeout),
        ("statement_timeout", &file.statement_timeout),
        ("connect_timeout", &file.connect_timeout),
    ] {
        pick(
            None,
            raw(key, value)?,
            DURATION_EXPECTED,
            crate::duration::parse_timeout,
            Duration::ZERO,
        )?;
    }
    pick(
        None,
        raw("lint", &file.lint)?,
        LINT_EXPECTED,
        lint::Mode::parse,
        lint::Mode::Warn,
    )?;
    pick(
        None,
        raw("lint_blocking_max_size", &file.lint_blocking_max_size)?,
        SIZE_EXPECTED,
        parse_size,
        0,
    )?;
    Ok(())
}

/// The migrations folder. A folder set in the file is relative to the file.
fn resolve_migrations_dir(raw: Raw) -> Result<MigrationsDir, ConfigError> {
    let Some((value, origin)) = raw else {
        return Ok(MigrationsDir {
            path: PathBuf::from(DEFAULT_MIGRATIONS_DIR),
            explicit: false,
        });
    };
    let mut path = PathBuf::from(&value);
    if let Origin::File { path: file, .. } = &origin
        && path.is_relative()
    {
        path = file.parent().unwrap_or(Path::new(".")).join(path);
    }
    if !path.is_dir() {
        return Err(ConfigError::MigrationsDirMissing { origin, path });
    }
    Ok(MigrationsDir {
        path,
        explicit: true,
    })
}

/// Parses sizes such as `64MiB`, `1GiB`, `500kB` or a number of bytes. Units
/// are binary, as PostgreSQL's (`kB` is 1024 bytes).
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => return Err(format!("unknown unit {other:?}")),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| "expected a whole number before the unit".to_owned())?;
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| "too large".to_owned())
}

fn parse_keep(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("keeping 0 backups would delete the one just taken".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

fn parse_retries(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if n > MAX_LOCK_RETRIES => Err(format!("more than {MAX_LOCK_RETRIES}")),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64MB"), Ok(64 << 20));
        assert_eq!(parse_size(" 1 GiB "), Ok(1 << 30));
        assert_eq!(parse_size("500000"), Ok(500_000));
        assert_eq!(parse_size("2kB"), Ok(2048));
        assert!(parse_size("64 furlongs").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("-1MiB").is_err());
    }

    #[test]
    fn retries_are_a_bounded_whole_number() {
        assert_eq!(parse_retries("0"), Ok(0));
        assert_eq!(parse_retries(" 3 "), Ok(3));
        assert!(parse_retries("-1").is_err());
        assert!(parse_retries("three").is_err());
        assert!(parse_retries("101").is_err());
    }

    #[test]
    fn an_unknown_key_names_its_line_and_the_nearest_accepted_key() {
        let error = |text: &str| parse_file_text(text).unwrap_err().to_string();
        assert_eq!(
            error("lock_wait = \"2m\"\n\n lock_wiat = \"3m\"\n"),
            "slipway.toml, line 3: unknown key `lock_wiat`; did you mean `lock_wait`?"
        );
        for typo in [
            "migrations-dir",
            "migration_dir",
            "migrations",
            "MIGRATIONS_DIR",
        ] {
            assert!(
                error(&format!("{typo} = \"db\"")).ends_with("did you mean `migrations_dir`?"),
                "{typo}"
            );
        }
        assert_eq!(
            error("colour = \"blue\""),
            "slipway.toml, line 1: unknown key `colour`"
        );
        // database_url is not an unknown key (`resolve` refuses it with its
        // own message), and it is never suggested.
        assert!(parse_file_text("database_url = \"x\"").is_ok());
        assert!(!error("database_ur = \"x\"").contains("database_url"));
    }

    #[test]
    fn keep_must_be_positive() {
        assert_eq!(parse_keep("3"), Ok(3));
        assert!(parse_keep("0").is_err());
        assert!(parse_keep("-1").is_err());
    }
}
