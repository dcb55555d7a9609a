//! What a failed connection tells a person: its title, cause and fix.

use crate::db::ConnectError;
use crate::errors::{ExitClass, Failure};

impl From<ConnectError> for Failure {
    fn from(error: ConnectError) -> Self {
        let class = ExitClass::Connect;
        let cause = error.to_string();
        match error {
            ConnectError::Url(_) => Failure::new(
                ExitClass::Usage,
                "the database URL is invalid",
                cause,
                "Set DATABASE_URL to postgres://USER:PASSWORD@HOST:PORT/DATABASE.",
            ),
            ConnectError::Timeout { .. } => Failure::new(
                class,
                "the database did not answer in time",
                cause,
                "Check that the host and port in DATABASE_URL are right and reachable from here. \
                 Raise --connect-timeout / SLIPWAY_CONNECT_TIMEOUT if the server is just slow.",
            ),
            ConnectError::Failed { source, .. } => Failure::new(
                class,
                if tls_refused(&source) {
                    "the server's TLS certificate was not accepted"
                } else {
                    "cannot connect to the database"
                },
                cause,
                connect_fix(&source),
            ),
            ConnectError::Setup { .. } => Failure::new(
                class,
                "the database session could not be set up",
                cause,
                "Check that the database user may run SET and read current_setting().",
            ),
        }
    }
}

/// Whether the TLS handshake refused the server's certificate. sqlx reports
/// rustls' verdict as an I/O error ("invalid peer certificate: ..."), not as
/// `Error::Tls`, so the text is all there is to go on.
fn tls_refused(source: &sqlx::Error) -> bool {
    matches!(source, sqlx::Error::Io(e) if e.to_string().contains("peer certificate"))
}

fn connect_fix(source: &sqlx::Error) -> &'static str {
    if tls_refused(source) {
        return "With sslmode=verify-full the server's certificate must be signed by the CA in sslrootcert \
                and issued for the host name in DATABASE_URL (connect by that name, not by an IP address it \
                does not list); verify-ca checks only the CA, as require does when sslrootcert is set. Fix \
                sslrootcert or the host, or use sslmode=require to encrypt without verifying (Heroku's default).";
    }
    match source {
        sqlx::Error::Tls(_) => {
            "The TLS handshake failed. Check sslmode in DATABASE_URL; with sslmode=verify-ca or verify-full, \
             set sslrootcert to the CA that signed the server's certificate."
        }
        sqlx::Error::Database(_) => {
            "The server refused the login. Check the user, password and database name in DATABASE_URL \
             (on Heroku, run `heroku config:get DATABASE_URL`)."
        }
        _ => {
            "Check that the host and port in DATABASE_URL are right, the server is running, and it accepts \
              connections from here."
        }
    }
}
