//! Settings of the `heroku` backup target, read from the environment.

use std::time::{Duration, Instant};

use reqwest::Url;

use super::HerokuError;
use crate::redact::Secret;

/// Heroku's Platform API.
pub(crate) const PLATFORM_URL: &str = "https://api.heroku.com";
/// Heroku's Postgres data API (the CLI's default `HEROKU_DATA_HOST`).
pub(crate) const DATA_URL: &str = "https://api.data.heroku.com";
/// The Heroku CLI polls transfers every 3 seconds at least.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(3);
/// The release phase has one hour; leave time to migrate after the capture.
const DEFAULT_CAPTURE_TIMEOUT: Duration = Duration::from_mins(40);

/// Environment variable names.
pub(crate) const ENV_API_KEY: &str = "HEROKU_API_KEY";
pub(crate) const ENV_APP_NAME: &str = "HEROKU_APP_NAME";
pub(crate) const ENV_APP: &str = "SLIPWAY_HEROKU_APP";
pub(crate) const ENV_CAPTURE_TIMEOUT: &str = "SLIPWAY_HEROKU_CAPTURE_TIMEOUT";
pub(crate) const ENV_POLL_INTERVAL: &str = "SLIPWAY_HEROKU_POLL_INTERVAL";
/// Test-only overrides of the two API base URLs.
pub(crate) const ENV_PLATFORM_URL: &str = "SLIPWAY_HEROKU_API_URL";
pub(crate) const ENV_DATA_URL: &str = "SLIPWAY_HEROKU_DATA_API_URL";

/// Everything the `heroku` target needs.
#[derive(Clone, Debug)]
pub(crate) struct HerokuSettings {
    pub(crate) api_key: Secret,
    pub(crate) app: String,
    pub(crate) platform_url: Url,
    pub(crate) data_url: Url,
    pub(crate) poll_interval: Duration,
    pub(crate) capture_timeout: Duration,
}

impl HerokuSettings {
    /// Reads the settings through `env` (the process environment in production).
    pub(crate) fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Self, HerokuError> {
        let present = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        let api_key = present(ENV_API_KEY).ok_or(HerokuError::MissingApiKey)?;
        let app = present(ENV_APP)
            .or_else(|| present(ENV_APP_NAME))
            .ok_or(HerokuError::MissingApp)?;
        Ok(Self {
            api_key: Secret::new(api_key.trim().to_owned()),
            app: app.trim().to_owned(),
            platform_url: api_url(ENV_PLATFORM_URL, present(ENV_PLATFORM_URL), PLATFORM_URL)?,
            data_url: api_url(ENV_DATA_URL, present(ENV_DATA_URL), DATA_URL)?,
            poll_interval: duration(
                ENV_POLL_INTERVAL,
                present(ENV_POLL_INTERVAL),
                DEFAULT_POLL_INTERVAL,
                false,
            )?,
            capture_timeout: duration(
                ENV_CAPTURE_TIMEOUT,
                present(ENV_CAPTURE_TIMEOUT),
                DEFAULT_CAPTURE_TIMEOUT,
                true,
            )?,
        })
    }
}

impl HerokuSettings {
    /// When a capture or restore started now must have finished: after the
    /// capture timeout, or (for `0`, no limit) a century from now.
    pub(crate) fn capture_deadline(&self) -> Instant {
        let limit = if self.capture_timeout.is_zero() {
            NO_LIMIT
        } else {
            self.capture_timeout
        };
        Instant::now() + limit
    }
}

/// What a timeout of `0` waits: as good as forever (the release phase itself
/// ends after an hour).
const NO_LIMIT: Duration = Duration::from_hours(100 * 365 * 24);

/// Parses an API base URL. Plain `http` is accepted for loopback hosts only
/// (the tests' fake API), so the token never crosses a network in clear text.
fn api_url(key: &'static str, value: Option<String>, default: &str) -> Result<Url, HerokuError> {
    let raw = value.unwrap_or_else(|| default.to_owned());
    let invalid = |reason: &str| HerokuError::InvalidSetting {
        key,
        value: raw.clone(),
        reason: reason.to_owned(),
    };
    // Before parsing: a password with an unencoded `/` hides from the URL
    // parser (`http://u:p/w@host` has host `u`), not from the URL grammar.
    if crate::redact::has_user_info(&raw) {
        return Err(HerokuError::InvalidSetting {
            key,
            value: crate::redact::without_user_info(&raw),
            reason: "the URL must not carry credentials".to_owned(),
        });
    }
    let url = Url::parse(&raw).map_err(|error| invalid(&error.to_string()))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(invalid(
            "use https (plain http is only accepted for 127.0.0.1, a test server)",
        )),
    }
}

/// Parses a duration such as `3s`, `500ms` or `40m`. `0` (or `0s`) is
/// accepted only where `zero_is_no_limit` (a timeout: 0 means no limit, as
/// for every slipway timeout); a poll interval must be more than zero.
fn duration(
    key: &'static str,
    value: Option<String>,
    default: Duration,
    zero_is_no_limit: bool,
) -> Result<Duration, HerokuError> {
    let Some(raw) = value else { return Ok(default) };
    match crate::duration::parse(&raw) {
        Ok(parsed) if !parsed.is_zero() || zero_is_no_limit => Ok(parsed),
        Ok(_) => Err(HerokuError::InvalidSetting {
            key,
            value: raw,
            reason: "must be more than zero".to_owned(),
        }),
        Err(error) => Err(HerokuError::InvalidSetting {
            key,
            value: raw,
            reason: format!("{error} (examples: 3s, 500ms, 40m)"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<HerokuSettings, HerokuError> {
        HerokuSettings::from_env(crate::backup::env_of(pairs))
    }

    #[test]
    fn defaults_point_at_heroku() {
        let s = settings(&[(ENV_API_KEY, "secret"), (ENV_APP_NAME, "my-app")]).unwrap();
        assert_eq!(s.platform_url.as_str(), "https://api.heroku.com/");
        assert_eq!(s.data_url.as_str(), "https://api.data.heroku.com/");
        assert_eq!(s.app, "my-app");
        assert_eq!(s.poll_interval, DEFAULT_POLL_INTERVAL);
        assert!(!format!("{s:?}").contains("secret"));
    }

    #[test]
    fn slipway_app_wins_over_dyno_metadata() {
        let s = settings(&[
            (ENV_API_KEY, "k"),
            (ENV_APP_NAME, "dyno"),
            (ENV_APP, "explicit"),
        ])
        .unwrap();
        assert_eq!(s.app, "explicit");
    }

    #[test]
    fn missing_key_and_app_are_named() {
        assert!(matches!(
            settings(&[(ENV_APP_NAME, "a")]),
            Err(HerokuError::MissingApiKey)
        ));
        assert!(matches!(
            settings(&[(ENV_API_KEY, "k")]),
            Err(HerokuError::MissingApp)
        ));
    }

    #[test]
    fn a_capture_timeout_of_zero_is_no_limit_and_a_zero_poll_interval_is_refused() {
        for zero in ["0", "0s"] {
            let s = settings(&[
                (ENV_API_KEY, "k"),
                (ENV_APP, "a"),
                (ENV_CAPTURE_TIMEOUT, zero),
            ])
            .unwrap();
            assert!(s.capture_deadline() > Instant::now() + Duration::from_hours(24 * 365));
            assert!(matches!(
                settings(&[
                    (ENV_API_KEY, "k"),
                    (ENV_APP, "a"),
                    (ENV_POLL_INTERVAL, zero)
                ]),
                Err(HerokuError::InvalidSetting {
                    key: ENV_POLL_INTERVAL,
                    ..
                })
            ));
        }
    }

    #[test]
    fn plain_http_only_for_loopback() {
        let ok = settings(&[
            (ENV_API_KEY, "k"),
            (ENV_APP, "a"),
            (ENV_DATA_URL, "http://127.0.0.1:9/"),
        ]);
        assert!(ok.is_ok());
        let err = settings(&[
            (ENV_API_KEY, "k"),
            (ENV_APP, "a"),
            (ENV_DATA_URL, "http://example.com/"),
        ]);
        assert!(matches!(
            err,
            Err(HerokuError::InvalidSetting {
                key: ENV_DATA_URL,
                ..
            })
        ));
    }
}
