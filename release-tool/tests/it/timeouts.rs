//! A timeout of `0` means "no limit" for every timeout setting, from a flag,
//! the environment or `slipway.toml`: the connect timeout (slipway's session
//! and `pg_dump`'s `PGCONNECT_TIMEOUT`), the lock wait, `lock_timeout`,
//! `statement_timeout` and `SLIPWAY_HEROKU_CAPTURE_TIMEOUT`. It never means
//! "time out at once".

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support;
use crate::support::heroku;
use crate::support::lock_holder::LockHolder;
use crate::support::{
    TestDb, all_output, app_with_migrations, db_with_data, json, run_expecting, slipway,
    slipway_process, stderr,
};

#[test]
fn zero_timeouts_from_flags_the_environment_and_the_file_are_no_limit() {
    let db = db_with_data();
    let app = app_with_migrations(&[("1_items.sql", "CREATE TABLE items (id int);\n")]);
    std::fs::write(app.path().join("slipway.toml"), "connect_timeout = \"0\"\n").unwrap();
    // Connecting with a connect timeout of zero (it timed out at once).
    run_expecting(slipway(app.path(), &db.url).arg("check"), 0);
    // A run that connects, locks, backs up (pg_dump) and migrates with every
    // timeout at zero.
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .env("SLIPWAY_LOCK_WAIT", "0s")
            .env("SLIPWAY_BACKUP", "file:backups")
            .args(["run", "--lock-timeout", "0", "--statement-timeout", "0"])
            .args(["--format", "json"]),
        0,
    );
    let document = json(&out);
    assert_eq!(document["backup"]["taken"], true, "{}", all_output(&out));
    assert_eq!(db.applied_versions(), vec![1]);
    assert!(
        stderr(&out)
            .contains("lock wait no limit, lock_timeout no limit, statement_timeout no limit"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_lock_wait_of_zero_waits_for_the_holder_instead_of_failing_at_once() {
    let db = db_with_data();
    let app = app_with_migrations(&[("1_items.sql", "CREATE TABLE items (id int);\n")]);
    let rt = support::runtime();
    let (mut holder, _) = support::hold_migration_lock(&rt, &db);
    let mut child = slipway_process(app.path(), &db.url)
        .args(["run", "--lock-wait", "0", "--backup", "none"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        child.try_wait().unwrap().is_none(),
        "a lock wait of 0 gave up while the lock was held: {:?}",
        child.wait_with_output().map(|o| all_output(&o))
    );
    rt.block_on(async {
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(support::migration_lock_key(&db.name))
            .execute(&mut holder)
            .await
            .unwrap();
    });
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", all_output(&output));
    assert_eq!(db.applied_versions(), vec![1]);
}

#[test]
fn a_heroku_capture_timeout_of_zero_is_no_limit() {
    let db = db_with_data();
    let dir = tempfile::tempdir().unwrap();
    let apis = heroku::Apis::start(heroku::Script::default());
    let started = Instant::now();
    let out = run_expecting(
        heroku::slipway_heroku(dir.path(), &db, &apis)
            .env("SLIPWAY_HEROKU_CAPTURE_TIMEOUT", "0")
            .args(["backup", "--format", "json"]),
        0,
    );
    assert_eq!(json(&out)["backup"]["taken"], true);
    assert!(apis.data.polls() >= 2, "the capture was polled to its end");
    assert!(started.elapsed() < Duration::from_mins(1));
}

/// What the case is, its settings, and whether it waits by retrying after
/// lock timeouts.
type WaitCase = (&'static str, &'static [(&'static str, &'static str)], bool);

/// For each setting that bounds a wait, a release that must wait (another
/// session holds an ACCESS EXCLUSIVE lock on the table the migration alters,
/// for 2 s) with that setting at `0`: it waits and succeeds. A zero that is
/// compared, added or used as a deadline anywhere would fail it at once.
#[test]
fn with_each_wait_setting_at_zero_a_release_that_must_wait_succeeds() {
    let cases: [WaitCase; 4] = [
        (
            "lock wait 0 with lock_timeout retries",
            &[
                ("SLIPWAY_LOCK_WAIT", "0"),
                ("SLIPWAY_LOCK_TIMEOUT", "300ms"),
                ("SLIPWAY_LOCK_RETRIES", "5"),
            ],
            true,
        ),
        ("lock_timeout 0", &[("SLIPWAY_LOCK_TIMEOUT", "0")], false),
        (
            "statement_timeout and lock_timeout 0",
            &[
                ("SLIPWAY_STATEMENT_TIMEOUT", "0"),
                ("SLIPWAY_LOCK_TIMEOUT", "0"),
            ],
            false,
        ),
        (
            "every one 0",
            &[
                ("SLIPWAY_LOCK_WAIT", "0s"),
                ("SLIPWAY_LOCK_TIMEOUT", "0"),
                ("SLIPWAY_STATEMENT_TIMEOUT", "0"),
                ("SLIPWAY_CONNECT_TIMEOUT", "0"),
            ],
            false,
        ),
    ];
    for (what, settings, retries) in cases {
        let db = TestDb::new();
        db.exec("CREATE TABLE items (id int); INSERT INTO items VALUES (1);");
        let app = app_with_migrations(&[(
            "1_price.sql",
            "ALTER TABLE items ADD COLUMN price bigint;\n",
        )]);
        let holder = LockHolder::hold(&db.url, "items", Duration::from_secs(2));
        let mut cmd = slipway(app.path(), &db.url);
        for (name, value) in settings {
            cmd.env(name, value);
        }
        let started = Instant::now();
        let out = cmd
            .args(["run", "--backup", "none", "--format", "json"])
            .output()
            .unwrap();
        drop(holder);
        assert_eq!(out.status.code(), Some(0), "{what}: {}", all_output(&out));
        assert_eq!(db.applied_versions(), vec![1], "{what}");
        assert!(
            started.elapsed() >= Duration::from_millis(1500),
            "{what}: it did not wait"
        );
        let retried = !json(&out)["lock_retries"].as_array().unwrap().is_empty();
        assert_eq!(retried, retries, "{what}: {}", all_output(&out));
    }
}

/// The lint reads the live size of each table a finding touches, which waits
/// for a lock another session holds. It used to fail the release (exit 3) at
/// `lock_timeout`, where the migrate step waits up to the lock wait and
/// retries. It now waits as long as the migrate step would, measures the real
/// size (a never-vacuumed table's catalog pages say 0, and would let a
/// blocking statement on a big table through), and past the lock wait stops
/// with exit 4 before anything changed.
#[test]
fn a_table_another_session_holds_locked_is_measured_after_the_lock_as_the_migration_waits() {
    // (lock wait, blocking max size, expected exit)
    let cases: [(&str, &str, i32); 3] = [
        // Waits for the lock, measures 40 KiB, under the limit: migrates.
        ("5m", "64MiB", 0),
        // Waits for the lock, measures 40 KiB, over the limit: exit 9.
        ("5m", "16KiB", 9),
        // The lock outlasts the lock wait: exit 4, nothing applied.
        ("1s", "64MiB", 4),
    ];
    for (lock_wait, max_size, code) in cases {
        let db = TestDb::new();
        // Never vacuumed: the catalog says 0 pages.
        db.exec("CREATE TABLE items (id int); INSERT INTO items SELECT generate_series(1, 1000);");
        let app = app_with_migrations(&[("1_index.sql", "CREATE INDEX items_id ON items (id);\n")]);
        let holder = LockHolder::hold(&db.url, "items", Duration::from_secs(3));
        let started = Instant::now();
        let out = slipway(app.path(), &db.url)
            .env("SLIPWAY_LOCK_TIMEOUT", "1s")
            .env("SLIPWAY_LOCK_WAIT", lock_wait)
            .env("SLIPWAY_LINT_BLOCKING_MAX_SIZE", max_size)
            .args(["run", "--backup", "none", "--format", "json"])
            .output()
            .unwrap();
        drop(holder);
        let what = format!("lock wait {lock_wait}, max {max_size}");
        assert_eq!(
            out.status.code(),
            Some(code),
            "{what}: {}",
            all_output(&out)
        );
        let applied = if code == 0 { vec![1] } else { vec![] };
        assert_eq!(db.applied_versions(), applied, "{what}");
        if code == 4 {
            assert!(
                all_output(&out).contains("locked by another session"),
                "{what}: {}",
                all_output(&out)
            );
        } else {
            assert!(
                started.elapsed() >= Duration::from_secs(2),
                "{what}: it did not wait"
            );
            let facts = &json(&out)["lint"]["findings"][0]["facts"];
            assert!(
                facts["bytes"].as_i64().unwrap() > 16 * 1024,
                "{what}: {facts}"
            );
        }
    }
}
