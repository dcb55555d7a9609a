//! The last line of defence for secrets: every line slipway prints passes
//! through [`redact`], which replaces each registered secret with `***`.
//!
//! Secrets are registered where they are parsed (the database password in
//! `db::url`, API keys and S3 secrets in their backup targets), so a message
//! that accidentally quotes a URL or a tool's stderr still prints nothing secret.

use std::fmt;
use std::sync::{Mutex, PoisonError};

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

/// Remembers `secret` (and its percent-decoded form) so that [`redact`] hides it.
pub(crate) fn register_secret(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let mut secrets = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
    let decoded = url::form_urlencoded::parse(format!("x={secret}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned());
    for candidate in std::iter::once(secret.to_owned()).chain(decoded) {
        if !candidate.is_empty() && !secrets.contains(&candidate) {
            secrets.push(candidate);
        }
    }
    // Longest first, so that a secret containing another is hidden whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Returns `text` with every registered secret replaced by `***`.
pub(crate) fn redact(text: &str) -> String {
    let secrets = SECRETS.lock().unwrap_or_else(PoisonError::into_inner);
    let mut out = text.to_owned();
    for secret in secrets.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_secret_is_exposed_only_on_request() {
        let secret = Secret::new("hunter2-debug-test".to_owned());
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(secret.expose(), "hunter2-debug-test");
    }
}
