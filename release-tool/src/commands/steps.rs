//! The steps the commands share. Each records one line (name, status,
//! duration, detail) in the report and returns a [`Failure`] with the step's
//! exit class when it fails.

use std::fmt::Write as _;
use std::time::{Instant, SystemTime};

use serde_json::json;
use sqlx::PgConnection;

use crate::backup::{self, BackupRecord, Database};
use crate::checks;
use crate::config::Settings;
use crate::db::{self, DatabaseUrl, Session};
use crate::errors::Failure;
use crate::lock;
use crate::migrations::history::{self, Applied, HistoryTable};
use crate::migrations::plan::{self, Plan};
use crate::migrations::retry::{Next, RetryPolicy};
use crate::migrations::{self, Migration, apply, apply_errors, blockers, leftovers, source};
use crate::pgvector::{self, Action, Requirement};
use crate::report::{Report, Status};

/// Records `name` as failed and passes the failure on.
pub(crate) fn failed(
    report: &mut Report,
    name: &str,
    started: Instant,
    failure: Failure,
) -> Failure {
    report.step(name, Status::Failed, started, &failure.title);
    failure
}

/// Reads the migrations folder (sqlx's rules), warning about each file sqlx
/// ignores although it looks like a migration.
pub(crate) fn load_migrations(
    settings: &Settings,
    report: &mut Report,
) -> Result<Vec<Migration>, Failure> {
    let started = Instant::now();
    let source::Source {
        migrations,
        ignored,
    } = source::load(&settings.migrations_dir, &settings.sqlx.ignored_chars)
        .map_err(|e| failed(report, "source", started, e.into()))?;
    for file in &ignored {
        report.warn(&migrations::errors::ignored_file_warning(file));
    }
    report.set(
        "ignored_files",
        json!(
            ignored
                .iter()
                .map(|f| json!({ "file": f.file_name, "rule": f.rule.name(), "why": f.rule.to_string() }))
                .collect::<Vec<_>>()
        ),
    );
    let up = migrations.iter().filter(|m| m.kind.is_up()).count();
    let detail = if migrations.is_empty() && !settings.migrations_dir.path.exists() {
        format!(
            "no migrations folder at {}: nothing to migrate",
            settings.migrations_dir.path.display()
        )
    } else {
        format!(
            "{up} migration(s) in {}",
            settings.migrations_dir.path.display()
        )
    };
    report.step("source", Status::Ok, started, &detail);
    Ok(migrations)
}

/// Connects, with the session's timeouts set.
pub(crate) async fn connect(settings: &Settings, report: &mut Report) -> Result<Session, Failure> {
    let started = Instant::now();
    let url = settings
        .database()
        .map_err(|e| failed(report, "connect", started, e.into()))?;
    let session = db::connect(
        url,
        settings.connect_timeout,
        settings.lock_timeout,
        settings.statement_timeout,
    )
    .await
    .map_err(|e| failed(report, "connect", started, e.into()))?;
    report.set(
        "database",
        json!({ "url": url.to_string(), "name": session.database, "server_version": session.server_version }),
    );
    report.step(
        "connect",
        Status::Ok,
        started,
        &format!("{url} (PostgreSQL {})", session.server_version),
    );
    Ok(session)
}

/// Takes sqlx's migration lock, waiting at most the configured time.
pub(crate) async fn lock(
    session: &mut Session,
    settings: &Settings,
    report: &mut Report,
) -> Result<i64, Failure> {
    let started = Instant::now();
    let key = lock::acquire(&mut session.conn, &session.database, settings.lock_wait)
        .await
        .map_err(|e| failed(report, "lock", started, e.into()))?;
    report.step(
        "lock",
        Status::Ok,
        started,
        &format!("advisory lock {key} (the key sqlx's Migrator uses)"),
    );
    Ok(key)
}

/// Releases the lock. A failure here is harmless: closing the session releases it.
pub(crate) async fn unlock(session: &mut Session, key: i64) {
    let _ = lock::release(&mut session.conn, key).await;
}

/// Reads the history table (empty when it does not exist).
pub(crate) async fn read_history(
    conn: &mut PgConnection,
    table: &HistoryTable,
    report: &mut Report,
) -> Result<Vec<Applied>, Failure> {
    let started = Instant::now();
    history::read(conn, table).await.map_err(|e| {
        failed(
            report,
            "plan",
            started,
            migrations::errors::history_unreadable(&table.name, &e),
        )
    })
}

/// The `plan` step: compares folder and history, warns about a rollback
/// release.
pub(crate) fn compare_history<'a>(
    migrations: &'a [Migration],
    applied: &[Applied],
    report: &mut Report,
) -> Result<Plan<'a>, Failure> {
    let started = Instant::now();
    let plan = plan::compare(migrations, applied)
        .map_err(|e| failed(report, "plan", started, e.into()))?;
    // sqlx applies and records a file with no SQL (the template of `sqlx migrate add`), so
    // refusing it would stop a release sqlx completes; say so instead.
    for empty in plan.pending.iter().filter(|m| m.is_blank()) {
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
        report.warn(&migrations::errors::rollback_warning(&plan.unknown_applied));
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
    report.step("plan", status, started, &detail);
    Ok(plan)
}

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
    let started = Instant::now();
    let state = pgvector::server_state(conn)
        .await
        .map_err(|e| failed(report, "pgvector", started, e.into()))?;
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
    let action = decided.map_err(|e| failed(report, "pgvector", started, e.into()))?;
    if !requirement.wanted {
        report.step(
            "pgvector",
            Status::Skipped,
            started,
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
    report.step(
        "pgvector",
        Status::Ok,
        started,
        &format!("{done} (wanted: {})", requirement.why),
    );
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
    let started = Instant::now();
    pgvector::carry_out(conn, &pgvector.action)
        .await
        .map_err(|e| failed(report, "extension", started, e.into()))?;
    report.step(
        "extension",
        Status::Ok,
        started,
        &pgvector.action.to_string(),
    );
    Ok(())
}

/// Why no backup is needed, or `None` when one is: something will change
/// (a pending migration, or creating or updating the extension) and the
/// database holds data.
pub(crate) async fn backup_not_needed(
    conn: &mut PgConnection,
    table: &HistoryTable,
    plan: &Plan<'_>,
    extension: &Action,
) -> Result<Option<String>, Failure> {
    if plan.pending.is_empty() && *extension == Action::Nothing {
        return Ok(Some("nothing is pending".to_owned()));
    }
    let tables = db::user_table_count(conn, &table.name)
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
    plan: &Plan<'_>,
    extension: &Action,
    report: &mut Report,
) -> Result<(), Failure> {
    let started = Instant::now();
    if let Some(reason) =
        backup_not_needed(&mut session.conn, &settings.sqlx.history, plan, extension).await?
    {
        report.set("backup", json!({ "taken": false, "reason": reason }));
        report.step(
            "backup",
            Status::Skipped,
            started,
            &format!("not needed: {reason}"),
        );
        return Ok(());
    }
    let pending_versions = plan.pending.iter().map(|m| m.version).collect();
    let record = take_backup(session, settings, report, started, pending_versions).await?;
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
/// ones. `None` when backups are off.
pub(crate) async fn take_backup(
    session: &mut Session,
    settings: &Settings,
    report: &mut Report,
    started: Instant,
    pending_versions: Vec<i64>,
) -> Result<Option<BackupRecord>, Failure> {
    let options = backup::TargetOptions {
        pending_versions,
        ..backup::TargetOptions::default()
    };
    let selected = backup::select_with(settings.backup.as_ref(), options)
        .map_err(|e| failed(report, "backup", started, e.into()))?;
    if let Some(warning) = &selected.warning {
        report.warn(warning);
    }
    let Some(target) = selected.target else {
        report.step(
            "backup",
            Status::Warning,
            started,
            "SKIPPED: backups are off (SLIPWAY_BACKUP=none)",
        );
        return Ok(None);
    };
    let url = settings
        .database()
        .map_err(|e| failed(report, "backup", started, e.into()))?;
    let db = backup_database(&mut session.conn, &session.database, settings, url).await;
    let name = backup::backup_name(&session.database, SystemTime::now());
    let record = target
        .create(&db, &name)
        .await
        .map_err(|e| failed(report, "backup", started, e.into()))?;
    let pruned = target
        .prune(settings.backup_keep, &session.database)
        .await
        .map_err(|e| failed(report, "backup", started, e.into()))?;
    report.set("pruned_backups", json!(pruned));
    report.step(
        "backup",
        Status::Ok,
        started,
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

/// Applies every pending migration, one line each; a transactional one that
/// hits `lock_timeout` is retried as `policy` allows, one line per attempt.
pub(crate) async fn migrate(
    conn: &mut PgConnection,
    table: &HistoryTable,
    plan: &Plan<'_>,
    policy: RetryPolicy,
    report: &mut Report,
) -> Result<(), Failure> {
    let started = Instant::now();
    if plan.pending.is_empty() {
        report.set("applied", json!([]));
        report.step("migrate", Status::Skipped, started, "nothing pending");
        return Ok(());
    }
    // A history with rows has its table: no DDL, nothing to change before
    // the first migration's BEGIN.
    if plan.applied_count == 0 && plan.unknown_applied.is_empty() {
        history::ensure_table(conn, table).await.map_err(|e| {
            failed(
                report,
                "migrate",
                started,
                migrations::errors::history_unreadable(&table.name, &e),
            )
        })?;
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
        let failure = migration_failure(conn, migration, error, before.as_ref(), report).await;
        return Err(failed(report, "migrate", attempt, failure));
    }
    report.set("applied", json!(applied));
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
    retries: &mut Vec<serde_json::Value>,
    report: &mut Report,
) -> Result<std::time::Duration, (FailedAttempt, Instant)> {
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
            &apply_errors::lock_retry_line(
                &migration.file_name(),
                retries_done,
                policy.retries,
                pause,
                &found,
            ),
        );
        retries.push(json!({
            "version": migration.version,
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
    migration: &Migration,
    attempt: FailedAttempt,
    indexes_before: Option<&leftovers::IndexesBefore>,
    report: &mut Report,
) -> Failure {
    let lock_timeout = attempt.error.server_code() == Some("55P03");
    let mut failure = Failure::from(attempt.error);
    if lock_timeout {
        // The server names neither the statement nor the table.
        let found = blockers::find(conn, &migration.sql)
            .await
            .unwrap_or_default();
        failure = apply_errors::with_lock_blockers(failure, &found);
        failure = apply_errors::with_lock_retries(failure, attempt.retries_done, &attempt.stopped);
    }
    if migration.no_tx {
        // Nothing rolled back: drop the INVALID indexes it left, say what
        // else is there.
        let cleanup = clean_up_after(conn, migration, indexes_before, report).await;
        failure = apply_errors::with_leftover_indexes(failure, &cleanup);
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
    let started = Instant::now();
    let cleanup = leftovers::drop_new_invalid_indexes(conn, indexes_before).await;
    report.set("dropped_indexes", json!(cleanup.dropped));
    if !cleanup.dropped.is_empty() || !cleanup.not_dropped.is_empty() {
        let status = if cleanup.not_dropped.is_empty() {
            Status::Ok
        } else {
            Status::Failed
        };
        report.step(
            "cleanup",
            status,
            started,
            &apply_errors::cleanup_line(&migration.file_name(), &cleanup),
        );
    }
    cleanup
}

/// One entry of the JSON `applied` list (`execution_time_ns` null when it
/// was not stored).
fn applied_entry(migration: &Migration, took: Option<std::time::Duration>) -> serde_json::Value {
    json!({
        "version": migration.version,
        "file": migration.file_name(),
        "execution_time_ns": took.map(|t| u64::try_from(t.as_nanos()).unwrap_or(u64::MAX)),
    })
}

/// The extension and schema checks.
pub(crate) async fn checks(
    conn: &mut PgConnection,
    requirement: &Requirement,
    report: &mut Report,
) -> Result<(), Failure> {
    let started = Instant::now();
    let summary = checks::run(conn, requirement)
        .await
        .map_err(|e| failed(report, "checks", started, e.into()))?;
    report.set("checks", json!(summary));
    let mut detail = match (&summary.pgvector_version, summary.smoke_distance) {
        (Some(version), Some(distance)) => {
            format!("pgvector {version}, smoke query distance {distance:.6}, no INVALID indexes")
        }
        _ => "no INVALID indexes (pgvector not wanted)".to_owned(),
    };
    if !summary.indexes_being_built.is_empty() {
        let _ = write!(
            detail,
            "; being built by another session (INVALID until done, not counted): {}",
            summary.indexes_being_built.join(", ")
        );
    }
    report.step("checks", Status::Ok, started, &detail);
    Ok(())
}
