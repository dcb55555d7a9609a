//! The `pgvector` and `extension` steps: what the `vector` extension needs,
//! decided before the backup, and carried out after it.

use serde_json::json;
use slipway_contract::Feature;
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
/// would. `pending` are the migrations the release will apply.
pub(crate) async fn pgvector_pre(
    conn: &mut PgConnection,
    settings: &Settings,
    migrations: &[Migration],
    pending: &[&Migration],
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
    let decided =
        pgvector::decide(&requirement, &state).map(|action| leave_to_migration(action, pending));
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
        (Action::LeftToMigration { .. }, _) => format!(
            "{action} ({} available), {minimum}",
            pgvector::show(state.available.as_ref())
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

/// `Create` becomes `LeftToMigration` when a pending migration creates the
/// extension itself before any pending migration uses it. Creating it first
/// would break that migration as sqlx would never break it: a plain `CREATE
/// EXTENSION vector` fails (42710), and `CREATE EXTENSION IF NOT EXISTS
/// vector WITH SCHEMA x` finds it in another schema. `decide` already checked
/// that the server offers a new enough version, and the checks confirm the
/// installed one after migrating.
// A use that comes first (a `vector` column in migration 1, `CREATE EXTENSION
// IF NOT EXISTS` in migration 2) needs the extension before it: slipway then
// creates it first, as it always did, where sqlx alone would fail.
fn leave_to_migration(action: Action, pending: &[&Migration]) -> Action {
    if !matches!(action, Action::Create { .. }) {
        return action;
    }
    let first = pgvector::usage(pending.iter().copied())
        .findings
        .into_iter()
        .next();
    let creator = first.filter(|finding| finding.feature == Feature::Extension);
    match creator {
        Some(finding) => Action::LeftToMigration {
            file: finding.file,
            line: finding.line,
        },
        None => action,
    }
}

/// Creates or updates the extension as [`pgvector_pre`] decided. Runs after
/// the backup: pgvector ships no downgrade scripts, so the backup is the way
/// back from an update.
pub(crate) async fn pgvector_ensure(
    conn: &mut PgConnection,
    pgvector: &PgvectorPlan,
    report: &mut Report,
) -> Result<(), Failure> {
    if matches!(
        pgvector.action,
        Action::Nothing | Action::LeftToMigration { .. }
    ) {
        return Ok(());
    }
    let step = Step::start("extension");
    pgvector::carry_out(conn, &pgvector.action)
        .await
        .or_fail(step, report)?;
    step.ok(report, &pgvector.action.to_string());
    Ok(())
}
