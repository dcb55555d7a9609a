//! A throwaway PostgreSQL cluster of a test's own (never the shared one), made
//! by `scripts/dev-postgres.sh` in a temporary `SLIPWAY_PG_DIR`: for restarts,
//! TLS variants and password authentication. Stopped and deleted when dropped.

use std::path::Path;

use super::{dev_postgres, exec_at, script_stdout, text_at};

pub(crate) struct OwnCluster {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    /// The superuser URL (trust auth).
    pub(crate) url: String,
}

impl OwnCluster {
    /// A cluster like the shared one (TLS with the test CA, trust auth).
    pub(crate) fn start() -> Self {
        Self::start_with(&[])
    }

    /// A cluster made with these `scripts/dev-postgres.sh` variables, e.g.
    /// `SLIPWAY_PG_TLS=self-signed` or `SLIPWAY_PG_PASSWORD_AUTH=1`.
    pub(crate) fn start_with(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("slipway-pg-own-")
            .tempdir()
            .unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let url = script(dir.path(), &env, "start");
        Self { dir, env, url }
    }

    /// The folder holding `tls/` (the CA, when there is one).
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn restart(&self) {
        script(self.dir.path(), &self.env, "restart");
    }

    /// The superuser URL for another database.
    pub(crate) fn url_for(&self, database: &str) -> String {
        let (base, _) = self.url.rsplit_once('/').unwrap();
        format!("{base}/{database}")
    }

    pub(crate) fn port(&self) -> u16 {
        url::Url::parse(&self.url).unwrap().port().unwrap()
    }

    /// Runs SQL as the superuser in `database`.
    pub(crate) fn exec(&self, database: &str, sql: &str) {
        exec_at(&self.url_for(database), sql);
    }

    /// The first column of the first row, as text (NULL as "NULL").
    pub(crate) fn text(&self, database: &str, sql: &str) -> String {
        text_at(&self.url_for(database), sql)
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = dev_postgres("stop")
            .env("SLIPWAY_PG_DIR", self.dir.path())
            .output();
    }
}

/// Runs `scripts/dev-postgres.sh ACTION` on the cluster kept in `dir`;
/// returns its stdout, trimmed.
fn script(dir: &Path, env: &[(String, String)], action: &str) -> String {
    script_stdout(
        dev_postgres(action)
            .env("SLIPWAY_PG_DIR", dir)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        &format!("scripts/dev-postgres.sh {action}"),
    )
}
