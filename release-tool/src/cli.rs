//! The command line: the subcommands, and the settings' flags (declared with
//! their variables and defaults in `config/table.rs`).

// These doc comments are the `--help` text, where backticks would print as-is.
#![allow(clippy::doc_markdown)]

use clap::{Parser, Subcommand};

pub(crate) use crate::config::SettingArgs;

/// Release-phase migrations for PostgreSQL + pgvector: backed up, locked,
/// checked, never half applied.
///
/// Settings are read from the flag, then the environment variable, then
/// `slipway.toml` (in the current directory, or `--config`), then the default.
/// A duration of `0` means no limit, for every timeout setting.
/// `sqlx.toml` in the current directory is read as sqlx 0.9.1 reads it: its
/// `[migrate]` table-name, ignored-chars, create-schemas and
/// unrecognized-sql-files apply, and its migrations-dir comes after slipway's
/// own settings.
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
        // A database name may start with `-`: it is the value, not another flag.
        #[arg(long, value_name = "DATABASE_NAME", allow_hyphen_values = true)]
        confirm: Option<String>,
        /// For the `heroku` target: restore through Heroku's data API (what
        /// `heroku pg:backups:restore` does). Without it, slipway prints that
        /// command and restores nothing.
        #[arg(long)]
        yes_use_heroku_restore: bool,
    },
}
