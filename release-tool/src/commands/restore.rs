//! `slipway-release restore <backup> --confirm <database>`: restores a backup
//! into `DATABASE_URL`. Refuses before connecting unless `--confirm` names the
//! database. Holds the migration lock so no release migrates meanwhile.
//!
//! `pg_restore --clean --if-exists --single-transaction` replaces every object
//! in the backup (including `_sqlx_migrations`, so the history matches the
//! data) and rolls everything back if anything fails. Objects created after
//! the backup and absent from it are left in place (the README says how to
//! deal with them).

use serde_json::json;

use crate::backup::{self, BackupError};
use crate::config::Settings;
use crate::errors::Failure;
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
    let selected = backup::select_with(settings.backup.as_ref(), options).or_fail(step, report)?;
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
    let outcome = target.restore(&name, &db).await;
    steps::unlock(&mut session, key).await;
    outcome.map_err(|e| step.fail(report, backup::errors::restore_failed(e)))?;
    report.set(
        "restored",
        json!({ "backup": name, "target": target.describe(), "database": session.database }),
    );
    step.ok(
        report,
        &format!(
            "{name} from {} into {}",
            target.describe(),
            session.database
        ),
    );
    Ok(())
}
