//! The command line: subcommands and every setting, with its environment
//! variable and default. `config.rs` turns these raw strings into settings.

// These doc comments are the `--help` text, where backticks would print as-is.
#![allow(clippy::doc_markdown)]

use clap::{Args, Parser, Subcommand};

/// Release-phase migrations for PostgreSQL + pgvector: backed up, locked,
/// checked, never half applied.
///
/// Settings are read from the flag, then the environment variable, then
/// `slipway.toml` (in the current directory, or `--config`), then the default.
/// A duration of `0` means no limit, for every timeout setting.
/// `sqlx.toml` in the current directory is read as sqlx 0.9 reads it: its
/// `[migrate]` table-name, ignored-chars and create-schemas apply, and its
/// migrations-dir comes after slipway's own settings.
/// Backups and restores run pg_dump and pg_restore from SLIPWAY_PG_BIN_DIR,
/// else from PATH.
///
/// Exit codes: 0 ok, 1 internal error (a bug: please report it), 2 usage or
/// config, 3 cannot connect, 4 lock not acquired in time, 5 backup or restore
/// failed (no migration ran), 6 drift or unusable migration history,
/// 7 a migration failed (nothing of it applied), 8 an extension or schema
/// check failed, 9 lint found unsafe migrations, 10 a migration applied and
/// recorded but its execution time not stored, 11 a `-- no-transaction`
/// migration applied but not recorded, 12 the connection failed during a
/// migration's COMMIT (committed with its row or not at all), 13 a Heroku API
/// restore did not finish (the database may be partly restored).
#[derive(Debug, Parser)]
#[command(name = "slipway-release", version, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,

    #[command(flatten)]
    pub(crate) settings: SettingArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// The release flow: connect, lock, plan, check pgvector (read-only), back
    /// up (only when something will change and the database has tables), then
    /// create or update pgvector, migrate, check.
    Run,
    /// Show what `run` would do, changing nothing: pending migrations, drift,
    /// the pgvector action and whether a backup would be taken.
    Plan,
    /// Lint migrations with squawk's rules. With a database (DATABASE_URL),
    /// only the pending ones, each finding with its table's live size; without
    /// one (or with --offline), every up-migration, or the FILEs given.
    /// Exits 9 when a finding would stop the release (see --lint).
    Lint {
        /// Files to lint instead of the migrations folder.
        #[arg(value_name = "FILE")]
        files: Vec<std::path::PathBuf>,
        /// Do not connect, even when DATABASE_URL is set: lint every up-migration.
        #[arg(long)]
        offline: bool,
    },
    /// Run the extension and schema checks alone (pgvector version and smoke
    /// query, INVALID indexes).
    Check,
    /// Take a backup now, to the configured target (or list its backups).
    Backup {
        /// List the target's backups instead of taking one.
        #[arg(long)]
        list: bool,
    },
    /// List the configured target's backups, oldest first: name, time, size,
    /// pending versions, location (same as `backup --list`).
    Backups,
    /// Restore a backup into the database. Replaces the objects in the
    /// backup; refuses unless `--confirm` names the database.
    Restore {
        /// The backup's name as `backup --list` prints it, or `latest`.
        /// For a `file:` target, a path to a `.dump` file also works.
        #[arg(value_name = "BACKUP")]
        name: String,
        /// The name of the database being overwritten, to confirm.
        #[arg(long, value_name = "DATABASE_NAME")]
        confirm: Option<String>,
        /// For the `heroku` target: restore through Heroku's data API (what
        /// `heroku pg:backups:restore` does). Without it, slipway prints that
        /// command and restores nothing.
        #[arg(long)]
        yes_use_heroku_restore: bool,
    },
}

/// Every setting. Values stay strings here so that `config.rs` can name where
/// a bad value came from (flag, environment variable or `slipway.toml` line).
#[derive(Debug, Args)]
pub(crate) struct SettingArgs {
    /// PostgreSQL URL, decoded as sqlx decodes it (a `+` stays a `+`; `dbname=` and
    /// `password=` parameters win; PGPASSWORD when it has no password). `sslmode` and
    /// `sslrootcert` in the URL are honoured.
    /// [env: DATABASE_URL] (no default; not read from slipway.toml)
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        hide_env = true,
        hide_env_values = true
    )]
    pub(crate) database_url: Option<String>,

    /// Folder of sqlx migrations. [env: SLIPWAY_MIGRATIONS_DIR] [default: ./migrations]
    /// (migrations_dir in slipway.toml, then migrations-dir in sqlx.toml, come before the default)
    #[arg(
        long = "migrations",
        value_name = "DIR",
        global = true,
        env = "SLIPWAY_MIGRATIONS_DIR",
        hide_env = true
    )]
    pub(crate) migrations_dir: Option<String>,

    /// Backup target: `file:DIR`, `s3://BUCKET/PREFIX`, `heroku` (Heroku
    /// PGBackups) or `none`. Unset: `file:./.slipway/backups` off a dyno; on a
    /// dyno (DYNO is set) `heroku` when HEROKU_API_KEY is set, else S3 when
    /// SLIPWAY_BACKUP_S3_BUCKET is set, else an error (exit 5).
    /// S3 reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
    /// (temporary credentials), AWS_REGION (or AWS_DEFAULT_REGION),
    /// SLIPWAY_BACKUP_S3_ENDPOINT (non-AWS stores), SLIPWAY_BACKUP_S3_PATH_STYLE
    /// and SLIPWAY_BACKUP_S3_PART_SIZE [default: 16MiB]. `heroku` reads
    /// HEROKU_API_KEY, HEROKU_APP_NAME or SLIPWAY_HEROKU_APP,
    /// SLIPWAY_HEROKU_CAPTURE_TIMEOUT [default: 40m; `0`: no limit] and
    /// SLIPWAY_HEROKU_POLL_INTERVAL [default: 3s].
    /// [env: SLIPWAY_BACKUP]
    #[arg(
        long,
        value_name = "TARGET",
        global = true,
        env = "SLIPWAY_BACKUP",
        hide_env = true,
        hide_env_values = true
    )]
    pub(crate) backup: Option<String>,

    /// How many slipway backups to keep in the target (older ones are pruned
    /// after a successful backup). [env: SLIPWAY_BACKUP_KEEP] [default: 10]
    #[arg(
        long,
        value_name = "N",
        global = true,
        env = "SLIPWAY_BACKUP_KEEP",
        hide_env = true
    )]
    pub(crate) backup_keep: Option<String>,

    /// `off`, `auto` (ensure the extension when the migrations use it, it is
    /// installed, or a minimum version is set) or `required`.
    /// [env: SLIPWAY_PGVECTOR] [default: auto]
    #[arg(
        long,
        value_name = "MODE",
        global = true,
        env = "SLIPWAY_PGVECTOR",
        hide_env = true
    )]
    pub(crate) pgvector: Option<String>,

    /// Minimum pgvector version, e.g. 0.7.0. Unset: derived from the
    /// migrations (hnsw 0.5.0; halfvec, sparsevec, bit indexes 0.7.0;
    /// iterative scans 0.8.0). [env: SLIPWAY_PGVECTOR_MIN_VERSION]
    #[arg(
        long,
        value_name = "X.Y.Z",
        global = true,
        env = "SLIPWAY_PGVECTOR_MIN_VERSION",
        hide_env = true
    )]
    pub(crate) pgvector_min_version: Option<String>,

    /// How long to wait for the migration lock (held by another release or an
    /// app running `sqlx::migrate!()`; `0`: no limit). [env: SLIPWAY_LOCK_WAIT] [default: 5m]
    #[arg(
        long,
        value_name = "DURATION",
        global = true,
        env = "SLIPWAY_LOCK_WAIT",
        hide_env = true
    )]
    pub(crate) lock_wait: Option<String>,

    /// PostgreSQL `lock_timeout` for migration statements (`0`: no limit).
    /// [env: SLIPWAY_LOCK_TIMEOUT] [default: 10s]
    #[arg(
        long,
        value_name = "DURATION",
        global = true,
        env = "SLIPWAY_LOCK_TIMEOUT",
        hide_env = true
    )]
    pub(crate) lock_timeout: Option<String>,

    /// How many times a migration that failed on `lock_timeout` is retried,
    /// with backoff (1s, 2s, 4s, ... up to 30s), within the lock wait; each
    /// attempt prints the session that blocked it. Only transactional
    /// migrations, which rolled back: never `-- no-transaction` ones.
    /// [env: SLIPWAY_LOCK_RETRIES] [default: 3]
    #[arg(
        long,
        value_name = "N",
        global = true,
        env = "SLIPWAY_LOCK_RETRIES",
        hide_env = true
    )]
    pub(crate) lock_retries: Option<String>,

    /// PostgreSQL `statement_timeout` for migration statements (`0`: no limit).
    /// [env: SLIPWAY_STATEMENT_TIMEOUT] [default: 30m]
    #[arg(
        long,
        value_name = "DURATION",
        global = true,
        env = "SLIPWAY_STATEMENT_TIMEOUT",
        hide_env = true
    )]
    pub(crate) statement_timeout: Option<String>,

    /// How long to wait for the database connection (`0`: no limit).
    /// [env: SLIPWAY_CONNECT_TIMEOUT] [default: 10s]
    #[arg(
        long,
        value_name = "DURATION",
        global = true,
        env = "SLIPWAY_CONNECT_TIMEOUT",
        hide_env = true
    )]
    pub(crate) connect_timeout: Option<String>,

    /// Output: `human` (lines on stderr), `json` (plus one JSON document on
    /// stdout) or, for `lint`, `github` (plus GitHub Actions annotations on
    /// stdout). [env: SLIPWAY_FORMAT] [default: human]
    #[arg(
        long,
        value_name = "FORMAT",
        global = true,
        env = "SLIPWAY_FORMAT",
        hide_env = true
    )]
    pub(crate) format: Option<String>,

    /// The lint step of `plan` and `run`: `off`, `warn` (print findings; fail
    /// only for a blocking statement on a table larger than
    /// --lint-blocking-max-size) or `error` (every finding fails, exit 9).
    /// [env: SLIPWAY_LINT] [default: warn]
    #[arg(
        long,
        value_name = "MODE",
        global = true,
        env = "SLIPWAY_LINT",
        hide_env = true
    )]
    pub(crate) lint: Option<String>,

    /// In `warn` mode, a statement that holds its lock while it scans or
    /// rewrites a table larger than this fails the release.
    /// [env: SLIPWAY_LINT_BLOCKING_MAX_SIZE] [default: 64MiB]
    #[arg(
        long,
        value_name = "SIZE",
        global = true,
        env = "SLIPWAY_LINT_BLOCKING_MAX_SIZE",
        hide_env = true
    )]
    pub(crate) lint_blocking_max_size: Option<String>,

    /// The settings file. [env: SLIPWAY_CONFIG] [default: ./slipway.toml, if present]
    #[arg(
        long = "config",
        value_name = "FILE",
        global = true,
        env = "SLIPWAY_CONFIG",
        hide_env = true
    )]
    pub(crate) config_file: Option<String>,
}
