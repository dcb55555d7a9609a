//! The last line of defence for secrets: every line slipway prints passes
//! through [`redact`], and every value of the JSON document through
//! [`redact_json`].
//!
//! Two layers:
//! 1. **By structure.** The password of any URL (`scheme://user:PASSWORD@host`)
//!    and its `password=` query parameter become `***`, whatever their length
//!    and whether or not they were registered.
//! 2. **By value, as a backstop.** Each registered secret of at least
//!    [`MIN_BACKSTOP_CHARS`] characters is replaced wherever it appears. A
//!    shorter one is never searched for: the password `pw` would otherwise
//!    turn every `slipway-release` into `sli***ay-release`, and `postgres`
//!    would mask the scheme and the user name of every URL.
//!
//! Secrets are registered before anything prints (`commands::dispatch` reads
//! every secret-bearing variable and argument first), and again where they are
//! parsed (`db::url`, the S3 and Heroku targets).

use std::fmt;
use std::sync::{Mutex, PoisonError};

use percent_encoding::percent_decode_str;
use serde_json::Value;
use slipway_contract::{UserInfo, user_info};

/// Registered secrets shorter than this are hidden by structure only (see the
/// module documentation). Real credentials are longer: AWS secret keys have
/// 40 characters, Heroku API keys 36, Heroku Postgres passwords 65.
pub(crate) const MIN_BACKSTOP_CHARS: usize = 12;

/// The authority of the URL template the messages show
/// (`postgres://USER:PASSWORD@HOST:PORT/DATABASE`): no secret, and no URL
/// that could connect (`PORT` is no port).
const TEMPLATE_AUTHORITY: &str = "USER:PASSWORD@HOST:PORT";

/// What a hidden secret is replaced with.
const MASK: &str = "***";

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// A secret value (an API key, an S3 secret). Its `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(secret: String) -> Self {
        Self(secret)
    }

    /// The secret itself, only where it is sent (a header, a signature).
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Remembers `secret` in every form a person may have given it (as is,
/// trimmed, percent-decoded) or a message may show it (escaped) so that
/// [`redact`] hides it.
pub(crate) fn register_secret(secret: &str) {
    let trimmed = secret.trim();
    let decoded = percent_decode_str(trimmed)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned);
    // Escaped as a message quotes it (`{value:?}`) and as JSON text does:
    // a `"` or `\` in the secret would otherwise hide it from the search.
    let debug = trimmed.escape_debug().to_string();
    let json = serde_json::to_string(trimmed)
        .ok()
        .and_then(|quoted| Some(quoted.strip_prefix('"')?.strip_suffix('"')?.to_owned()));
    let mut secrets = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
    for candidate in [
        Some(secret.to_owned()),
        Some(trimmed.to_owned()),
        decoded,
        Some(debug),
        json,
    ]
    .into_iter()
    .flatten()
    {
        if candidate.chars().count() >= MIN_BACKSTOP_CHARS && !secrets.contains(&candidate) {
            secrets.push(candidate);
        }
    }
    // Longest first, so that a secret containing another is hidden whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Registers the credentials a URL-like `text` carries (the password of its
/// user info and any `password=` parameter). Lenient on purpose: it also reads
/// text that is not a valid URL, since such text may still be echoed back.
pub(crate) fn register_url_secrets(text: &str) {
    // `text` is one value: a password may hold a space, which ends a URL in
    // free text but not in a value.
    let mut whole: Vec<String> = value_user_info(text)
        .and_then(|(_, info)| info.password)
        .map(str::to_owned)
        .into_iter()
        .collect();
    if let Some((_, token)) = text.split_once("://") {
        whole.extend(query_passwords(token.trim()));
    }
    for password in url_passwords(text).into_iter().chain(whole) {
        register_secret(&password);
        // sqlx reads query parameters form-decoded (`+` is a space).
        if password.contains('+') {
            register_secret(&password.replace('+', " "));
        }
    }
}

/// Splits `text` at its first URL: the text before it (up to and with
/// `scheme://`), the URL without its scheme up to the next whitespace, and
/// the text after it.
fn split_at_url(text: &str) -> Option<(&str, &str, &str)> {
    let at = text.find("://")?;
    let (before, after) = text.split_at(at + 3);
    let token_end = after.find(char::is_whitespace).unwrap_or(after.len());
    let (token, tail) = after.split_at(token_end);
    Some((before, token, tail))
}

/// The passwords in `text`'s URLs, as written (still percent-encoded).
fn url_passwords(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some((_, token, tail)) = split_at_url(rest) {
        let info = user_info(token, true);
        if let Some(password) = info.and_then(|i| i.password) {
            found.push(password.to_owned());
        }
        found.extend(query_passwords(info.map_or(token, |i| i.rest)));
        rest = tail;
    }
    found
}

/// The values of `password=` parameters in `token`'s query.
fn query_passwords(token: &str) -> Vec<String> {
    let Some((_, query)) = token.split_once('?') else {
        return Vec::new();
    };
    let query = query.split('#').next().unwrap_or_default();
    query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("password="))
        .map(str::to_owned)
        .collect()
}

/// Returns `text` with every URL's password and every registered secret
/// long enough for the backstop replaced by `***`.
pub(crate) fn redact(text: &str) -> String {
    // Registered secrets first: masking a URL's password by structure could
    // split a secret (one holding a space ends the URL early) so that the
    // backstop no longer finds it whole, and its tail would show.
    let mut out = text.to_owned();
    let secrets = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), MASK);
        }
    }
    mask_url_credentials(&out)
}

/// Whether the URL `value` holds user info (`user@`, `user:password@`), by
/// the URL grammar read leniently: its last `@` when its authority has none.
pub(crate) fn has_user_info(value: &str) -> bool {
    value_user_info(value).is_some()
}

/// The scheme and user info of the URL `value`, read leniently (see
/// [`user_info`]). `value` is one value, not free text: a space in it does
/// not end the URL.
fn value_user_info(value: &str) -> Option<(&str, UserInfo<'_>)> {
    let (scheme, token) = value.split_once("://")?;
    Some((scheme, user_info(token.trim(), true)?))
}

/// `text` with the whole user info of each URL (`KEY:SECRET@`, found as
/// [`user_info`] leniently finds it) replaced by `***@`: for echoing a value
/// that was refused because it holds credentials, where even the user
/// (an access key id) is not for printing.
pub(crate) fn without_user_info(value: &str) -> String {
    let shown = match value_user_info(value) {
        Some((scheme, info)) if is_scheme(scheme) => format!("{scheme}://{MASK}@{}", info.rest),
        // A value without a scheme (`KEY:SECRET@bucket/prefix`, where the secret may hold
        // `://`) is all authority.
        _ => match user_info(value.trim(), true) {
            Some(info) => format!("{MASK}@{}", info.rest),
            None => value.to_owned(),
        },
    };
    redact(&shown)
}

/// Whether `text` is a URL scheme (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`).
fn is_scheme(text: &str) -> bool {
    let mut chars = text.trim_start().chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Redacts every string (and every key) of a JSON value in place: a secret
/// is hidden before serialisation escapes its `"` or `\`.
pub(crate) fn redact_json(value: &mut Value) {
    match value {
        Value::String(text) => *text = redact(text),
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut item) in entries {
                redact_json(&mut item);
                map.insert(redact(&key), item);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `text` with the password of each URL (`scheme://user:PASSWORD@host`) and
/// each `password=` query value replaced by `***`.
fn mask_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((before, token, tail)) = split_at_url(rest) {
        out.push_str(before);
        out.push_str(&mask_token(token));
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// One URL without its scheme (`user:password@host/path?query`), masked.
fn mask_token(token: &str) -> String {
    // The authority ends at the first `/`, `?` or `#` (RFC 3986), so an `@`
    // later in the path or query is not taken for the end of a password.
    let authority_end = token.find(['/', '?', '#']).unwrap_or(token.len());
    let (authority, path) = token.split_at(authority_end);
    if authority == TEMPLATE_AUTHORITY {
        return token.to_owned();
    }
    // `KEY:SECRET@` whose secret holds an unencoded `/`, `?` or `#` (half of
    // AWS secret keys hold a `/`): the "authority" ends inside the secret and
    // holds no `@`. Its user info then ends at the token's last `@`. This
    // also masks a `host:port/path@x`: showing too little beats a secret.
    if !authority.contains('@')
        && authority.contains(':')
        && let Some(UserInfo {
            user,
            password: Some(_),
            rest,
            ..
        }) = user_info(token, true)
    {
        return format!("{user}:{MASK}@{}", mask_token(rest));
    }
    let mut out = match user_info(authority, false) {
        Some(UserInfo {
            user,
            password: Some(_),
            rest: host,
            ..
        }) => format!("{user}:{MASK}@{host}"),
        _ => authority.to_owned(),
    };
    out.push_str(&mask_query_passwords(path));
    out
}

/// `path?query#fragment` with the value of every `password=` parameter masked.
fn mask_query_passwords(path: &str) -> String {
    let Some((before, query)) = path.split_once('?') else {
        return path.to_owned();
    };
    let (query, fragment) = query
        .split_once('#')
        .map_or((query, None), |(q, f)| (q, Some(f)));
    let masked: Vec<String> = query
        .split('&')
        .map(|pair| {
            if pair.starts_with("password=") {
                format!("password={MASK}")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    let mut out = format!("{before}?{}", masked.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_value_shows_no_user_info_even_without_a_real_scheme() {
        for (value, shown) in [
            ("AKIAXYZ:p://w@bucket/x", "***@bucket/x"),
            ("AKIAXYZ:secret@bucket/x", "***@bucket/x"),
            ("s3://AKIAXYZ:p/w@bucket/x", "s3://***@bucket/x"),
            ("bucket/x", "bucket/x"),
        ] {
            assert_eq!(without_user_info(value), shown, "{value}");
        }
    }

    #[test]
    fn hides_raw_and_percent_decoded_secrets() {
        register_secret("s3cr%40t-redact-test");
        assert_eq!(
            redact("a s3cr%40t-redact-test b s3cr@t-redact-test c"),
            "a *** b *** c"
        );
        assert_eq!(redact("nothing here"), "nothing here");
    }

    #[test]
    fn short_secrets_are_hidden_by_structure_only() {
        register_secret("pw");
        register_secret("postgres");
        assert_eq!(
            redact("slipway-release | connect postgres://postgres:postgres@db/postgres"),
            "slipway-release | connect postgres://postgres:***@db/postgres"
        );
        assert_eq!(redact("pw and postgres"), "pw and postgres");
    }

    #[test]
    fn url_passwords_are_masked_whatever_they_hold() {
        assert_eq!(
            redact("x postgres://u:a%40b%2F@h:5432/d?sslmode=require y"),
            "x postgres://u:***@h:5432/d?sslmode=require y"
        );
        assert_eq!(redact("s3://KEY:SECRET@bucket/x"), "s3://KEY:***@bucket/x");
        assert_eq!(
            redact("postgres://h/d?sslmode=require&password=p%22w#f"),
            "postgres://h/d?sslmode=require&password=***#f"
        );
        // An `@` in the path is not the end of a password...
        assert_eq!(redact("http://h/a@b"), "http://h/a@b");
        // ...unless what comes before it may be `KEY:SECRET` whose secret
        // holds a `/`, `?` or `#`: then too much is masked, never too little.
        assert_eq!(
            redact(
                "s3://b/x.dump: Error performing POST http://u:/@@127.0.0.1:9/b/x?uploads= in 3s"
            ),
            "s3://b/x.dump: Error performing POST http://u:***@127.0.0.1:9/b/x?uploads= in 3s"
        );
        assert!(has_user_info("http://u:/@@127.0.0.1:9/"));
        assert!(has_user_info("https://k:s@h/"));
        assert!(!has_user_info("https://h:9/p"));
        for secret in ["wJal/K7MD/bPx", "a?b", "a#b", "80/a", "/", "?#/"] {
            assert_eq!(
                redact(&format!("s3://AKIA:{secret}@bucket/x")),
                "s3://AKIA:***@bucket/x",
                "{secret}"
            );
        }
        assert_eq!(redact("postgres://u@h/d"), "postgres://u@h/d");
        // The template the messages show is no secret.
        assert_eq!(
            redact("expected postgres://USER:PASSWORD@HOST:PORT/DATABASE"),
            "expected postgres://USER:PASSWORD@HOST:PORT/DATABASE"
        );
    }

    #[test]
    fn url_secrets_are_found_in_invalid_urls_too() {
        assert_eq!(
            url_passwords("--database-url=postgres://u:p/w?x#long-enough-0@h/d?password=q+1"),
            vec!["p/w?x#long-enough-0".to_owned(), "q+1".to_owned()]
        );
    }

    #[test]
    fn json_values_are_redacted_before_escaping() {
        register_secret("quote\"and\\backslash-json-test");
        let mut value = serde_json::json!({
            "detail": "saw quote\"and\\backslash-json-test here",
            "list": ["postgres://u:p\"w@h/d"],
        });
        redact_json(&mut value);
        assert_eq!(value["detail"], "saw *** here");
        assert_eq!(value["list"][0], "postgres://u:***@h/d");
    }

    #[test]
    fn a_secret_is_exposed_only_on_request() {
        let secret = Secret::new("hunter2-debug-test".to_owned());
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(secret.expose(), "hunter2-debug-test");
    }
}
