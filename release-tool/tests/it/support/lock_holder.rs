//! Another session (an app dyno, a psql) with an open transaction: holding an
//! ACCESS EXCLUSIVE lock on a table, or having written to one, for the tests
//! of waiting (`lock_timeout` retries, zero timeouts) and of busy tables.

use std::time::Duration;

use sqlx::{Connection, PgConnection};

/// A session whose transaction ran some SQL and stays open until `hold` has
/// passed or it is dropped, whichever is first; then it ends the
/// transaction.
pub(crate) struct OpenTransaction {
    /// The session's backend pid, as a lock holder report names it.
    pub(crate) pid: i32,
    release: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A session holding an ACCESS EXCLUSIVE lock on a table.
pub(crate) type LockHolder = OpenTransaction;

impl OpenTransaction {
    /// Locks `table` in its own transaction, and rolls back after `hold` or
    /// when dropped. Returns once the lock is held.
    pub(crate) fn hold(url: &str, table: &str, hold: Duration) -> Self {
        Self::open(
            url,
            &format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"),
            hold,
            "ROLLBACK",
        )
    }

    /// Runs `sql` in a transaction of its own (a busy app's write), and
    /// commits when dropped. Returns once `sql` ran.
    pub(crate) fn writing(url: &str, sql: &str) -> Self {
        Self::open(url, sql, Duration::MAX, "COMMIT")
    }

    /// Runs `BEGIN; sql` on a session of its own, and `end` after `hold` or
    /// when dropped. Returns once `sql` ran.
    fn open(url: &str, sql: &str, hold: Duration, end: &'static str) -> Self {
        let (pid_tx, pid_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let (url, sql) = (url.to_owned(), format!("BEGIN; {sql};"));
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let mut conn = rt.block_on(PgConnection::connect(&url)).unwrap();
            rt.block_on(sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut conn))
                .unwrap();
            let pid: i32 = rt
                .block_on(sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut conn))
                .unwrap();
            pid_tx.send(pid).unwrap();
            // A `hold` too long for a deadline waits for the drop.
            let _ = release_rx.recv_timeout(hold);
            rt.block_on(sqlx::raw_sql(end).execute(&mut conn)).unwrap();
        });
        let pid = pid_rx.recv().unwrap();
        Self {
            pid,
            release: Some(release_tx),
            thread: Some(thread),
        }
    }
}

impl Drop for OpenTransaction {
    fn drop(&mut self) {
        drop(self.release.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
