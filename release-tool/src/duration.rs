//! The one duration parser every setting uses (`30s`, `5m`, `1h30m`, `0`). A
//! leaf: it imports nothing from the crate.

use std::time::Duration;

/// PostgreSQL's largest `lock_timeout` / `statement_timeout`: `i32::MAX` ms.
const MAX_TIMEOUT: Duration = Duration::from_millis(2_147_483_647);

/// Parses a duration such as `30s`, `500ms`, `1h30m`, or `0` (a bare zero
/// needs no unit). What zero means is the caller's to say.
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(text).map_err(|e| e.to_string())
}

/// Parses a slipway timeout: a duration from 1 ms to PostgreSQL's limit, or
/// zero (`0`, `0s`) for no limit.
pub(crate) fn parse_timeout(text: &str) -> Result<Duration, String> {
    let duration = parse(text)?;
    if duration.is_zero() {
        return Ok(Duration::ZERO);
    }
    // lock_timeout and statement_timeout are sent to PostgreSQL in whole
    // milliseconds: below 1 ms would silently mean 0 (no limit at all), and
    // above i32::MAX ms the server refuses the session's SET (found by
    // tests/bad_input.rs: `--lock-timeout 30d` failed as "cannot connect").
    if duration < Duration::from_millis(1) {
        return Err("shorter than a millisecond; use 0 to mean no limit".to_owned());
    }
    if duration > MAX_TIMEOUT {
        return Err(format!(
            "longer than PostgreSQL's limit of {}",
            humantime::format_duration(MAX_TIMEOUT)
        ));
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_units_and_zero() {
        assert_eq!(parse_timeout("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout("5m"), Ok(Duration::from_mins(5)));
        assert_eq!(parse_timeout("1h30m"), Ok(Duration::from_mins(90)));
        assert_eq!(parse_timeout("0"), Ok(Duration::ZERO));
        assert_eq!(parse_timeout("0s"), Ok(Duration::ZERO));
        assert!(parse_timeout("1ns").is_err());
        assert!(parse_timeout("5 minutes please").is_err());
        assert!(parse_timeout("30").is_err());
    }

    #[test]
    fn timeouts_stay_within_what_postgresql_accepts() {
        assert_eq!(parse(" 30d "), Ok(Duration::from_hours(720)));
        assert!(
            parse_timeout("30d")
                .unwrap_err()
                .starts_with("longer than PostgreSQL's limit")
        );
        assert_eq!(parse("500us"), Ok(Duration::from_micros(500)));
        assert!(parse_timeout("500us").is_err());
    }
}
