//! `slipway-release run` under faults, against real PostgreSQL: killed at
//! random points, the server restarted mid-migration, overlapping deploys, a
//! migration blocked by another session's lock, backups that cannot be taken,
//! and a `-- no-transaction` migration that fails halfway. After each fault
//! nothing is half applied and a rerun completes.
//!
//! `SLIPWAY_FAULT_TRIALS` (default 20) sets how many kills; `SLIPWAY_FAULT_SEED`
//! replays a run (the seed is printed).

use std::fs;
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use indoc::{formatdoc, indoc};
use sqlx::{Connection, PgConnection};

use crate::support::cluster::OwnCluster;
use crate::support::{
    ALTER_ITEMS, TestDb, app_with_migrations, assert_exit, dumps_in, items_app, json,
    rerun_applies, run_expecting, runtime, schema_fingerprint, slipway, slipway_process,
    sqlx_migrate, stderr, uncreatable_folder, wait_until, wait_with_timeout,
};

/// The migrations of the kill trials: four transactional ones, each with two
/// pauses so that kills land inside them, and one idempotent
/// `-- no-transaction` one (which sqlx records after it ran, so a kill between
/// the two must be safe to repeat).
const FAULT_VERSIONS: [i64; 5] = [1, 2, 3, 4, 5];

fn write_fault_migrations(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    for version in 1..=4 {
        fs::write(
            dir.join(format!("{version}_fault_{version}.sql")),
            formatdoc! {"
                CREATE TABLE fault_{version} (id int PRIMARY KEY);
                SELECT pg_sleep(0.05);
                INSERT INTO fault_{version} VALUES ({version});
                SELECT pg_sleep(0.05);
                ALTER TABLE fault_{version} ADD COLUMN done boolean NOT NULL DEFAULT true;
            "},
        )
        .unwrap();
    }
    fs::write(
        dir.join("5_fault_5.sql"),
        indoc! {"
            -- no-transaction
            CREATE TABLE IF NOT EXISTS fault_5 (id int PRIMARY KEY);
            SELECT pg_sleep(0.05);
            INSERT INTO fault_5 VALUES (5) ON CONFLICT DO NOTHING;
            SELECT pg_sleep(0.05);
            ALTER TABLE fault_5 ADD COLUMN IF NOT EXISTS done boolean NOT NULL DEFAULT true;
        "},
    )
    .unwrap();
}

/// What one migration of the trial set left in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Left {
    Nothing,
    Complete,
    Half,
}

/// What each migration of the trial set left, in version order (one query:
/// the trials are many).
fn left_by_each(db: &TestDb) -> Vec<Left> {
    let states = db.text(
        "SELECT string_agg(CASE
                  WHEN to_regclass('fault_' || v) IS NULL THEN 'nothing'
                  WHEN EXISTS (SELECT 1 FROM information_schema.columns
                                WHERE table_name = 'fault_' || v AND column_name = 'done')
                   AND (xpath('/row/c/text()', query_to_xml(
                          'SELECT count(*) AS c FROM fault_' || v || ' WHERE id = ' || v,
                          false, true, '')))[1]::text = '1' THEN 'complete'
                  ELSE 'half' END, ',' ORDER BY v)
           FROM generate_series(1, 5) AS v",
    );
    states
        .split(',')
        .map(|state| match state {
            "nothing" => Left::Nothing,
            "complete" => Left::Complete,
            _ => Left::Half,
        })
        .collect()
}

/// Waits until no session of slipway (or of a `pg_dump` it started) is left
/// in `db`: a killed client's backend only notices at its next read.
fn wait_for_orphans(db: &TestDb) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = db.int(&format!(
            "SELECT count(*) FROM pg_stat_activity
              WHERE datname = '{}' AND pid <> pg_backend_pid()
                AND application_name = 'slipway-release'",
            db.name
        ));
        if left == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{left} orphaned session(s) still in {}",
            db.name
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The invariant after any fault: every history row succeeded, the applied
/// versions are a prefix of the folder's, no migration is half applied, and a
/// transactional migration is recorded exactly when its objects exist.
fn assert_consistent(db: &TestDb, context: &str) -> Vec<i64> {
    let applied = db.applied_versions();
    assert_eq!(
        applied.as_slice(),
        &FAULT_VERSIONS[..applied.len()],
        "{context}: applied versions are not a prefix"
    );
    if !applied.is_empty() {
        assert_eq!(
            db.int("SELECT count(*) FROM _sqlx_migrations WHERE NOT success"),
            0,
            "{context}: a failed history row"
        );
    }
    for (version, left) in FAULT_VERSIONS.into_iter().zip(left_by_each(db)) {
        let recorded = applied.contains(&version);
        assert_ne!(
            left,
            Left::Half,
            "{context}: migration {version} is half applied"
        );
        if version == 5 {
            // `-- no-transaction`: the script commits before its history row.
            assert!(
                !recorded || left == Left::Complete,
                "{context}: {version} recorded but {left:?}"
            );
        } else {
            assert_eq!(
                recorded,
                left == Left::Complete,
                "{context}: migration {version} recorded = {recorded}, objects {left:?}"
            );
        }
    }
    applied
}

/// sqlx's own `Migrator` on the same folder: nothing to do, no error.
fn assert_sqlx_agrees(db: &TestDb, migrations: &Path) {
    let before = db.text("SELECT string_agg(version || ':' || encode(checksum, 'hex'), ',' ORDER BY version) FROM _sqlx_migrations");
    sqlx_migrate(migrations, &db.url)
        .expect("sqlx's Migrator must accept the history slipway left");
    let after = db.text("SELECT string_agg(version || ':' || encode(checksum, 'hex'), ',' ORDER BY version) FROM _sqlx_migrations");
    assert_eq!(before, after, "sqlx's Migrator found something to do");
}

/// A small deterministic generator (splitmix64): no extra dependency, and a
/// printed seed replays the same delays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a number")),
    )
}

/// A fresh database holding one table, so that `run` takes a backup first.
fn db_with_data() -> TestDb {
    let db = TestDb::new();
    db.exec("CREATE TABLE seed (id int PRIMARY KEY); INSERT INTO seed VALUES (1), (2), (3);");
    db
}

fn run_trial_process(app: &Path, db: &TestDb, backups: &Path) -> std::process::Command {
    let mut cmd = slipway_process(app, &db.url);
    cmd.args(["run", "--backup"])
        .arg(format!("file:{}", backups.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// One trial: SIGKILL a run after `delay_ms`, check the invariant, rerun,
/// check that everything is applied and that sqlx agrees. Returns how many
/// migrations were applied when the kill landed.
fn kill_and_rerun(
    app: &Path,
    migrations: &Path,
    trial: usize,
    delay_ms: u64,
    context: &str,
) -> usize {
    let db = db_with_data();
    let backups = app.join(format!("backups-{trial}"));
    let mut child = run_trial_process(app, &db, &backups).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(delay_ms));
    let _ = child.kill(); // SIGKILL: no destructor, no unlock, no cleanup.
    let _ = child.wait();
    wait_for_orphans(&db);

    let applied = assert_consistent(&db, context).len();
    // A killed backup never looks like a good one.
    for dump in dumps_in(&backups) {
        let listed = std::process::Command::new("pg_restore")
            .arg("--list")
            .arg(&dump)
            .output()
            .unwrap();
        assert!(
            listed.status.success(),
            "{context}: {} does not verify",
            dump.display()
        );
    }

    let rerun = run_trial_process(app, &db, &backups).output().unwrap();
    assert_eq!(
        rerun.status.code(),
        Some(0),
        "{context}: the rerun failed:\n{}",
        stderr(&rerun)
    );
    assert_eq!(
        assert_consistent(&db, context),
        FAULT_VERSIONS,
        "{context}: the rerun did not apply everything"
    );
    assert_sqlx_agrees(&db, migrations);
    applied
}

#[test]
fn killed_at_random_points_nothing_is_half_applied_and_the_rerun_completes() {
    let trials = env_number("SLIPWAY_FAULT_TRIALS").unwrap_or(20);
    let seed = env_number("SLIPWAY_FAULT_SEED").unwrap_or_else(|| {
        u64::from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos(),
        )
    });
    // Printed so that a failure can be replayed (nextest shows it on failure).
    println!("kill trials: {trials}, SLIPWAY_FAULT_SEED={seed}");
    let mut rng = Rng(seed);

    let app = tempfile::tempdir().unwrap();
    let migrations = app.path().join("migrations");
    write_fault_migrations(&migrations);

    // One uninterrupted run sets the window the kills are drawn from, and
    // when its migrations start.
    let calibration = db_with_data();
    let backups = app.path().join("calibration-backups");
    let started = Instant::now();
    let out = run_trial_process(app.path(), &calibration, &backups)
        .arg("--format=json")
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let full_run = started.elapsed();
    assert_exit(&out, 0);
    assert_eq!(
        assert_consistent(&calibration, "calibration"),
        FAULT_VERSIONS
    );
    drop(calibration);
    let window_ms = u64::try_from(full_run.as_millis()).unwrap() * 11 / 10;
    // Counted back from the end, so process start-up is included.
    let migrating_ms: u64 = json(&out)["steps"]
        .as_array()
        .unwrap()
        .iter()
        .skip_while(|step| step["name"] != "migrate")
        .map(|step| step["duration_ms"].as_u64().unwrap())
        .sum();
    let full_ms = u64::try_from(full_run.as_millis()).unwrap();
    let before_migrating_ms = full_ms.saturating_sub(migrating_ms);

    // The delays are drawn up front, so a seed replays the same kills
    // whatever order the two workers run them in.
    // Every other kill lands after the backup, while migrations run.
    let delays: Vec<u64> = (0..trials)
        .map(|trial| {
            let from = if trial % 2 == 1 {
                before_migrating_ms
            } else {
                0
            };
            from + rng.below(window_ms.saturating_sub(from))
        })
        .collect();
    let applied_at_kill = std::sync::Mutex::new(vec![0_usize; FAULT_VERSIONS.len() + 1]);
    std::thread::scope(|scope| {
        for worker in 0..2 {
            let (delays, applied_at_kill, app) = (&delays, &applied_at_kill, app.path());
            let migrations = migrations.as_path();
            scope.spawn(move || {
                for (trial, delay) in delays.iter().enumerate().skip(worker).step_by(2) {
                    let context = format!("trial {trial} (seed {seed}, kill after {delay} ms)");
                    let applied = kill_and_rerun(app, migrations, trial, *delay, &context);
                    applied_at_kill.lock().unwrap()[applied] += 1;
                }
            });
        }
    });
    let applied_at_kill = applied_at_kill.into_inner().unwrap();
    println!("trials by migrations applied when killed (0..=5): {applied_at_kill:?}");
}

/// Starts `run` on a cluster of its own with a slow second migration, calls
/// `interrupt` once that migration is running, and checks what every server
/// failure must leave: a non-zero exit naming the migration, the earlier
/// migration kept, the interrupted one rolled back, and a rerun that
/// completes. Returns the failed run's stderr.
fn interrupted_mid_migration(interrupt: impl FnOnce(&OwnCluster, &str)) -> String {
    let cluster = OwnCluster::start();
    // The throwaway clusters run with synchronous_commit off, which a crash
    // turns into lost commits; a production server keeps them.
    cluster.exec("postgres", "ALTER SYSTEM SET synchronous_commit = on");
    cluster.exec("postgres", "SELECT pg_reload_conf()");
    cluster.exec("postgres", "CREATE DATABASE restart_me");
    let url = cluster.url_for("restart_me");
    let app = tempfile::tempdir().unwrap();
    let migrations = app.path().join("migrations");
    fs::create_dir_all(&migrations).unwrap();
    fs::write(
        migrations.join("1_first.sql"),
        "CREATE TABLE first (id int);\n",
    )
    .unwrap();
    fs::write(
        migrations.join("2_slow_backfill.sql"),
        "CREATE TABLE second (id int);\nSELECT pg_sleep(3);\nINSERT INTO second VALUES (2);\n",
    )
    .unwrap();
    fs::write(
        migrations.join("3_third.sql"),
        "CREATE TABLE third (id int);\n",
    )
    .unwrap();

    let child = slipway_process(app.path(), &url)
        .args(["run", "--backup", "none"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut backend = String::new();
    wait_until(Duration::from_secs(20), || {
        backend = cluster.text(
            "postgres",
            "SELECT pid FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' AND state = 'active' AND pid <> pg_backend_pid()",
        );
        backend != "NULL"
    });
    interrupt(&cluster, &backend);
    let out = wait_with_timeout(child, Duration::from_secs(30));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(7), "{err}");
    assert!(err.contains("2_slow_backfill.sql"), "{err}");
    assert!(err.contains("migration 2 failed"), "{err}");
    // The server may still be recovering: the rerun waits for it.
    wait_until(Duration::from_secs(30), || {
        slipway(app.path(), &url)
            .args(["plan", "--connect-timeout", "2s"])
            .output()
            .unwrap()
            .status
            .success()
    });
    assert_eq!(
        cluster.text(
            "restart_me",
            "SELECT string_agg(version::text, ',' ORDER BY version) FROM _sqlx_migrations"
        ),
        "1"
    );
    assert_eq!(
        cluster.text("restart_me", "to_regclass('second') IS NULL"),
        "true"
    );

    run_expecting(
        slipway(app.path(), &url).args(["run", "--backup", "none"]),
        0,
    );
    assert_eq!(
        cluster.text(
            "restart_me",
            "SELECT string_agg(version::text, ',' ORDER BY version) FROM _sqlx_migrations"
        ),
        "1,2,3"
    );
    assert_eq!(
        cluster.text("restart_me", "SELECT count(*) FROM second"),
        "1"
    );
    err
}

#[test]
fn postgres_restarted_mid_migration_fails_naming_it_and_the_rerun_completes() {
    let err = interrupted_mid_migration(|cluster, _| cluster.restart());
    assert!(err.contains("shut down or restarted"), "{err}");
    assert!(
        !err.contains("Fix 2_slow_backfill.sql"),
        "the file is not at fault:\n{err}"
    );
}

#[test]
fn a_backend_crash_mid_migration_fails_naming_it_and_the_rerun_completes() {
    // SIGKILL of the migration's backend: PostgreSQL treats it as a crash,
    // drops every session without a word and recovers.
    let err = interrupted_mid_migration(|_, backend| {
        // The shell's builtin `kill`: no procps needed on a fresh machine.
        let killed = std::process::Command::new("sh")
            .args(["-c", "kill -KILL \"$1\"", "sh", backend])
            .status()
            .unwrap();
        assert!(killed.success());
    });
    assert!(err.contains("was not recorded as applied"), "{err}");
}

fn slow_app(seconds: f64) -> tempfile::TempDir {
    app_with_migrations(&[
        (
            "1_create_a.sql",
            &format!(
                "CREATE TABLE a (id int);\nSELECT pg_sleep({seconds});\nINSERT INTO a VALUES (1);\n"
            ),
        ),
        (
            "2_create_b.sql",
            "CREATE TABLE b (id int);\nINSERT INTO b SELECT id FROM a;\n",
        ),
        (
            "3_count.sql",
            "CREATE TABLE c (n bigint);\nINSERT INTO c SELECT count(*) FROM b;\n",
        ),
    ])
}

#[test]
fn three_overlapping_deploys_apply_each_migration_exactly_once() {
    let db = TestDb::new();
    let app = slow_app(0.5);
    let children: Vec<Child> = (0..3)
        .map(|_| {
            slipway_process(app.path(), &db.url)
                .args(["run", "--backup", "none", "--format", "json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|child| wait_with_timeout(child, Duration::from_mins(1)))
        .collect();
    let mut applied_by_runs = Vec::new();
    for out in &outputs {
        assert_exit(out, 0);
        let doc = json(out);
        for entry in doc["applied"].as_array().unwrap() {
            applied_by_runs.push(entry["version"].as_i64().unwrap());
        }
    }
    applied_by_runs.sort_unstable();
    assert_eq!(
        applied_by_runs,
        vec![1, 2, 3],
        "each migration exactly once"
    );
    assert_eq!(db.applied_versions(), vec![1, 2, 3]);
    assert_eq!(db.int("SELECT count(*) FROM a"), 1);
    assert_eq!(db.int("SELECT n FROM c"), 1);
}

#[test]
fn overlapping_deploys_with_a_short_lock_wait_exit_4_naming_the_holder_pid() {
    let db = TestDb::new();
    let app = slow_app(4.0);
    let holder = slipway_process(app.path(), &db.url)
        .args(["run", "--backup", "none"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut holder_pid = String::new();
    wait_until(Duration::from_secs(20), || {
        holder_pid = db.text(&format!(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
                AND database = (SELECT oid FROM pg_database WHERE datname = '{}')",
            db.name
        ));
        holder_pid != "NULL"
    });
    let waiters: Vec<Child> = (0..2)
        .map(|_| {
            slipway_process(app.path(), &db.url)
                .args(["run", "--backup", "none", "--lock-wait", "300ms"])
                .args(["--format", "json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for waiter in waiters {
        let out = wait_with_timeout(waiter, Duration::from_secs(30));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(4), "{err}");
        assert!(
            err.contains(&format!("backend pid {holder_pid}")),
            "holder pid {holder_pid} not named:\n{err}"
        );
        assert_eq!(
            json(&out)["error"]["details"]["holder_pid"].to_string(),
            holder_pid
        );
    }
    let out = wait_with_timeout(holder, Duration::from_mins(1));
    assert_exit(&out, 0);
    assert_eq!(db.applied_versions(), vec![1, 2, 3]);
    assert_eq!(db.int("SELECT count(*) FROM a"), 1);
}

/// Runs `slipway-release run ARGS` in `app` while another session holds an
/// ACCESS EXCLUSIVE lock on `items` in an open transaction; returns the
/// output, how long the run took, and the blocking session's pid.
fn run_while_items_is_locked(app: &Path, db: &TestDb, args: &[&str]) -> (Output, Duration, i32) {
    let url = db.url.clone();
    let app = app.to_owned();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    runtime().block_on(async move {
        // Another session (an app dyno, a psql) holds a lock on the table.
        let mut blocker = PgConnection::connect(&url).await.unwrap();
        sqlx::raw_sql("BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE;")
            .execute(&mut blocker)
            .await
            .unwrap();
        let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut blocker)
            .await
            .unwrap();
        let started = Instant::now();
        let child = slipway_process(&app, &url)
            .arg("run")
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = wait_with_timeout(child, Duration::from_mins(1));
        let took = started.elapsed();
        sqlx::raw_sql("ROLLBACK")
            .execute(&mut blocker)
            .await
            .unwrap();
        (out, took, pid)
    })
}

#[test]
fn a_migration_blocked_by_another_sessions_table_lock_fails_after_lock_timeout() {
    let (db, app) = items_app(ALTER_ITEMS);
    let (out, took, blocker) = run_while_items_is_locked(
        app.path(),
        &db,
        &[
            "--lock-timeout",
            "500ms",
            "--backup",
            "none",
            "--format",
            "json",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(7), "{err}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(err.contains("migration 2 failed"), "{err}");
    assert!(err.contains("2_items_price.sql"), "{err}");
    assert!(err.contains("55P03"), "{err}");
    assert!(err.contains("lock timeout"), "{err}");
    assert!(err.contains("lock_timeout"), "{err}");
    // The server's error names neither; slipway finds both.
    assert!(
        err.contains("waiting statement: line 2: ALTER TABLE items ADD COLUMN price_cents bigint;"),
        "{err}"
    );
    assert!(
        err.contains(&format!("blocked by: pid {blocker} ")),
        "{err}"
    );
    assert!(err.contains("AccessExclusiveLock on public.items"), "{err}");
    let doc = json(&out);
    assert_eq!(doc["error"]["details"]["blocked_by"][0]["pid"], blocker);
    assert_eq!(doc["error"]["details"]["file"], "2_items_price.sql");
    // The first migration stays; the blocked one rolled back whole.
    assert_eq!(db.applied_versions(), vec![1]);
    assert!(!db.table_exists("prices"));

    rerun_applies(&db, app.path(), &[1, 2]);
}

// Found by the test above with a backup target: pg_dump waited forever for
// its ACCESS SHARE lock behind the other session, hanging the release.
#[test]
fn a_backup_blocked_by_another_sessions_table_lock_fails_after_lock_timeout_with_exit_5() {
    let (db, app) = items_app(ALTER_ITEMS);
    let before = schema_fingerprint(&db);
    let backups = app.path().join("backups");
    let target = format!("--backup=file:{}", backups.display());
    let (out, took, _) =
        run_while_items_is_locked(app.path(), &db, &["--lock-timeout", "500ms", &target]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(err.contains("LOCK TABLE public.items"), "{err}");
    assert_eq!(schema_fingerprint(&db), before);
    assert!(dumps_in(&backups).is_empty());
}

/// A database with data and pending migrations, for the backup failures.
fn pending_with_data() -> (TestDb, tempfile::TempDir) {
    let db = db_with_data();
    let app = tempfile::tempdir().unwrap();
    write_fault_migrations(&app.path().join("migrations"));
    (db, app)
}

fn assert_backup_failed_and_nothing_ran(out: &Output, db: &TestDb, before: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("Nothing was migrated"), "{err}");
    assert_eq!(schema_fingerprint(db), before, "the database changed");
    assert!(db.applied_versions().is_empty());
    assert!(!err.contains("slipway-release | migrate"), "{err}");
}

#[test]
fn pg_dump_missing_from_path_is_exit_5_and_nothing_is_migrated() {
    let (db, app) = pending_with_data();
    let before = schema_fingerprint(&db);
    let empty_bin = tempfile::tempdir().unwrap();
    let out = slipway(app.path(), &db.url)
        .env("PATH", empty_bin.path())
        .args(["run", "--backup", "file:backups"])
        .output()
        .unwrap();
    assert_backup_failed_and_nothing_ran(&out, &db, &before);
    assert!(
        stderr(&out).contains("`pg_dump` was not found"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unwritable_backup_folder_is_exit_5_and_nothing_is_migrated() {
    let (db, app) = pending_with_data();
    let before = schema_fingerprint(&db);
    let target = uncreatable_folder(app.path());
    let out = slipway(app.path(), &db.url)
        .arg("run")
        .arg(format!("--backup=file:{}", target.display()))
        .output()
        .unwrap();
    assert_backup_failed_and_nothing_ran(&out, &db, &before);
    let err = stderr(&out);
    assert!(err.contains(&target.display().to_string()), "{err}");
}

#[test]
fn an_s3_endpoint_that_is_down_is_exit_5_and_nothing_is_migrated() {
    let (db, app) = pending_with_data();
    let before = schema_fingerprint(&db);
    // A port nothing listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let out = slipway(app.path(), &db.url)
        .args(["run", "--backup", "s3://slipway-down/app"])
        .env(
            "SLIPWAY_BACKUP_S3_ENDPOINT",
            format!("http://127.0.0.1:{port}"),
        )
        .env("SLIPWAY_BACKUP_S3_PATH_STYLE", "true")
        .env("AWS_ACCESS_KEY_ID", "slipway-fault-access")
        .env("AWS_SECRET_ACCESS_KEY", "slipway-fault-secret")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    println!("S3 down: failed after {:?}", started.elapsed());
    assert_backup_failed_and_nothing_ran(&out, &db, &before);
}

#[test]
fn a_no_transaction_migration_failing_halfway_is_reported_as_maybe_partial_and_not_recorded() {
    let db = TestDb::new();
    db.exec("CREATE TABLE items (id int, name text); INSERT INTO items VALUES (1, 'a'), (2, 'a');");
    let app = tempfile::tempdir().unwrap();
    let migrations = app.path().join("migrations");
    fs::create_dir_all(&migrations).unwrap();
    fs::write(
        migrations.join("1_notes.sql"),
        "CREATE TABLE notes (id int);\n",
    )
    .unwrap();
    // The concurrent build registers the index, then fails on the duplicate:
    // the INVALID index stays behind.
    fs::write(
        migrations.join("2_items_name_key.sql"),
        indoc! {"
            -- no-transaction
            CREATE UNIQUE INDEX CONCURRENTLY items_name_key ON items (name);
        "},
    )
    .unwrap();
    let out = slipway(app.path(), &db.url)
        .args(["run", "--backup", "none", "--format", "json"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(7), "{err}");
    assert!(err.contains("2_items_name_key.sql"), "{err}");
    assert!(err.contains("may be partially applied"), "{err}");
    assert!(
        err.contains("items_name_key"),
        "the leftover index is not named:\n{err}"
    );
    assert!(err.contains("not recorded in _sqlx_migrations"), "{err}");
    assert_eq!(json(&out)["error"]["details"]["no_transaction"], true);
    assert_eq!(db.applied_versions(), vec![1]);
    // The INVALID index it left was dropped (recovery.rs has the rest).
    assert_eq!(db.text("to_regclass('items_name_key')"), "NULL");
}
