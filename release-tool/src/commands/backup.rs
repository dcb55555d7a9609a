//! `slipway-release backup`: a backup now (whatever is pending), or with
//! `--list` the target's backups.

use serde_json::json;

use crate::backup::{self, BackupError};
use crate::config::Settings;
use crate::errors::Failure;
use crate::report::{Report, println_redacted};

use super::steps::{self, Step, StepResult as _};

pub(crate) async fn backup(
    settings: &Settings,
    report: &mut Report,
    list: bool,
) -> Result<(), Failure> {
    if list {
        return list_backups(settings, report).await;
    }
    if settings.backup == Some(backup::TargetSpec::None) {
        return Err(BackupError::Disabled.into());
    }
    let mut session = steps::connect(settings, report).await?;
    let step = Step::start("backup");
    let record = steps::take_backup(&mut session, settings, report, step, Vec::new()).await?;
    report.set(
        "backup",
        json!({ "taken": record.is_some(), "record": record }),
    );
    Ok(())
}

/// Prints the configured target's backups, oldest first, one per line on stdout.
async fn list_backups(settings: &Settings, report: &mut Report) -> Result<(), Failure> {
    let step = Step::start("list");
    let selected =
        backup::select(settings.backup.as_ref(), &settings.backup_env).or_fail(step, report)?;
    let Some(target) = selected.target else {
        return Err(BackupError::Disabled.into());
    };
    let backups = target.list().await.or_fail(step, report)?;
    if report.is_human() {
        // name, time, size in bytes, pending versions, location, database:
        // tab-separated.
        for record in &backups {
            let versions = record.pending_versions.as_ref().map_or_else(
                || "-".to_owned(),
                |v| {
                    v.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                },
            );
            println_redacted(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}",
                record.name,
                record.created_at.as_deref().unwrap_or("-"),
                record
                    .size_bytes
                    .map_or_else(|| "-".to_owned(), |size| size.to_string()),
                if versions.is_empty() {
                    "-"
                } else {
                    versions.as_str()
                },
                record.location,
                record.database.as_deref().unwrap_or("-")
            ));
        }
    }
    step.ok(
        report,
        &format!("{} backup(s) in {}", backups.len(), target.describe()),
    );
    report.set("backups", json!(backups));
    Ok(())
}
