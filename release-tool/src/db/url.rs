//! The database URL. Its password is registered as a secret and never shown:
//! `Display` and `Debug` both print the URL with `***` in its place.

use std::fmt;
use std::str::FromStr;

use percent_encoding::percent_decode_str;
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use url::Url;

use crate::redact;

/// A PostgreSQL URL, as Heroku's `DATABASE_URL` gives it.
#[derive(Clone)]
pub(crate) struct DatabaseUrl {
    url: Url,
    /// The password as sqlx reads it (decoded), from the user info or a
    /// `password=` parameter.
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
        redact::register_url_secrets(text);
        let url = Url::parse(text.trim()).map_err(UrlError::NotAUrl)?;
        let password = sqlx_password(&url);
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

    /// The database name as sqlx reads it: the path, percent-decoded (a `+`
    /// stays a `+`), unless a `dbname=` parameter names another.
    pub(crate) fn database_name(&self) -> Option<String> {
        if let Some(name) = last_query_value(&self.url, "dbname") {
            return Some(name);
        }
        let name = self.url.path().trim_start_matches('/');
        if name.is_empty() {
            return None;
        }
        Some(percent_decode(name))
    }

    /// The password as sqlx sends it, for `PGPASSWORD`.
    pub(crate) fn password(&self) -> Option<String> {
        self.password.clone()
    }

    /// The URL without its password (neither in the user info nor as a
    /// `password=` parameter), for libpq tools (`pg_dump --dbname=...`), which
    /// then read the password from `PGPASSWORD`: a command line is visible to
    /// every user of the machine.
    pub(crate) fn without_password(&self) -> String {
        let mut url = self.url.clone();
        // Removing a password from a URL with a host cannot fail.
        let _ = url.set_password(None);
        if let Some(query) = self.url.query() {
            // The other parameters stay byte for byte: re-encoding them would
            // turn a `%20` into a `+`, which libpq does not read as a space.
            let kept: Vec<&str> = query
                .split('&')
                .filter(|pair| {
                    let key = pair.split('=').next().unwrap_or_default();
                    percent_decode(key) != "password"
                })
                .collect();
            url.set_query((!kept.is_empty()).then(|| kept.join("&")).as_deref());
        }
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
        if url.password().is_some() {
            let _ = url.set_password(Some("***"));
        }
        // Also masks a `password=` parameter.
        f.write_str(&redact::redact(url.as_str()))
    }
}

/// The password sqlx connects with: the user info's, percent-decoded
/// (`percent_decode_str`, so a `+` stays a `+`), unless a `password=`
/// parameter (form-decoded, as sqlx reads query parameters) overrides it.
/// See sqlx-postgres `options/parse.rs`.
fn sqlx_password(url: &Url) -> Option<String> {
    last_query_value(url, "password").or_else(|| url.password().map(percent_decode))
}

/// The last value of query parameter `key` (sqlx lets a later one win).
fn last_query_value(url: &Url, key: &str) -> Option<String> {
    url.query_pairs()
        .filter(|(k, _)| k == key)
        .last()
        .map(|(_, value)| value.into_owned())
}

/// `text` percent-decoded as sqlx does it; invalid UTF-8 is kept lossily
/// (sqlx rejects it, so [`DatabaseUrl::parse`] never gets that far).
fn percent_decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
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
    fn decodes_as_sqlx_does_a_plus_stays_a_plus() {
        let url =
            DatabaseUrl::parse("postgres://app:a+b%2Bc%25d@localhost/my+db%20%C3%A9").unwrap();
        assert_eq!(url.password().as_deref(), Some("a+b+c%d"));
        assert_eq!(url.database_name().as_deref(), Some("my+db é"));
        let options = url.connect_options().unwrap();
        assert_eq!(options.get_database(), Some("my+db é"));
    }

    #[test]
    fn query_password_and_dbname_win_as_in_sqlx() {
        let url = DatabaseUrl::parse(
            "postgres://app:userinfo-pw@localhost/path_db?dbname=query+db&password=q+pw%21&sslmode=disable",
        )
        .unwrap();
        assert_eq!(url.password().as_deref(), Some("q pw!"));
        assert_eq!(url.database_name().as_deref(), Some("query db"));
        assert_eq!(
            url.without_password(),
            "postgres://app@localhost/path_db?dbname=query+db&sslmode=disable"
        );
        assert_eq!(
            url.to_string(),
            "postgres://app:***@localhost/path_db?dbname=query+db&password=***&sslmode=disable"
        );
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
