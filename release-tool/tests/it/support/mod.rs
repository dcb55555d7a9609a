//! Test support: a fresh PostgreSQL database per test (dropped at the end),
//! the fixture migration sets, and the `slipway-release` binary with a clean
//! environment.
//!
//! The admin URL comes from `SLIPWAY_TEST_DATABASE_URL`, or from
//! `scripts/dev-postgres.sh start` (which starts the throwaway PostgreSQL 15 +
//! pgvector server if it is not running).

use std::path::{Path, PathBuf};
use std::process::{Child, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::{Connection, Executor, PgConnection};

pub(crate) mod cluster;
pub(crate) mod heroku;
pub(crate) mod lock_holder;
pub(crate) mod s3;
pub(crate) mod sources;

/// Environment variables slipway reads; cleared so the host cannot leak in.
const SLIPWAY_ENV: &[&str] = &[
    "DATABASE_URL",
    "DYNO",
    "SLIPWAY_MIGRATIONS_DIR",
    "SLIPWAY_MIGRATIONS_FORMAT",
    "SLIPWAY_MIGRATE_COMMAND",
    "MIGRATION_DIRECTORY",
    "DIESEL_CONFIG_FILE",
    "SLIPWAY_BACKUP",
    "SLIPWAY_BACKUP_KEEP",
    "SLIPWAY_PGVECTOR",
    "SLIPWAY_PGVECTOR_MIN_VERSION",
    "SLIPWAY_LOCK_WAIT",
    "SLIPWAY_LOCK_TIMEOUT",
    "SLIPWAY_LOCK_RETRIES",
    "SLIPWAY_STATEMENT_TIMEOUT",
    "SLIPWAY_CONNECT_TIMEOUT",
    "SLIPWAY_LINT",
    "SLIPWAY_LINT_BLOCKING_MAX_SIZE",
    "SLIPWAY_FORMAT",
    "SLIPWAY_CONFIG",
    "SLIPWAY_PG_BIN_DIR",
    "PGPASSWORD",
];

/// Variables of the S3 and Heroku backup targets, cleared by the tests of
/// those targets so the host cannot leak in.
pub(crate) const TARGET_ENV: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "SLIPWAY_BACKUP_S3_ENDPOINT",
    "SLIPWAY_BACKUP_S3_PATH_STYLE",
    "SLIPWAY_BACKUP_S3_PART_SIZE",
    "SLIPWAY_BACKUP_S3_BUCKET",
    "HEROKU_API_KEY",
    "HEROKU_APP_NAME",
    "SLIPWAY_HEROKU_APP",
    "SLIPWAY_HEROKU_API_URL",
    "SLIPWAY_HEROKU_DATA_API_URL",
    "SLIPWAY_HEROKU_POLL_INTERVAL",
    "SLIPWAY_HEROKU_CAPTURE_TIMEOUT",
];

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// `scripts/dev-postgres.sh ACTION`, to run.
pub(crate) fn dev_postgres(action: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(workspace_root().join("scripts/dev-postgres.sh"));
    cmd.arg(action);
    cmd
}

/// Runs one of the project's scripts (`what` names it in messages), asserts
/// that it succeeded (its stderr in the failure message) and returns its
/// stdout, trimmed.
pub(crate) fn script_stdout(cmd: &mut std::process::Command, what: &str) -> String {
    let output = cmd.output().unwrap_or_else(|e| panic!("run {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The superuser URL of the test server.
pub(crate) fn admin_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("SLIPWAY_TEST_DATABASE_URL")
            && !url.trim().is_empty()
        {
            return url.trim().to_owned();
        }
        script_stdout(&mut dev_postgres("start"), "scripts/dev-postgres.sh start")
    })
    .clone()
}

/// The CA of the shared cluster (`$SLIPWAY_PG_DIR/tls/ca.crt`).
pub(crate) fn shared_ca() -> PathBuf {
    let dir = std::env::var("SLIPWAY_PG_DIR").unwrap_or_else(|_| "/tmp/slipway-pg".to_owned());
    Path::new(&dir).join("tls/ca.crt")
}

/// `admin_url` with another database name.
pub(crate) fn url_for(database: &str) -> String {
    let admin = admin_url();
    let (base, _) = admin.rsplit_once('/').unwrap();
    format!("{base}/{database}")
}

/// `url` with `user:password` in place of the user.
pub(crate) fn with_credentials(url: &str, user: &str, password: &str) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    parsed.set_username(user).unwrap();
    parsed.set_password(Some(password)).unwrap();
    parsed.to_string()
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A suffix no other call in any test process returns: the process id, a
/// counter and the clock's nanoseconds, joined by `separator`.
pub(crate) fn unique_suffix(separator: char) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let count = COUNTER.fetch_add(1, Ordering::SeqCst);
    let pid = std::process::id();
    format!("{pid}{separator}{count}{separator}{nanos}")
}

/// A fresh database, dropped when the value is.
pub(crate) struct TestDb {
    pub(crate) name: String,
    pub(crate) url: String,
}

impl TestDb {
    pub(crate) fn new() -> Self {
        let name = format!("slipway_test_{}", unique_suffix('_'));
        admin_exec(&format!("CREATE DATABASE \"{name}\""));
        let url = url_for(&name);
        Self { name, url }
    }

    /// Runs SQL (simple protocol, may hold several statements).
    pub(crate) fn exec(&self, sql: &str) {
        exec_at(&self.url, sql);
    }

    /// The first column of the first row, as text (NULL as "NULL").
    pub(crate) fn text(&self, sql: &str) -> String {
        text_at(&self.url, sql)
    }

    pub(crate) fn int(&self, sql: &str) -> i64 {
        self.text(sql).parse().unwrap()
    }

    /// The applied versions in `_sqlx_migrations`, in order (empty without the table).
    pub(crate) fn applied_versions(&self) -> Vec<i64> {
        if !self.table_exists("_sqlx_migrations") {
            return Vec::new();
        }
        let text = self.text("SELECT coalesce(string_agg(version::text, ',' ORDER BY version), '') FROM _sqlx_migrations");
        text.split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect()
    }

    pub(crate) fn table_exists(&self, table: &str) -> bool {
        self.text(&format!("to_regclass('{table}') IS NOT NULL")) == "true"
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(|| {
            admin_exec(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        });
    }
}

fn admin_exec(sql: &str) {
    exec_at(&admin_url(), sql);
}

/// Runs SQL on a new connection to `url` (simple protocol, may hold several
/// statements).
pub(crate) fn exec_at(url: &str, sql: &str) {
    runtime().block_on(async {
        let mut conn = PgConnection::connect(url).await.unwrap();
        conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())))
            .await
            .unwrap();
    });
}

/// The first column of the first row of `sql` on a new connection to `url`,
/// as text (NULL as "NULL").
pub(crate) fn text_at(url: &str, sql: &str) -> String {
    let sql = format!("SELECT coalesce(({sql})::text, 'NULL')");
    runtime().block_on(async {
        let mut conn = PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut conn)
            .await
            .unwrap()
    })
}

/// A fresh database with one table `t` holding one row: something to back up.
pub(crate) fn db_with_data() -> TestDb {
    let db = TestDb::new();
    db.exec("CREATE TABLE t (id int); INSERT INTO t VALUES (1);");
    db
}

/// A fixture migration set in `test-fixtures/migrations/`.
pub(crate) fn fixture(set: &str) -> PathBuf {
    workspace_root().join("test-fixtures/migrations").join(set)
}

/// A temporary working directory holding a copy of the fixture set(s) in
/// `migrations/` (later sets add to earlier ones).
pub(crate) fn app_with(sets: &[&str]) -> tempfile::TempDir {
    let dir = app_with_migrations(&[]);
    let migrations = dir.path().join("migrations");
    for set in sets {
        for entry in std::fs::read_dir(fixture(set)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, migrations.join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

/// A temporary working directory whose `migrations/` holds these files
/// (name, contents).
pub(crate) fn app_with_migrations(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    for (name, contents) in files {
        std::fs::write(migrations.join(name), contents).unwrap();
    }
    dir
}

/// `slipway-release` run in `dir` against `database_url`, with a clean environment.
pub(crate) fn slipway(dir: &Path, database_url: &str) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("slipway-release").unwrap();
    for var in SLIPWAY_ENV {
        cmd.env_remove(var);
    }
    cmd.current_dir(dir)
        .env("DATABASE_URL", database_url)
        .timeout(std::time::Duration::from_mins(2));
    cmd
}

/// Runs `cmd` and asserts that it exits with `code` (its stderr in the
/// failure message); returns its output.
#[track_caller]
pub(crate) fn run_expecting(cmd: &mut assert_cmd::Command, code: i32) -> Output {
    let output = cmd.output().unwrap();
    assert_exit(&output, code);
    output
}

/// Asserts that the command exited with `code` (its stderr in the failure
/// message).
#[track_caller]
pub(crate) fn assert_exit(output: &Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "{}", stderr(output));
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Stdout followed by stderr: everything the command printed.
pub(crate) fn all_output(output: &Output) -> String {
    format!("{}{}", stdout(output), stderr(output))
}

/// Asserts that `text` (a command's output) contains every one of `needles`.
#[track_caller]
pub(crate) fn assert_mentions(text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}

/// The JSON document on stdout.
pub(crate) fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// The `.dump` files in `dir`, sorted.
pub(crate) fn dumps_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut dumps: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "dump"))
        .collect();
    dumps.sort();
    dumps
}

/// SHA-384 of `bytes`, hex: sqlx's migration checksum.
pub(crate) fn sha384_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha384::digest(bytes))
}

/// `slipway-release` as a plain process (to spawn, kill or run concurrently),
/// run in `dir` against `database_url`, with the same clean environment as
/// [`slipway`].
pub(crate) fn slipway_process(dir: &Path, database_url: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_slipway-release"));
    for var in SLIPWAY_ENV {
        cmd.env_remove(var);
    }
    cmd.current_dir(dir).env("DATABASE_URL", database_url);
    cmd
}

/// A fingerprint of everything in the database that a migration could change:
/// every relation, column, index, constraint, extension and row count of the
/// history table. Equal before and after means "nothing changed".
pub(crate) fn schema_fingerprint(db: &TestDb) -> String {
    db.text(
        "SELECT concat_ws(' | ',
            (SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text, ',' ORDER BY 1)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'),
            (SELECT string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY 1)
               FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')),
            (SELECT string_agg(conname, ',' ORDER BY 1) FROM pg_constraint
              WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)),
            (SELECT string_agg(extname || '@' || extversion, ',' ORDER BY 1) FROM pg_extension),
            (SELECT CASE WHEN to_regclass('_sqlx_migrations') IS NULL THEN 'no history'
                    ELSE 'history ' || (xpath('/row/c/text()', query_to_xml(
                        'SELECT count(*) AS c FROM _sqlx_migrations', false, true, '')))[1]::text END))",
    )
}

/// The `sqlx` binary of sqlx-cli 0.9, built with its `sqlx-toml` feature
/// (scripts/install-deps.sh): on PATH, or in cargo's bin dir.
pub(crate) fn sqlx_cli() -> PathBuf {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .map(|home| home.join("bin/sqlx"));
    match cargo_bin {
        Some(path) if path.is_file() => path,
        _ => "sqlx".into(),
    }
}

/// `sqlx migrate run` of sqlx-cli 0.9 (installed by scripts/install-deps.sh) on `dir`.
pub(crate) fn sqlx_cli_migrate(dir: &Path, url: &str) {
    let output = std::process::Command::new(sqlx_cli())
        .args(["migrate", "run", "--source"])
        .arg(dir)
        .args(["--database-url", url])
        .output()
        .unwrap_or_else(|e| {
            panic!("sqlx-cli does not run ({e}); scripts/install-deps.sh installs it")
        });
    assert!(
        output.status.success(),
        "sqlx migrate run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `slipway-release run --backup none` in `app` against `db`, for a test to
/// add its options to.
pub(crate) fn run_without_backup(db: &TestDb, app: &Path) -> assert_cmd::Command {
    let mut cmd = slipway(app, &db.url);
    cmd.args(["run", "--backup", "none"]);
    cmd
}

/// `slipway-release run --backup none` in `app` against `db`, expecting
/// success, and then exactly `versions` in the history: the rerun after a
/// failure completes.
#[track_caller]
pub(crate) fn rerun_applies(db: &TestDb, app: &Path, versions: &[i64]) {
    run_expecting(&mut run_without_backup(db, app), 0);
    assert_eq!(db.applied_versions(), versions);
}

/// sqlx's own `Migrator` on the folder `migrations`, run against `url`.
pub(crate) fn sqlx_migrate(migrations: &Path, url: &str) -> Result<(), MigrateError> {
    let migrations = migrations.to_owned();
    let url = url.to_owned();
    runtime().block_on(async move {
        let migrator = Migrator::new(migrations.as_path()).await?;
        let mut conn = PgConnection::connect(&url).await?;
        migrator.run(&mut conn).await
    })
}

/// A database with table `items` (one row), and an app whose first
/// migration creates `notes` and whose second, `2_items_price.sql`, is
/// `second`: something another session can block by locking `items`.
pub(crate) fn items_app(second: &str) -> (TestDb, tempfile::TempDir) {
    let db = TestDb::new();
    db.exec("CREATE TABLE items (id int); INSERT INTO items VALUES (1);");
    let app = app_with_migrations(&[
        ("1_note.sql", "CREATE TABLE notes (id int);\n"),
        ("2_items_price.sql", second),
    ]);
    (db, app)
}

/// The second migration of [`items_app`] that the tests of a locked `items`
/// use: a new table, then an ALTER that waits for the lock.
pub(crate) const ALTER_ITEMS: &str =
    "CREATE TABLE prices (id int);\nALTER TABLE items ADD COLUMN price_cents bigint;\n";

/// A folder below `dir` that no one can create, as a backup target that
/// fails: it sits below a regular file (tests run as root, which ignores
/// permission bits).
pub(crate) fn uncreatable_folder(dir: &Path) -> PathBuf {
    let file = dir.join("not-a-folder");
    std::fs::write(&file, "a regular file").unwrap();
    file.join("backups")
}

/// The key of sqlx's migration lock on the database `name`: 0x3d32ad9e *
/// crc32(name). `sqlx_compat` proves it the key sqlx's Migrator takes.
pub(crate) fn migration_lock_key(name: &str) -> i64 {
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(name.as_bytes());
    0x3d32_ad9e_i64 * i64::from(crc)
}

/// Another session on `db` (an overlapping deploy) holding sqlx's migration
/// lock, on `rt`: the session, which holds the lock until it ends, and its pid.
pub(crate) fn hold_migration_lock(
    rt: &tokio::runtime::Runtime,
    db: &TestDb,
) -> (PgConnection, i32) {
    let key = migration_lock_key(&db.name);
    rt.block_on(async {
        let mut conn = PgConnection::connect(&db.url).await.unwrap();
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(key)
            .execute(&mut conn)
            .await
            .unwrap();
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        (conn, pid)
    })
}

/// Polls `done` every 20 ms; fails the test after `limit`.
pub(crate) fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out after {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for `child` at most `limit` (kills it and fails past that: a hang).
pub(crate) fn wait_with_timeout(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("slipway-release still running after {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A Diesel migration set in `test-fixtures/diesel/`.
pub(crate) fn diesel_fixture(set: &str) -> PathBuf {
    workspace_root().join("test-fixtures/diesel").join(set)
}

/// A temporary app whose `migrations/` is a copy of the Diesel set.
pub(crate) fn diesel_app(set: &str) -> tempfile::TempDir {
    let app = tempfile::tempdir().unwrap();
    copy_dir(&diesel_fixture(set), &app.path().join("migrations"));
    app
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
