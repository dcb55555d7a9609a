//! `slipway-release run`: the release flow, in the design's order. Each step
//! is one function in `steps.rs`; a failing step returns its exit class and
//! the later steps do not run:
//!
//! | step     | fails with |
//! |----------|------------|
//! | config   | 2 (in `commands::dispatch`) |
//! | source   | 2 |
//! | connect  | 3 |
//! | lock     | 4 |
//! | plan     | 6 (drift, dirty or diverged history) |
//! | lint     | 9 (unsafe migrations; see `commands/lint.rs`) |
//! | pgvector | 8 (read-only: the server cannot provide what is needed) |
//! | backup   | 5 (only when something will change and there are tables) |
//! | extension| 8 (create/update the extension, after the backup) |
//! | migrate  | 7, 10, 11, 12 |
//! | checks   | 8 |
//!
//! Nothing changes the server before the lock is held and the backup (when
//! one is needed) succeeded and was verified: not the extension (pgvector
//! ships no downgrade scripts), not `_sqlx_migrations`, not a migration.

use crate::config::Settings;
use crate::db::Session;
use crate::errors::Failure;
use crate::migrations::Migration;
use crate::migrations::retry::RetryPolicy;
use crate::report::Report;

use super::{lint, steps};

pub(crate) async fn run(settings: &Settings, report: &mut Report) -> Result<(), Failure> {
    let migrations = steps::load_migrations(settings, report)?;
    let mut session = steps::connect(settings, report).await?;
    let key = steps::lock(&mut session, settings, report).await?;
    let outcome = run_locked(&mut session, settings, &migrations, report).await;
    steps::unlock(&mut session, key).await;
    outcome
}

/// The steps that run while the migration lock is held.
async fn run_locked(
    session: &mut Session,
    settings: &Settings,
    migrations: &[Migration],
    report: &mut Report,
) -> Result<(), Failure> {
    let applied = steps::read_history(&mut session.conn, &settings.sqlx.history, report).await?;
    let plan = steps::compare_history(migrations, &applied, &settings.sqlx.history, report)?;
    steps::check_history_schema(&mut session.conn, &settings.sqlx.history, &plan, report).await?;
    lint::pending(session, settings, &plan.pending, report).await?;
    let pgvector = steps::pgvector_pre(
        &mut session.conn,
        settings,
        migrations,
        &plan.pending,
        report,
        true,
    )
    .await?;
    steps::backup_before_migrating(session, settings, &plan, &pgvector.action, report).await?;
    steps::pgvector_ensure(&mut session.conn, &pgvector, report).await?;
    let retry = RetryPolicy {
        retries: settings.lock_retries,
        lock_wait: settings.lock_wait,
        lock_timeout: settings.lock_timeout,
    };
    steps::migrate(
        &mut session.conn,
        &settings.sqlx.history,
        &plan,
        retry,
        report,
    )
    .await?;
    steps::checks(&mut session.conn, &pgvector.requirement, report).await
}
