//! The migration lock. For sqlx apps it is the same advisory lock key as
//! sqlx's `Migrator`, so an app that calls `sqlx::migrate!().run()` at boot
//! waits for the release instead of racing it. Diesel takes no lock at all,
//! and a `command` format's migrator may take sqlx's key itself (`sqlx
//! migrate run` as the command would wait for us for ever), so those formats
//! take a key of slipway's own: overlapping releases are serialised, an app
//! migrating at boot is not. We never block in `pg_advisory_lock`: a try-lock
//! loop gives up after the configured wait and names the session holding the
//! lock.

use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::PgConnection;

use slipway_contract::MigrationFormat;

use crate::errors::{ExitClass, Failure};

/// How often the try-lock loop retries.
const RETRY_EVERY: Duration = Duration::from_millis(250);

/// The session holding the lock, from `pg_locks` and `pg_stat_activity`.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Holder {
    pub(crate) pid: i32,
    pub(crate) application_name: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) backend_start: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum LockError {
    #[error("the migration lock was not released within {}", humantime::format_duration(*waited))]
    Timeout {
        waited: Duration,
        holder: Option<Holder>,
    },
    #[error("taking the migration lock failed: {}", crate::errors::db_error(.0))]
    Database(#[from] sqlx::Error),
}

/// sqlx's lock key for a database: `0x3d32ad9e * crc32(name)`, CRC-32/ISO-HDLC
/// (the common "IEEE" CRC-32). See sqlx-postgres `migrate.rs::generate_lock_id`.
pub(crate) fn lock_key(database_name: &str) -> i64 {
    0x3d32_ad9e * crc32(database_name)
}

/// slipway's own lock key for a database, for the formats whose tool takes
/// no lock of its own we could share: `0x736c6970` ("slip") `* crc32(name)`.
pub(crate) fn own_lock_key(database_name: &str) -> i64 {
    0x736c_6970 * crc32(database_name)
}

/// The key the format's releases take (see the module's documentation).
pub(crate) fn key_for(format: MigrationFormat, database_name: &str) -> i64 {
    match format {
        MigrationFormat::Sqlx => lock_key(database_name),
        MigrationFormat::Diesel | MigrationFormat::Command => own_lock_key(database_name),
    }
}

/// CRC-32/ISO-HDLC of the name.
fn crc32(database_name: &str) -> i64 {
    const CRC_IEEE: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    i64::from(CRC_IEEE.checksum(database_name.as_bytes()))
}

/// Takes advisory lock `key` on `conn`'s session, retrying until `wait` has
/// passed (a `wait` of zero retries for ever).
pub(crate) async fn acquire(
    conn: &mut PgConnection,
    key: i64,
    wait: Duration,
) -> Result<(), LockError> {
    let started = Instant::now();
    loop {
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *conn)
            .await?;
        if taken {
            return Ok(());
        }
        // A wait of zero is no limit, as for every slipway timeout.
        if !wait.is_zero() && started.elapsed() >= wait {
            let holder = holder(conn, key).await?;
            return Err(LockError::Timeout {
                waited: started.elapsed(),
                holder,
            });
        }
        let left = wait.saturating_sub(started.elapsed());
        let pause = if wait.is_zero() {
            RETRY_EVERY
        } else {
            RETRY_EVERY.min(left)
        };
        tokio::time::sleep(pause).await;
    }
}

/// Releases the lock taken by [`acquire`]. (Closing the session would too.)
pub(crate) async fn release(conn: &mut PgConnection, key: i64) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(key)
        .execute(conn)
        .await
        .map(|_| ())
}

/// The session holding advisory lock `key` in this database, if any. A bigint
/// advisory key is stored in `pg_locks` as classid (high 32 bits), objid (low
/// 32 bits) and objsubid 1.
/// pid, `application_name`, state, `backend_start`.
type HolderRow = (i32, Option<String>, Option<String>, Option<String>);

async fn holder(conn: &mut PgConnection, key: i64) -> Result<Option<Holder>, sqlx::Error> {
    let row: Option<HolderRow> = sqlx::query_as(
        "SELECT l.pid, a.application_name, a.state, a.backend_start::text
           FROM pg_locks l
           LEFT JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND l.classid::bigint = (($1 >> 32) & 4294967295)
            AND l.objid::bigint = ($1 & 4294967295)
          LIMIT 1",
    )
    .bind(key)
    .fetch_optional(conn)
    .await?;
    Ok(
        row.map(|(pid, application_name, state, backend_start)| Holder {
            pid,
            application_name: application_name.filter(|name| !name.is_empty()),
            state,
            backend_start,
        }),
    )
}

impl From<LockError> for Failure {
    fn from(error: LockError) -> Self {
        match &error {
            LockError::Timeout { holder, .. } => {
                let who = holder.as_ref().map_or_else(
                    || "The holder released it before it could be identified.".to_owned(),
                    |h| {
                        format!(
                            "It is held by PostgreSQL backend pid {} (application_name {:?}, state {}, connected since {}).",
                            h.pid,
                            h.application_name.as_deref().unwrap_or(""),
                            h.state.as_deref().unwrap_or("unknown"),
                            h.backend_start.as_deref().unwrap_or("unknown"),
                        )
                    },
                );
                let pid = holder.as_ref().map(|h| h.pid);
                Failure::new(
                    ExitClass::Lock,
                    "the migration lock is held by someone else",
                    format!("{error}. {who}"),
                    "Another release (or, for a sqlx app, the app running sqlx::migrate!()) is migrating this database. Wait for it \
                     and release again, or raise --lock-wait / SLIPWAY_LOCK_WAIT. If that session is stuck, end \
                     it with SELECT pg_terminate_backend(PID).",
                )
                .with_details(json!({ "holder": holder, "holder_pid": pid }))
            }
            LockError::Database(_) => Failure::new(
                ExitClass::Lock,
                "taking the migration lock failed",
                error.to_string(),
                "Check that the database user may call pg_try_advisory_lock().",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_uses_crc32_iso_hdlc_times_sqlx_constant() {
        // 0xCBF43926 is the published CRC-32/ISO-HDLC check value of "123456789".
        assert_eq!(lock_key("123456789"), 0x3d32_ad9e_i64 * 0xCBF4_3926_i64);
        assert_ne!(lock_key("a"), lock_key("b"));
    }

    #[test]
    fn diesel_and_command_releases_take_slipways_own_key() {
        assert_eq!(own_lock_key("123456789"), 0x736c_6970_i64 * 0xCBF4_3926_i64);
        assert_eq!(key_for(MigrationFormat::Sqlx, "app"), lock_key("app"));
        assert_eq!(key_for(MigrationFormat::Diesel, "app"), own_lock_key("app"));
        assert_eq!(
            key_for(MigrationFormat::Command, "app"),
            own_lock_key("app")
        );
        assert_ne!(lock_key("app"), own_lock_key("app"));
    }
}
