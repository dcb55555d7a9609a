//! Waiting for a transfer (a capture or a restore) to finish.

use std::time::{Duration, Instant};

use reqwest::Method;

use super::api::{Api, HerokuApi, Retry};
use super::settings::HerokuSettings;
use super::transfer::Transfer;
use super::{HerokuError, segment};

/// Polls a transfer until `finished_at` is set, tolerating transient errors
/// (each request retries with backoff), and fails with the transfer's last
/// log lines when it did not succeed.
pub(super) async fn wait_for_transfer(
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
