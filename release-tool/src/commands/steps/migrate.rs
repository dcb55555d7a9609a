//! The `migrate` step: every pending migration, one line each, with the
//! retries after `lock_timeout` and the cleanup after a failed
//! `-- no-transaction` migration.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::PgConnection;

use crate::errors::Failure;
use crate::migrations::history::{self, HistoryTable};
use crate::migrations::plan::Plan;
use crate::migrations::retry::{Next, RetryPolicy};
use crate::migrations::{self, Migration, apply, blockers, errors, leftovers};
use crate::report::{Report, Status};

use super::Step;

/// Applies every pending migration, one line each; a transactional one that
/// hits `lock_timeout` is retried as `policy` allows, one line per attempt.
pub(crate) async fn migrate(
    conn: &mut PgConnection,
    table: &HistoryTable,
    plan: &Plan<'_>,
    policy: RetryPolicy,
    report: &mut Report,
) -> Result<(), Failure> {
    create_schemas(conn, table, report).await?;
    let step = Step::start("migrate");
    if plan.pending.is_empty() {
        report.set("applied", json!([]));
        step.finish(report, Status::Skipped, "nothing pending");
        return Ok(());
    }
    if *table == HistoryTable::Diesel {
        diesel_session(conn)
            .await
            .map_err(|e| step.fail(report, migrations::errors::history_unreadable(table, &e)))?;
    }
    // A history with rows has its table: no DDL, nothing to change before
    // the first migration's BEGIN (but the schemas above, as sqlx does).
    if plan.applied_count == 0 && plan.unknown_applied.is_empty() {
        history::ensure_table(conn, table)
            .await
            .map_err(|e| step.fail(report, migrations::errors::history_unreadable(table, &e)))?;
    }
    let mut applied = Vec::new();
    let mut retries = Vec::new();
    for migration in &plan.pending {
        // A -- no-transaction migration that fails keeps what it did: note
        // the indexes before it, to drop only the INVALID ones it leaves.
        let before = if migration.no_tx {
            leftovers::indexes_before(conn).await
        } else {
            None
        };
        let outcome = apply_retrying(conn, table, migration, policy, &mut retries, report).await;
        report.set("lock_retries", json!(retries));
        let (error, attempt) = match outcome {
            Ok(took) => {
                let mode = if migration.no_tx {
                    " (no transaction)"
                } else {
                    ""
                };
                report.step_took(
                    "migrate",
                    Status::Ok,
                    took,
                    &format!("{}{mode}", migration.file_name()),
                );
                applied.push(applied_entry(migration, Some(took)));
                continue;
            }
            Err(failed_attempt) => failed_attempt,
        };
        if matches!(error.error, apply::ApplyError::TimeNotStored { .. }) {
            applied.push(applied_entry(migration, None));
        }
        report.set("applied", json!(applied));
        let failure =
            migration_failure(conn, table, migration, error, before.as_ref(), report).await;
        return Err(Step::started_at("migrate", attempt).fail(report, failure));
    }
    report.set("applied", json!(applied));
    Ok(())
}

/// Sets the session as Diesel's `PgConnection` does on connecting
/// (`SET TIME ZONE 'UTC'`), so that its migrations run under the same time
/// zone and `run_on` (a `TIMESTAMP` defaulting to `CURRENT_TIMESTAMP`) holds
/// UTC, as in the rows Diesel writes.
async fn diesel_session(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::raw_sql("SET TIME ZONE 'UTC'")
        .execute(conn)
        .await
        .map(|_| ())
}

/// Creates the `create-schemas` of sqlx.toml that are missing, on every run
/// as sqlx's `Migrator` does (one `schemas` line when it created any).
async fn create_schemas(
    conn: &mut PgConnection,
    table: &HistoryTable,
    report: &mut Report,
) -> Result<(), Failure> {
    let step = Step::start("schemas");
    let created = history::create_schemas(conn, table)
        .await
        .map_err(|e| step.fail(report, migrations::errors::schema_not_created(&e)))?;
    if !created.is_empty() {
        step.ok(
            report,
            &format!(
                "created {} (create-schemas in sqlx.toml)",
                created.join(", ")
            ),
        );
    }
    Ok(())
}

/// The last failed attempt of a migration, and how retrying ended.
struct FailedAttempt {
    error: apply::ApplyError,
    retries_done: u32,
    stopped: Next,
}

/// Applies one migration, retrying it while it fails on `lock_timeout` and
/// `policy` allows. Each failed attempt is one line naming the sessions that
/// blocked it (and one entry of `retries`, for the JSON). Returns the time the
/// successful attempt took, or the last error with when that attempt started.
async fn apply_retrying(
    conn: &mut PgConnection,
    table: &HistoryTable,
    migration: &Migration,
    policy: RetryPolicy,
    retries: &mut Vec<Value>,
    report: &mut Report,
) -> Result<Duration, (FailedAttempt, Instant)> {
    let first = Instant::now();
    let mut retries_done = 0;
    loop {
        let attempt = Instant::now();
        let error = match apply::apply(conn, table, migration).await {
            Ok(took) => return Ok(took),
            Err(error) => error,
        };
        let next = policy.next(migration, &error, retries_done, first);
        let Next::RetryAfter(pause) = next else {
            let stopped = FailedAttempt {
                error,
                retries_done,
                stopped: next,
            };
            return Err((stopped, attempt));
        };
        retries_done += 1;
        let found = blockers::find(conn, &migration.sql)
            .await
            .unwrap_or_default();
        report.step(
            "migrate",
            Status::Warning,
            attempt,
            &errors::lock_retry_line(
                &migration.file_name(),
                retries_done,
                policy.retries,
                pause,
                &found,
            ),
        );
        retries.push(json!({
            "version": &migration.version,
            "file": migration.file_name(),
            "retry": retries_done,
            "of": policy.retries,
            "pause_ms": u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
            "blocked_by": found,
        }));
        tokio::time::sleep(pause).await;
    }
}

/// The failure of a migration's last attempt, with what the server does not
/// say: who held the lock it waited for, how retrying ended, and what a
/// `-- no-transaction` migration left behind.
async fn migration_failure(
    conn: &mut PgConnection,
    table: &HistoryTable,
    migration: &Migration,
    attempt: FailedAttempt,
    indexes_before: Option<&leftovers::IndexesBefore>,
    report: &mut Report,
) -> Failure {
    let lock_timeout = attempt.error.server_code() == Some("55P03");
    let mut failure = errors::apply_failure(attempt.error, table);
    if lock_timeout {
        // The server names neither the statement nor the table.
        let found = blockers::find(conn, &migration.sql)
            .await
            .unwrap_or_default();
        failure = errors::with_lock_blockers(failure, &found);
        failure = errors::with_lock_retries(failure, attempt.retries_done, &attempt.stopped);
    }
    if migration.no_tx {
        // Nothing rolled back: drop the INVALID indexes it left, say what
        // else is there.
        let cleanup = clean_up_after(conn, migration, indexes_before, report).await;
        failure = errors::with_leftover_indexes(failure, &cleanup);
    }
    failure
}

/// Drops the INVALID indexes a failed `-- no-transaction` migration left
/// (one line, and `dropped_indexes` in the JSON, when there were any).
async fn clean_up_after(
    conn: &mut PgConnection,
    migration: &Migration,
    indexes_before: Option<&leftovers::IndexesBefore>,
    report: &mut Report,
) -> leftovers::Cleanup {
    let step = Step::start("cleanup");
    let cleanup = leftovers::drop_new_invalid_indexes(conn, indexes_before).await;
    report.set("dropped_indexes", json!(cleanup.dropped));
    if !cleanup.dropped.is_empty() || !cleanup.not_dropped.is_empty() {
        let status = if cleanup.not_dropped.is_empty() {
            Status::Ok
        } else {
            Status::Failed
        };
        step.finish(
            report,
            status,
            &errors::cleanup_line(&migration.file_name(), &cleanup),
        );
    }
    cleanup
}

/// One entry of the JSON `applied` list (`execution_time_ns` null when it
/// was not stored).
fn applied_entry(migration: &Migration, took: Option<Duration>) -> Value {
    json!({
        "version": &migration.version,
        "file": migration.file_name(),
        "execution_time_ns": took.map(|t| u64::try_from(t.as_nanos()).unwrap_or(u64::MAX)),
    })
}
