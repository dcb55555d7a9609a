//! How slipway starts a libpq tool (`pg_dump`, `pg_restore`): the connection
//! settings sqlx uses go in its environment, never on its command line, and
//! no `PG*` variable of our own environment reaches it.

use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

use super::{BackupError, Database};

/// Variables of ours a libpq tool may read: where the password file is, as
/// sqlx reads it too when the URL has no password.
const INHERITED: [&str; 1] = ["PGPASSFILE"];

/// A command for a libpq tool that connects exactly where sqlx connects.
// libpq reads a `PGSERVICE` (whose values beat the other variables), a
// `PGDATABASE` or a `PGSSLMODE` of ours as readily as the ones we set: only
// the parameters sqlx connected with may reach the tool.
pub(super) fn command(program: &Path, db: &Database<'_>) -> Result<Command, BackupError> {
    let parameters = db
        .url
        .libpq_environment()
        .map_err(|reason| BackupError::UnsupportedConnection(reason.to_owned()))?;
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("PG") && !INHERITED.contains(&name.as_ref()) {
            command.env_remove(name.as_ref());
        }
    }
    command
        .envs(parameters.iter().map(|(k, v)| (k, v)))
        .env("PGCONNECT_TIMEOUT", connect_timeout(db.connect_timeout))
        .env("PGAPPNAME", "slipway-release")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    Ok(command)
}

/// `PGCONNECT_TIMEOUT` for `timeout`: whole seconds, at least libpq's
/// minimum of 2; `0` stays `0`, which libpq reads as no limit, as slipway does.
pub(super) fn connect_timeout(timeout: std::time::Duration) -> String {
    if timeout.is_zero() {
        return "0".to_owned();
    }
    timeout.as_secs().max(2).to_string()
}
