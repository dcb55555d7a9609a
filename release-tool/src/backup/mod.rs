//! Backups: where they go (a *target*), and the `pg_dump`/`pg_restore` tools.
//!
//! # How a target slots in
//!
//! A target is a type that implements [`BackupTarget`]: `create` a backup of a
//! database under a name, `list` the target's backups (oldest first), `restore`
//! one by name into a database, and `prune` all but the newest `keep`.
//!
//! - A target that stores a `pg_dump -Fc` archive somewhere (a folder, object
//!   storage) uses [`pg_tools::PgTools`]: `spawn_dump` starts `pg_dump` and
//!   hands over its stdout, so the archive can be streamed (for instance into
//!   a multipart upload) without a local copy; `list_archive` verifies an
//!   archive with `pg_restore --list`; `restore_archive` restores one. These
//!   pass the password through `PGPASSWORD`, never on the command line.
//!   `check_versions` refuses tools older than the server.
//! - A target whose service takes backups itself (Heroku PGBackups) needs no
//!   local tool: its `create` asks the service for a capture and waits.
//!
//! To add one:
//! 1. add a variant to [`TargetSpec`] and its syntax to [`TargetSpec::parse`]
//!    (and to the help text of `--backup` in `cli.rs` and the README);
//! 2. implement [`BackupTarget`] in its own file next to `file.rs`;
//! 3. build it in [`select`], and extend [`default_spec`] if it can be chosen
//!    automatically (for instance from the environment on a dyno);
//! 4. give its errors a variant in [`BackupError`] and their message in
//!    `errors.rs`. Register any secret with `redact::register_secret` as soon
//!    as it is read.
//!
//! `none` is not a target: it turns backups off, and says so loudly.

pub(crate) mod errors;
mod file;
pub(crate) mod heroku;
pub(crate) mod interrupt;
mod names;
pub(crate) mod pg_tools;
pub(crate) mod s3;
mod select;

pub(crate) use names::{backup_name, backup_time, is_dump_name, later_name, legacy_sequence};

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;

use crate::db::DatabaseUrl;
pub(crate) use file::FileTarget;
pub(crate) use heroku::{HerokuEnv, HerokuError, HerokuTarget};
pub(crate) use pg_tools::{Compression, ToolSettings};
pub(crate) use s3::{S3Env, S3Error, S3Location, S3Target};
#[cfg(test)]
use select::default_spec;
pub(crate) use select::{TargetOptions, select, select_with};

/// Where backups go when nothing is configured and we are not on a dyno.
pub(crate) const DEFAULT_LOCAL_DIR: &str = "./.slipway/backups";

/// The database a target backs up or restores into.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Database<'a> {
    pub(crate) url: &'a DatabaseUrl,
    pub(crate) name: &'a str,
    /// The server's major version; `pg_dump` must be at least this.
    pub(crate) server_major: u32,
    pub(crate) connect_timeout: Duration,
    /// How long `pg_dump` may wait for a table lock (the `lock_timeout`
    /// setting); zero waits forever.
    pub(crate) lock_timeout: Duration,
}

/// One stored backup.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct BackupRecord {
    pub(crate) name: String,
    /// Where it is, for people (never with credentials).
    pub(crate) location: String,
    pub(crate) size_bytes: Option<u64>,
    /// How many entries `pg_restore --list` found, when it was verified.
    pub(crate) verified_entries: Option<usize>,
    /// When it was taken (RFC 3339, UTC), when the target records it.
    pub(crate) created_at: Option<String>,
    /// The migrations that were pending when it was taken, when recorded.
    pub(crate) pending_versions: Option<Vec<crate::migrations::Version>>,
    /// The database it is a backup of, exactly as recorded when it was taken
    /// (`None` for a backup that records none: an older version's, or a
    /// service's such as Heroku PGBackups, which keeps one list per database).
    pub(crate) database: Option<String>,
}

impl BackupRecord {
    /// Whether this is a backup of `database`, among the backups `listed`
    /// with it. The recorded database decides; only a backup that records
    /// none is read by its name (see [`names::is_unambiguous_backup_of`]).
    pub(crate) fn is_of(&self, database: &str, listed: &BTreeSet<&str>) -> bool {
        match &self.database {
            Some(recorded) => recorded == database,
            None => names::is_unambiguous_backup_of(&self.name, database, listed),
        }
    }
}

/// A place backups go. See the module documentation.
#[async_trait]
pub(crate) trait BackupTarget: Send + Sync {
    /// The target for people, e.g. `file:./.slipway/backups` (no secrets).
    fn describe(&self) -> String;
    /// Refuses what `create` would refuse before it starts that can be told without a
    /// database (`plan` asks): a compression the installed `pg_dump` cannot write.
    async fn preflight(&self) -> Result<(), BackupError> {
        Ok(())
    }
    /// Takes a backup of `db` named `name`, verifies it, and returns it.
    async fn create(&self, db: &Database<'_>, name: &str) -> Result<BackupRecord, BackupError>;
    /// The target's backups, oldest first.
    async fn list(&self) -> Result<Vec<BackupRecord>, BackupError>;
    /// Restores the backup `name` (as `list` names it) into `db`.
    async fn restore(&self, name: &str, db: &Database<'_>) -> Result<(), BackupError>;
    /// Deletes all but the newest `keep` backups of `database`; returns the
    /// deleted ones. Backups of other databases sharing the target are never
    /// touched (see [`BackupRecord::is_of`]).
    async fn prune(&self, keep: usize, database: &str) -> Result<Vec<BackupRecord>, BackupError>;
}

/// `SLIPWAY_BACKUP`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TargetSpec {
    /// Backups are off.
    None,
    /// `file:DIR`: archives in a local folder.
    File(PathBuf),
    /// `s3://BUCKET/PREFIX`: archives in an S3-compatible bucket.
    S3(S3Location),
    /// `heroku`: Heroku PGBackups captures.
    Heroku,
}

impl TargetSpec {
    /// Parses `none` or `file:DIR`.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("none") {
            return Ok(TargetSpec::None);
        }
        if let Some(dir) = text.strip_prefix("file:") {
            if dir.is_empty() {
                return Err("`file:` needs a folder, e.g. file:./backups".to_owned());
            }
            return Ok(TargetSpec::File(PathBuf::from(dir)));
        }
        if text.eq_ignore_ascii_case("heroku") {
            return Ok(TargetSpec::Heroku);
        }
        if text.starts_with("s3://") {
            return S3Location::parse(text).map(TargetSpec::S3);
        }
        Err("unknown backup target".to_owned())
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum BackupError {
    #[error("no backup target is configured, and this is a dyno")]
    NotConfiguredOnDyno,
    #[error("backups are turned off (SLIPWAY_BACKUP=none)")]
    Disabled,
    #[error("`{tool}` was not found in {searched}")]
    ToolMissing {
        tool: &'static str,
        searched: String,
    },
    #[error("`{tool}` is version {tool_major}, older than the server's {server_major}")]
    ToolTooOld {
        tool: &'static str,
        tool_major: u32,
        server_major: u32,
    },
    #[error(
        "pg_dump {pg_dump_major} cannot write {method} archives (SLIPWAY_BACKUP_COMPRESSION): they came with pg_dump 16"
    )]
    CompressionUnsupported {
        method: &'static str,
        pg_dump_major: u32,
    },
    #[error("`{tool} --version` printed {output:?}, which has no version")]
    ToolVersionUnreadable { tool: &'static str, output: String },
    #[error("`{tool}` failed ({status}): {stderr}")]
    ToolFailed {
        tool: &'static str,
        status: String,
        stderr: String,
    },
    #[error("{action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{action} failed: {}", crate::errors::db_error(source))]
    Database {
        action: &'static str,
        source: sqlx::Error,
    },
    #[error("interrupted by {signal}: the partial backup was removed")]
    Interrupted { signal: &'static str },
    #[error("interrupted by {signal} during the restore from {target}")]
    RestoreInterrupted {
        signal: &'static str,
        target: String,
    },
    #[error("there is no backup named {name:?} in {target}")]
    NotFound { name: String, target: String },
    #[error("{target} has no backups yet")]
    NoBackups { target: String },
    #[error(
        "the newest backup of this database is {chosen}, but newer ones record no database ({}), \
         so `latest` cannot be sure",
        newer.join(", ")
    )]
    LatestUncertain { chosen: String, newer: Vec<String> },
    #[error("{0}")]
    UnsupportedConnection(String),
    #[error(transparent)]
    S3(#[from] S3Error),
    #[error(transparent)]
    Heroku(#[from] HerokuError),
}

/// What the backup targets read from the environment, parsed. The settings table
/// (`config/table.rs`) declares each variable; the targets receive the values.
#[derive(Debug, Clone, Default)]
pub(crate) struct BackupEnv {
    pub(crate) s3: S3Env,
    pub(crate) heroku: HerokuEnv,
    /// `SLIPWAY_BACKUP_S3_BUCKET`: the target on a dyno when `SLIPWAY_BACKUP` is unset and
    /// `HEROKU_API_KEY` is not set.
    pub(crate) s3_bucket: Option<S3Location>,
    /// Where `pg_dump` and `pg_restore` are, and how dumps are compressed.
    pub(crate) tools: ToolSettings,
}

/// `name`, or for `latest` the name of the newest backup of `database`.
pub(crate) async fn resolve_name(
    target: &dyn BackupTarget,
    name: &str,
    database: &str,
) -> Result<String, BackupError> {
    if name != "latest" {
        return Ok(name.to_owned());
    }
    let listed = target.list().await?;
    let names: BTreeSet<&str> = listed.iter().map(|r| r.name.as_str()).collect();
    let Some(latest) = listed
        .iter()
        .rposition(|record| record.is_of(database, &names))
    else {
        return Err(BackupError::NoBackups {
            target: target.describe(),
        });
    };
    // A newer slipway dump that records no database may be this database's
    // newest (its manifest lost to a crash, or an older version's): `latest`
    // would silently be an older one.
    let unknown: Vec<String> = listed[latest + 1..]
        .iter()
        .filter(|record| {
            record.database.is_none() && names::may_be_backup_of(&record.name, database, &names)
        })
        .map(|record| record.name.clone())
        .collect();
    if !unknown.is_empty() {
        return Err(BackupError::LatestUncertain {
            chosen: listed[latest].name.clone(),
            newer: unknown,
        });
    }
    Ok(listed[latest].name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        assert_eq!(TargetSpec::parse("none"), Ok(TargetSpec::None));
        assert_eq!(
            TargetSpec::parse("file:/tmp/b"),
            Ok(TargetSpec::File(PathBuf::from("/tmp/b")))
        );
        assert!(TargetSpec::parse("file:").is_err());
        assert!(TargetSpec::parse("ftp://x").is_err());
        assert_eq!(
            TargetSpec::parse("s3://bucket/backups/app"),
            Ok(TargetSpec::S3(
                S3Location::parse("s3://bucket/backups/app").unwrap()
            ))
        );
        assert!(TargetSpec::parse("s3://Not_A_Bucket").is_err());
        assert_eq!(TargetSpec::parse("heroku"), Ok(TargetSpec::Heroku));
    }

    #[test]
    fn default_is_a_local_folder_off_a_dyno_and_an_error_on_one() {
        let unset = BackupEnv::default();
        assert_eq!(
            default_spec(false, &unset).unwrap(),
            TargetSpec::File(PathBuf::from(DEFAULT_LOCAL_DIR))
        );
        assert!(matches!(
            default_spec(true, &unset),
            Err(BackupError::NotConfiguredOnDyno)
        ));
    }

    #[test]
    fn on_a_dyno_the_default_is_heroku_then_s3() {
        let bucket = S3Location::from_bucket_and_prefix("my-bucket/app").unwrap();
        let with_key = HerokuEnv {
            api_key: Some(crate::redact::Secret::new("k".to_owned())),
            ..HerokuEnv::default()
        };
        let both = BackupEnv {
            heroku: with_key.clone(),
            s3_bucket: Some(bucket.clone()),
            ..BackupEnv::default()
        };
        assert_eq!(default_spec(true, &both).unwrap(), TargetSpec::Heroku);
        let only_bucket = BackupEnv {
            s3_bucket: Some(bucket.clone()),
            ..BackupEnv::default()
        };
        assert_eq!(
            default_spec(true, &only_bucket).unwrap(),
            TargetSpec::S3(bucket)
        );
        // Off a dyno the local folder wins whatever is set.
        assert_eq!(
            default_spec(false, &both).unwrap(),
            TargetSpec::File(PathBuf::from(DEFAULT_LOCAL_DIR))
        );
    }
}
