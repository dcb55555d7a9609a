//! [`BackupTarget`] for `heroku`: Heroku PGBackups.

use async_trait::async_trait;

use super::{HerokuBackup, HerokuEnv, HerokuError, HerokuSettings};
use crate::backup::{BackupError, BackupRecord, BackupTarget, Database};
use crate::db::DatabaseUrl;
use crate::redact;

/// Backups taken and kept by Heroku PGBackups.
pub(crate) struct HerokuTarget {
    settings: HerokuSettings,
    /// `SLIPWAY_HEROKU_APP` and `HEROKU_APP_NAME`, to tell another app's database.
    named_app: Option<String>,
    own_app: Option<String>,
    /// `restore --yes-use-heroku-restore`: restore through the data API
    /// instead of printing the `heroku pg:backups:restore` command.
    api_restore: bool,
}

impl HerokuTarget {
    /// Builds the target from its settings.
    pub(crate) fn new(env: &HerokuEnv, api_restore: bool) -> Result<Self, HerokuError> {
        let settings = HerokuSettings::new(env)?;
        redact::register_secret(settings.api_key.expose());
        Ok(Self {
            settings,
            named_app: env.app.clone(),
            own_app: env.app_name.clone(),
            api_restore,
        })
    }

    fn record(&self, backup: HerokuBackup) -> BackupRecord {
        BackupRecord {
            name: backup.name,
            location: self.describe(),
            size_bytes: backup.size,
            verified_entries: None,
            created_at: backup.finished_at,
            pending_versions: None,
            database: None,
        }
    }
}

/// Refuses unless `db` is the database attached as `DATABASE_URL`, the one
/// PGBackups captures and restores into: a release given `--database-url`
/// for another database must not back up (or restore) this one instead.
fn attached_database_is(target: &HerokuTarget, db: &Database<'_>) -> Result<(), HerokuError> {
    // PGBackups acts on the named app's DATABASE_URL; only this app's can be
    // compared with the database migrated here.
    if let (Some(named), Some(own)) = (&target.named_app, &target.own_app)
        && named != own
    {
        return Err(HerokuError::NotTheAttachedDatabase {
            migrated: db.url.to_string(),
            attached: Some(format!(
                "app {named}'s (SLIPWAY_HEROKU_APP), not this app's ({own})"
            )),
        });
    }
    // PGBackups captures the add-on by its host name; an address slipway connects to instead
    // (`hostaddr`, or an inherited PGHOSTADDR) may be another server, which it never sees.
    if let Some(address) = db.url.hostaddr() {
        return Err(HerokuError::NotTheAttachedDatabase {
            migrated: format!(
                "{} at the address {address} (`hostaddr` in the URL, or PGHOSTADDR)",
                db.url
            ),
            attached: Some("reached by its host name, never by that address".to_owned()),
        });
    }
    let attached = std::env::var("DATABASE_URL")
        .ok()
        .and_then(|text| DatabaseUrl::parse(&text).ok());
    if attached
        .as_ref()
        .is_some_and(|url| url.same_database(db.url))
    {
        return Ok(());
    }
    Err(HerokuError::NotTheAttachedDatabase {
        migrated: db.url.to_string(),
        attached: attached.map(|url| url.to_string()),
    })
}

/// Prints a progress line on stderr, where the human lines go.
#[allow(clippy::needless_pass_by_value)] // it is the `FnMut(String)` progress callback
fn progress(line: String) {
    eprintln!("  {}", redact::redact(&line));
}

#[async_trait]
impl BackupTarget for HerokuTarget {
    fn describe(&self) -> String {
        format!("heroku:{}", self.settings.app)
    }

    /// Captures a backup with Heroku PGBackups (the name is Heroku's, `b123`)
    /// and prints the command that restores it.
    async fn create(&self, db: &Database<'_>, _name: &str) -> Result<BackupRecord, BackupError> {
        attached_database_is(self, db)?;
        let backup = super::capture(&self.settings, &mut progress).await?;
        progress(format!(
            "Heroku PGBackups {} done; to restore it: {}",
            backup.name,
            backup.restore_command()
        ));
        Ok(self.record(backup))
    }

    async fn list(&self) -> Result<Vec<BackupRecord>, BackupError> {
        Ok(super::list(&self.settings)
            .await?
            .into_iter()
            .filter(|backup| backup.succeeded)
            .map(|backup| self.record(backup))
            .collect())
    }

    /// Prints the `heroku pg:backups:restore` command, unless
    /// `--yes-use-heroku-restore` asked slipway to call the restore API.
    async fn restore(&self, name: &str, db: &Database<'_>) -> Result<(), BackupError> {
        attached_database_is(self, db)?;
        if !self.api_restore {
            return Err(HerokuError::RestoreNotRequested {
                command: super::restore_command(name, &self.settings.app),
            }
            .into());
        }
        super::restore(&self.settings, name, &mut progress).await?;
        Ok(())
    }

    /// Heroku PGBackups keeps backups by the database plan's own retention;
    /// slipway never deletes them.
    async fn prune(&self, _keep: usize, _database: &str) -> Result<Vec<BackupRecord>, BackupError> {
        Ok(Vec::new())
    }
}
