//! `slipway-release restore <backup> --confirm <database>`: restores a backup
//! into `DATABASE_URL`. Refuses before connecting unless `--confirm` names the
//! database. Holds the migration lock so no release migrates meanwhile.
//!
//! `pg_restore --clean --if-exists --single-transaction` replaces every object
//! in the backup (including the history table, so the history matches the
//! data) and rolls everything back if anything fails. A backup taken before
//! the history table existed (the first release that migrated a database
//! with tables) does not hold it: the history table left in place would then
//! claim migrations the restore undid, so it is dropped. Other objects created
//! after the backup and absent from it are left in place (the README says how
//! to deal with them).

use serde_json::json;
use sqlx::PgConnection;

use crate::backup::{self, BackupError, interrupt};
use crate::config::Settings;
use crate::errors::{ExitClass, Failure};
use crate::migrations::history::{self, AfterRestore, HistoryTable};
use crate::report::Report;

use super::steps::{self, Step, StepResult as _};

pub(crate) async fn restore(
    settings: &Settings,
    report: &mut Report,
    name: &str,
    confirm: Option<&str>,
    heroku_api_restore: bool,
) -> Result<(), Failure> {
    let url = settings.database()?;
    let database = url.database_name().unwrap_or_default();
    if confirm != Some(database.as_str()) {
        return Err(backup::errors::restore_not_confirmed(confirm, &database));
    }
    let step = Step::start("restore");
    let options = backup::TargetOptions {
        heroku_api_restore,
        ..backup::TargetOptions::default()
    };
    let selected = backup::select_with(settings.backup.as_ref(), &settings.backup_env, options)
        .or_fail(step, report)?;
    let Some(target) = selected.target else {
        return Err(BackupError::Disabled.into());
    };
    let name = backup::resolve_name(target.as_ref(), name, &database)
        .await
        .or_fail(step, report)?;

    let mut session = steps::connect(settings, report).await?;
    let key = steps::lock(&mut session, settings, report).await?;
    let step = Step::start("restore");
    let db = steps::backup_database(&mut session.conn, &session.database, settings, url).await;
    let outcome = restore_with_its_history(
        target.as_ref(),
        &name,
        &db,
        &mut session.conn,
        &settings.history,
    )
    .await;
    steps::unlock(&mut session, key).await;
    let history = outcome.map_err(|failure| step.fail(report, failure))?;
    let table = settings.history.name();
    report.set(
        "restored",
        json!({
            "backup": name,
            "target": target.describe(),
            "database": session.database,
            "history_table_dropped": history == AfterRestore::Dropped,
        }),
    );
    let dropped = match &history {
        AfterRestore::Replaced => String::new(),
        AfterRestore::Dropped => format!(
            "; the backup predates {table}, so it was dropped: the history matches the backup's data \
             (objects created after the backup and absent from it are left in place: drop them before \
             the next release, which applies the migrations again)"
        ),
        AfterRestore::KeptBeside(other) => {
            report.warn(&format!(
                "the backup holds no {table}, but brought back {other}, which has the history's \
                 columns: both are kept. If sqlx.toml's table-name changed since the backup, the \
                 restored history is {other}: rename it to {table} (and drop the newer one)"
            ));
            report.set("history_found_as", json!(other));
            String::new()
        }
    };
    step.ok(
        report,
        &format!(
            "{name} from {} into {}{dropped}",
            target.describe(),
            session.database
        ),
    );
    Ok(())
}

/// Restores backup `name` into `db`, then drops the history table if the
/// backup did not hold it. Returns what became of it.
async fn restore_with_its_history(
    target: &dyn backup::BackupTarget,
    name: &str,
    db: &backup::Database<'_>,
    conn: &mut PgConnection,
    table: &HistoryTable,
) -> Result<AfterRestore, Failure> {
    let before = history::identity(&mut *conn, table).await;
    // A stop signal must stop pg_restore too: left alone, it would commit
    // after slipway died, with the history table and the lock not seen to.
    // Dropping the restore kills it (`kill_on_drop`), and its transaction
    // rolls back.
    let mut termination = interrupt::Termination::listen();
    let restored = tokio::select! {
        restored = target.restore(name, db) => restored,
        signal = termination.received() => Err(BackupError::RestoreInterrupted {
            signal,
            target: target.describe(),
        }),
    };
    interrupt::exit_on_later_termination();
    if let Err(error) = restored {
        let existed = matches!(before, Ok(Some(_)));
        return Err(if existed && blocked_by_history_schema(&error) {
            history_blocks_its_schema(table.name(), &error)
        } else {
            backup::errors::restore_failed(error)
        });
    }
    let dropped = match before {
        Ok(before) => history::drop_if_not_restored(conn, table, before).await,
        Err(error) => Err(error),
    };
    dropped.map_err(|source| history_not_replaced(table.name(), &source))
}

/// Whether `pg_restore` could not drop a schema of the backup because an
/// object the backup does not hold is in it: a schema-qualified history
/// table created after the backup was taken.
fn blocked_by_history_schema(error: &BackupError) -> bool {
    let text = error.to_string();
    text.contains("cannot drop schema") && text.contains("depend")
}

/// The restore rolled back because the history table, newer than the
/// backup, is in a schema the backup recreates.
fn history_blocks_its_schema(table: &str, error: &BackupError) -> Failure {
    Failure::new(
        ExitClass::Backup,
        "the backup predates the history table, whose schema it recreates",
        error.to_string(),
        format!(
            "Nothing was restored: the restore rolled back, and the database is as it was. The backup \
             was taken before {table} existed, so restoring it means going back to no history: drop \
             it (`DROP TABLE {table};`) and restore again; the next release then applies every \
             migration, as the first did."
        ),
    )
}

/// The restore succeeded, but the history table it did not replace could
/// not be read or dropped: it may claim migrations the restore undid.
fn history_not_replaced(table: &str, source: &sqlx::Error) -> Failure {
    Failure::new(
        ExitClass::Backup,
        "the backup was restored, but the migration history may be wrong",
        format!(
            "checking or dropping {table} after the restore failed: {}",
            crate::errors::server_said(source)
        ),
        format!(
            "The data is the backup's. If the backup was taken before {table} existed, drop it \
             (`DROP TABLE {table};`) so that the next release applies the migrations again; \
             otherwise leave it."
        ),
    )
}
