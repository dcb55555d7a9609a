//! Connecting: one connection for the whole run (the migration lock is a
//! session lock, so the migrations must run on the session that holds it).

use std::time::Duration;

use sqlx::{Connection, PgConnection};

use super::url::{DatabaseUrl, UrlError};
use crate::errors;

/// An open session and what we learned while opening it.
pub(crate) struct Session {
    pub(crate) conn: PgConnection,
    pub(crate) database: String,
    pub(crate) server_version: String,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectError {
    #[error("the URL is not usable: {0}")]
    Url(#[from] UrlError),
    #[error("no connection to {url} within {}", humantime::format_duration(*after))]
    Timeout { url: String, after: Duration },
    #[error("cannot connect to {url}: {}", errors::server_said(source))]
    Failed { url: String, source: sqlx::Error },
    #[error(
        "connected to {url}, but setting up the session failed: {}",
        errors::server_said(source)
    )]
    Setup { url: String, source: sqlx::Error },
}

/// Connects within `timeout` (zero: no limit) and sets `lock_timeout` and `statement_timeout`
/// on the session, so that every migration statement is bounded.
pub(crate) async fn connect(
    url: &DatabaseUrl,
    timeout: Duration,
    lock_timeout: Duration,
    statement_timeout: Duration,
) -> Result<Session, ConnectError> {
    let options = url.connect_options()?;
    let attempt = PgConnection::connect_with(&options);
    // A timeout of zero is no limit, as for every slipway timeout (and as
    // libpq reads `connect_timeout=0`).
    let bounded = async {
        if timeout.is_zero() {
            Ok(attempt.await)
        } else {
            tokio::time::timeout(timeout, attempt).await
        }
    };
    let mut conn = match bounded.await {
        Err(_) => {
            return Err(ConnectError::Timeout {
                url: url.to_string(),
                after: timeout,
            });
        }
        Ok(Err(source)) => {
            return Err(ConnectError::Failed {
                url: url.to_string(),
                source,
            });
        }
        Ok(Ok(conn)) => conn,
    };
    let setup = |source| ConnectError::Setup {
        url: url.to_string(),
        source,
    };
    // `SET` takes no bind parameters; the values are integers we format.
    let settings = format!(
        "SET lock_timeout = '{}ms'; SET statement_timeout = '{}ms'",
        lock_timeout.as_millis(),
        statement_timeout.as_millis()
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(settings))
        .execute(&mut conn)
        .await
        .map_err(setup)?;
    let (database, server_version): (String, String) =
        sqlx::query_as("SELECT current_database(), current_setting('server_version')")
            .fetch_one(&mut conn)
            .await
            .map_err(setup)?;
    Ok(Session {
        conn,
        database,
        server_version,
    })
}

/// The server's major version (15 for 15.4), to compare with `pg_dump`'s.
pub(crate) async fn server_major(conn: &mut PgConnection) -> Result<u32, sqlx::Error> {
    let num: String = sqlx::query_scalar("SELECT current_setting('server_version_num')")
        .fetch_one(conn)
        .await?;
    Ok(num.trim().parse::<u32>().map_or(0, |n| n / 10_000))
}

/// How many tables hold user data: ordinary and partitioned tables outside
/// the system schemas, not counting sqlx's history table (`history_table`,
/// resolved as sqlx's SQL resolves it) or tables that belong to an extension.
pub(crate) async fn user_table_count(
    conn: &mut PgConnection,
    history_table: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p')
            AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg\\_toast%'
            AND n.nspname NOT LIKE 'pg\\_temp%'
            AND c.oid IS DISTINCT FROM to_regclass($1)
            AND NOT EXISTS (SELECT 1 FROM pg_depend d
                             WHERE d.classid = 'pg_class'::regclass
                               AND d.objid = c.oid AND d.deptype = 'e')",
    )
    .bind(history_table)
    .fetch_one(conn)
    .await
}
