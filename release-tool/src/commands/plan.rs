//! `slipway-release plan`: what `run` would do, changing nothing. It takes no
//! lock and creates nothing (not even the history table). It fails with the
//! exit code `run` would fail with for what it can see: drift (6), unsafe
//! migrations (9), a pgvector
//! requirement the server cannot meet (8), or a needed backup with no target (5).

use serde_json::json;

use slipway_contract::MigrationFormat;

use crate::backup;
use crate::config::Settings;
use crate::errors::Failure;
use crate::report::{Report, Status};

use super::lint;
use super::steps::{self, Pending, Step, StepResult as _};

/// Previews a release: runs `run`'s steps up to the backup without changing
/// anything, and says what `run` would do.
pub(crate) async fn preview_release(
    settings: &Settings,
    report: &mut Report,
) -> Result<(), Failure> {
    let migrations = steps::load_migrations(settings, report)?;
    let mut session = steps::connect(settings, report).await?;
    let plan = if settings.migrations_format == MigrationFormat::Command {
        steps::skip_for_command(report);
        None
    } else {
        let applied = steps::read_history(&mut session.conn, &settings.history, report).await?;
        let plan = steps::compare_history(&migrations, &applied, &settings.history, report)?;
        steps::check_history_schema(&mut session.conn, &settings.history, &plan, report).await?;
        lint::pending(&mut session, settings, &plan.pending, report).await?;
        Some(plan)
    };
    let pending_migrations = plan.as_ref().map_or(&[][..], |plan| &plan.pending[..]);
    let pgvector = steps::pgvector_pre(
        &mut session.conn,
        settings,
        &migrations,
        pending_migrations,
        report,
        false,
    )
    .await?;
    let pending = plan.as_ref().map_or(Pending::Unknown, Pending::Known);

    let step = Step::start("backup");
    if let Some(reason) = steps::backup_not_needed(
        &mut session.conn,
        &settings.history,
        pending,
        &pgvector.action,
    )
    .await?
    {
        report.set("backup", json!({ "would_take": false, "reason": reason }));
        step.finish(
            report,
            Status::Skipped,
            &format!("would not back up: {reason}"),
        );
        return Ok(());
    }
    let selected =
        backup::select(settings.backup.as_ref(), &settings.backup_env).or_fail(step, report)?;
    if let Some(warning) = &selected.warning {
        report.warn(warning);
    }
    if let Some(target) = &selected.target {
        target.preflight().await.or_fail(step, report)?;
    }
    let target = selected.target.as_ref().map(|t| t.describe());
    report.set(
        "backup",
        json!({ "would_take": target.is_some(), "target": target }),
    );
    match target {
        Some(target) => step.ok(
            report,
            &format!("would back up to {target} ({})", selected.chosen_by),
        ),
        None => step.finish(
            report,
            Status::Warning,
            "would NOT back up: backups are off",
        ),
    }
    Ok(())
}
