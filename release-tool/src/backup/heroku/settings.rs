//! Settings of the `heroku` backup target: the parsers the settings table uses for its
//! variables, and what the target makes of their values.

use std::time::{Duration, Instant};

use reqwest::Url;

use super::HerokuError;
use crate::redact::Secret;

/// Heroku's Platform API.
pub(crate) const PLATFORM_URL: &str = "https://api.heroku.com";
/// Heroku's Postgres data API (the CLI's default `HEROKU_DATA_HOST`).
pub(crate) const DATA_URL: &str = "https://api.data.heroku.com";
/// The Heroku CLI polls transfers every 3 seconds at least.
pub(crate) const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(3);
/// The release phase has one hour; leave time to migrate after the capture.
pub(crate) const DEFAULT_CAPTURE_TIMEOUT: Duration = Duration::from_mins(40);

/// What the `heroku` target reads from the environment, parsed: the settings table
/// (`config/table.rs`) declares each variable.
#[derive(Clone, Debug)]
pub(crate) struct HerokuEnv {
    /// `HEROKU_API_KEY`.
    pub(crate) api_key: Option<Secret>,
    /// `SLIPWAY_HEROKU_APP`.
    pub(crate) app: Option<String>,
    /// `HEROKU_APP_NAME` (dyno metadata).
    pub(crate) app_name: Option<String>,
    /// `SLIPWAY_HEROKU_API_URL`, for tests.
    pub(crate) platform_url: Option<Url>,
    /// `SLIPWAY_HEROKU_DATA_API_URL`, for tests.
    pub(crate) data_url: Option<Url>,
    /// `SLIPWAY_HEROKU_POLL_INTERVAL`.
    pub(crate) poll_interval: Duration,
    /// `SLIPWAY_HEROKU_CAPTURE_TIMEOUT`.
    pub(crate) capture_timeout: Duration,
}

impl Default for HerokuEnv {
    fn default() -> Self {
        Self {
            api_key: None,
            app: None,
            app_name: None,
            platform_url: None,
            data_url: None,
            poll_interval: DEFAULT_POLL_INTERVAL,
            capture_timeout: DEFAULT_CAPTURE_TIMEOUT,
        }
    }
}

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
    /// The settings of the `heroku` target, or what it lacks.
    pub(crate) fn new(env: &HerokuEnv) -> Result<Self, HerokuError> {
        let api_key = env.api_key.clone().ok_or(HerokuError::MissingApiKey)?;
        // The app named for slipway wins over the dyno's own.
        let app = env
            .app
            .clone()
            .or_else(|| env.app_name.clone())
            .ok_or(HerokuError::MissingApp)?;
        Ok(Self {
            api_key,
            app,
            platform_url: base_url(env.platform_url.as_ref(), PLATFORM_URL)?,
            data_url: base_url(env.data_url.as_ref(), DATA_URL)?,
            poll_interval: env.poll_interval,
            capture_timeout: env.capture_timeout,
        })
    }
}

/// `given`, or Heroku's own base URL.
fn base_url(given: Option<&Url>, heroku: &str) -> Result<Url, HerokuError> {
    match given {
        Some(url) => Ok(url.clone()),
        None => Url::parse(heroku).map_err(|error| HerokuError::Internal(error.to_string())),
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
        let now = Instant::now();
        now.checked_add(limit).unwrap_or(now + NO_LIMIT)
    }
}

/// What a timeout of `0` waits: as good as forever (the release phase itself
/// ends after an hour).
const NO_LIMIT: Duration = Duration::from_hours(100 * 365 * 24);

/// Parses an API base URL (`SLIPWAY_HEROKU_API_URL`, `SLIPWAY_HEROKU_DATA_API_URL`). Plain
/// `http` is accepted for loopback hosts only (the tests' fake API), so the token never
/// crosses a network in clear text.
pub(crate) fn parse_api_url(raw: &str) -> Result<Url, String> {
    // Before parsing: a password with an unencoded `/` hides from the URL
    // parser (`http://u:p/w@host` has host `u`), not from the URL grammar.
    if crate::redact::has_user_info(raw) {
        return Err("the URL must not carry credentials".to_owned());
    }
    let url = Url::parse(raw).map_err(|error| error.to_string())?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err("use https (plain http is only accepted for 127.0.0.1, a test server)".to_owned()),
    }
}

/// Parses the poll interval: a duration such as `3s` or `500ms`, from 1 ms to slipway's
/// longest timeout; not zero.
pub(crate) fn parse_poll_interval(raw: &str) -> Result<Duration, String> {
    match crate::duration::parse_timeout(raw) {
        Ok(parsed) if parsed.is_zero() => Err("must be more than zero".to_owned()),
        Ok(parsed) => Ok(parsed),
        Err(error) => Err(format!("{error} (examples: 3s, 500ms)")),
    }
}

/// Parses the capture timeout: a duration such as `40m`, bounded as every slipway timeout
/// is; `0` is no limit.
pub(crate) fn parse_capture_timeout(raw: &str) -> Result<Duration, String> {
    crate::duration::parse_timeout(raw).map_err(|error| format!("{error} (examples: 40m, 1h)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(api_key: Option<&str>, app: Option<&str>, app_name: Option<&str>) -> HerokuEnv {
        HerokuEnv {
            api_key: api_key.map(|key| Secret::new(key.to_owned())),
            app: app.map(str::to_owned),
            app_name: app_name.map(str::to_owned),
            ..HerokuEnv::default()
        }
    }

    #[test]
    fn defaults_point_at_heroku() {
        let s = HerokuSettings::new(&env(Some("secret"), None, Some("my-app"))).unwrap();
        assert_eq!(s.platform_url.as_str(), "https://api.heroku.com/");
        assert_eq!(s.data_url.as_str(), "https://api.data.heroku.com/");
        assert_eq!(s.app, "my-app");
        assert_eq!(s.poll_interval, DEFAULT_POLL_INTERVAL);
        assert!(!format!("{s:?}").contains("secret"));
    }

    #[test]
    fn slipway_app_wins_over_dyno_metadata() {
        let s = HerokuSettings::new(&env(Some("k"), Some("explicit"), Some("dyno"))).unwrap();
        assert_eq!(s.app, "explicit");
    }

    #[test]
    fn missing_key_and_app_are_named() {
        assert!(matches!(
            HerokuSettings::new(&env(None, None, Some("a"))),
            Err(HerokuError::MissingApiKey)
        ));
        assert!(matches!(
            HerokuSettings::new(&env(Some("k"), None, None)),
            Err(HerokuError::MissingApp)
        ));
    }

    #[test]
    fn a_capture_timeout_of_zero_is_no_limit_and_a_zero_poll_interval_is_refused() {
        for zero in ["0", "0s"] {
            let s = HerokuSettings::new(&HerokuEnv {
                capture_timeout: parse_capture_timeout(zero).unwrap(),
                ..env(Some("k"), Some("a"), None)
            })
            .unwrap();
            assert!(s.capture_deadline() > Instant::now() + Duration::from_hours(24 * 365));
            assert!(parse_poll_interval(zero).is_err());
        }
    }

    #[test]
    fn durations_are_bounded_as_every_slipway_timeout() {
        assert!(parse_poll_interval("1ns").is_err());
        assert!(parse_capture_timeout("1ns").is_err());
        assert!(parse_capture_timeout("3000000000000000h").is_err());
        assert_eq!(parse_poll_interval("50ms"), Ok(Duration::from_millis(50)));
    }

    #[test]
    fn plain_http_only_for_loopback() {
        assert!(parse_api_url("http://127.0.0.1:9/").is_ok());
        assert!(parse_api_url("http://example.com/").is_err());
        assert!(parse_api_url("https://u:p@example.com/").is_err());
    }
}
