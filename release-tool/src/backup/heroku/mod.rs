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
mod error;
mod settings;
mod target;
mod transfer;
mod wait;

use std::time::{Duration, Instant};

use reqwest::Method;
use serde::{Deserialize, Serialize};

use api::{Api, HerokuApi, Retry};
pub(crate) use error::HerokuError;
pub(crate) use settings::{
    DEFAULT_CAPTURE_TIMEOUT, DEFAULT_POLL_INTERVAL, HerokuEnv, HerokuSettings, parse_api_url,
    parse_capture_timeout, parse_poll_interval,
};
pub(crate) use target::HerokuTarget;
use transfer::Transfer;
use wait::wait_for_transfer;

/// The attachment whose database the release migrates.
const DATABASE_ATTACHMENT: &str = "DATABASE_URL";
/// The add-on service the CLI resolves attachments against.
const POSTGRES_SERVICE: &str = "heroku-postgresql";

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
