//! The `backup` step: whether one is needed, and taking it to the configured
//! target before anything changes.

use std::time::SystemTime;

use serde_json::json;
use sqlx::PgConnection;

use crate::backup::{self, BackupRecord, Database};
use crate::config::Settings;
use crate::db::{self, DatabaseUrl, Session};
use crate::errors::Failure;
use crate::migrations::Version;
use crate::migrations::history::HistoryTable;
use crate::migrations::plan::Plan;
use crate::pgvector::Action;
use crate::report::{Report, Status};

use super::{Step, StepResult as _};

/// What the release will apply.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pending<'a> {
    /// These migrations (the plan's).
    Known(&'a Plan<'a>),
    /// Whatever the app's own migrator finds (the `command` format): slipway
    /// cannot know, so it backs up.
    Unknown,
}

impl Pending<'_> {
    /// The versions of the pending migrations, when known.
    fn versions(self) -> Vec<Version> {
        match self {
            Pending::Known(plan) => plan.pending.iter().map(|m| m.version.clone()).collect(),
            Pending::Unknown => Vec::new(),
        }
    }
}

/// Why no backup is needed, or `None` when one is: something will change
/// (a pending migration, maybe something the migrate command does, or
/// creating or updating the extension) and the database holds data.
pub(crate) async fn backup_not_needed(
    conn: &mut PgConnection,
    table: &HistoryTable,
    pending: Pending<'_>,
    extension: &Action,
) -> Result<Option<String>, Failure> {
    if let Pending::Known(plan) = pending
        && plan.pending.is_empty()
        && *extension == Action::Nothing
    {
        return Ok(Some("nothing is pending".to_owned()));
    }
    let tables = db::user_table_count(conn, table.name())
        .await
        .map_err(|source| {
            Failure::from(backup::BackupError::Database {
                action: "counting the database's tables",
                source,
            })
        })?;
    Ok((tables == 0).then(|| "the database has no tables yet".to_owned()))
}

/// Takes a backup before any change to the server, when something will
/// change and the database holds data. A failure stops the release with the
/// database as it was.
pub(crate) async fn backup_before_migrating(
    session: &mut Session,
    settings: &Settings,
    pending: Pending<'_>,
    extension: &Action,
    report: &mut Report,
) -> Result<(), Failure> {
    let step = Step::start("backup");
    if let Some(reason) =
        backup_not_needed(&mut session.conn, &settings.history, pending, extension).await?
    {
        report.set("backup", json!({ "taken": false, "reason": reason }));
        step.finish(report, Status::Skipped, &format!("not needed: {reason}"));
        return Ok(());
    }
    let record = take_backup(session, settings, report, step, pending.versions()).await?;
    report.set(
        "backup",
        json!({ "taken": record.is_some(), "record": record }),
    );
    Ok(())
}

/// Describes a session's database to `pg_dump`/`pg_restore`: its URL and
/// name, the server's major version (asked on `conn`; 0 when unknown) and the
/// configured timeouts.
pub(crate) async fn backup_database<'a>(
    conn: &mut PgConnection,
    name: &'a str,
    settings: &Settings,
    url: &'a DatabaseUrl,
) -> Database<'a> {
    let server_major = db::server_major(conn).await.unwrap_or(0);
    Database {
        url,
        name,
        server_major,
        connect_timeout: settings.connect_timeout,
        lock_timeout: settings.lock_timeout,
    }
}

/// Takes a backup now to the configured target, verifies it and prunes old
/// ones, recording the result as `step`. `None` when backups are off.
pub(crate) async fn take_backup(
    session: &mut Session,
    settings: &Settings,
    report: &mut Report,
    step: Step,
    pending_versions: Vec<crate::migrations::Version>,
) -> Result<Option<BackupRecord>, Failure> {
    let options = backup::TargetOptions {
        pending_versions,
        ..backup::TargetOptions::default()
    };
    let selected = backup::select_with(settings.backup.as_ref(), &settings.backup_env, options)
        .or_fail(step, report)?;
    if let Some(warning) = &selected.warning {
        report.warn(warning);
    }
    let Some(target) = selected.target else {
        step.finish(
            report,
            Status::Warning,
            "SKIPPED: backups are off (SLIPWAY_BACKUP=none)",
        );
        return Ok(None);
    };
    let url = settings.database().or_fail(step, report)?;
    let db = backup_database(&mut session.conn, &session.database, settings, url).await;
    let name = backup::backup_name(&session.database, SystemTime::now());
    let record = target.create(&db, &name).await.or_fail(step, report)?;
    // The new backup is taken and verified: failing to delete old ones (a
    // bucket that denies DeleteObject, a file that cannot be removed) must not
    // stop the release, or every release would fail once the target holds
    // more than SLIPWAY_BACKUP_KEEP.
    let pruned = match target.prune(settings.backup_keep, &session.database).await {
        Ok(pruned) => pruned,
        Err(error) => {
            let text = format!(
                "the backup was taken, but pruning old backups in {} failed: {}. Delete old \
                 backups by hand, or fix the permission; SLIPWAY_BACKUP_KEEP is {}.",
                target.describe(),
                crate::errors::error_chain(&error),
                settings.backup_keep
            );
            report.warn(&text);
            report.set("prune_error", json!(text));
            Vec::new()
        }
    };
    report.set("pruned_backups", json!(pruned));
    step.ok(
        report,
        &format!(
            "{} ({} bytes, {} archive entries verified) in {} ({}){}",
            record.name,
            record.size_bytes.unwrap_or(0),
            record.verified_entries.unwrap_or(0),
            target.describe(),
            selected.chosen_by,
            if pruned.is_empty() {
                String::new()
            } else {
                format!("; pruned {} old", pruned.len())
            }
        ),
    );
    Ok(Some(record))
}
