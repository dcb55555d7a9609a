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
//! The `command` format has no SQL to read: `plan` and `lint` are skipped,
//! the backup is taken whenever the database has tables (slipway cannot know
//! what the command will apply), and `migrate` runs the command (exit 7).
//!
//! Nothing changes the server before the lock is held and the backup (when
//! one is needed) succeeded and was verified: not the extension (pgvector
//! ships no downgrade scripts), not `_sqlx_migrations`, not a migration.

use slipway_contract::MigrationFormat;

use crate::config::Settings;
use crate::db::Session;
use crate::errors::Failure;
use crate::migrations::Migration;
use crate::migrations::retry::RetryPolicy;
use crate::report::Report;

use super::steps::Pending;
use super::{lint, steps};

pub(crate) async fn run(settings: &Settings, report: &mut Report) -> Result<(), Failure> {
    let migrations = steps::load_migrations(settings, report)?;
    let mut session = steps::connect(settings, report).await?;
    let key = steps::lock(&mut session, settings, report).await?;
    let outcome = match settings.migrations_format {
        MigrationFormat::Command => run_command_locked(&mut session, settings, report).await,
        MigrationFormat::Sqlx | MigrationFormat::Diesel => {
            run_locked(&mut session, settings, &migrations, report).await
        }
    };
    steps::unlock(&mut session, key).await;
    outcome
}

/// The `command` format's steps while the lock is held: no SQL to plan or
/// lint, so the backup is taken whatever the command will do.
async fn run_command_locked(
    session: &mut Session,
    settings: &Settings,
    report: &mut Report,
) -> Result<(), Failure> {
    steps::skip_for_command(report);
    let pgvector = steps::pgvector_pre(&mut session.conn, settings, &[], &[], report, true).await?;
    steps::backup_before_migrating(
        session,
        settings,
        Pending::Unknown,
        &pgvector.action,
        report,
    )
    .await?;
    steps::pgvector_ensure(&mut session.conn, &pgvector, report).await?;
    steps::run_migrate_command(settings, report).await?;
    steps::checks(&mut session.conn, &pgvector.requirement, report).await
}

/// The steps that run while the migration lock is held.
async fn run_locked(
    session: &mut Session,
    settings: &Settings,
    migrations: &[Migration],
    report: &mut Report,
) -> Result<(), Failure> {
    let applied = steps::read_history(&mut session.conn, &settings.history, report).await?;
    let plan = steps::compare_history(migrations, &applied, &settings.history, report)?;
    steps::check_history_schema(&mut session.conn, &settings.history, &plan, report).await?;
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
    steps::backup_before_migrating(
        session,
        settings,
        Pending::Known(&plan),
        &pgvector.action,
        report,
    )
    .await?;
    steps::pgvector_ensure(&mut session.conn, &pgvector, report).await?;
    let retry = RetryPolicy {
        retries: settings.lock_retries,
        lock_wait: settings.lock_wait,
        lock_timeout: settings.lock_timeout,
    };
    steps::migrate(&mut session.conn, &settings.history, &plan, retry, report).await?;
    steps::checks(&mut session.conn, &pgvector.requirement, report).await
}
