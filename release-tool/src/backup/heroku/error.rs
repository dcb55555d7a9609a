//! What can go wrong with the `heroku` target.

use std::time::Duration;

/// Everything that can go wrong with the `heroku` target. `backup/errors.rs`
/// maps them: `RestoreNotRequested`, `UnknownBackup` and
/// `UnusableBackup` are usage mistakes (exit 2), `Internal` a bug in slipway
/// (exit 1), the rest a failed backup or restore (exit 5).
#[derive(Debug, thiserror::Error)]
pub(crate) enum HerokuError {
    #[error(
        "the `heroku` backup target needs HEROKU_API_KEY\n\
         Set it to an API key that can manage the app's add-ons, for example:\n  \
         heroku config:set HEROKU_API_KEY=\"$(heroku authorizations:create --short --description slipway)\" --app APP"
    )]
    MissingApiKey,
    #[error(
        "the `heroku` backup target needs the app name\n\
         Enable dyno metadata (`heroku labs:enable runtime-dyno-metadata --app APP`, which sets HEROKU_APP_NAME) \
         or set SLIPWAY_HEROKU_APP=APP"
    )]
    MissingApp,
    #[error(
        "this release migrates {migrated}, but the `heroku` target backs up the add-on attached \
         as DATABASE_URL, which is {}",
        attached.as_deref().unwrap_or("not set")
    )]
    NotTheAttachedDatabase {
        migrated: String,
        attached: Option<String>,
    },
    #[error(
        "the Heroku API rejected HEROKU_API_KEY ({message})\n\
         Check that the key is current (`heroku authorizations`) and can access the app"
    )]
    Unauthorized { message: String },
    #[error("the Heroku API found nothing at {what} ({message})")]
    NotFound { what: String, message: String },
    #[error("the Heroku API refused {what}: {message}")]
    Request { what: String, message: String },
    #[error(
        "the Heroku API kept failing for {what}; gave up at the capture deadline \
         (SLIPWAY_HEROKU_CAPTURE_TIMEOUT). Last error: {last_error}"
    )]
    GaveUp { what: String, last_error: String },
    #[error(
        "app {app} has no heroku-postgresql add-on attached as DATABASE_URL\n\
         The `heroku` target backs up Heroku Postgres only; for another database use \
         SLIPWAY_BACKUP=s3://BUCKET/PREFIX"
    )]
    NoDatabase { app: String },
    #[error("Heroku PGBackups could not finish {name}{}", render_logs(.logs))]
    TransferFailed { name: String, logs: Vec<String> },
    #[error("Heroku PGBackups {name} was canceled before it finished")]
    TransferCanceled { name: String },
    #[error(
        "Heroku PGBackups {name} did not finish within {waited:?} (SLIPWAY_HEROKU_CAPTURE_TIMEOUT)\n\
         It may still finish: check `heroku pg:backups:info {name} --app {app}`"
    )]
    TimedOut {
        name: String,
        app: String,
        waited: Duration,
    },
    #[error(
        "there is no Heroku PGBackups backup named {name} on app {app} (see `heroku pg:backups --app {app}`)"
    )]
    UnknownBackup { name: String, app: String },
    #[error(
        "Heroku PGBackups backup {name} did not complete successfully, so it cannot be restored"
    )]
    UnusableBackup { name: String },
    #[error(
        "slipway does not restore Heroku PGBackups by itself unless asked to\n\
         Restore with the Heroku CLI:\n  {command}\n\
         or let slipway call the same API: add --yes-use-heroku-restore"
    )]
    RestoreNotRequested { command: String },
    /// The restore was asked for (and may have started): Heroku's restore is
    /// not one transaction, so the database may hold part of the backup.
    #[error("the Heroku restore of {backup} {}did not finish: {cause}",
        .transfer.as_ref().map(|t| format!("({t}) ")).unwrap_or_default())]
    RestoreUnfinished {
        backup: String,
        /// The restore transfer's name (`r900`), when Heroku answered the request.
        transfer: Option<String>,
        app: String,
        cause: Box<HerokuError>,
    },
    #[error("internal error in slipway-release's Heroku client (a bug, please report it): {0}")]
    Internal(String),
}

fn render_logs(logs: &[String]) -> String {
    if logs.is_empty() {
        String::from(" (the transfer has no log lines)")
    } else {
        format!("; its last log lines:\n  {}", logs.join("\n  "))
    }
}
