//! The database URL. Its password is registered as a secret and never shown:
//! `Display` and `Debug` both print the URL with `***` in its place.

use std::fmt;
use std::str::FromStr;

use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sqlx::ConnectOptions as _;
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
    /// The same connection as libpq's environment (see
    /// [`Self::libpq_environment`]), or why libpq cannot be given it.
    libpq: Result<Vec<(&'static str, String)>, String>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum UrlError {
    #[error("it is not a URL ({0}); expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")]
    NotAUrl(url::ParseError),
    #[error("the scheme is `{0}`; expected `postgres://` or `postgresql://`")]
    Scheme(String),
    #[error("it has no database name; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE")]
    NoDatabase,
    #[error(
        "it has no `//` after the scheme; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE \
         (postgres:///DATABASE for the default host)"
    )]
    NoAuthority,
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
        // `postgres:/db` reaches sqlx's defaults too, but no reader (nor slipway's redaction,
        // which finds URLs by `://`) takes it for a URL: a `password=` in it would show.
        if !url.has_authority() {
            return Err(UrlError::NoAuthority);
        }
        let mut parsed = Self {
            url,
            password,
            libpq: Ok(Vec::new()),
        };
        if parsed.database_name().is_none() {
            return Err(UrlError::NoDatabase);
        }
        // sqlx's parser is the one that connects, so it must accept the URL too.
        PgConnectOptions::from_str(parsed.url.as_str())
            .map_err(|e| UrlError::Options(redact::redact(&e.to_string())))?;
        // Only `pg_dump`/`pg_restore` need it: a release without a backup
        // must not be refused for what libpq cannot read.
        parsed.libpq = parsed.libpq_parameters().map_err(|e| e.to_string());
        Ok(parsed)
    }

    /// The connection as a URL every driver reads alike, for the `command`
    /// format's migrator: built from sqlx's own parse (as the backups' libpq
    /// environment is), each part percent-encoded, so that a `+` or `%` in a
    /// name, or a `dbname=` parameter, cannot make another tool (libpq, a
    /// JDBC-style parser, sqlx) connect to another database than the one
    /// slipway locks, backs up and checks. The password is in it.
    pub(crate) fn for_other_tools(&self) -> Result<String, &str> {
        let vars = self.libpq_environment()?;
        let get = |name: &str| {
            vars.iter()
                .find(|(var, _)| *var == name)
                .map(|(_, value)| value.as_str())
        };
        let encode = |text: &str| utf8_percent_encode(text, NON_ALPHANUMERIC).to_string();
        let host = get("PGHOST").unwrap_or_default();
        let mut query = vec![];
        // A socket folder goes in `host=`, which libpq and sqlx both read over the URL's host.
        let authority_host = if host.starts_with('/') {
            query.push(format!("host={}", encode(host)));
            "localhost".to_owned()
        } else if host.contains(':') {
            // An IPv6 address: sqlx looks a bracketed one up as a name, so it goes in `host=`.
            query.push(format!("host={}", encode(host)));
            "localhost".to_owned()
        } else {
            // A host name or IPv4 address, as the URL's parser accepted it.
            host.to_owned()
        };
        let user = encode(get("PGUSER").unwrap_or_default());
        let password = get("PGPASSWORD").map_or_else(String::new, |p| format!(":{}", encode(p)));
        for (var, key) in [
            ("PGHOSTADDR", "hostaddr"),
            ("PGSSLMODE", "sslmode"),
            ("PGSSLROOTCERT", "sslrootcert"),
            ("PGSSLCERT", "sslcert"),
            ("PGSSLKEY", "sslkey"),
            ("PGOPTIONS", "options"),
        ] {
            if let Some(value) = get(var) {
                query.push(format!("{key}={}", encode(value)));
            }
        }
        Ok(format!(
            "postgres://{user}{password}@{authority_host}:{}/{}?{}",
            get("PGPORT").unwrap_or("5432"),
            encode(get("PGDATABASE").unwrap_or_default()),
            query.join("&")
        ))
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

    /// The connection parameters sqlx connects with, as libpq's environment
    /// variables, for `pg_dump`/`pg_restore`: built from sqlx's own parse of
    /// the URL (and of the `PG*` variables it reads), never from the URL text,
    /// whose decoding libpq does differently (`?dbname=a+b` is `a b` to sqlx
    /// and `a+b` to libpq). The password is the one sqlx sends.
    pub(crate) fn libpq_environment(&self) -> Result<&[(&'static str, String)], &str> {
        self.libpq.as_deref().map_err(String::as_str)
    }

    /// Whether `other` connects to the same database on the same server
    /// (whatever its user, password, TLS or spelling).
    pub(crate) fn same_database(&self, other: &Self) -> bool {
        // Not the user: Heroku gives one database several credentials.
        let identity = |url: &Self| -> Vec<(&'static str, String)> {
            url.libpq
                .as_deref()
                .unwrap_or_default()
                .iter()
                .filter(|(name, _)| {
                    matches!(*name, "PGHOST" | "PGHOSTADDR" | "PGPORT" | "PGDATABASE")
                })
                .cloned()
                .collect()
        };
        identity(self) == identity(other)
    }

    /// The address the connection goes to instead of the host's (see `sqlx_hostaddr`), when
    /// there is one.
    pub(crate) fn hostaddr(&self) -> Option<String> {
        let options = self.connect_options().ok()?;
        self.sqlx_hostaddr(&options)
    }

    /// The address sqlx 0.9.1 connects to instead of resolving the host, keeping the host for
    /// TLS, as libpq does with the same two parameters: the URL's last `hostaddr`, else a
    /// `PGHOSTADDR` that parses as an IP address (sqlx ignores one that does not). sqlx has no
    /// getter for it, and its own URL (`to_url_lossy`) does not encode the user name, which
    /// could then supply one: it is read as sqlx reads it.
    fn sqlx_hostaddr(&self, options: &PgConnectOptions) -> Option<String> {
        // sqlx connects to a socket when one is set or the host (from the URL, `PGHOST` or its
        // default) is a folder, and then ignores the address.
        if options.get_socket().is_some() || options.get_host().starts_with('/') {
            return None;
        }
        let from_url = last_query_value(&self.url, "hostaddr");
        let text = from_url.or_else(|| std::env::var("PGHOSTADDR").ok())?;
        text.parse::<std::net::IpAddr>()
            .ok()
            .map(|ip| ip.to_string())
    }

    /// [`Self::libpq_environment`], worked out once when the URL is parsed;
    /// an error says why libpq cannot be given this connection.
    fn libpq_parameters(&self) -> Result<Vec<(&'static str, String)>, UrlError> {
        let options = self.connect_options()?;
        let host = match options.get_socket() {
            Some(socket) => socket.display().to_string(),
            // libpq takes an IPv6 address without the URL's brackets.
            None => unbracketed(options.get_host()).to_owned(),
        };
        let mut vars = vec![
            ("PGHOST", host),
            ("PGPORT", options.get_port().to_string()),
            ("PGUSER", options.get_username().to_owned()),
            (
                "PGSSLMODE",
                ssl_mode_name(options.get_ssl_mode()).to_owned(),
            ),
        ];
        if let Some(database) = options.get_database() {
            vars.push(("PGDATABASE", database.to_owned()));
        }
        if let Some(hostaddr) = self.sqlx_hostaddr(&options) {
            vars.push(("PGHOSTADDR", hostaddr));
        }
        // Without one in the URL, sqlx takes PGPASSWORD, else looks in the
        // password file under *its* host name (`localhost` for a socket),
        // where libpq would look under the socket's folder: hand over the
        // password sqlx found, not the lookup.
        let sqlx_found = || options.to_url_lossy().password().map(percent_decode);
        if let Some(password) = self.password.clone().or_else(sqlx_found) {
            redact::register_secret(&password);
            vars.push(("PGPASSWORD", password));
        }
        if let Some(options) = options.get_options() {
            vars.push(("PGOPTIONS", options.to_owned()));
        }
        for (variable, keys) in CERTIFICATE_PARAMETERS {
            let Some(value) = self.certificate(variable, keys) else {
                continue;
            };
            // libpq reads only a file.
            if value.trim_start().starts_with("-----BEGIN") {
                return Err(UrlError::Options(format!(
                    "`{}` in the URL (or {variable}) holds an inline PEM certificate, which \
                     pg_dump and pg_restore (libpq) cannot read; put it in a file and give its path",
                    keys[0]
                )));
            }
            vars.push((variable, value));
        }
        Ok(vars)
    }

    /// A certificate or key as sqlx reads it: the last of the URL's
    /// parameters `keys`, else the `variable` sqlx falls back to. It is a
    /// file's path, or for sqlx also an inline PEM certificate.
    fn certificate(&self, variable: &'static str, keys: &[&str]) -> Option<String> {
        let from_url = self
            .url
            .query_pairs()
            .filter(|(key, _)| keys.contains(&key.as_ref()))
            .last()
            .map(|(_, value)| value.into_owned());
        from_url.or_else(|| std::env::var(variable).ok())
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
        // Every spelling sqlx reads, and PGSSLROOTCERT: pg_dump gets them all.
        let (variable, keys) = CERTIFICATE_PARAMETERS[0];
        let names_root = self.certificate(variable, keys).is_some();
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

/// The URL parameters sqlx reads certificates from (`sqlx-postgres`
/// `options/parse.rs`), by the libpq variable that takes each.
const CERTIFICATE_PARAMETERS: [(&str, &[&str]); 3] = [
    ("PGSSLROOTCERT", &["sslrootcert", "ssl-root-cert", "ssl-ca"]),
    ("PGSSLCERT", &["sslcert", "ssl-cert"]),
    ("PGSSLKEY", &["sslkey", "ssl-key"]),
];

/// libpq's name for an SSL mode.
fn ssl_mode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}

/// `host` without the brackets a URL puts around an IPv6 address.
fn unbracketed(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
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
    #[test]
    fn other_tools_get_every_part_encoded_and_ipv6_and_sockets_in_host() {
        let url = DatabaseUrl::parse("postgres://u%40x:p%2Bw%3Ad@[::1]:5433/postgres?dbname=a+b")
            .unwrap();
        assert_eq!(
            url.for_other_tools().unwrap(),
            "postgres://u%40x:p%2Bw%3Ad@localhost:5433/a%20b?host=%3A%3A1&sslmode=prefer"
        );
        let socket = DatabaseUrl::parse("postgres://u@%2Fvar%2Frun%2Fpostgresql/db").unwrap();
        assert_eq!(
            socket.for_other_tools().unwrap(),
            "postgres://u@localhost:5432/db?host=%2Fvar%2Frun%2Fpostgresql&sslmode=prefer"
        );
    }

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
        assert_eq!(libpq_value(&url, "PGPASSWORD"), Some("hunter2-url-test"));
        assert_eq!(url.database_name().as_deref(), Some("shop"));
    }

    #[test]
    fn percent_encoded_passwords_are_decoded_for_libpq() {
        let url = DatabaseUrl::parse("postgres://app:p%40ss-url-test@localhost/db").unwrap();
        assert_eq!(libpq_value(&url, "PGPASSWORD"), Some("p@ss-url-test"));
        assert_eq!(redact::redact("p@ss-url-test"), "***");
    }

    #[test]
    fn decodes_as_sqlx_does_a_plus_stays_a_plus() {
        let url =
            DatabaseUrl::parse("postgres://app:a+b%2Bc%25d@localhost/my+db%20%C3%A9").unwrap();
        assert_eq!(libpq_value(&url, "PGPASSWORD"), Some("a+b+c%d"));
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
        assert_eq!(libpq_value(&url, "PGPASSWORD"), Some("q pw!"));
        assert_eq!(url.database_name().as_deref(), Some("query db"));
        assert_eq!(
            url.to_string(),
            "postgres://app:***@localhost/path_db?dbname=query+db&password=***&sslmode=disable"
        );
    }

    fn libpq_value<'a>(url: &'a DatabaseUrl, name: &str) -> Option<&'a str> {
        url.libpq_environment()
            .unwrap()
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn libpq_gets_what_sqlx_connects_with_not_the_urls_text() {
        let url = DatabaseUrl::parse(
            "postgres://app:p%2Bw@[::1]:6543/ignored?dbname=rv_a+b&ssl-mode=require\
             &ssl-root-cert=%2Fca.pem&options[search_path]=a%20b&user=who+me",
        )
        .unwrap();
        for (name, value) in [
            ("PGHOST", "::1"),
            ("PGPORT", "6543"),
            ("PGDATABASE", "rv_a b"),
            ("PGUSER", "who me"),
            ("PGPASSWORD", "p+w"),
            // libpq's rule, which slipway's own connection follows too.
            ("PGSSLMODE", "verify-ca"),
            ("PGSSLROOTCERT", "/ca.pem"),
            ("PGOPTIONS", "-c search_path=a\\ b"),
        ] {
            assert_eq!(libpq_value(&url, name), Some(value), "{name}");
        }
        let socket = DatabaseUrl::parse("postgres://app@%2Fvar%2Frun%2Fpg/db").unwrap();
        assert_eq!(libpq_value(&socket, "PGHOST"), Some("/var/run/pg"));
        // sqlx takes an inline certificate; only libpq's tools are refused it.
        let inline =
            DatabaseUrl::parse("postgres://h/d?sslrootcert=-----BEGIN%20CERTIFICATE-----").unwrap();
        assert!(inline.libpq_environment().is_err());
    }

    /// sqlx 0.9.1 connects to `hostaddr` and keeps the host for TLS: libpq and the command's
    /// driver get both, and a socket ignores it as sqlx ignores it.
    #[test]
    fn a_hostaddr_reaches_libpq_and_other_tools_as_sqlx_connects_to_it() {
        let url =
            DatabaseUrl::parse("postgres://u@db.example:5433/shop?hostaddr=10.1.2.3").unwrap();
        assert_eq!(libpq_value(&url, "PGHOST"), Some("db.example"));
        assert_eq!(libpq_value(&url, "PGHOSTADDR"), Some("10.1.2.3"));
        assert_eq!(
            url.for_other_tools().unwrap(),
            "postgres://u@db.example:5433/shop?hostaddr=10%2E1%2E2%2E3&sslmode=prefer"
        );
        let v6 = DatabaseUrl::parse("postgres://u@db.example/shop?hostaddr=%3A%3A1").unwrap();
        assert_eq!(libpq_value(&v6, "PGHOSTADDR"), Some("::1"));
        // sqlx's own URL does not encode the user name: one cannot supply an address.
        let user =
            DatabaseUrl::parse("postgres://x%3Fhostaddr%3D10.0.0.2%26:pw@db.example/shop").unwrap();
        assert_eq!(libpq_value(&user, "PGHOSTADDR"), None);
        assert_eq!(libpq_value(&user, "PGUSER"), Some("x?hostaddr=10.0.0.2&"));
        let host_socket =
            DatabaseUrl::parse("postgres://u@x/shop?host=/tmp&hostaddr=10.1.2.3").unwrap();
        assert_eq!(libpq_value(&host_socket, "PGHOSTADDR"), None);
        let socket = DatabaseUrl::parse("postgres://u@%2Ftmp/shop?hostaddr=10.1.2.3").unwrap();
        assert_eq!(libpq_value(&socket, "PGHOSTADDR"), None);
        // Another address is another server.
        let elsewhere =
            DatabaseUrl::parse("postgres://u@db.example:5433/shop?hostaddr=10.9.9.9").unwrap();
        let named = DatabaseUrl::parse("postgres://u@db.example:5433/shop").unwrap();
        assert!(!url.same_database(&elsewhere));
        assert!(!url.same_database(&named));
        assert!(url.same_database(&url.clone()));
    }

    #[test]
    fn the_same_database_whatever_the_spelling_and_password() {
        let a = DatabaseUrl::parse("postgres://u:one@h:5432/my%20db?sslmode=require").unwrap();
        let b = DatabaseUrl::parse("postgresql://u:two@h/x?dbname=my+db").unwrap();
        let other = DatabaseUrl::parse("postgres://u:one@h:5432/my+db").unwrap();
        assert!(a.same_database(&b));
        assert!(!a.same_database(&other));
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
        assert!(matches!(
            DatabaseUrl::parse("postgres:/db?password=short"),
            Err(UrlError::NoAuthority)
        ));
        assert!(DatabaseUrl::parse("postgres:///db").is_ok());
    }
}
