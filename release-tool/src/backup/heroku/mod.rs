//! The `heroku` backup target: Heroku PGBackups, through the same data API
//! that `heroku pg:backups:capture` uses.
//!
//! The flow follows the Heroku CLI (`packages/cli/src/commands/pg/backups/capture.ts`):
//! 1. `POST https://api.heroku.com/actions/addon-attachments/resolve`
//!    `{app, addon_attachment: "DATABASE_URL", addon_service: "heroku-postgresql"}`
//!    finds the add-on behind `DATABASE_URL`;
//! 2. `POST https://api.data.heroku.com/client/v11/databases/{addon id}/backups`
//!    starts a capture and returns a transfer (`uuid`, `num`);
//! 3. `GET .../client/v11/apps/{billing app}/transfers/{uuid}` until `finished_at`;
//! 4. when `succeeded` is false, `?verbose=true` returns the transfer's logs.

mod api;
mod settings;
mod target;
mod transfer;

use std::time::{Duration, Instant};

use reqwest::Method;
use serde::{Deserialize, Serialize};

use api::{Api, HerokuApi, Retry};
pub(crate) use settings::{ENV_API_KEY, ENV_DATA_URL, ENV_PLATFORM_URL, HerokuSettings};
pub(crate) use target::HerokuTarget;
use transfer::Transfer;

/// The attachment whose database the release migrates.
const DATABASE_ATTACHMENT: &str = "DATABASE_URL";
/// The add-on service the CLI resolves attachments against.
const POSTGRES_SERVICE: &str = "heroku-postgresql";

/// Everything that can go wrong with the `heroku` target. `errors.rs` maps
/// them: `InvalidSetting`, `RestoreNotRequested`, `UnknownBackup` and
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
    #[error("{key}={value:?} is not valid: {reason}")]
    InvalidSetting {
        key: &'static str,
        value: String,
        reason: String,
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

/// A finished Heroku PGBackups backup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct HerokuBackup {
    /// `b123`.
    pub(crate) name: String,
    pub(crate) app: String,
    pub(crate) finished_at: Option<String>,
    pub(crate) size: Option<u64>,
    pub(crate) succeeded: bool,
}

impl HerokuBackup {
    /// The exact command that restores this backup into `DATABASE_URL`.
    pub(crate) fn restore_command(&self) -> String {
        restore_command(&self.name, &self.app)
    }
}

/// `heroku pg:backups:restore NAME DATABASE_URL --app APP`.
pub(crate) fn restore_command(name: &str, app: &str) -> String {
    format!("heroku pg:backups:restore {name} {DATABASE_ATTACHMENT} --app {app}")
}

/// The add-on behind an attachment, as the resolve action returns it.
#[derive(Debug, Deserialize)]
struct Attachment {
    addon: Addon,
    #[serde(default)]
    app: Option<Named>,
}

#[derive(Debug, Deserialize)]
struct Addon {
    id: String,
    name: String,
    /// The billing app, which owns the add-on's transfers.
    app: Named,
}

#[derive(Debug, Deserialize)]
struct Named {
    name: String,
}

#[derive(Serialize)]
struct ResolveRequest<'a> {
    app: &'a str,
    addon_attachment: &'a str,
    addon_service: &'a str,
}

/// Starts a transfer (a capture or a restore, `what`) with one `POST` to
/// `path` on the data API, not retried; returns it with its uuid.
async fn start_transfer(
    api: &HerokuApi,
    path: &str,
    body: Option<&serde_json::Value>,
    what: &str,
    deadline: Instant,
) -> Result<(Transfer, String), HerokuError> {
    let started: Transfer = api
        .send(Api::Data, Method::POST, path, body, Retry::Never, deadline)
        .await?;
    let uuid = started
        .uuid
        .clone()
        .ok_or_else(|| HerokuError::Internal(format!("the {what} answer has no transfer uuid")))?;
    Ok((started, uuid))
}

/// Captures a backup of the database behind `DATABASE_URL` and waits for it.
/// `progress` receives one human line per notable step.
pub(crate) async fn capture(
    settings: &HerokuSettings,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<HerokuBackup, HerokuError> {
    let api = HerokuApi::new(settings)?;
    let deadline = settings.capture_deadline();
    let addon = resolve_database(&api, &settings.app, deadline).await?;
    progress(format!(
        "Heroku PGBackups: capturing {} ({})",
        addon.name, DATABASE_ATTACHMENT
    ));
    let (started, uuid) = start_transfer(
        &api,
        &format!("/client/v11/databases/{}/backups", segment(&addon.id)),
        None,
        "capture",
        deadline,
    )
    .await?;
    let name = started.name();
    let from = started.from_name.as_deref().unwrap_or("DATABASE");
    progress(format!(
        "Heroku PGBackups: backing up {from} to {name}, waiting for it to finish"
    ));
    let finished = wait_for_transfer(
        &api,
        settings,
        &addon.app.name,
        &uuid,
        &name,
        deadline,
        progress,
    )
    .await?;
    Ok(HerokuBackup {
        name: finished.name(),
        app: settings.app.clone(),
        finished_at: finished.finished_at.clone(),
        size: finished.processed_bytes,
        succeeded: true,
    })
}

/// Lists the app's PGBackups backups, oldest first.
pub(crate) async fn list(settings: &HerokuSettings) -> Result<Vec<HerokuBackup>, HerokuError> {
    let api = HerokuApi::new(settings)?;
    let deadline = settings
        .capture_deadline()
        .min(Instant::now() + Duration::from_mins(2));
    let mut transfers = app_backups(&api, &settings.app, deadline).await?;
    transfers.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    Ok(transfers
        .into_iter()
        .map(|t| HerokuBackup {
            name: t.name(),
            app: settings.app.clone(),
            finished_at: t.finished_at.clone(),
            size: t.processed_bytes,
            succeeded: t.succeeded(),
        })
        .collect())
}

/// Restores backup `name` into the database behind `DATABASE_URL` through the
/// data API, as `heroku pg:backups:restore` does, and waits for it.
pub(crate) async fn restore(
    settings: &HerokuSettings,
    name: &str,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<(), HerokuError> {
    let api = HerokuApi::new(settings)?;
    let deadline = settings.capture_deadline();
    let backup = app_backups(&api, &settings.app, deadline)
        .await?
        .into_iter()
        .find(|t| t.name() == name)
        .ok_or_else(|| HerokuError::UnknownBackup {
            name: name.to_owned(),
            app: settings.app.clone(),
        })?;
    let backup_url = match (&backup.to_url, backup.succeeded()) {
        (Some(url), true) => url.clone(),
        _ => {
            return Err(HerokuError::UnusableBackup {
                name: name.to_owned(),
            });
        }
    };
    let addon = resolve_database(&api, &settings.app, deadline).await?;
    progress(format!(
        "Heroku PGBackups: restoring {name} into {}",
        addon.name
    ));
    let unfinished =
        |transfer: Option<String>, cause: HerokuError| HerokuError::RestoreUnfinished {
            backup: name.to_owned(),
            transfer,
            app: settings.app.clone(),
            cause: Box::new(cause),
        };
    let (started, uuid) = start_transfer(
        &api,
        &format!("/client/v11/databases/{}/restores", segment(&addon.id)),
        Some(&serde_json::json!({ "backup_url": backup_url })),
        "restore",
        deadline,
    )
    .await
    .map_err(|e| match e {
        // A refused key or an unknown database: Heroku started nothing.
        HerokuError::Unauthorized { .. } | HerokuError::NotFound { .. } => e,
        // Anything else (a 5xx, a timeout) may have come after the restore
        // began: say so rather than "nothing changed".
        e => unfinished(None, e),
    })?;
    let restore_name = started.name();
    wait_for_transfer(
        &api,
        settings,
        &addon.app.name,
        &uuid,
        &restore_name,
        deadline,
        progress,
    )
    .await
    .map_err(|e| unfinished(Some(restore_name.clone()), e))?;
    Ok(())
}

/// Finds the heroku-postgresql add-on attached to `app` as `DATABASE_URL`.
async fn resolve_database(
    api: &HerokuApi,
    app: &str,
    deadline: Instant,
) -> Result<Addon, HerokuError> {
    let request = ResolveRequest {
        app,
        addon_attachment: DATABASE_ATTACHMENT,
        addon_service: POSTGRES_SERVICE,
    };
    let attachments: Vec<Attachment> = match api
        .send(
            Api::Platform,
            Method::POST,
            "/actions/addon-attachments/resolve",
            Some(&request),
            // The resolve action changes nothing, so a retry is safe.
            Retry::UntilDeadline,
            deadline,
        )
        .await
    {
        Err(HerokuError::NotFound { .. }) => {
            return Err(HerokuError::NoDatabase {
                app: app.to_owned(),
            });
        }
        other => other?,
    };
    // The CLI prefers the attachment on the app itself when several match.
    let on_app = |a: &Attachment| a.app.as_ref().is_some_and(|owner| owner.name == app);
    let index = attachments.iter().position(on_app).unwrap_or(0);
    attachments
        .into_iter()
        .nth(index)
        .map(|attachment| attachment.addon)
        .ok_or_else(|| HerokuError::NoDatabase {
            app: app.to_owned(),
        })
}

async fn app_backups(
    api: &HerokuApi,
    app: &str,
    deadline: Instant,
) -> Result<Vec<Transfer>, HerokuError> {
    let transfers: Vec<Transfer> = api
        .send(
            Api::Data,
            Method::GET,
            &format!("/client/v11/apps/{}/transfers", segment(app)),
            None::<&()>,
            Retry::UntilDeadline,
            deadline,
        )
        .await?;
    Ok(transfers.into_iter().filter(Transfer::is_backup).collect())
}

/// Polls a transfer until `finished_at` is set, tolerating transient errors
/// (each request retries with backoff), and fails with the transfer's last
/// log lines when it did not succeed.
async fn wait_for_transfer(
    api: &HerokuApi,
    settings: &HerokuSettings,
    billing_app: &str,
    uuid: &str,
    name: &str,
    deadline: Instant,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<Transfer, HerokuError> {
    let path = format!(
        "/client/v11/apps/{}/transfers/{}",
        segment(billing_app),
        segment(uuid)
    );
    let started = Instant::now();
    let mut last_report = Instant::now();
    loop {
        let transfer: Transfer = api
            .send(
                Api::Data,
                Method::GET,
                &path,
                None::<&()>,
                Retry::UntilDeadline,
                deadline,
            )
            .await?;
        if transfer.is_finished() {
            return finished(api, &path, transfer, name, deadline).await;
        }
        if last_report.elapsed() >= Duration::from_secs(30) {
            let bytes = transfer.processed_bytes.unwrap_or(0);
            progress(format!(
                "Heroku PGBackups: {name} still running, {bytes} bytes so far"
            ));
            last_report = Instant::now();
        }
        if Instant::now() + settings.poll_interval >= deadline {
            return Err(HerokuError::TimedOut {
                name: name.to_owned(),
                app: settings.app.clone(),
                waited: started.elapsed(),
            });
        }
        tokio::time::sleep(settings.poll_interval).await;
    }
}

async fn finished(
    api: &HerokuApi,
    path: &str,
    transfer: Transfer,
    name: &str,
    deadline: Instant,
) -> Result<Transfer, HerokuError> {
    if transfer.succeeded() {
        return Ok(transfer);
    }
    if transfer.canceled_at.is_some() {
        return Err(HerokuError::TransferCanceled {
            name: name.to_owned(),
        });
    }
    // The logs come only with `verbose=true`; a failure to fetch them must not
    // hide the failure itself.
    let verbose: Result<Transfer, _> = api
        .send(
            Api::Data,
            Method::GET,
            &format!("{path}?verbose=true"),
            None::<&()>,
            Retry::UntilDeadline,
            deadline,
        )
        .await;
    let logs = verbose.map(|t| t.last_log_lines()).unwrap_or_default();
    Err(HerokuError::TransferFailed {
        name: name.to_owned(),
        logs,
    })
}

/// Percent-encodes one URL path segment.
fn segment(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_command_is_the_cli_one() {
        assert_eq!(
            restore_command("b123", "my-app"),
            "heroku pg:backups:restore b123 DATABASE_URL --app my-app"
        );
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(segment("my-app"), "my-app");
        assert_eq!(segment("a/b?c"), "a%2Fb%3Fc");
    }

    #[test]
    fn failed_transfer_message_shows_logs() {
        let error = HerokuError::TransferFailed {
            name: "b007".to_owned(),
            logs: vec!["t1 pg_dump: error: out of disk".to_owned()],
        };
        let text = error.to_string();
        assert!(text.contains("b007"), "{text}");
        assert!(text.contains("pg_dump: error: out of disk"), "{text}");
    }
}
