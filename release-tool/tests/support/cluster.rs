//! A throwaway PostgreSQL cluster of a test's own (never the shared one), made
//! by `scripts/dev-postgres.sh` in a temporary `SLIPWAY_PG_DIR`: for restarts,
//! TLS variants and password authentication. Stopped and deleted when dropped.

use std::path::Path;
use std::process::Output;

use sqlx::{Connection, PgConnection};

use super::{runtime, workspace_root};

pub struct OwnCluster {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    /// The superuser URL (trust auth).
    pub url: String,
}

impl OwnCluster {
    /// A cluster like the shared one (TLS with the test CA, trust auth).
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// A cluster made with these `scripts/dev-postgres.sh` variables, e.g.
    /// `SLIPWAY_PG_TLS=self-signed` or `SLIPWAY_PG_PASSWORD_AUTH=1`.
    pub fn start_with(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("slipway-pg-own-")
            .tempdir()
            .unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let out = script(dir.path(), &env, "start");
        Self {
            dir,
            env,
            url: String::from_utf8(out.stdout).unwrap().trim().to_owned(),
        }
    }

    /// The folder holding `tls/` (the CA, when there is one).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn restart(&self) {
        script(self.dir.path(), &self.env, "restart");
    }

    /// The superuser URL for another database.
    pub fn url_for(&self, database: &str) -> String {
        let (base, _) = self.url.rsplit_once('/').unwrap();
        format!("{base}/{database}")
    }

    pub fn port(&self) -> u16 {
        url::Url::parse(&self.url).unwrap().port().unwrap()
    }

    /// Runs SQL as the superuser in `database`.
    pub fn exec(&self, database: &str, sql: &str) {
        let url = self.url_for(database);
        let sql = sql.to_owned();
        runtime().block_on(async move {
            let mut conn = PgConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        });
    }

    /// The first column of the first row, as text (NULL as "NULL").
    pub fn text(&self, database: &str, sql: &str) -> String {
        let url = self.url_for(database);
        let sql = format!("SELECT coalesce(({sql})::text, 'NULL')");
        runtime().block_on(async move {
            let mut conn = PgConnection::connect(&url).await.unwrap();
            sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut conn)
                .await
                .unwrap()
        })
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(workspace_root().join("scripts/dev-postgres.sh"))
            .arg("stop")
            .env("SLIPWAY_PG_DIR", self.dir.path())
            .output();
    }
}

fn script(dir: &Path, env: &[(String, String)], action: &str) -> Output {
    let out = std::process::Command::new(workspace_root().join("scripts/dev-postgres.sh"))
        .arg(action)
        .env("SLIPWAY_PG_DIR", dir)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dev-postgres.sh {action}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
