//! Every setting, declared once: its flag, environment variable,
//! `slipway.toml` key, parser, default and help line. Precedence
//! ([`super::resolve`]), the keys the file accepts, `--help`
//! ([`super::args`]), the fuzzer's file check and the README's settings table
//! ([`super::readme`]) are all read from here.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use reqwest::Url;

use slipway_contract::Version;

use super::setting::{About, Declared, NONE, Setting};
use super::values::{parse_keep, parse_retries, parse_size, text};
use crate::backup::{Compression, S3Location, TargetSpec, heroku, s3};
use crate::redact::{self, Secret};
use crate::report::Format;
use crate::{duration, lint, pgvector};
const DURATION_EXPECTED: &str = "a duration such as 30s, 5m or 1h";

/// Read by `resolve` itself (`DatabaseUrl::parse`), whose error names the URL problem.
pub(crate) static DATABASE_URL: Setting<String> = Setting {
    about: About {
        name: "database",
        flag: Some("--database-url"),
        value_name: "URL",
        env: "DATABASE_URL",
        file_note: "(not allowed: it holds a password)",
        default_note: "none: required",
        help: "PostgreSQL URL, decoded as sqlx decodes it (a `+` stays a `+`; `dbname=` and \
               `password=` parameters win; PGPASSWORD when it has no password). `sslmode` and \
               `sslrootcert` in the URL are honoured. Not read from slipway.toml. With \
               `[common] database-url-var` in sqlx.toml, read from the variable it names instead.",
        secret: Some(redact::register_url_secrets),
        ..NONE
    },
    parse: text,
    default: String::new,
};

/// Resolved by `resolve` (relative to the file it is in; after it, sqlx.toml's
/// migrations-dir).
pub(crate) static MIGRATIONS_DIR: Setting<String> = Setting {
    about: About {
        name: "migrations folder",
        flag: Some("--migrations"),
        value_name: "DIR",
        env: "SLIPWAY_MIGRATIONS_DIR",
        file_key: Some("migrations_dir"),
        file_note: "(relative to the file)",
        default: Some(slipway_contract::DEFAULT_MIGRATIONS_DIR),
        default_note: "(after `migrations-dir` in `sqlx.toml`, or `dir` in `diesel.toml`)",
        help: "Folder of migrations (migrations_dir in slipway.toml, then migrations-dir in \
               sqlx.toml for sqlx or `[migrations_directory] dir` in diesel.toml for Diesel, come \
               before the default).",
        ..NONE
    },
    parse: text,
    default: String::new,
};

/// Resolved by `resolve`, with the migrations folder (`slipway_contract::locate_migrations`).
pub(crate) static MIGRATIONS_FORMAT: Setting<String> = Setting {
    about: About {
        name: "migrations format",
        flag: Some("--migrations-format"),
        value_name: "FORMAT",
        values: Some("sqlx|diesel|command"),
        env: "SLIPWAY_MIGRATIONS_FORMAT",
        file_key: Some("migrations_format"),
        default_note: "detected: `command` when a migrate command is set, else `diesel` with a \
                       `diesel.toml` or Diesel migration folders, else `sqlx`",
        help: "The app's migration tool, whose rules slipway follows: `sqlx` (sqlx 0.9 files and \
               `_sqlx_migrations`), `diesel` (diesel_migrations 2.3 folders and \
               `__diesel_schema_migrations`) or `command` (runs --migrate-command inside slipway's \
               lock, backup and checks).",
        expected: "`sqlx`, `diesel` or `command`",
        ..NONE
    },
    parse: |text| match slipway_contract::MigrationFormat::parse(text) {
        Some(format) => Ok(format.name().to_owned()),
        None => Err("not a migrations format".to_owned()),
    },
    default: String::new,
};

pub(crate) static MIGRATE_COMMAND: Setting<Option<String>> = Setting {
    about: About {
        name: "migrate command",
        flag: Some("--migrate-command"),
        value_name: "COMMAND",
        env: "SLIPWAY_MIGRATE_COMMAND",
        file_key: Some("migrate_command"),
        default_note: "none",
        help: "The app's own migrator, run by `sh -c` as the migrate step of the `command` format \
               (e.g. `migration up` for SeaORM): with the lock held, after the backup, before the \
               checks, with DATABASE_URL set to the database slipway migrates. A non-zero exit \
               stops the release (exit 7).",
        secret: Some(redact::register_url_secrets),
        expected: "a shell command, such as `migration up`",
        ..NONE
    },
    parse: |text| {
        if text.trim().is_empty() {
            Err("the command is empty".to_owned())
        } else {
            Ok(Some(text.to_owned()))
        }
    },
    default: || None,
};

pub(crate) static BACKUP: Setting<Option<TargetSpec>> = Setting {
    about: About {
        name: "backup target",
        flag: Some("--backup"),
        value_name: "TARGET",
        env: "SLIPWAY_BACKUP",
        file_key: Some("backup"),
        default_note: "off a dyno `file:./.slipway/backups`; on a dyno see [Backups](#backups)",
        help: "Backup target: `file:DIR`, `s3://BUCKET/PREFIX`, `heroku` (Heroku PGBackups) or \
               `none`. Unset: `file:./.slipway/backups` off a dyno; on a dyno (DYNO is set) \
               `heroku` when HEROKU_API_KEY is set, else S3 when SLIPWAY_BACKUP_S3_BUCKET is set, \
               else an error (exit 5). The S3 and `heroku` targets read the variables listed \
               under `Read from the environment only` below.",
        secret: Some(redact::register_url_secrets),
        expected: "`none`, `file:DIR`, `s3://BUCKET/PREFIX` or `heroku`",
        ..NONE
    },
    parse: |text| TargetSpec::parse(text).map(Some),
    default: || None,
};

pub(crate) static BACKUP_COMPRESSION: Setting<Compression> = Setting {
    about: About {
        name: "backup compression",
        flag: Some("--backup-compression"),
        value_name: "METHOD",
        env: "SLIPWAY_BACKUP_COMPRESSION",
        file_key: Some("backup_compression"),
        default: Some("auto"),
        default_note: "(gzip level 1)",
        help: "How pg_dump compresses `file:` and S3 backups: `auto` (gzip level 1: vector data \
               barely compresses, and zlib's higher levels cost time for little), `none`, \
               `gzip[:0-9]` (pg_dump's own default is 6), or, with pg_dump 16 or later, \
               `lz4[:1-12]` or `zstd[:1-22]`. Restores read any of them.",
        expected: "`auto`, `none`, `gzip:LEVEL`, `lz4` or `zstd`",
        ..NONE
    },
    parse: Compression::parse,
    default: || Compression::Auto,
};

pub(crate) static BACKUP_KEEP: Setting<usize> = Setting {
    about: About {
        name: "backups kept",
        flag: Some("--backup-keep"),
        value_name: "N",
        env: "SLIPWAY_BACKUP_KEEP",
        file_key: Some("backup_keep"),
        default: Some("10"),
        help: "How many slipway backups to keep in the target (older ones are pruned after a \
               successful backup).",
        expected: "a whole number of backups to keep, at least 1",
        ..NONE
    },
    parse: parse_keep,
    default: || 10,
};

pub(crate) static PGVECTOR: Setting<pgvector::Mode> = Setting {
    about: About {
        name: "pgvector",
        flag: Some("--pgvector"),
        value_name: "MODE",
        values: Some("off|auto|required"),
        env: "SLIPWAY_PGVECTOR",
        file_key: Some("pgvector"),
        default: Some("auto"),
        help: "`off`, `auto` (ensure the extension when the migrations use it, it is installed, \
               or a minimum version is set) or `required`.",
        expected: "`off`, `auto` or `required`",
        ..NONE
    },
    parse: pgvector::Mode::parse,
    default: || pgvector::Mode::Auto,
};

pub(crate) static PGVECTOR_MIN_VERSION: Setting<Option<Version>> = Setting {
    about: About {
        name: "pgvector minimum",
        flag: Some("--pgvector-min-version"),
        value_name: "X.Y.Z",
        env: "SLIPWAY_PGVECTOR_MIN_VERSION",
        file_key: Some("pgvector_min_version"),
        default_note: "derived from the migrations",
        help: "Minimum pgvector version, e.g. 0.7.0. Unset: derived from the migrations (hnsw \
               0.5.0; halfvec, sparsevec, bit indexes 0.7.0; iterative scans 0.8.0).",
        expected: "a version such as 0.7.0",
        ..NONE
    },
    parse: |text| {
        Version::from_str(text.trim())
            .map(Some)
            .map_err(|e| e.to_string())
    },
    default: || None,
};

pub(crate) static LOCK_WAIT: Setting<Duration> = Setting {
    about: About {
        name: "lock wait",
        flag: Some("--lock-wait"),
        value_name: "DURATION",
        env: "SLIPWAY_LOCK_WAIT",
        file_key: Some("lock_wait"),
        default: Some("5m"),
        help: "How long to wait for the migration lock (held by another release or an app \
               running `sqlx::migrate!()`; `0`: no limit).",
        expected: DURATION_EXPECTED,
        ..NONE
    },
    parse: duration::parse_timeout,
    default: || Duration::from_mins(5),
};

pub(crate) static LOCK_TIMEOUT: Setting<Duration> = Setting {
    about: About {
        name: "`lock_timeout`",
        flag: Some("--lock-timeout"),
        value_name: "DURATION",
        env: "SLIPWAY_LOCK_TIMEOUT",
        file_key: Some("lock_timeout"),
        default: Some("10s"),
        help: "PostgreSQL `lock_timeout` for migration statements (`0`: no limit).",
        expected: DURATION_EXPECTED,
        ..NONE
    },
    parse: duration::parse_timeout,
    default: || Duration::from_secs(10),
};

pub(crate) static LOCK_RETRIES: Setting<u32> = Setting {
    about: About {
        name: "lock-timeout retries",
        flag: Some("--lock-retries"),
        value_name: "N",
        env: "SLIPWAY_LOCK_RETRIES",
        file_key: Some("lock_retries"),
        default: Some("3"),
        default_note: "(`0`: no retry; at most 100)",
        help: "How many times a migration that failed on `lock_timeout` is retried, with backoff \
               (1s, 2s, 4s, ... up to 30s), within the lock wait; each attempt prints the session \
               that blocked it. Only transactional migrations, which rolled back: never \
               `-- no-transaction` ones.",
        expected: "a whole number of retries from 0 (no retry) to 100",
        ..NONE
    },
    parse: parse_retries,
    default: || 3,
};

pub(crate) static STATEMENT_TIMEOUT: Setting<Duration> = Setting {
    about: About {
        name: "`statement_timeout`",
        flag: Some("--statement-timeout"),
        value_name: "DURATION",
        env: "SLIPWAY_STATEMENT_TIMEOUT",
        file_key: Some("statement_timeout"),
        default: Some("30m"),
        help: "PostgreSQL `statement_timeout` for migration statements (`0`: no limit).",
        expected: DURATION_EXPECTED,
        ..NONE
    },
    parse: duration::parse_timeout,
    default: || Duration::from_mins(30),
};

pub(crate) static CONNECT_TIMEOUT: Setting<Duration> = Setting {
    about: About {
        name: "connect timeout",
        flag: Some("--connect-timeout"),
        value_name: "DURATION",
        env: "SLIPWAY_CONNECT_TIMEOUT",
        file_key: Some("connect_timeout"),
        default: Some("10s"),
        help: "How long to wait for the database connection (`0`: no limit).",
        expected: DURATION_EXPECTED,
        ..NONE
    },
    parse: duration::parse_timeout,
    default: || Duration::from_secs(10),
};

pub(crate) static LINT: Setting<lint::Mode> = Setting {
    about: About {
        name: "lint",
        flag: Some("--lint"),
        value_name: "MODE",
        values: Some("off|warn|error"),
        env: "SLIPWAY_LINT",
        file_key: Some("lint"),
        default: Some("warn"),
        help: "The lint step of `plan` and `run`: `off`, `warn` (print findings; fail only for a \
               blocking statement on a table larger than --lint-blocking-max-size) or `error` \
               (every finding fails, exit 9).",
        expected: "`off`, `warn` or `error`",
        ..NONE
    },
    parse: lint::Mode::parse,
    default: || lint::Mode::Warn,
};

pub(crate) static LINT_BLOCKING_MAX_SIZE: Setting<u64> = Setting {
    about: About {
        name: "lint size limit",
        flag: Some("--lint-blocking-max-size"),
        value_name: "SIZE",
        env: "SLIPWAY_LINT_BLOCKING_MAX_SIZE",
        file_key: Some("lint_blocking_max_size"),
        default: Some("64MiB"),
        help: "In `warn` mode, a statement that holds its lock while it scans or rewrites a table \
               larger than this fails the release.",
        expected: "a size such as 64MiB, 1GiB or 500000 (bytes)",
        ..NONE
    },
    parse: parse_size,
    default: || 64 << 20,
};

pub(crate) static LINT_RULES: Setting<lint::RuleChoice> = Setting {
    about: About {
        name: "lint rules",
        flag: Some("--lint-rules"),
        value_name: "RULES",
        env: "SLIPWAY_LINT_RULES",
        file_key: Some("lint_rules"),
        default_note: "squawk's rules less its style rules",
        help: "squawk rules to turn on (its style rules, prefer-identity, prefer-bigint-over-int, \
               prefer-bigint-over-smallint, prefer-text-field, prefer-timestamp-tz and \
               ban-char-field, are off; so are the ones squawk leaves opt-in) or, with a leading \
               `-`, off: e.g. `prefer-identity,-ban-drop-column`. The build's lint reads it too.",
        expected: "squawk rule names separated by commas, each turned off by a leading `-`",
        ..NONE
    },
    parse: lint::RuleChoice::parse,
    default: lint::RuleChoice::default,
};

pub(crate) static FORMAT: Setting<Format> = Setting {
    about: About {
        name: "output",
        flag: Some("--format"),
        value_name: "FORMAT",
        values: Some("human|json|github"),
        env: "SLIPWAY_FORMAT",
        default: Some("human"),
        default_note: "(`github`: `lint` only)",
        help: "Output: `human` (lines on stderr), `json` (plus one JSON document on stdout) or, \
               for `lint`, `github` (plus GitHub Actions annotations on stdout).",
        expected: "`human`, `json` or `github` (`github` only for `lint`)",
        ..NONE
    },
    parse: Format::parse,
    default: || Format::Human,
};

/// Read by `resolve` first: the file it names holds the other settings.
pub(crate) static CONFIG_FILE: Setting<String> = Setting {
    about: About {
        name: "settings file",
        flag: Some("--config"),
        value_name: "FILE",
        env: "SLIPWAY_CONFIG",
        default: Some("./slipway.toml"),
        default_note: "if present",
        help: "The settings file (./slipway.toml is read only if present).",
        ..NONE
    },
    parse: text,
    default: || slipway_contract::SETTINGS_FILE.to_owned(),
};

// The settings below are read from the environment only: the backup targets' (S3 reads the
// standard AWS variables), and where the PostgreSQL client tools are.

/// How a secret read whole (a key, a token) is registered for redaction.
fn whole_secret(value: &str) {
    redact::register_secret(value);
}

/// How `SLIPWAY_BACKUP_S3_BUCKET` (`BUCKET/PREFIX`, no scheme) is registered for redaction.
fn bucket_secrets(value: &str) {
    redact::register_url_secrets(&format!("s3://{}", value.trim()));
}

/// The value as given, as an optional setting.
// A `Setting`'s parser returns a `Result`, even when nothing can fail.
#[allow(clippy::unnecessary_wraps)]
fn some_text(text: &str) -> Result<Option<String>, String> {
    Ok(Some(text.to_owned()))
}

/// The value as given, kept as a secret.
#[allow(clippy::unnecessary_wraps)]
fn some_secret(text: &str) -> Result<Option<Secret>, String> {
    Ok(Some(Secret::new(text.to_owned())))
}

/// diesel CLI's own variable: read (after slipway's settings, before diesel.toml) so that a
/// Diesel app migrates the folder diesel CLI would.
pub(crate) static DIESEL_MIGRATION_DIRECTORY: Setting<String> = Setting {
    about: About {
        name: "diesel CLI's migrations folder",
        env: "MIGRATION_DIRECTORY",
        default_note: "Diesel apps: after slipway's own settings, before `diesel.toml`",
        help: "diesel CLI's migrations folder variable, honoured for Diesel apps as diesel CLI \
               honours it.",
        ..NONE
    },
    parse: text,
    default: String::new,
};

/// diesel CLI's own variable: the `diesel.toml` to read.
pub(crate) static DIESEL_CONFIG_FILE: Setting<String> = Setting {
    about: About {
        name: "diesel CLI's config file",
        env: "DIESEL_CONFIG_FILE",
        default_note: "`./diesel.toml`",
        help: "The diesel.toml diesel CLI reads, honoured as diesel CLI honours it.",
        ..NONE
    },
    parse: text,
    default: String::new,
};

pub(crate) static PG_BIN_DIR: Setting<Option<PathBuf>> = Setting {
    about: About {
        name: "pg tools folder",
        env: "SLIPWAY_PG_BIN_DIR",
        default_note: "`pg_dump`/`pg_restore` on `PATH`",
        help: "The folder of pg_dump and pg_restore, which backups and restores run.",
        ..NONE
    },
    parse: |text| Ok(Some(PathBuf::from(text))),
    default: || None,
};

pub(crate) static S3_BUCKET: Setting<Option<S3Location>> = Setting {
    about: About {
        name: "S3 bucket on a dyno",
        value_name: "BUCKET[/PREFIX]",
        env: "SLIPWAY_BACKUP_S3_BUCKET",
        default_note: "see [Backups](#backups)",
        help: "`BUCKET` or `BUCKET/PREFIX`: the target on a dyno when SLIPWAY_BACKUP is unset \
               and HEROKU_API_KEY is not set.",
        secret: Some(bucket_secrets),
        expected: "`BUCKET` or `BUCKET/PREFIX`, without credentials",
        ..NONE
    },
    parse: |text| S3Location::from_bucket_and_prefix(text).map(Some),
    default: || None,
};

pub(crate) static AWS_ACCESS_KEY_ID: Setting<Option<String>> = Setting {
    about: About {
        name: "S3 access key id",
        env: "AWS_ACCESS_KEY_ID",
        default_note: "none: required for S3",
        help: "The S3 access key id.",
        ..NONE
    },
    parse: some_text,
    default: || None,
};

pub(crate) static AWS_SECRET_ACCESS_KEY: Setting<Option<Secret>> = Setting {
    about: About {
        name: "S3 secret access key",
        env: "AWS_SECRET_ACCESS_KEY",
        default_note: "none: required for S3",
        help: "The S3 secret access key.",
        secret: Some(whole_secret),
        ..NONE
    },
    parse: some_secret,
    default: || None,
};

pub(crate) static AWS_SESSION_TOKEN: Setting<Option<Secret>> = Setting {
    about: About {
        name: "S3 session token",
        env: "AWS_SESSION_TOKEN",
        default_note: "none (temporary credentials need it)",
        help: "The session token of temporary S3 credentials.",
        secret: Some(whole_secret),
        ..NONE
    },
    parse: some_secret,
    default: || None,
};

pub(crate) static AWS_REGION: Setting<Option<String>> = Setting {
    about: About {
        name: "S3 region",
        env: "AWS_REGION",
        default_note: "`AWS_DEFAULT_REGION`, else `us-east-1`",
        help: "The bucket's region (unset: AWS_DEFAULT_REGION, else us-east-1).",
        ..NONE
    },
    parse: some_text,
    default: || None,
};

pub(crate) static AWS_DEFAULT_REGION: Setting<Option<String>> = Setting {
    about: About {
        name: "S3 region (fallback)",
        env: "AWS_DEFAULT_REGION",
        default_note: "`us-east-1`",
        help: "The bucket's region, when AWS_REGION is unset.",
        ..NONE
    },
    parse: some_text,
    default: || None,
};

pub(crate) static S3_ENDPOINT: Setting<Option<String>> = Setting {
    about: About {
        name: "S3 endpoint",
        env: "SLIPWAY_BACKUP_S3_ENDPOINT",
        default_note: "AWS",
        help: "The endpoint of a non-AWS store (MinIO, R2, B2, ...).",
        secret: Some(redact::register_url_secrets),
        expected: "an http:// or https:// URL without credentials, such as https://s3.example.com",
        ..NONE
    },
    parse: |text| s3::parse_endpoint(text).map(Some),
    default: || None,
};

pub(crate) static S3_PATH_STYLE: Setting<Option<bool>> = Setting {
    about: About {
        name: "S3 path-style requests",
        env: "SLIPWAY_BACKUP_S3_PATH_STYLE",
        default_note: "`true` when an endpoint is set, else `false`",
        help: "`true` or `false`: path-style requests (most non-AWS stores need them; unset: \
               `true` when SLIPWAY_BACKUP_S3_ENDPOINT is set, else `false`).",
        expected: "`true` or `false`",
        ..NONE
    },
    parse: |text| s3::parse_bool(text).map(Some),
    default: || None,
};

pub(crate) static S3_PART_SIZE: Setting<usize> = Setting {
    about: About {
        name: "S3 part size",
        env: "SLIPWAY_BACKUP_S3_PART_SIZE",
        default: Some("16MiB"),
        default_note: "(S3 allows 10,000 parts: 16 MiB parts hold 160 GB)",
        help: "The multipart upload's part size, 5MiB to 5GiB.",
        expected: "a size from 5MiB to 5GiB, such as 16MiB",
        ..NONE
    },
    parse: s3::parse_part_size,
    default: || s3::DEFAULT_PART_SIZE,
};

pub(crate) static HEROKU_API_KEY: Setting<Option<Secret>> = Setting {
    about: About {
        name: "Heroku API key",
        env: "HEROKU_API_KEY",
        default_note: "none: required for `heroku`",
        help: "An API key that can manage the app's add-ons, for Heroku PGBackups.",
        secret: Some(whole_secret),
        ..NONE
    },
    parse: some_secret,
    default: || None,
};

pub(crate) static HEROKU_APP: Setting<Option<String>> = Setting {
    about: About {
        name: "Heroku app",
        env: "SLIPWAY_HEROKU_APP",
        default_note: "`HEROKU_APP_NAME`",
        help: "The app whose database Heroku PGBackups backs up (unset: HEROKU_APP_NAME).",
        ..NONE
    },
    parse: some_text,
    default: || None,
};

pub(crate) static HEROKU_APP_NAME: Setting<Option<String>> = Setting {
    about: About {
        name: "Heroku app (dyno metadata)",
        env: "HEROKU_APP_NAME",
        default_note: "set by `heroku labs:enable runtime-dyno-metadata`",
        help: "The app, as dyno metadata names it, when SLIPWAY_HEROKU_APP is unset.",
        ..NONE
    },
    parse: some_text,
    default: || None,
};

pub(crate) static HEROKU_CAPTURE_TIMEOUT: Setting<Duration> = Setting {
    about: About {
        name: "Heroku capture timeout",
        env: "SLIPWAY_HEROKU_CAPTURE_TIMEOUT",
        default: Some("40m"),
        default_note: "(`0`: no limit)",
        help: "The longest wait for a Heroku PGBackups capture, retries included (the release \
               phase has one hour).",
        expected: DURATION_EXPECTED,
        ..NONE
    },
    parse: heroku::parse_capture_timeout,
    default: || heroku::DEFAULT_CAPTURE_TIMEOUT,
};

pub(crate) static HEROKU_POLL_INTERVAL: Setting<Duration> = Setting {
    about: About {
        name: "Heroku poll interval",
        env: "SLIPWAY_HEROKU_POLL_INTERVAL",
        default: Some("3s"),
        help: "The time between two polls of a Heroku PGBackups transfer.",
        expected: "a duration from 1ms, such as 3s",
        ..NONE
    },
    parse: heroku::parse_poll_interval,
    default: || heroku::DEFAULT_POLL_INTERVAL,
};

pub(crate) static HEROKU_API_URL: Setting<Option<Url>> = Setting {
    about: About {
        name: "Heroku API URL (tests only)",
        env: "SLIPWAY_HEROKU_API_URL",
        default_note: "`https://api.heroku.com`",
        help: "For tests only: the Platform API's base URL (https, or http on 127.0.0.1).",
        secret: Some(redact::register_url_secrets),
        expected: "an https URL (http only on 127.0.0.1) without credentials",
        ..NONE
    },
    parse: |text| heroku::parse_api_url(text).map(Some),
    default: || None,
};

pub(crate) static HEROKU_DATA_API_URL: Setting<Option<Url>> = Setting {
    about: About {
        name: "Heroku data API URL (tests only)",
        env: "SLIPWAY_HEROKU_DATA_API_URL",
        default_note: "`https://api.data.heroku.com`",
        help: "For tests only: the Postgres data API's base URL (https, or http on 127.0.0.1).",
        secret: Some(redact::register_url_secrets),
        expected: "an https URL (http only on 127.0.0.1) without credentials",
        ..NONE
    },
    parse: |text| heroku::parse_api_url(text).map(Some),
    default: || None,
};

/// Every setting, in the order of `--help`, the README's table and the
/// resolution (which decides which of two bad values is reported).
pub(crate) static ALL: [&dyn Declared; 38] = [
    &DATABASE_URL,
    &MIGRATIONS_DIR,
    &MIGRATIONS_FORMAT,
    &MIGRATE_COMMAND,
    &BACKUP,
    &BACKUP_COMPRESSION,
    &BACKUP_KEEP,
    &PGVECTOR,
    &PGVECTOR_MIN_VERSION,
    &LOCK_WAIT,
    &LOCK_TIMEOUT,
    &LOCK_RETRIES,
    &STATEMENT_TIMEOUT,
    &CONNECT_TIMEOUT,
    &LINT,
    &LINT_BLOCKING_MAX_SIZE,
    &LINT_RULES,
    &FORMAT,
    &CONFIG_FILE,
    &DIESEL_MIGRATION_DIRECTORY,
    &DIESEL_CONFIG_FILE,
    &PG_BIN_DIR,
    &S3_BUCKET,
    &AWS_ACCESS_KEY_ID,
    &AWS_SECRET_ACCESS_KEY,
    &AWS_SESSION_TOKEN,
    &AWS_REGION,
    &AWS_DEFAULT_REGION,
    &S3_ENDPOINT,
    &S3_PATH_STYLE,
    &S3_PART_SIZE,
    &HEROKU_API_KEY,
    &HEROKU_APP,
    &HEROKU_APP_NAME,
    &HEROKU_CAPTURE_TIMEOUT,
    &HEROKU_POLL_INTERVAL,
    &HEROKU_API_URL,
    &HEROKU_DATA_API_URL,
];

/// The keys `slipway.toml` accepts, in the table's order. `database_url` is
/// not one of them: a committed file must not hold a password, so it is
/// refused with a message of its own and never offered.
pub(crate) fn file_keys() -> impl Iterator<Item = &'static str> {
    ALL.iter().filter_map(|setting| setting.about().file_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default `--help` and the README show is the one the code uses.
    #[test]
    fn each_documented_default_is_the_default_value() {
        fn same<T: PartialEq + std::fmt::Debug>(setting: &Setting<T>) {
            let shown = setting.about.default.unwrap();
            assert_eq!(
                (setting.parse)(shown).unwrap(),
                (setting.default)(),
                "{}",
                setting.about.name
            );
        }
        same(&BACKUP_KEEP);
        same(&BACKUP_COMPRESSION);
        same(&PGVECTOR);
        same(&LOCK_WAIT);
        same(&LOCK_TIMEOUT);
        same(&LOCK_RETRIES);
        same(&STATEMENT_TIMEOUT);
        same(&CONNECT_TIMEOUT);
        same(&LINT);
        same(&LINT_BLOCKING_MAX_SIZE);
        same(&FORMAT);
        same(&S3_PART_SIZE);
        same(&HEROKU_CAPTURE_TIMEOUT);
        same(&HEROKU_POLL_INTERVAL);
        assert_eq!((BACKUP.default)(), None);
        assert_eq!((PGVECTOR_MIN_VERSION.default)(), None);
    }

    #[test]
    fn the_lint_rules_help_names_each_style_rule_as_squawk_does() {
        for rule in lint::STYLE_RULES {
            assert!(LINT_RULES.about.help.contains(&rule.to_string()), "{rule}");
        }
    }

    #[test]
    fn the_file_accepts_every_key_once_and_never_database_url() {
        let keys: Vec<&str> = file_keys().collect();
        let mut unique = keys.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), keys.len());
        assert_eq!(keys.len(), 16);
        assert!(!keys.contains(&"database_url"));
    }
}
