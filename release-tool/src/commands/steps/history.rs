//! The `plan` step: the history table, compared with the migrations folder.

use serde_json::json;
use sqlx::PgConnection;

use crate::errors::Failure;
use crate::migrations::history::{self, Applied, HistoryTable};
use crate::migrations::plan::{self, Plan};
use crate::migrations::{self, Migration};
use crate::report::{Report, Status};

use super::Step;

/// Reads the history table (empty when it does not exist).
pub(crate) async fn read_history(
    conn: &mut PgConnection,
    table: &HistoryTable,
    report: &mut Report,
) -> Result<Vec<Applied>, Failure> {
    let step = Step::start("plan");
    history::read(conn, table)
        .await
        .map_err(|e| step.fail(report, migrations::errors::history_unreadable(table, &e)))
}

/// Before the history table is created (something is pending, nothing is
/// applied): its schema must exist or be in `create-schemas`, or sqlx's
/// `CREATE TABLE` fails (3F000). That is sqlx.toml's mistake (exit 2), said
/// before anything runs.
pub(crate) async fn check_history_schema(
    conn: &mut PgConnection,
    table: &HistoryTable,
    plan: &Plan<'_>,
    report: &mut Report,
) -> Result<(), Failure> {
    if plan.pending.is_empty() || plan.applied_count > 0 || !plan.unknown_applied.is_empty() {
        return Ok(());
    }
    let step = Step::start("plan");
    let missing = history::missing_schema(conn, table)
        .await
        .map_err(|e| step.fail(report, migrations::errors::history_unreadable(table, &e)))?;
    match missing {
        Some(schema) => Err(step.fail(
            report,
            migrations::errors::history_schema_missing(table.name(), &schema),
        )),
        None => Ok(()),
    }
}

/// The `plan` step: compares folder and history, warns about a rollback
/// release.
pub(crate) fn compare_history<'a>(
    migrations: &'a [Migration],
    applied: &[Applied],
    table: &HistoryTable,
    report: &mut Report,
) -> Result<Plan<'a>, Failure> {
    let step = Step::start("plan");
    let unknown = match table {
        HistoryTable::Sqlx(_) => plan::Unknown::BlocksPending,
        HistoryTable::Diesel => plan::Unknown::Ignored,
    };
    let plan = plan::compare(migrations, applied, unknown)
        .map_err(|e| step.fail(report, migrations::errors::plan_failure(&e, table.name())))?;
    // What the tool would refuse (Diesel: an empty up.sql, a metadata.toml it misreads) stops
    // the release now, before anything changes; applied ones ran long ago and are left alone.
    let refusals: Vec<&str> = plan
        .pending
        .iter()
        .filter_map(|m| m.refusal.as_deref())
        .collect();
    if !refusals.is_empty() {
        return Err(step.fail(report, migrations::errors::refused_migrations(&refusals)));
    }
    // sqlx applies and records a file with no SQL (the template of `sqlx migrate add`), so
    // refusing it would stop a release sqlx completes; say so instead.
    let sqlx = matches!(table, HistoryTable::Sqlx(_));
    for empty in plan.pending.iter().filter(|m| sqlx && m.is_blank()) {
        report.warn(&format!(
            "{} (version {}) has no SQL; recorded as applied, as sqlx does",
            empty.file_name(),
            empty.version
        ));
    }
    report.set(
        "pending",
        json!(
            plan.pending
                .iter()
                .map(|m| json!({
                    "version": m.version,
                    "description": m.description,
                    "file": m.file_name(),
                    "no_transaction": m.no_tx,
                }))
                .collect::<Vec<_>>()
        ),
    );
    report.set("rollback", json!(plan.unknown_applied));
    if !plan.unknown_applied.is_empty() {
        report.warn(&migrations::errors::rollback_warning(
            &plan.unknown_applied,
            table,
            plan.pending.len(),
        ));
    }
    let detail = match plan.pending.as_slice() {
        [] if plan.unknown_applied.is_empty() => {
            format!("up to date ({} applied)", plan.applied_count)
        }
        [] => format!(
            "nothing to apply; database is ahead of the code by {}",
            plan.unknown_applied.len()
        ),
        pending => format!(
            "{} pending: {}",
            pending.len(),
            pending
                .iter()
                .map(|m| m.file_name())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let status = if plan.unknown_applied.is_empty() {
        Status::Ok
    } else {
        Status::Warning
    };
    step.finish(report, status, &detail);
    Ok(plan)
}
