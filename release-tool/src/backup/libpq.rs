//! How slipway starts a libpq tool (`pg_dump`, `pg_restore`): the connection
//! settings go in its environment, never on its command line.

use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

use super::Database;

/// A command for a libpq tool, with the connection settings in its environment.
pub(super) fn command(program: &Path, db: &Database<'_>) -> Command {
    let mut command = Command::new(program);
    command
        .env("PGCONNECT_TIMEOUT", connect_timeout(db.connect_timeout))
        .env("PGAPPNAME", "slipway-release")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(password) = db.url.password() {
        command.env("PGPASSWORD", password);
    }
    command
}

/// `PGCONNECT_TIMEOUT` for `timeout`: whole seconds, at least libpq's
/// minimum of 2; `0` stays `0`, which libpq reads as no limit, as slipway does.
pub(super) fn connect_timeout(timeout: std::time::Duration) -> String {
    if timeout.is_zero() {
        return "0".to_owned();
    }
    timeout.as_secs().max(2).to_string()
}
