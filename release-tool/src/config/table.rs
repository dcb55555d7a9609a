//! Every setting, declared once: its flag, environment variable,
//! `slipway.toml` key, parser, default and help line. Precedence
//! ([`super::resolve`]), the keys the file accepts, `--help`
//! ([`super::args`]), the fuzzer's file check and the README's settings table
//! ([`super::readme`]) are all read from here.

use std::str::FromStr;
use std::time::Duration;

use slipway_contract::Version;

use super::setting::{About, Declared, NONE, Setting};
use super::values::{parse_keep, parse_retries, parse_size, text};
use crate::backup::TargetSpec;
use crate::format::Format;
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
        secret: true,
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
        default_note: "(after `migrations-dir` in `sqlx.toml`)",
        help: "Folder of sqlx migrations (migrations_dir in slipway.toml, then migrations-dir in \
               sqlx.toml, come before the default).",
        ..NONE
    },
    parse: text,
    default: String::new,
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
               else an error (exit 5). S3 reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, \
               AWS_SESSION_TOKEN (temporary credentials), AWS_REGION (or AWS_DEFAULT_REGION), \
               SLIPWAY_BACKUP_S3_ENDPOINT (non-AWS stores), SLIPWAY_BACKUP_S3_PATH_STYLE and \
               SLIPWAY_BACKUP_S3_PART_SIZE [default: 16MiB]. `heroku` reads HEROKU_API_KEY, \
               HEROKU_APP_NAME or SLIPWAY_HEROKU_APP, SLIPWAY_HEROKU_CAPTURE_TIMEOUT [default: \
               40m; `0`: no limit] and SLIPWAY_HEROKU_POLL_INTERVAL [default: 3s].",
        secret: true,
        expected: "`none`, `file:DIR`, `s3://BUCKET/PREFIX` or `heroku`",
        ..NONE
    },
    parse: |text| TargetSpec::parse(text).map(Some),
    default: || None,
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

/// Read where `pg_dump` and `pg_restore` are started (the backup module), listed
/// here so that the README's table shows it with the others.
pub(crate) static PG_BIN_DIR: Setting<String> = Setting {
    about: About {
        name: "pg tools folder",
        env: "SLIPWAY_PG_BIN_DIR",
        default_note: "`pg_dump`/`pg_restore` on `PATH`",
        ..NONE
    },
    parse: text,
    default: String::new,
};

/// Every setting, in the order of `--help`, the README's table and the
/// resolution (which decides which of two bad values is reported).
pub(crate) static ALL: [&dyn Declared; 16] = [
    &DATABASE_URL,
    &MIGRATIONS_DIR,
    &BACKUP,
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
    &FORMAT,
    &CONFIG_FILE,
    &PG_BIN_DIR,
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
        same(&PGVECTOR);
        same(&LOCK_WAIT);
        same(&LOCK_TIMEOUT);
        same(&LOCK_RETRIES);
        same(&STATEMENT_TIMEOUT);
        same(&CONNECT_TIMEOUT);
        same(&LINT);
        same(&LINT_BLOCKING_MAX_SIZE);
        same(&FORMAT);
        assert_eq!((BACKUP.default)(), None);
        assert_eq!((PGVECTOR_MIN_VERSION.default)(), None);
    }

    #[test]
    fn the_file_accepts_every_key_once_and_never_database_url() {
        let keys: Vec<&str> = file_keys().collect();
        let mut unique = keys.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), keys.len());
        assert_eq!(keys.len(), 12);
        assert!(!keys.contains(&"database_url"));
    }
}
