//! The `pgvector` and `extension` steps: what the `vector` extension needs,
//! decided before the backup, and carried out after it.

use serde_json::json;
use sqlx::PgConnection;

use crate::config::Settings;
use crate::errors::Failure;
use crate::migrations::Migration;
use crate::pgvector::{self, Action, Requirement};
use crate::report::{Report, Status};

use super::{Step, StepResult as _};

/// What the `vector` extension needs, decided before the backup.
pub(crate) struct PgvectorPlan {
    pub(crate) requirement: Requirement,
    /// Carried out by [`pgvector_ensure`], after the backup.
    pub(crate) action: Action,
}

/// Works out whether pgvector is wanted and what to do, changing nothing: a
/// release the server cannot satisfy fails here, before any backup. `run`
/// says the action follows the backup; `plan` (`will_run` false) that it
/// would.
pub(crate) async fn pgvector_pre(
    conn: &mut PgConnection,
    settings: &Settings,
    migrations: &[Migration],
    report: &mut Report,
    will_run: bool,
) -> Result<PgvectorPlan, Failure> {
    let step = Step::start("pgvector");
    let state = pgvector::server_state(conn).await.or_fail(step, report)?;
    let usage = pgvector::usage(migrations);
    let requirement = pgvector::requirement(
        settings.pgvector,
        settings.pgvector_min_version.as_ref(),
        &usage,
        state.installed.is_some(),
    );
    let decided = pgvector::decide(&requirement, &state);
    report.set(
        "pgvector",
        json!({
            "mode": settings.pgvector.name(),
            "wanted": requirement.wanted,
            "why": requirement.why,
            "minimum": requirement.minimum.map(|v| v.to_string()),
            "minimum_why": requirement.minimum_why,
            "installed": state.installed.map(|v| v.to_string()),
            "available": state.available.map(|v| v.to_string()),
            "action": decided.as_ref().map_or_else(|_| "fail".to_owned(), ToString::to_string),
        }),
    );
    let action = decided.or_fail(step, report)?;
    if !requirement.wanted {
        step.finish(
            report,
            Status::Skipped,
            &format!("not wanted: {}", requirement.why),
        );
        return Ok(PgvectorPlan {
            requirement,
            action,
        });
    }
    let minimum = requirement
        .minimum
        .map_or_else(|| "no minimum".to_owned(), |v| format!("minimum {v}"));
    let done = match (&action, will_run) {
        (Action::Nothing, _) => format!(
            "{} installed, {minimum}",
            pgvector::show(state.installed.as_ref())
        ),
        (action, true) => format!("{action} after the backup, {minimum}"),
        (action, false) => format!("would run {action}, {minimum}"),
    };
    step.ok(report, &format!("{done} (wanted: {})", requirement.why));
    Ok(PgvectorPlan {
        requirement,
        action,
    })
}

/// Creates or updates the extension as [`pgvector_pre`] decided. Runs after
/// the backup: pgvector ships no downgrade scripts, so the backup is the way
/// back from an update.
pub(crate) async fn pgvector_ensure(
    conn: &mut PgConnection,
    pgvector: &PgvectorPlan,
    report: &mut Report,
) -> Result<(), Failure> {
    if pgvector.action == Action::Nothing {
        return Ok(());
    }
    let step = Step::start("extension");
    pgvector::carry_out(conn, &pgvector.action)
        .await
        .or_fail(step, report)?;
    step.ok(report, &pgvector.action.to_string());
    Ok(())
}
