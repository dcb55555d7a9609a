//! `backup`, `backup --list` and `restore` with the `file:` target, against
//! real PostgreSQL, `pg_dump` and `pg_restore`.

use crate::support;
use crate::support::lock_holder;
use crate::support::{TestDb, app_with, dumps_in, json, run_expecting, slipway, stderr, stdout};

/// Every row of the app's tables, as text, to compare before and after.
fn fingerprint(db: &TestDb) -> String {
    db.text(
        "(SELECT string_agg(t, E'\\n') FROM (
            SELECT format('user %s %s %s', id, email, display_name) AS t FROM users
            UNION ALL SELECT format('post %s %s %s %s', id, author_id, title, body) FROM posts
            UNION ALL SELECT format('doc %s %s %s', id, title, embedding::text) FROM documents
            UNION ALL SELECT format('migration %s %s', version, encode(checksum, 'hex')) FROM _sqlx_migrations
            ORDER BY 1) rows)",
    )
}

fn migrated_app_with_data(db: &TestDb) -> tempfile::TempDir {
    let app = app_with(&["basic", "pgvector"]);
    run_expecting(slipway(app.path(), &db.url).arg("run"), 0);
    db.exec(
        "INSERT INTO users (email, display_name) VALUES ('ada@example.com', 'Ada'), ('bob@example.com', 'Bob');
         INSERT INTO posts (author_id, title, body) SELECT id, 'notes', 'it''s here' FROM users;
         INSERT INTO documents (title, content, embedding)
              SELECT 'doc ' || i, 'text', array_fill(i::real / 10, ARRAY[1536])::vector FROM generate_series(1, 5) i;",
    );
    app
}

/// [`migrated_app_with_data`], then one backup of it (to the default target).
fn backed_up_app_with_data(db: &TestDb) -> tempfile::TempDir {
    let app = migrated_app_with_data(db);
    run_expecting(slipway(app.path(), &db.url).arg("backup"), 0);
    app
}

/// `slipway-release` in `app` against `db`, backing up to `file:backups`.
fn with_file_backups(app: &tempfile::TempDir, db: &TestDb) -> assert_cmd::Command {
    let mut cmd = slipway(app.path(), &db.url);
    cmd.env("SLIPWAY_BACKUP", "file:backups");
    cmd
}

/// The JSON document of a successful `restore latest` into `db`.
fn restore_latest(app: &tempfile::TempDir, db: &TestDb) -> serde_json::Value {
    json(&run_expecting(
        with_file_backups(app, db).args([
            "restore",
            "latest",
            "--confirm",
            &db.name,
            "--format",
            "json",
        ]),
        0,
    ))
}

#[test]
fn restore_round_trips_a_backup() {
    let db = TestDb::new();
    let app = migrated_app_with_data(&db);
    let before = fingerprint(&db);

    let out = run_expecting(
        slipway(app.path(), &db.url).args(["backup", "--format", "json"]),
        0,
    );
    let name = json(&out)["backup"]["record"]["name"]
        .as_str()
        .unwrap()
        .to_owned();

    db.exec(
        "DELETE FROM posts; UPDATE users SET display_name = 'changed';
         DELETE FROM documents WHERE id > 2; DELETE FROM _sqlx_migrations WHERE version = 20240103000000;",
    );
    assert_ne!(fingerprint(&db), before);

    let out = run_expecting(
        slipway(app.path(), &db.url).args([
            "restore",
            &name,
            "--confirm",
            &db.name,
            "--format",
            "json",
        ]),
        0,
    );
    assert_eq!(json(&out)["restored"]["backup"], name.as_str());
    assert_eq!(fingerprint(&db), before);
    // The HNSW index and the extension came back too, and the app is releasable.
    assert_eq!(
        db.text("to_regclass('documents_embedding_hnsw_idx') IS NOT NULL"),
        "true"
    );
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--format", "json"]),
        0,
    );
    assert_eq!(json(&out)["pending"], serde_json::json!([]));
}

#[test]
fn restore_latest_uses_the_newest_backup() {
    let db = TestDb::new();
    let app = backed_up_app_with_data(&db);
    db.exec("INSERT INTO users (email, display_name) VALUES ('late@example.com', 'Late')");
    let with_late = fingerprint(&db);
    run_expecting(slipway(app.path(), &db.url).arg("backup"), 0);
    db.exec("DELETE FROM users WHERE email = 'late@example.com'");
    run_expecting(
        slipway(app.path(), &db.url).args(["restore", "latest", "--confirm", &db.name]),
        0,
    );
    assert_eq!(fingerprint(&db), with_late);
}

#[test]
fn restore_refuses_without_or_with_a_wrong_confirmation() {
    let db = TestDb::new();
    let app = backed_up_app_with_data(&db);
    db.exec("DELETE FROM posts");
    let after_delete = fingerprint(&db);

    let out = run_expecting(slipway(app.path(), &db.url).args(["restore", "latest"]), 2);
    assert!(
        stderr(&out).contains(&format!("add --confirm {}", db.name)),
        "{}",
        stderr(&out)
    );

    let out = run_expecting(
        slipway(app.path(), &db.url).args(["restore", "latest", "--confirm", "production"]),
        2,
    );
    assert!(
        stderr(&out).contains("--confirm \"production\" does not match"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fingerprint(&db),
        after_delete,
        "a refused restore changes nothing"
    );

    let out = run_expecting(
        slipway(app.path(), &db.url).args(["restore", "no-such.dump", "--confirm", &db.name]),
        2,
    );
    assert!(
        stderr(&out).contains("there is no backup named \"no-such.dump\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_failed_restore_leaves_the_database_as_it_was() {
    let db = TestDb::new();
    let app = migrated_app_with_data(&db);
    let bogus = app.path().join("bogus.dump");
    std::fs::write(&bogus, b"PGDMP but not really an archive").unwrap();
    let before = fingerprint(&db);
    let out = run_expecting(
        slipway(app.path(), &db.url).args([
            "restore",
            bogus.to_str().unwrap(),
            "--confirm",
            &db.name,
        ]),
        5,
    );
    let err = stderr(&out);
    assert!(err.contains("the restore failed"), "{err}");
    assert!(
        err.contains("Nothing was committed") && err.contains("as it was before the restore"),
        "{err}"
    );
    assert_eq!(fingerprint(&db), before);
}

#[test]
fn backup_list_and_prune_keep_the_newest() {
    let db = TestDb::new();
    let app = migrated_app_with_data(&db);
    let dir = tempfile::tempdir().unwrap();
    let target = format!("file:{}", dir.path().display());
    for _ in 0..3 {
        run_expecting(
            slipway(app.path(), &db.url).args([
                "backup",
                "--backup",
                &target,
                "--backup-keep",
                "2",
            ]),
            0,
        );
    }
    let dumps = dumps_in(dir.path());
    assert_eq!(dumps.len(), 2, "{dumps:?}");
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .args(["backup", "--list"])
            .env("SLIPWAY_BACKUP", &target),
        0,
    );
    let listed: Vec<String> = stdout(&out)
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect();
    // The second column is when each backup was taken, read from its name.
    for line in stdout(&out).lines() {
        let time = line.split('\t').nth(1).unwrap();
        assert!(
            time.len() == "2026-01-01T00:00:00.000Z".len() && time.starts_with("20"),
            "{line}"
        );
    }
    let expected: Vec<String> = dumps
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(listed, expected);
    // No partial files are left behind: each dump and its manifest, which
    // records the database exactly.
    let mut entries: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    let mut with_manifests: Vec<String> = expected
        .iter()
        .flat_map(|name| [name.clone(), format!("{name}.json")])
        .collect();
    with_manifests.sort();
    assert_eq!(entries, with_manifests);
    for name in &expected {
        let manifest: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(manifest["database"], db.name.as_str(), "{manifest}");
    }
}

#[test]
fn a_shared_folder_keeps_and_restores_each_databases_own_backups() {
    // Staging and production pointed at one folder (or bucket): retention and
    // `restore latest` of one must never touch or pick the other's backups.
    let production = TestDb::new();
    let staging = TestDb::new();
    let app = migrated_app_with_data(&production);
    run_expecting(slipway(app.path(), &staging.url).arg("run"), 0);
    let dir = tempfile::tempdir().unwrap();
    let target = format!("file:{}", dir.path().display());
    let backup = |db: &TestDb| {
        run_expecting(
            slipway(app.path(), &db.url).args([
                "backup",
                "--backup",
                &target,
                "--backup-keep",
                "1",
            ]),
            0,
        );
    };
    backup(&production);
    let production_backup = dumps_in(dir.path());
    backup(&staging);
    backup(&staging);

    let dumps = dumps_in(dir.path());
    assert_eq!(dumps.len(), 2, "one backup of each database: {dumps:?}");
    assert!(dumps.contains(&production_backup[0]), "{dumps:?}");

    // `restore latest` into production takes production's backup, although
    // staging's are newer.
    let before = fingerprint(&production);
    production.exec("DELETE FROM posts;");
    let out = run_expecting(
        slipway(app.path(), &production.url)
            .args(["restore", "latest", "--confirm", &production.name])
            .env("SLIPWAY_BACKUP", &target),
        0,
    );
    let restored = production_backup[0].file_name().unwrap().to_string_lossy();
    assert!(stderr(&out).contains(restored.as_ref()), "{}", stderr(&out));
    assert_eq!(fingerprint(&production), before);
}

#[test]
fn backup_with_backups_off_is_a_usage_error() {
    let db = TestDb::new();
    let app = app_with(&["basic"]);
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["backup", "--backup", "none"]),
        2,
    );
    assert!(stderr(&out).contains("backups are turned off"));
}

/// The first release that migrates a database which already has tables backs
/// it up before the history table exists. Restoring that backup must not
/// leave a history claiming the migration the restore undid: the next run
/// applies it again.
#[test]
fn restoring_a_backup_from_before_the_history_table_leaves_no_history() {
    for table_name in [None, Some("meta.history")] {
        let db = TestDb::new();
        db.exec("CREATE TABLE users (id int); INSERT INTO users VALUES (1);");
        let app = support::app_with_migrations(&[(
            "1_email.sql",
            "ALTER TABLE users ADD COLUMN email text;\n",
        )]);
        let history = table_name.unwrap_or("_sqlx_migrations");
        if let Some(name) = table_name {
            std::fs::write(
                app.path().join("sqlx.toml"),
                format!("[migrate]\ntable-name = \"{name}\"\ncreate-schemas = [\"meta\"]\n"),
            )
            .unwrap();
        }
        run_expecting(with_file_backups(&app, &db).arg("run"), 0);
        assert_eq!(db.int(&format!("SELECT count(*) FROM {history}")), 1);

        let out = restore_latest(&app, &db);
        assert_eq!(out["restored"]["history_table_dropped"], true);
        assert_eq!(
            db.text(&format!("SELECT to_regclass('{history}') IS NULL")),
            "true",
            "{history} survived the restore"
        );
        assert_eq!(
            db.int("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email'"),
            0
        );
        // The next release applies the migration again.
        run_expecting(with_file_backups(&app, &db).arg("run"), 0);
        assert_eq!(
            db.int("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'email'"),
            1
        );
        // A backup that holds the history replaces it and drops nothing.
        run_expecting(with_file_backups(&app, &db).arg("backup"), 0);
        let out = restore_latest(&app, &db);
        assert_eq!(out["restored"]["history_table_dropped"], false);
        assert_eq!(db.int(&format!("SELECT count(*) FROM {history}")), 1);
    }
}

/// A dump without a manifest (a crash between naming the dump and writing
/// its manifest, or an older version's dump) is attributed by the database
/// its archive's header names. One whose header cannot be read may be this
/// database's newest: `restore latest` then refuses rather than restore an
/// older one.
#[test]
fn dumps_without_a_manifest_are_read_by_their_archive_or_make_latest_refuse() {
    let db = TestDb::new();
    // A name a dump's file name cannot tell from `<name>.x`.
    let name = format!("{}-x", db.name);
    support::exec_at(
        &support::admin_url(),
        &format!("CREATE DATABASE \"{name}\""),
    );
    let url = support::url_for(&name);
    support::exec_at(&url, "CREATE TABLE t (id int); INSERT INTO t VALUES (1);");
    let app = support::app_with_migrations(&[]);
    let dir = tempfile::tempdir().unwrap();
    let backup = || {
        let mut cmd = slipway(app.path(), &url);
        cmd.env("SLIPWAY_BACKUP", format!("file:{}", dir.path().display()));
        cmd
    };
    run_expecting(backup().arg("backup"), 0);
    run_expecting(backup().arg("backup"), 0);
    let newest = dumps_in(dir.path()).pop().unwrap();
    std::fs::remove_file(format!("{}.json", newest.display())).unwrap();
    let newest_name = newest.file_name().unwrap().to_string_lossy().into_owned();
    let listed = run_expecting(backup().args(["backups", "--format", "json"]), 0);
    let records = json(&listed)["backups"].as_array().unwrap().clone();
    assert!(
        records
            .iter()
            .all(|record| record["database"] == name.as_str()),
        "{records:?}"
    );
    let out = run_expecting(backup().args(["restore", "latest", "--confirm", &name]), 0);
    assert!(stderr(&out).contains(&newest_name), "{}", stderr(&out));

    // A newer "dump" of this name whose archive cannot be read.
    let unreadable = newest_name.replacen("slipway-2", "slipway-3", 1);
    std::fs::write(dir.path().join(&unreadable), b"not an archive").unwrap();
    let out = run_expecting(backup().args(["restore", "latest", "--confirm", &name]), 2);
    assert!(
        stderr(&out).contains("`latest` is ambiguous"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains(&unreadable), "{}", stderr(&out));
    // Named explicitly, the newest real one restores.
    run_expecting(
        backup().args(["restore", &newest_name, "--confirm", &name]),
        0,
    );
    support::exec_at(
        &support::admin_url(),
        &format!("DROP DATABASE \"{name}\" WITH (FORCE)"),
    );
}

/// A history table in a schema of its own (sqlx.toml `table-name`) that the
/// backup also holds, with other tables: `pg_restore --clean` cannot drop the
/// schema while the newer history table is in it, so the restore rolls back.
/// The message says why and what to do, and doing it restores the backup.
#[test]
fn a_backup_older_than_a_history_table_in_its_own_schema_says_how_to_restore_it() {
    let db = TestDb::new();
    db.exec(
        "CREATE SCHEMA app; CREATE TABLE app.things (id int); INSERT INTO app.things VALUES (1);",
    );
    let app =
        support::app_with_migrations(&[("1_more.sql", "INSERT INTO app.things VALUES (2);\n")]);
    std::fs::write(
        app.path().join("sqlx.toml"),
        "[migrate]\ntable-name = \"app._sqlx_migrations\"\ncreate-schemas = [\"app\"]\n",
    )
    .unwrap();
    run_expecting(with_file_backups(&app, &db).arg("run"), 0);
    let out = run_expecting(
        with_file_backups(&app, &db).args(["restore", "latest", "--confirm", &db.name]),
        5,
    );
    assert!(
        stderr(&out).contains("DROP TABLE app._sqlx_migrations;"),
        "{}",
        stderr(&out)
    );
    assert_eq!(db.int("SELECT count(*) FROM app.things"), 2, "rolled back");
    db.exec("DROP TABLE app._sqlx_migrations;");
    run_expecting(
        with_file_backups(&app, &db).args(["restore", "latest", "--confirm", &db.name]),
        0,
    );
    assert_eq!(db.int("SELECT count(*) FROM app.things"), 1);
    run_expecting(with_file_backups(&app, &db).arg("run"), 0);
    assert_eq!(db.int("SELECT count(*) FROM app.things"), 2);
}

/// SIGTERM (a stopping dyno, Ctrl-C as SIGINT) while `pg_restore` runs: it is
/// stopped with slipway, its one transaction rolls back, and the database is
/// as it was. Before, `pg_restore` went on alone after slipway died, and
/// committed with the history table and the lock unseen to.
#[test]
fn a_stop_signal_mid_restore_stops_pg_restore_and_changes_nothing() {
    let db = support::db_with_data();
    let app = support::app_with_migrations(&[]);
    let target = format!("file:{}", app.path().join("backups").display());
    let mut cmd = slipway(app.path(), &db.url);
    run_expecting(cmd.args(["backup", "--backup", &target]), 0);
    db.exec("INSERT INTO t VALUES (2);");
    // A reader of `t`: pg_restore's `DROP TABLE t` waits for it.
    let reader = lock_holder::OpenTransaction::writing(&db.url, "SELECT * FROM t");
    let child = support::slipway_process(app.path(), &db.url)
        .args([
            "restore",
            "latest",
            "--confirm",
            &db.name,
            "--backup",
            &target,
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                   AND wait_event_type = 'Lock' AND query ILIKE 'DROP TABLE%'";
    support::wait_until(std::time::Duration::from_secs(30), || db.int(waiting) == 1);
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(5), "{err}");
    assert!(err.contains("the restore was interrupted"), "{err}");
    // Once the reader is gone, a pg_restore left running would drop `t` and
    // restore the backup's one row; a stopped one's session only finds its
    // client gone, and rolls back.
    drop(reader);
    let sessions = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                    AND application_name = 'slipway-release'";
    support::wait_until(std::time::Duration::from_secs(30), || db.int(sessions) == 0);
    assert_eq!(
        db.int("SELECT count(*) FROM t"),
        2,
        "the database is as it was"
    );
}

/// The history table renamed (sqlx.toml `table-name` changed) after the
/// backup: the restore brings the history back under its old name and leaves
/// the renamed one alone. That one was not in the backup by name, but its
/// history is: nothing is dropped, and a warning names both.
#[test]
fn a_history_the_backup_holds_under_another_name_is_not_dropped() {
    let db = TestDb::new();
    db.exec("CREATE TABLE a (id int);");
    let app = support::app_with_migrations(&[("1_b.sql", "CREATE TABLE b (id int);\n")]);
    run_expecting(with_file_backups(&app, &db).arg("run"), 0);
    run_expecting(with_file_backups(&app, &db).arg("backup"), 0);
    db.exec("ALTER TABLE _sqlx_migrations RENAME TO hist; ALTER INDEX _sqlx_migrations_pkey RENAME TO hist_pkey;");
    std::fs::write(
        app.path().join("sqlx.toml"),
        "[migrate]\ntable-name = \"hist\"\n",
    )
    .unwrap();
    let report = restore_latest(&app, &db);
    assert_eq!(
        report["restored"]["history_table_dropped"], false,
        "{report}"
    );
    assert_eq!(
        report["history_found_as"], "public._sqlx_migrations",
        "{report}"
    );
    assert!(db.table_exists("hist"));
    assert_eq!(db.int("SELECT count(*) FROM _sqlx_migrations"), 1);
}
