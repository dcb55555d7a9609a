//! The `connect` and `lock` steps: a database session, and sqlx's
//! migration lock on it.

use serde_json::json;
use slipway_contract::MigrationFormat;

use crate::config::Settings;
use crate::db::{self, Session};
use crate::errors::Failure;
use crate::lock;
use crate::report::Report;

use super::{Step, StepResult as _};

/// Connects, with the session's timeouts set.
pub(crate) async fn connect(settings: &Settings, report: &mut Report) -> Result<Session, Failure> {
    let step = Step::start("connect");
    let url = settings.database().or_fail(step, report)?;
    let session = db::connect(
        url,
        settings.connect_timeout,
        settings.lock_timeout,
        settings.statement_timeout,
    )
    .await
    .or_fail(step, report)?;
    report.set(
        "database",
        json!({ "url": url.to_string(), "name": session.database, "server_version": session.server_version }),
    );
    step.ok(
        report,
        &format!("{url} (PostgreSQL {})", session.server_version),
    );
    Ok(session)
}

/// Takes the migration lock of the app's format (sqlx's key for sqlx apps,
/// slipway's own for the others), waiting at most the configured time.
pub(crate) async fn lock(
    session: &mut Session,
    settings: &Settings,
    report: &mut Report,
) -> Result<i64, Failure> {
    let step = Step::start("lock");
    let key = lock::key_for(settings.migrations_format, &session.database);
    lock::acquire(&mut session.conn, key, settings.lock_wait)
        .await
        .or_fail(step, report)?;
    let whose = match settings.migrations_format {
        MigrationFormat::Sqlx => "the key sqlx's Migrator uses",
        MigrationFormat::Diesel => "slipway's own key: Diesel takes no lock",
        MigrationFormat::Command => "slipway's own key, held while the command runs",
    };
    step.ok(report, &format!("advisory lock {key} ({whose})"));
    Ok(key)
}

/// Releases the lock. A failure here is harmless: closing the session releases it.
pub(crate) async fn unlock(session: &mut Session, key: i64) {
    let _ = lock::release(&mut session.conn, key).await;
}
