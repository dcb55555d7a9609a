//! The database URL. Its password is registered as a secret and never shown:
//! `Display` and `Debug` both print the URL with `***` in its place.

use std::fmt;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use url::Url;

use crate::redact;

/// A PostgreSQL URL, as Heroku's `DATABASE_URL` gives it.
#[derive(Clone)]
pub(crate) struct DatabaseUrl {
    url: Url,
    password: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum UrlError {
    #[error("it is not a URL ({0}); expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")]
    NotAUrl(url::ParseError),
    #[error("the scheme is `{0}`; expected `postgres://` or `postgresql://`")]
    Scheme(String),
    #[error("it has no database name; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")]
    NoDatabase,
    #[error("{0}")]
    Options(String),
}

impl DatabaseUrl {
    /// Parses and validates `text`, registering its password as a secret first
    /// so that no later message can show it.
    pub(crate) fn parse(text: &str) -> Result<Self, UrlError> {
        let url = Url::parse(text.trim()).map_err(UrlError::NotAUrl)?;
        let password = url.password().map(str::to_owned);
        if let Some(password) = &password {
            redact::register_secret(password);
        }
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(UrlError::Scheme(url.scheme().to_owned()));
        }
        let parsed = Self { url, password };
        if parsed.database_name().is_none() {
            return Err(UrlError::NoDatabase);
        }
        // sqlx's parser is the one that connects, so it must accept the URL too.
        PgConnectOptions::from_str(parsed.url.as_str())
            .map_err(|e| UrlError::Options(redact::redact(&e.to_string())))?;
        Ok(parsed)
    }

    /// The database name from the URL's path.
    pub(crate) fn database_name(&self) -> Option<String> {
        let name = self.url.path().trim_start_matches('/');
        if name.is_empty() {
            return None;
        }
        let decoded = url::form_urlencoded::parse(format!("x={name}").as_bytes())
            .next()
            .map_or_else(|| name.to_owned(), |(_, v)| v.into_owned());
        Some(decoded)
    }

    /// The password, percent-decoded, for `PGPASSWORD`.
    pub(crate) fn password(&self) -> Option<String> {
        self.password.as_ref().map(|raw| {
            url::form_urlencoded::parse(format!("x={raw}").as_bytes())
                .next()
                .map_or_else(|| raw.clone(), |(_, v)| v.into_owned())
        })
    }

    /// The URL without its password, for libpq tools (`pg_dump --dbname=...`),
    /// which then read the password from `PGPASSWORD`.
    pub(crate) fn without_password(&self) -> String {
        let mut url = self.url.clone();
        // Removing a password from a URL with a host cannot fail.
        let _ = url.set_password(None);
        url.to_string()
    }

    /// The sqlx connect options, with slipway's application name so that
    /// `pg_stat_activity` (and a lock holder report) shows who we are.
    pub(crate) fn connect_options(&self) -> Result<PgConnectOptions, UrlError> {
        PgConnectOptions::from_str(self.url.as_str())
            .map(|options| options.application_name("slipway-release"))
            .map(|options| self.require_means_verify_ca(options))
            .map_err(|e| UrlError::Options(redact::redact(&e.to_string())))
    }

    // libpq: "if a root CA file exists, the behavior of sslmode=require will
    // be the same as that of verify-ca". sqlx does not verify under `require`,
    // so a URL naming a CA would be checked by pg_dump (libpq) but not by us.
    fn require_means_verify_ca(&self, options: PgConnectOptions) -> PgConnectOptions {
        let names_root = self.url.query_pairs().any(|(key, _)| key == "sslrootcert");
        if names_root && matches!(options.get_ssl_mode(), PgSslMode::Require) {
            options.ssl_mode(PgSslMode::VerifyCa)
        } else {
            options
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut url = self.url.clone();
        if self.password.is_some() {
            let _ = url.set_password(Some("***"));
        }
        f.write_str(url.as_str())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_debug_hide_the_password() {
        let url = DatabaseUrl::parse(
            "postgres://app:hunter2-url-test@db.example:5432/shop?sslmode=require",
        )
        .unwrap();
        assert_eq!(
            url.to_string(),
            "postgres://app:***@db.example:5432/shop?sslmode=require"
        );
        assert!(!format!("{url:?}").contains("hunter2"));
        assert_eq!(
            url.without_password(),
            "postgres://app@db.example:5432/shop?sslmode=require"
        );
        assert_eq!(url.password().as_deref(), Some("hunter2-url-test"));
        assert_eq!(url.database_name().as_deref(), Some("shop"));
    }

    #[test]
    fn percent_encoded_passwords_are_decoded_for_libpq() {
        let url = DatabaseUrl::parse("postgres://app:p%40ss-url-test@localhost/db").unwrap();
        assert_eq!(url.password().as_deref(), Some("p@ss-url-test"));
        assert_eq!(redact::redact("p@ss-url-test"), "***");
    }

    #[test]
    fn rejects_urls_that_cannot_work() {
        assert!(matches!(
            DatabaseUrl::parse("mysql://a@b/c"),
            Err(UrlError::Scheme(_))
        ));
        assert!(matches!(
            DatabaseUrl::parse("postgres://a@b"),
            Err(UrlError::NoDatabase)
        ));
        assert!(matches!(
            DatabaseUrl::parse("not a url"),
            Err(UrlError::NotAUrl(_))
        ));
    }
}
