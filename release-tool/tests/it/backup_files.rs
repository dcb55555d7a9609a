//! The `file:DIR` target's names and failures, with the real `pg_dump` and
//! `pg_restore`: names older versions gave two backups taken within one
//! millisecond (`…-2.dump`) are listed in order, restored as `latest` and
//! pruned, without ever touching another database's; a full disk is reported
//! as the cause; a SIGTERM or a crash mid-backup leaves no partial file.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support;
use crate::support::{
    TestDb, all_output, db_with_data, dumps_in, json, run_expecting, slipway, slipway_process,
    stderr, stdout,
};

/// `slipway-release` backing up to `file:DIR`.
fn to_folder(db: &TestDb, dir: &Path) -> assert_cmd::Command {
    let mut cmd = slipway(dir, &db.url);
    cmd.env("SLIPWAY_BACKUP", format!("file:{}", dir.display()));
    cmd
}

/// The `.slipway-partial-*` files in `dir`.
fn partials_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(".slipway-partial-"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The file name of `path`.
fn name_of(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn older_dash_n_names_are_listed_in_order_restored_as_latest_and_pruned() {
    let db = db_with_data();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path();
    run_expecting(to_folder(&db, folder).arg("backup"), 0);
    let first = dumps_in(folder).pop().unwrap();
    // A second backup with other data, named as an older slipway named the
    // second backup taken within the same millisecond as the first.
    db.exec("INSERT INTO t VALUES (2);");
    run_expecting(to_folder(&db, folder).arg("backup"), 0);
    let taken = dumps_in(folder).into_iter().find(|p| *p != first).unwrap();
    let second = PathBuf::from(first.to_string_lossy().replace(".dump", "-2.dump"));
    std::fs::rename(&taken, &second).unwrap();
    let listed = run_expecting(to_folder(&db, folder).arg("backups"), 0);
    let names: Vec<String> = stdout(&listed)
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect();
    assert_eq!(names, vec![name_of(&first), name_of(&second)]);

    // `latest` is the `-2` one: the restore brings back its two rows.
    db.exec("INSERT INTO t VALUES (3);");
    run_expecting(
        to_folder(&db, folder).args(["restore", "latest", "--confirm", &db.name]),
        0,
    );
    assert_eq!(db.int("SELECT count(*) FROM t"), 2);

    // Pruning to one keeps the new backup only.
    let out = run_expecting(
        to_folder(&db, folder).args(["backup", "--backup-keep", "1", "--format", "json"]),
        0,
    );
    let pruned = json(&out)["pruned_backups"].clone();
    assert_eq!(pruned.as_array().unwrap().len(), 2, "{pruned}");
    let left = dumps_in(folder);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        !left.contains(&first) && !left.contains(&second),
        "{left:?}"
    );
}

#[test]
fn a_dash_n_name_without_its_first_is_another_databases_and_is_never_pruned() {
    let db = db_with_data();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path();
    // A backup of database `<name>-2`, as an older version named it: same
    // shape as an older `-2` name of this database's, but no first name
    // with the same time stamp, and no manifest.
    let other_name = format!("{}-2", db.name);
    support::exec_at(
        &support::admin_url(),
        &format!("CREATE DATABASE \"{other_name}\""),
    );
    support::exec_at(&support::url_for(&other_name), "CREATE TABLE t (id int);");
    let elsewhere = tempfile::tempdir().unwrap();
    let mut other = slipway(elsewhere.path(), &support::url_for(&other_name));
    other.env("SLIPWAY_BACKUP", "file:.");
    run_expecting(other.arg("backup"), 0);
    let foreign = folder.join(format!("slipway-20240101T120000.000Z-{other_name}.dump"));
    std::fs::copy(dumps_in(elsewhere.path()).pop().unwrap(), &foreign).unwrap();
    support::exec_at(
        &support::admin_url(),
        &format!("DROP DATABASE \"{other_name}\" WITH (FORCE)"),
    );
    run_expecting(to_folder(&db, folder).arg("backup"), 0);
    run_expecting(
        to_folder(&db, folder).args(["backup", "--backup-keep", "1"]),
        0,
    );
    let left = dumps_in(folder);
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.contains(&foreign), "{left:?}");
}

/// How to run a command in a mount namespace of its own (to mount a tmpfs
/// that only it sees): as root, or in a user namespace.
fn namespaced() -> Command {
    for args in [&["-rm"][..], &["-m"][..]] {
        let works = Command::new("unshare")
            .args(args)
            .arg("true")
            .status()
            .is_ok_and(|s| s.success());
        if works {
            let mut cmd = Command::new("unshare");
            cmd.args(args);
            return cmd;
        }
    }
    panic!("this test needs `unshare -rm` (user namespaces) or root for `unshare -m`");
}

#[test]
fn a_full_disk_is_reported_as_the_cause_and_leaves_no_partial_file() {
    let db = db_with_data();
    // About 2 MB of dump: far more than the 64 KiB file system holds.
    db.exec(
        "CREATE TABLE noise AS SELECT md5(random()::text) || md5(random()::text) AS x \
         FROM generate_series(1, 30000)",
    );
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    std::fs::create_dir(&full).unwrap();
    let output = namespaced()
        .args(["sh", "-c"])
        .arg(
            "mount -t tmpfs -o size=64k tmpfs \"$0\" || exit 99; \
             \"$@\"; code=$?; echo \"left: $(ls -A \"$0\" | tr '\\n' ' ')\"; exit $code",
        )
        .arg(&full)
        .arg(env!("CARGO_BIN_EXE_slipway-release"))
        .args(["backup", "--format", "json"])
        .current_dir(dir.path())
        .env("DATABASE_URL", &db.url)
        .env("SLIPWAY_BACKUP", format!("file:{}", full.display()))
        .env_remove("SLIPWAY_CONFIG")
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(5), "{}", all_output(&output));
    let cause = json_after_left(&output)["error"]["cause"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(cause.starts_with("writing "), "{cause}");
    assert!(cause.contains("No space left on device"), "{cause}");
    assert!(
        !err.contains("SIGPIPE") && !err.contains("pg_dump"),
        "{err}"
    );
    // No partial file is left on the full file system.
    let left = stdout(&output);
    assert!(left.trim_end().ends_with("left:"), "{left}");
}

/// The JSON document on stdout, before the `left:` line the wrapper adds.
fn json_after_left(output: &Output) -> serde_json::Value {
    let text = stdout(output);
    let document = text.split("left:").next().unwrap();
    serde_json::from_str(document).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A `backup` of `db` into `folder` that waits for a lock on table `t`
/// (another session holds it, and `--lock-timeout 0` lets `pg_dump` wait for
/// ever), with its partial file already written; and the session holding it.
fn backup_waiting_for_a_lock(db: &TestDb, folder: &Path) -> (Child, Holder) {
    let rt = support::runtime();
    let url = db.url.clone();
    let conn = rt.block_on(async move {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::raw_sql("BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
            .execute(&mut conn)
            .await
            .unwrap();
        conn
    });
    let mut child = slipway_process(folder, &db.url)
        .env("SLIPWAY_BACKUP", format!("file:{}", folder.display()))
        .args(["backup", "--lock-timeout", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let waiting = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' \
         AND application_name = 'slipway-release' AND wait_event_type = 'Lock'",
        db.name
    );
    while partials_in(folder).is_empty() || db.int(&waiting) == 0 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the backup ended early"
        );
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "pg_dump never waited"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, Holder { conn, rt })
}

/// The session holding the lock, with the runtime it lives on; dropping it
/// ends the session, which releases the lock.
struct Holder {
    conn: sqlx::PgConnection,
    rt: tokio::runtime::Runtime,
}

impl Drop for Holder {
    fn drop(&mut self) {
        self.rt.block_on(async {
            let _ = sqlx::raw_sql("ROLLBACK").execute(&mut self.conn).await;
        });
    }
}

#[test]
fn sigterm_mid_backup_removes_the_partial_file_and_another_backup_leaves_a_running_ones_alone() {
    let db = db_with_data();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path();
    let (child, holder) = backup_waiting_for_a_lock(&db, folder);
    let running = partials_in(folder);
    // Another database backs up into the same folder meanwhile: the running
    // backup's partial file is locked, so it is not taken for a stale one.
    let other = db_with_data();
    run_expecting(to_folder(&other, folder).arg("backup"), 0);
    assert_eq!(partials_in(folder), running);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    drop(holder);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(5), "{err}");
    assert!(
        err.contains("interrupted by SIGTERM: the partial backup was removed"),
        "{err}"
    );
    assert_eq!(partials_in(folder), Vec::<PathBuf>::new());
    assert_eq!(
        dumps_in(folder).len(),
        1,
        "only the other database's backup"
    );
}

#[test]
fn a_crash_mid_backup_leaves_a_partial_file_that_the_next_backup_removes() {
    let db = db_with_data();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path();
    let (mut child, holder) = backup_waiting_for_a_lock(&db, folder);
    child.kill().unwrap();
    child.wait().unwrap();
    drop(holder);
    // SIGKILL gives no chance to clean up.
    assert_eq!(partials_in(folder).len(), 1);
    run_expecting(to_folder(&db, folder).arg("backup"), 0);
    assert_eq!(partials_in(folder), Vec::<PathBuf>::new());
    assert_eq!(dumps_in(folder).len(), 1);
}

/// Each `SLIPWAY_BACKUP_COMPRESSION` writes an archive of its own size that `restore` reads
/// back; one the installed `pg_dump` (15, as `scripts/install-postgres.sh` installs it) cannot write stops the release before the dump,
/// with nothing migrated.
#[test]
fn each_compression_writes_an_archive_restore_reads_and_an_unsupported_one_stops_first() {
    let db = db_with_data();
    // Rows that compress well, so that the levels differ.
    db.exec("INSERT INTO t SELECT 7 FROM generate_series(1, 50000);");
    let mut sizes = Vec::new();
    for compression in ["none", "auto", "gzip:9"] {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path();
        run_expecting(
            to_folder(&db, folder)
                .env("SLIPWAY_BACKUP_COMPRESSION", compression)
                .arg("backup"),
            0,
        );
        let dump = dumps_in(folder).pop().unwrap();
        sizes.push(std::fs::metadata(&dump).unwrap().len());
        db.exec("DELETE FROM t;");
        run_expecting(
            to_folder(&db, folder).args(["restore", "latest", "--confirm", &db.name]),
            0,
        );
        assert_eq!(db.int("SELECT count(*) FROM t"), 50_001, "{compression}");
    }
    assert!(
        sizes[0] > 4 * sizes[1] && sizes[1] >= sizes[2],
        "none, auto, gzip:9: {sizes:?}"
    );

    let app = support::app_with_migrations(&[("1_more.sql", "CREATE TABLE more (id int);\n")]);
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .env(
                "SLIPWAY_BACKUP",
                format!("file:{}", app.path().join("b").display()),
            )
            .env("SLIPWAY_BACKUP_COMPRESSION", "zstd")
            .arg("run"),
        2,
    );
    let said = stderr(&out);
    assert!(said.contains("pg_dump 15 cannot write zstd"), "{said}");
    assert!(!db.table_exists("more"), "{said}");
    assert!(dumps_in(&app.path().join("b")).is_empty());
    // `plan` says so too, as it exits with the code `run` would.
    let planned = run_expecting(
        slipway(app.path(), &db.url)
            .env(
                "SLIPWAY_BACKUP",
                format!("file:{}", app.path().join("b").display()),
            )
            .env("SLIPWAY_BACKUP_COMPRESSION", "zstd")
            .arg("plan"),
        2,
    );
    assert!(stderr(&planned).contains("pg_dump 15 cannot write zstd"));
    // A restore reads any archive: the setting, which only dumps follow, does not stop it.
    let dir = tempfile::tempdir().unwrap();
    run_expecting(to_folder(&db, dir.path()).arg("backup"), 0);
    db.exec("DELETE FROM t;");
    run_expecting(
        to_folder(&db, dir.path())
            .env("SLIPWAY_BACKUP_COMPRESSION", "zstd")
            .args(["restore", "latest", "--confirm", &db.name]),
        0,
    );
    assert_eq!(db.int("SELECT count(*) FROM t"), 50_001);
}
