//! What a failed backup or restore tells a person: its title, cause and fix.

use serde_json::json;

use crate::backup::{BackupError, HerokuError, S3Error};
use crate::errors::{ExitClass, Failure};

impl From<BackupError> for Failure {
    fn from(error: BackupError) -> Self {
        let cause = error.to_string();
        let backup =
            |title: &str, fix: &str| Failure::new(ExitClass::Backup, title, cause.clone(), fix);
        match &error {
            BackupError::NotConfiguredOnDyno => backup(
                "no backup target is configured",
                "Migrations are pending and the database has data, but a dyno's filesystem is thrown away after \
                 the release, so a local backup would be lost. Configure one of: (1) Heroku PGBackups: set \
                 HEROKU_API_KEY (and enable dyno metadata or set SLIPWAY_HEROKU_APP); (2) S3: set \
                 SLIPWAY_BACKUP=s3://BUCKET/PREFIX (or SLIPWAY_BACKUP_S3_BUCKET) with AWS_ACCESS_KEY_ID, \
                 AWS_SECRET_ACCESS_KEY and AWS_REGION; (3) no backup: SLIPWAY_BACKUP=none. Nothing was migrated.",
            ),
            BackupError::Disabled => Failure::new(
                ExitClass::Usage,
                "backups are turned off",
                cause.clone(),
                "Set SLIPWAY_BACKUP (or --backup) to a target such as file:./backups.",
            ),
            BackupError::RestoreInterrupted { target, .. } if target.starts_with("heroku:") => {
                Failure::new(
                    ExitClass::RestoreIncomplete,
                    "the restore was interrupted",
                    cause.clone(),
                    "slipway-release was asked to stop while it waited for Heroku's restore, which goes on \
                     on Heroku's side and is not one transaction: `heroku pg:backups` shows whether it \
                     finished. Restore again once it has, if the data is not the backup's.",
                )
            }
            BackupError::RestoreInterrupted { .. } => backup(
                "the restore was interrupted",
                "slipway-release was asked to stop and stopped pg_restore, whose one transaction \
                 (--single-transaction) then rolled back: the database is as it was. Restore again.",
            ),
            BackupError::Interrupted { .. } => backup(
                "the backup was interrupted",
                "slipway-release was asked to stop (a cancelled release or a stopping dyno) and removed the \
                 partial backup. Nothing was migrated; release again.",
            ),
            BackupError::ToolMissing { .. } => backup(
                "pg_dump / pg_restore not found",
                "Install the PostgreSQL client tools (Debian: postgresql-client), at least the server's major \
                 version, or point SLIPWAY_PG_BIN_DIR at their folder. Nothing was migrated.",
            ),
            BackupError::ToolTooOld { .. } => backup(
                "pg_dump / pg_restore are older than the server",
                "Install client tools of at least the server's major version (Debian: postgresql-client-N from \
                 apt.postgresql.org), or point SLIPWAY_PG_BIN_DIR at them. Nothing was migrated.",
            ),
            BackupError::CompressionUnsupported { .. } => Failure::new(
                ExitClass::Usage,
                "pg_dump cannot write this compression",
                cause.clone(),
                "Set SLIPWAY_BACKUP_COMPRESSION to auto or gzip:LEVEL, or install pg_dump 16 or later \
                 and point SLIPWAY_PG_BIN_DIR at its folder. Nothing was migrated.",
            ),
            BackupError::ToolVersionUnreadable { .. } => backup(
                "cannot tell the version of pg_dump / pg_restore",
                "Check that SLIPWAY_PG_BIN_DIR or PATH leads to the real PostgreSQL client tools.",
            ),
            BackupError::ToolFailed { .. } => backup(
                "the backup tool failed",
                "Read the tool's message above. Nothing was migrated; the database is as it was.",
            ),
            BackupError::Io { .. } => backup(
                "the backup could not be written or read",
                "Check that the backup folder exists or can be created, is writable, and has free space. \
                 Nothing was migrated.",
            ),
            BackupError::Database { .. } => backup(
                "deciding on the backup failed",
                "Check that the database user may read pg_class and pg_namespace. Nothing was migrated.",
            ),
            BackupError::S3(e) => target_failure(s3_fault(e), &cause),
            BackupError::Heroku(e) => target_failure(heroku_fault(e), &cause),
            BackupError::LatestUncertain { .. } => Failure::new(
                ExitClass::Usage,
                "`latest` is ambiguous",
                cause.clone(),
                "Name the backup to restore (`slipway-release backups` lists them, with the database each \
                 records); nothing was restored.",
            ),
            BackupError::UnsupportedConnection(_) => Failure::new(
                ExitClass::Usage,
                "pg_dump / pg_restore cannot connect as slipway does",
                cause.clone(),
                "Give the certificate as a file path (sslrootcert=/path/ca.pem) instead of inline PEM, or set \
                 SLIPWAY_BACKUP=none. Nothing was changed.",
            ),
            BackupError::NotFound { .. } | BackupError::NoBackups { .. } => Failure::new(
                ExitClass::Usage,
                "no such backup",
                cause.clone(),
                LIST_BACKUPS_FIX,
            ),
        }
    }
}

/// The fix of every "no such backup": the command that lists them.
const LIST_BACKUPS_FIX: &str = "List the backups with `slipway-release backups` and pass the name of a finished one (or `latest`).";

/// What a remote target's error (S3 or Heroku PGBackups) means, before it
/// becomes a [`Failure`]: both read the same way.
enum TargetFault {
    /// A bug in slipway-release (exit 1).
    Internal,
    /// The backup named does not exist or cannot be restored (exit 2).
    UnknownBackup,
    /// Another usage mistake (exit 2).
    Usage { title: &'static str, fix: String },
    /// The backup or restore failed (exit 5).
    Failed {
        title: &'static str,
        fix: &'static str,
    },
}

/// A remote target's failure: a usage mistake (exit 2), a bug (exit 1), or
/// a failed backup or restore (exit 5).
fn target_failure(fault: TargetFault, cause: &str) -> Failure {
    match fault {
        TargetFault::Internal => Failure::internal(cause),
        TargetFault::UnknownBackup => {
            Failure::new(ExitClass::Usage, "no such backup", cause, LIST_BACKUPS_FIX)
        }
        TargetFault::Usage { title, fix } => Failure::new(ExitClass::Usage, title, cause, fix),
        TargetFault::Failed { title, fix } => Failure::new(ExitClass::Backup, title, cause, fix),
    }
}

/// What an S3 target error means.
fn s3_fault(error: &S3Error) -> TargetFault {
    match error {
        S3Error::Internal(_) => TargetFault::Internal,
        S3Error::UnknownBackup { .. } => TargetFault::UnknownBackup,
        S3Error::MissingCredentials { .. } => TargetFault::Failed {
            title: "S3 credentials are missing",
            fix: "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Nothing was migrated.",
        },
        S3Error::Verification { .. } | S3Error::Corrupt { .. } => TargetFault::Failed {
            title: "the S3 backup did not verify",
            fix: "The object was not trusted (and a new one was deleted). Retry; if it persists, check the \
                  store's integrity. Nothing was migrated.",
        },
        _ => TargetFault::Failed {
            title: "the S3 backup failed",
            fix: "Read the cause above. Any partial upload was aborted, so no half object remains. Nothing \
                  was migrated.",
        },
    }
}

/// What a Heroku PGBackups error means.
fn heroku_fault(error: &HerokuError) -> TargetFault {
    match error {
        HerokuError::Internal(_) => TargetFault::Internal,
        HerokuError::UnknownBackup { .. } | HerokuError::UnusableBackup { .. } => {
            TargetFault::UnknownBackup
        }
        HerokuError::NotTheAttachedDatabase { .. } => TargetFault::Usage {
            title: "Heroku PGBackups would act on another database",
            fix: "Migrate the database in DATABASE_URL (drop --database-url), or back up this one \
                  with SLIPWAY_BACKUP=s3://BUCKET/PREFIX. Nothing was changed."
                .to_owned(),
        },
        HerokuError::RestoreNotRequested { command } => TargetFault::Usage {
            title: "nothing was restored",
            fix: format!("Run `{command}`, or repeat this command with --yes-use-heroku-restore."),
        },
        HerokuError::MissingApiKey | HerokuError::MissingApp | HerokuError::Unauthorized { .. } => {
            TargetFault::Failed {
                title: "Heroku PGBackups cannot be used",
                fix: "Read the cause above. Nothing was migrated.",
            }
        }
        _ => TargetFault::Failed {
            title: "the Heroku PGBackups capture failed",
            fix: "Read the cause above. Nothing was migrated; the database is as it was.",
        },
    }
}

/// A restore failed after it was confirmed. The fix says what the database
/// holds now, which depends on where the restore stopped.
pub(crate) fn restore_failed(error: BackupError) -> Failure {
    if let BackupError::Heroku(HerokuError::RestoreUnfinished {
        backup,
        transfer,
        app,
        ..
    }) = &error
    {
        return heroku_restore_unfinished(&error, backup, transfer.as_deref(), app);
    }
    if matches!(error, BackupError::RestoreInterrupted { .. }) {
        // Its own title and fix say what the database holds.
        return Failure::from(error);
    }
    let unchanged = match &error {
        BackupError::ToolFailed { .. } => {
            "Nothing was committed: slipway checks the archive with pg_restore --list first, then restores \
             it in one transaction (--single-transaction --exit-on-error), which any failure rolls back. The \
             database is as it was before the restore."
        }
        BackupError::S3(_) => {
            "pg_restore was stopped before it had the whole archive, and it runs in one transaction, so it \
             committed nothing: the database is as it was before the restore."
        }
        BackupError::Heroku(_) => {
            "Heroku's restore was never started: the database is as it was before the restore."
        }
        _ => "pg_restore never ran: the database is as it was before the restore.",
    };
    let mut failure = Failure::from(error);
    if failure.class == ExitClass::Backup {
        "the restore failed".clone_into(&mut failure.title);
        failure.fix = format!("{unchanged} Read the cause above, fix it, and restore again.");
    }
    failure
}

/// A Heroku API restore that was asked for and did not finish.
fn heroku_restore_unfinished(
    error: &BackupError,
    backup: &str,
    transfer: Option<&str>,
    app: &str,
) -> Failure {
    let check = transfer.map_or_else(
        || format!("`heroku pg:backups --app {app}` shows whether a restore of {backup} started"),
        |t| format!("`heroku pg:backups:info {t} --app {app}` shows how far it got (one that timed out may still be running: wait for it)"),
    );
    Failure::new(
        ExitClass::RestoreIncomplete,
        "the Heroku restore did not finish",
        error.to_string(),
        format!(
            "Heroku's restore is not one transaction: it drops and recreates objects as it goes, so the database \
             may now hold part of {backup} and part of what was there before. {check}. Then restore again, which \
             replaces every object in the backup."
        ),
    )
    .with_details(json!({ "backup": backup, "transfer": transfer, "database_state": "maybe_partly_restored" }))
}

/// `restore` without `--confirm`, or with the wrong name.
pub(crate) fn restore_not_confirmed(given: Option<&str>, database: &str) -> Failure {
    let cause = match given {
        None => {
            format!("restoring replaces data in database {database:?}, and --confirm was not given")
        }
        Some(given) => format!(
            "--confirm {given:?} does not match the database being restored into, {database:?}"
        ),
    };
    Failure::new(
        ExitClass::Usage,
        "restore not confirmed",
        cause,
        format!("If you mean to overwrite it, add --confirm {database}"),
    )
}
