//! A small client for the two Heroku APIs that `heroku pg:backups` talks to.
//!
//! - the Platform API (`https://api.heroku.com`) resolves the add-on behind an
//!   attachment such as `DATABASE_URL`;
//! - the Postgres data API (`https://api.data.heroku.com`, the CLI's
//!   `HEROKU_DATA_HOST`) starts captures and reports transfers.
//!
//! The bearer token is attached only to URLs built from those two configured
//! base URLs, and redirects are never followed, so the token cannot leak to
//! another host.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::HerokuError;
use super::settings::HerokuSettings;
use crate::errors;
use crate::redact::Secret;

/// The media type the Heroku CLI sends to both APIs.
const ACCEPT: &str = "application/vnd.heroku+json; version=3";
/// Longest pause between two retries of a failing request.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Which of the two Heroku APIs a request goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    Platform,
    Data,
}

/// Whether a failed request may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Idempotent requests: retry transient failures with backoff until the deadline.
    UntilDeadline,
    /// Requests that start work (a capture): a retry could start it twice.
    Never,
}

/// An authenticated client for the configured Heroku API hosts.
pub(crate) struct HerokuApi {
    http: reqwest::Client,
    platform: Url,
    data: Url,
    key: Secret,
    first_retry_delay: Duration,
}

impl HerokuApi {
    /// Builds a client that never follows redirects and times out each request.
    pub(crate) fn new(settings: &HerokuSettings) -> Result<Self, HerokuError> {
        crate::http::install_crypto_provider();
        let http = reqwest::Client::builder()
            // Following a redirect would carry the token to whatever host the
            // Location header names.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("slipway-release/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| {
                HerokuError::Internal(format!("cannot build the HTTP client: {error}"))
            })?;
        Ok(Self {
            http,
            platform: settings.platform_url.clone(),
            data: settings.data_url.clone(),
            key: settings.api_key.clone(),
            first_retry_delay: settings.poll_interval,
        })
    }

    /// Sends one JSON request and decodes the JSON answer, retrying transient
    /// failures (connection errors, timeouts, 429 and 5xx) with exponential
    /// backoff when `retry` allows it, until `deadline`.
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        api: Api,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
        retry: Retry,
        deadline: Instant,
    ) -> Result<T, HerokuError> {
        let url = self.url(api, path)?;
        let mut attempt: u32 = 0;
        loop {
            match self.send_once(&method, &url, body).await {
                Ok(value) => return Ok(value),
                Err(failure) if failure.transient && retry == Retry::UntilDeadline => {
                    let delay = self.backoff(attempt);
                    if Instant::now() + delay >= deadline {
                        return Err(HerokuError::GaveUp {
                            what: format!("{method} {}", redacted_path(&url)),
                            last_error: failure.message,
                        });
                    }
                    attempt = attempt.saturating_add(1);
                    tokio::time::sleep(delay).await;
                }
                Err(failure) => return Err(failure.into_error(&method, &url)),
            }
        }
    }

    /// The pause before retry number `attempt` (0-based): doubling from the
    /// poll interval, capped at [`MAX_BACKOFF`].
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(16));
        self.first_retry_delay
            .saturating_mul(factor)
            .min(MAX_BACKOFF)
    }

    /// Joins `path` to the configured base URL of `api`. Paths are fixed
    /// templates whose variable parts were percent-encoded by the caller.
    fn url(&self, api: Api, path: &str) -> Result<Url, HerokuError> {
        let base = match api {
            Api::Platform => &self.platform,
            Api::Data => &self.data,
        };
        let joined = format!("{}{path}", base.as_str().trim_end_matches('/'));
        let url = Url::parse(&joined)
            .map_err(|error| HerokuError::Internal(format!("bad API URL {joined}: {error}")))?;
        // Belt and braces: the token goes to the configured origin only.
        if url.origin() != base.origin() {
            return Err(HerokuError::Internal(format!(
                "{joined} left the configured API host"
            )));
        }
        Ok(url)
    }

    async fn send_once<T: DeserializeOwned>(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&impl Serialize>,
    ) -> Result<T, Failure> {
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(self.key.expose())
            .header(reqwest::header::ACCEPT, ACCEPT);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(Failure::transport)?;
        let status = response.status();
        if status.is_redirection() {
            return Err(Failure::redirect(status, &response));
        }
        let bytes = response.bytes().await.map_err(Failure::transport)?;
        if !status.is_success() {
            return Err(Failure::status(status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|error| Failure {
            transient: false,
            status: Some(status),
            message: format!("the answer is not the JSON slipway expects: {error}"),
        })
    }
}

/// One failed attempt.
struct Failure {
    transient: bool,
    status: Option<StatusCode>,
    message: String,
}

impl Failure {
    fn transport(error: reqwest::Error) -> Self {
        // reqwest's messages name the URL, never the headers, so they hold no token.
        let kind = if error.is_timeout() {
            "timed out"
        } else if error.is_connect() {
            "cannot connect"
        } else {
            "transport error"
        };
        let error = error.without_url();
        // The useful part (refused, TLS certificate, DNS) is deep in the chain.
        let message = format!("{kind}: {}", errors::error_chain(&error));
        Self {
            transient: true,
            status: None,
            message,
        }
    }

    fn redirect(status: StatusCode, response: &reqwest::Response) -> Self {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("(no Location header)");
        Self {
            transient: false,
            status: Some(status),
            message: format!(
                "redirected ({status}) to {location}; slipway does not follow redirects so that the API key is only sent to the configured host"
            ),
        }
    }

    fn status(status: StatusCode, body: &[u8]) -> Self {
        // Heroku's error bodies are {"id": "...", "message": "..."}.
        let message = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|value| {
                value
                    .get("message")
                    .and_then(|m| m.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect());
        Self {
            transient: status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS,
            status: Some(status),
            message: format!("{status}: {message}"),
        }
    }

    fn into_error(self, method: &Method, url: &Url) -> HerokuError {
        match self.status {
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => HerokuError::Unauthorized {
                message: self.message,
            },
            Some(StatusCode::NOT_FOUND) => HerokuError::NotFound {
                what: format!("{method} {}", redacted_path(url)),
                message: self.message,
            },
            _ => HerokuError::Request {
                what: format!("{method} {}", redacted_path(url)),
                message: self.message,
            },
        }
    }
}

/// The URL without its query, for messages.
fn redacted_path(url: &Url) -> String {
    format!("{}{}", url.origin().ascii_serialization(), url.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(poll: Duration) -> HerokuApi {
        let settings = HerokuSettings {
            api_key: Secret::new("k".to_owned()),
            app: "app".to_owned(),
            platform_url: Url::parse("https://api.heroku.com").unwrap(),
            data_url: Url::parse("https://api.data.heroku.com/").unwrap(),
            poll_interval: poll,
            capture_timeout: Duration::from_mins(1),
        };
        HerokuApi::new(&settings).unwrap()
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let api = api(Duration::from_secs(3));
        assert_eq!(api.backoff(0), Duration::from_secs(3));
        assert_eq!(api.backoff(1), Duration::from_secs(6));
        assert_eq!(api.backoff(2), Duration::from_secs(12));
        assert_eq!(api.backoff(5), MAX_BACKOFF);
        assert_eq!(api.backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn urls_stay_on_the_configured_hosts() {
        let api = api(Duration::from_secs(3));
        assert_eq!(
            api.url(Api::Data, "/client/v11/databases/abc/backups")
                .unwrap()
                .as_str(),
            "https://api.data.heroku.com/client/v11/databases/abc/backups"
        );
        assert_eq!(
            api.url(Api::Platform, "/actions/addon-attachments/resolve")
                .unwrap()
                .as_str(),
            "https://api.heroku.com/actions/addon-attachments/resolve"
        );
        assert!(api.url(Api::Platform, "@evil.example/x").is_err());
    }
}
