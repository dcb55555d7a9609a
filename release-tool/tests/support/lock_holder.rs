//! A session holding an ACCESS EXCLUSIVE lock on a table for a while, for
//! the tests of waiting (`lock_timeout` retries, zero timeouts). tests/recovery.rs
//! has its own copy.

#![allow(dead_code, clippy::unwrap_used)]

use std::time::Duration;

use sqlx::{Connection, PgConnection};

pub(crate) struct LockHolder {
    release: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LockHolder {
    /// Locks `table` in its own transaction, and rolls back after `hold` or
    /// when dropped, whichever is first. Returns once the lock is held.
    pub(crate) fn hold(url: &str, table: &str, hold: Duration) -> Self {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let (url, table) = (url.to_owned(), table.to_owned());
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let mut conn = rt.block_on(PgConnection::connect(&url)).unwrap();
            let lock = format!("BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;");
            rt.block_on(sqlx::raw_sql(sqlx::AssertSqlSafe(lock)).execute(&mut conn))
                .unwrap();
            ready_tx.send(()).unwrap();
            let _ = release_rx.recv_timeout(hold);
            rt.block_on(sqlx::raw_sql("ROLLBACK").execute(&mut conn))
                .unwrap();
        });
        ready_rx.recv().unwrap();
        Self {
            release: Some(release_tx),
            thread: Some(thread),
        }
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        drop(self.release.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
