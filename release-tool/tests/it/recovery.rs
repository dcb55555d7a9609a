//! What `slipway-release run` says and leaves behind when a migration's
//! bookkeeping fails, against real PostgreSQL with real faults: a session
//! ended from another connection, triggers on `_sqlx_migrations`, a deferred
//! constraint that fails at COMMIT. Each failure has its own exit code and a
//! message that states what the database now holds, and the test checks
//! that the database holds exactly that.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use indoc::indoc;
use serde_json::Value;
use sqlx::{Connection, PgConnection};

use crate::support;
use crate::support::lock_holder::{LockHolder, OpenTransaction};
use crate::support::{
    ALTER_ITEMS, TestDb, app_with_migrations, assert_mentions, dumps_in, items_app, json,
    rerun_applies, run_expecting, run_without_backup, runtime, slipway, slipway_process,
    sqlx_migrate, stderr, uncreatable_folder, wait_until, wait_with_timeout,
};

/// sqlx's own `Migrator` on `app`'s migrations: it must accept the history.
fn assert_sqlx_accepts(db: &TestDb, app: &Path) {
    sqlx_migrate(&app.join("migrations"), &db.url)
        .expect("sqlx's Migrator must accept the history slipway left");
}

/// A database with data whose history holds migration 1, and an app with
/// migrations 1 and 2 (2 pending). `second` is migration 2's SQL.
fn one_applied_one_pending(second: &str) -> (TestDb, tempfile::TempDir) {
    let db = TestDb::new();
    db.exec("CREATE TABLE seed (id int PRIMARY KEY); INSERT INTO seed VALUES (1);");
    let app = app_with_migrations(&[("1_first.sql", "CREATE TABLE first (id int);\n")]);
    run_expecting(&mut run_without_backup(&db, app.path()), 0);
    std::fs::write(app.path().join("migrations/2_second.sql"), second).unwrap();
    (db, app)
}

/// `run --backup none --format json` in `app` against `db`, expecting exit
/// `code`: its stderr and its JSON document.
#[track_caller]
fn run_json(db: &TestDb, app: &Path, code: i32) -> (String, Value) {
    let out = run_expecting(run_without_backup(db, app).args(["--format", "json"]), code);
    (stderr(&out), json(&out))
}

/// Asserts the class of the JSON document's error and the state of the
/// database it reports.
#[track_caller]
fn assert_error(doc: &Value, class: &str, database_state: &str) {
    assert_eq!(doc["error"]["class"], class);
    assert_eq!(doc["error"]["details"]["database_state"], database_state);
}

/// A trigger on the history table `table` that refuses every `event`
/// (`INSERT` or `UPDATE`) with `message`, as an administrator's might.
fn history_refuses(db: &TestDb, table: &str, event: &str, message: &str) {
    let name = event.to_lowercase();
    db.exec(&format!(
        "CREATE FUNCTION refuse_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION '{message}'; END $$;
         CREATE TRIGGER no_{name} BEFORE {event} ON {table}
             FOR EACH ROW EXECUTE FUNCTION refuse_{name}();"
    ));
}

/// Drops the trigger [`history_refuses`] made for `event` on `table`.
fn history_accepts_again(db: &TestDb, table: &str, event: &str) {
    db.exec(&format!(
        "DROP TRIGGER no_{} ON {table}",
        event.to_lowercase()
    ));
}

/// The `INSERT INTO {table} (version …) … -1);` the error's fix gives: the
/// row sqlx would have written.
fn recording_insert(doc: &Value, table: &str) -> String {
    let fix = doc["error"]["fix"].as_str().unwrap();
    let start = fix
        .find(&format!("INSERT INTO {table} (version"))
        .unwrap_or_else(|| panic!("{fix}"));
    let end = start + fix[start..].find("-1);").unwrap() + "-1);".len();
    fix[start..end].to_owned()
}

/// A release of `app` finds nothing pending.
#[track_caller]
fn assert_nothing_pending(db: &TestDb, app: &Path) {
    let (_, doc) = run_json(db, app, 0);
    assert_eq!(doc["pending"], serde_json::json!([]));
}

#[test]
fn a_session_lost_before_begin_is_exit_7_and_nothing_of_the_migration_ran() {
    let (db, app) = one_applied_one_pending("CREATE TABLE second (id int);\n");
    let backups = app.path().join("backups");
    let url = db.url.clone();
    // pg_dump waits for this lock, so slipway's own session sits idle
    // (holding the migration lock) while the backup runs.
    let rt = runtime();
    let mut blocker = rt.block_on(PgConnection::connect(&url)).unwrap();
    rt.block_on(
        sqlx::raw_sql("BEGIN; LOCK TABLE seed IN ACCESS EXCLUSIVE MODE;").execute(&mut blocker),
    )
    .unwrap();
    let child = slipway_process(app.path(), &url)
        .arg("run")
        .arg(format!("--backup=file:{}", backups.display()))
        .args(["--lock-timeout", "30s", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(30), || {
        db.text(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'
               AND application_name = 'slipway-release' AND query LIKE '%LOCK TABLE%'",
        ) != "NULL"
    });
    // The session holding the migration lock is slipway's own.
    let own = db.text(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    assert_ne!(own, "NULL");
    assert_eq!(
        db.text(&format!("pg_terminate_backend({own}, 10000)")),
        "true"
    );
    rt.block_on(sqlx::raw_sql("ROLLBACK").execute(&mut blocker))
        .unwrap();
    let out = wait_with_timeout(child, Duration::from_mins(1));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(7), "{err}");
    assert_mentions(
        &err,
        &["migration 2 did not start", "Nothing of 2_second.sql ran"],
    );
    let doc = json(&out);
    assert_eq!(doc["error"]["details"]["database_state"], "not_applied");
    // The backup was taken; the migration was not.
    assert_eq!(dumps_in(&backups).len(), 1);
    assert_eq!(db.applied_versions(), vec![1]);
    assert!(!db.table_exists("second"));

    rerun_applies(&db, app.path(), &[1, 2]);
}

#[test]
fn a_deferred_constraint_failing_at_commit_is_exit_7_and_rolled_back() {
    let (db, app) = one_applied_one_pending(indoc! {"
        CREATE TABLE orders (id int PRIMARY KEY, seed_id int);
        ALTER TABLE orders ADD CONSTRAINT orders_seed_fk FOREIGN KEY (seed_id)
            REFERENCES seed (id) DEFERRABLE INITIALLY DEFERRED;
        INSERT INTO orders VALUES (1, 42);
    "});
    let (err, doc) = run_json(&db, app.path(), 7);
    assert_mentions(
        &err,
        &[
            "migration 2 failed at COMMIT",
            "23503",
            "orders_seed_fk",
            "rolled back",
        ],
    );
    assert!(!err.contains("recording"), "{err}");
    assert_error(&doc, "migration", "not_applied");
    assert_eq!(doc["error"]["details"]["server_error"]["code"], "23503");
    assert_eq!(db.applied_versions(), vec![1]);
    assert!(!db.table_exists("orders"));

    db.exec("INSERT INTO seed VALUES (42)");
    rerun_applies(&db, app.path(), &[1, 2]);
}

#[test]
fn a_session_ended_during_commit_is_exit_12_and_says_both_or_neither() {
    let (db, app) = one_applied_one_pending(indoc! {"
        CREATE TABLE second (id int);
        INSERT INTO audit VALUES (2);
    "});
    // A constraint trigger runs at COMMIT; this one ends its own session
    // there (as an administrator or a failover would), while `armed` is set.
    db.exec(indoc! {"
        CREATE TABLE armed (on_commit boolean);
        INSERT INTO armed VALUES (true);
        CREATE TABLE audit (id int);
        CREATE FUNCTION end_session_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM armed WHERE on_commit) THEN
                PERFORM pg_terminate_backend(pg_backend_pid());
                PERFORM pg_sleep(5);
            END IF;
            RETURN NULL;
        END $$;
        CREATE CONSTRAINT TRIGGER end_session AFTER INSERT ON audit
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION end_session_at_commit();
    "});
    let (err, doc) = run_json(&db, app.path(), 12);
    assert_mentions(
        &err,
        &[
            "the COMMIT of migration 2 was interrupted",
            "either both are in the database or neither",
            "SELECT version FROM _sqlx_migrations WHERE version = 2",
        ],
    );
    assert_error(&doc, "commit_unknown", "unknown");
    // Both or neither, as the message says.
    assert_eq!(
        db.applied_versions().contains(&2),
        db.table_exists("second"),
        "the migration and its row did not commit together"
    );

    db.exec("UPDATE armed SET on_commit = false");
    rerun_applies(&db, app.path(), &[1, 2]);
    assert_sqlx_accepts(&db, app.path());
}

#[test]
fn storing_the_execution_time_failing_is_exit_10_applied_and_recorded() {
    let (db, app) = one_applied_one_pending("CREATE TABLE second (id int);\n");
    std::fs::write(
        app.path().join("migrations/3_third.sql"),
        "CREATE TABLE third (id int);\n",
    )
    .unwrap();
    history_refuses(
        &db,
        "_sqlx_migrations",
        "UPDATE",
        "history rows are append-only here",
    );
    let (err, doc) = run_json(&db, app.path(), 10);
    assert_mentions(
        &err,
        &[
            "migration 2 is applied, but storing its execution time failed",
            "append-only",
            "execution_time -1",
            "The migrations after it did not run",
        ],
    );
    assert_error(&doc, "applied_not_timed", "applied_and_recorded");
    assert_eq!(doc["exit_code"], 10);
    assert_eq!(doc["applied"][0]["version"], 2);
    // What the message says: applied, recorded with -1, nothing after it.
    assert_eq!(db.applied_versions(), vec![1, 2]);
    assert!(db.table_exists("second"));
    assert_eq!(
        db.int("SELECT execution_time FROM _sqlx_migrations WHERE version = 2"),
        -1
    );
    assert!(!db.table_exists("third"));

    history_accepts_again(&db, "_sqlx_migrations", "UPDATE");
    rerun_applies(&db, app.path(), &[1, 2, 3]);
    assert_sqlx_accepts(&db, app.path());
}

#[test]
fn a_no_transaction_migration_whose_record_fails_is_exit_11_applied_not_recorded() {
    let (db, app) = one_applied_one_pending(indoc! {"
        -- no-transaction
        CREATE TABLE second (id int);
    "});
    history_refuses(&db, "_sqlx_migrations", "INSERT", "the history is frozen");
    let (err, doc) = run_json(&db, app.path(), 11);
    assert_mentions(
        &err,
        &[
            "migration 2 ran, but it is not recorded",
            "the history is frozen",
        ],
    );
    assert_error(&doc, "applied_not_recorded", "applied_not_recorded");
    assert_eq!(db.applied_versions(), vec![1]);
    assert!(db.table_exists("second"));

    // The INSERT the message gives is the row sqlx would have written: with
    // it, sqlx's Migrator and slipway both see migration 2 as applied.
    let insert = recording_insert(&doc, "_sqlx_migrations");
    history_accepts_again(&db, "_sqlx_migrations", "INSERT");
    db.exec(&insert);
    assert_sqlx_accepts(&db, app.path());
    assert_nothing_pending(&db, app.path());
}

#[test]
fn the_insert_that_records_an_unrecorded_migration_names_the_sqlx_toml_history_table() {
    let db = TestDb::new();
    let app = app_with_migrations(&[("1_first.sql", "CREATE TABLE first (id int);\n")]);
    std::fs::write(
        app.path().join("sqlx.toml"),
        "[migrate]\ntable-name = 'app_history.\"Migrations\"'\ncreate-schemas = [\"app_history\"]\n",
    )
    .unwrap();
    run_expecting(&mut run_without_backup(&db, app.path()), 0);
    std::fs::write(
        app.path().join("migrations/2_second.sql"),
        "-- no-transaction\nCREATE TABLE second (id int);\n",
    )
    .unwrap();
    let history = "app_history.\"Migrations\"";
    history_refuses(&db, history, "INSERT", "the history is frozen");
    let (_, doc) = run_json(&db, app.path(), 11);
    let insert = recording_insert(&doc, history);
    history_accepts_again(&db, history, "INSERT");
    db.exec(&insert);
    assert_nothing_pending(&db, app.path());
}

// Backup first: nothing changes the server before the backup. pgvector ships
// no downgrade scripts, so the backup is the only way back from an update.

/// The installed version of `vector` in `db` ("NULL" when not installed).
fn vector_version(db: &TestDb) -> String {
    db.text("(SELECT extversion FROM pg_extension WHERE extname = 'vector')")
}

/// A database with data, and an app whose pending migration uses the
/// `vector` type (so `run` creates the extension).
fn data_and_a_vector_migration() -> (TestDb, tempfile::TempDir) {
    let db = TestDb::new();
    db.exec("CREATE TABLE seed (id int PRIMARY KEY); INSERT INTO seed VALUES (1);");
    let app = app_with_migrations(&[(
        "1_items.sql",
        "CREATE TABLE items (id int PRIMARY KEY, embedding vector(3));\n",
    )]);
    (db, app)
}

/// Makes `db`'s `vector` look exactly like a 0.7.4 install: created at
/// 0.8.0, minus what the 0.7.4 -> 0.8.0 update script adds, and recorded as
/// 0.7.4 (the server offers only 0.8.0 to install).
fn install_vector_0_7_4(db: &TestDb) {
    db.exec("CREATE EXTENSION vector");
    for ty in ["integer[]", "real[]", "double precision[]", "numeric[]"] {
        db.exec(&format!(
            "ALTER EXTENSION vector DROP CAST ({ty} AS sparsevec);
             DROP CAST ({ty} AS sparsevec);
             ALTER EXTENSION vector DROP FUNCTION array_to_sparsevec({ty}, integer, boolean);
             DROP FUNCTION array_to_sparsevec({ty}, integer, boolean);"
        ));
    }
    db.exec("UPDATE pg_extension SET extversion = '0.7.4' WHERE extname = 'vector'");
    assert_eq!(vector_version(db), "0.7.4");
}

/// The names of the steps in a JSON document, in order.
fn step_names(doc: &serde_json::Value) -> Vec<String> {
    doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Asserts that step `first` comes before step `then`.
#[track_caller]
fn assert_before(doc: &serde_json::Value, first: &str, then: &str) {
    let names = step_names(doc);
    let at = |name: &str| {
        names
            .iter()
            .position(|n| n == name)
            .unwrap_or_else(|| panic!("no {name} step in {names:?}"))
    };
    assert!(
        at(first) < at(then),
        "{first} must come before {then}: {names:?}"
    );
}

/// Restores `dump` into a fresh database and returns it.
fn restored(dump: &Path) -> TestDb {
    let scratch = TestDb::new();
    let out = std::process::Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error"])
        .arg(format!("--dbname={}", scratch.url))
        .arg(dump)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    scratch
}

#[test]
fn the_backup_is_taken_before_the_extension_is_created_and_the_history_table_made() {
    let (db, app) = data_and_a_vector_migration();
    let backups = app.path().join("backups");
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .arg("run")
            .arg(format!("--backup=file:{}", backups.display()))
            .args(["--format", "json"]),
        0,
    );
    assert_eq!(vector_version(&db), "0.8.0");
    let doc = json(&out);
    assert_before(&doc, "pgvector", "backup");
    assert_before(&doc, "backup", "extension");
    assert_before(&doc, "extension", "migrate");
    // The backup holds the database as it was before any change.
    let dumps = dumps_in(&backups);
    assert_eq!(dumps.len(), 1);
    let before = restored(&dumps[0]);
    assert_eq!(vector_version(&before), "NULL");
    assert!(!before.table_exists("_sqlx_migrations"));
    assert_eq!(before.int("SELECT count(*) FROM seed"), 1);
}

#[test]
fn a_failed_backup_leaves_the_extension_and_the_history_untouched() {
    let (db, app) = data_and_a_vector_migration();
    let before = support::schema_fingerprint(&db);
    let target = uncreatable_folder(app.path());
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .arg("run")
            .arg(format!("--backup=file:{}", target.display())),
        5,
    );
    let err = stderr(&out);
    assert!(err.contains("Nothing was migrated"), "{err}");
    assert!(!err.contains("slipway-release | extension"), "{err}");
    assert_eq!(vector_version(&db), "NULL");
    assert!(!db.table_exists("_sqlx_migrations"));
    assert_eq!(support::schema_fingerprint(&db), before);
}

#[test]
fn an_extension_update_waits_for_the_backup_even_with_nothing_pending() {
    let db = TestDb::new();
    db.exec("CREATE TABLE seed (id int PRIMARY KEY); INSERT INTO seed VALUES (1);");
    install_vector_0_7_4(&db);
    let app = app_with_migrations(&[]);

    // The backup fails: the update must not have run.
    let target = uncreatable_folder(app.path());
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .args(["run", "--pgvector-min-version", "0.8.0"])
            .arg(format!("--backup=file:{}", target.display())),
        5,
    );
    assert!(
        stderr(&out).contains("ALTER EXTENSION vector UPDATE (0.7.4 -> 0.8.0) after the backup"),
        "{}",
        stderr(&out)
    );
    assert_eq!(vector_version(&db), "0.7.4");

    // With a backup target: backed up first, then updated.
    let backups = app.path().join("backups");
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .args(["run", "--pgvector-min-version", "0.8.0", "--format", "json"])
            .arg(format!("--backup=file:{}", backups.display())),
        0,
    );
    let doc = json(&out);
    assert_eq!(doc["backup"]["taken"], true, "{doc}");
    assert_before(&doc, "backup", "extension");
    assert_eq!(vector_version(&db), "0.8.0");
    assert_eq!(dumps_in(&backups).len(), 1);
}

#[test]
fn a_release_the_server_cannot_satisfy_fails_before_taking_a_backup() {
    let (db, app) = data_and_a_vector_migration();
    let backups = app.path().join("backups");
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .args(["run", "--pgvector-min-version", "0.9.0", "--format", "json"])
            .arg(format!("--backup=file:{}", backups.display())),
        8,
    );
    let names = step_names(&json(&out));
    assert!(!names.contains(&"backup".to_owned()), "{names:?}");
    assert!(dumps_in(&backups).is_empty());
    assert_eq!(vector_version(&db), "NULL");
}

// Retry on lock timeout: a transactional migration that hit lock_timeout
// rolled back, so it is retried with backoff, naming the blocking session.

/// Runs `cmd` while another session holds `items` locked (for `hold` at
/// most), expecting exit `code`: its output and the holder's pid.
#[track_caller]
fn run_while_items_is_held(
    db: &TestDb,
    hold: Duration,
    cmd: &mut assert_cmd::Command,
    code: i32,
) -> (Output, i32) {
    let holder = LockHolder::hold(&db.url, "items", hold);
    let out = run_expecting(cmd, code);
    (out, holder.pid)
}

/// `run` with a 200 ms lock timeout while `items` stays locked: exit 7 with no
/// retry. Its stderr.
#[track_caller]
fn fails_on_the_lock_without_a_retry(db: &TestDb, app: &Path) -> String {
    let (out, _) = run_while_items_is_held(
        db,
        Duration::from_mins(1),
        run_without_backup(db, app).args(["--lock-timeout", "200ms"]),
        7,
    );
    let err = stderr(&out);
    assert!(!err.contains("retry 1 of"), "{err}");
    err
}

#[test]
fn a_migration_blocked_for_a_while_succeeds_on_a_retry_that_names_the_blocker() {
    let (db, app) = items_app(ALTER_ITEMS);
    let (out, pid) = run_while_items_is_held(
        &db,
        Duration::from_millis(1800),
        run_without_backup(&db, app.path()).args(["--lock-timeout", "300ms", "--format", "json"]),
        0,
    );
    assert_mentions(
        &stderr(&out),
        &[
            "2_items_price.sql waited longer than lock_timeout and was rolled back; blocked by pid",
            &format!("blocked by pid {pid} "),
            "AccessExclusiveLock on public.items",
            "retry 1 of 3 in 1s",
        ],
    );
    let doc = json(&out);
    let retries = doc["lock_retries"].as_array().unwrap();
    assert!(!retries.is_empty(), "{doc}");
    assert_eq!(retries[0]["version"], 2);
    assert_eq!(retries[0]["blocked_by"][0]["pid"], pid);
    assert_eq!(db.applied_versions(), vec![1, 2]);
    assert_eq!(
        db.int("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'price_cents'"),
        1
    );
}

#[test]
fn a_lock_held_for_good_fails_after_the_retries_with_exit_7_and_nothing_applied() {
    let (db, app) = items_app(ALTER_ITEMS);
    let (out, pid) = run_while_items_is_held(
        &db,
        Duration::from_mins(1),
        run_without_backup(&db, app.path())
            .args(["--lock-timeout", "200ms", "--lock-retries", "2"])
            .args(["--format", "json"]),
        7,
    );
    let err = stderr(&out);
    assert_mentions(
        &err,
        &[
            "retry 1 of 2 in 1s",
            "retry 2 of 2 in 2s",
            "migration 2 failed",
            &format!("blocked by: pid {pid} "),
            "retried it 2 time(s)",
        ],
    );
    assert!(!err.contains("retry 3"), "{err}");
    let doc = json(&out);
    assert_eq!(doc["lock_retries"].as_array().unwrap().len(), 2);
    assert_eq!(doc["error"]["details"]["lock_retries"], 2);
    assert_eq!(doc["error"]["details"]["database_state"], "not_applied");
    assert_eq!(db.applied_versions(), vec![1]);
    assert!(!db.table_exists("prices"));
}

#[test]
fn retries_stop_when_another_attempt_would_not_end_within_the_lock_wait() {
    let (db, app) = items_app(ALTER_ITEMS);
    let (out, _) = run_while_items_is_held(
        &db,
        Duration::from_mins(1),
        run_without_backup(&db, app.path())
            .env("SLIPWAY_LOCK_RETRIES", "5")
            .args(["--lock-timeout", "300ms", "--lock-wait", "1s"]),
        7,
    );
    let err = stderr(&out);
    assert!(!err.contains("retry 1 of 5"), "{err}");
    assert!(err.contains("would not end within the lock wait"), "{err}");
    assert_eq!(db.applied_versions(), vec![1]);
}

#[test]
fn a_no_transaction_migration_is_never_retried() {
    let (db, app) = items_app(indoc! {"
        -- no-transaction
        ALTER TABLE items ADD COLUMN IF NOT EXISTS price_cents bigint;
    "});
    let err = fails_on_the_lock_without_a_retry(&db, app.path());
    assert!(
        err.contains("does not retry a -- no-transaction migration"),
        "{err}"
    );
    assert_eq!(db.applied_versions(), vec![1]);
}

#[test]
fn lock_retries_is_read_from_slipway_toml_and_checked() {
    let (db, app) = items_app(ALTER_ITEMS);
    std::fs::write(app.path().join("slipway.toml"), "lock_retries = \"many\"\n").unwrap();
    let out = run_expecting(slipway(app.path(), &db.url).arg("run"), 2);
    let err = stderr(&out);
    assert!(
        err.contains("slipway.toml, line 1, key `lock_retries`"),
        "{err}"
    );
    assert!(err.contains("from 0 (no retry) to 100"), "{err}");

    std::fs::write(app.path().join("slipway.toml"), "lock_retries = 0\n").unwrap();
    let err = fails_on_the_lock_without_a_retry(&db, app.path());
    assert!(err.contains("Retries are off"), "{err}");
    assert!(db.applied_versions().is_empty() || db.applied_versions() == vec![1]);
}

// A failed CREATE INDEX CONCURRENTLY: the INVALID index it leaves is dropped,
// so that the next release can run it again; other INVALID indexes are not.

/// `to_regclass(name) IS NULL` as a bool: the index is gone.
fn index_exists(db: &TestDb, name: &str) -> bool {
    db.text(&format!("to_regclass('{name}') IS NOT NULL")) == "true"
}

fn index_is_valid(db: &TestDb, name: &str) -> String {
    db.text(&format!(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = '{name}'::regclass"
    ))
}

/// `tags` with a duplicate name, and an app whose second migration builds a
/// unique index on it concurrently: the build fails on the duplicate.
fn tags_app() -> (TestDb, tempfile::TempDir) {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE tags (id int, name text); INSERT INTO tags VALUES (1, 'rust'), (2, 'rust');",
    );
    let app = app_with_migrations(&[
        ("1_notes.sql", "CREATE TABLE notes (id int);\n"),
        (
            "2_tags_name_key.sql",
            indoc! {"
                -- no-transaction
                CREATE UNIQUE INDEX CONCURRENTLY tags_name_key ON tags (name);
            "},
        ),
    ]);
    (db, app)
}

/// Leaves an INVALID index `name` on `table (column)`, as a failed
/// concurrent build outside slipway does: a unique build on duplicates.
fn failed_build_outside_slipway(db: &TestDb, name: &str, table: &str, column: &str) {
    let failed = std::panic::catch_unwind(|| {
        db.exec(&format!(
            "CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} ({column})"
        ));
    });
    assert!(failed.is_err(), "the build should fail on duplicates");
    assert_eq!(index_is_valid(db, name), "false");
}

#[test]
fn a_failed_concurrent_index_build_is_dropped_and_the_next_release_runs_it_again() {
    let (db, app) = tags_app();
    let (err, doc) = run_json(&db, app.path(), 7);
    assert_mentions(
        &err,
        &[
            "slipway-release | cleanup   ok",
            "dropped the INVALID index(es) 2_tags_name_key.sql left: public.tags_name_key (on tags)",
            "the next release can run it again",
        ],
    );
    assert_eq!(doc["dropped_indexes"][0]["index"], "tags_name_key");
    assert_eq!(
        doc["error"]["details"]["dropped_indexes"][0]["index"],
        "tags_name_key"
    );
    assert!(!index_exists(&db, "tags_name_key"));
    assert_eq!(db.applied_versions(), vec![1]);
    // Nothing INVALID is left for the checks to fail on.
    run_expecting(slipway(app.path(), &db.url).arg("check"), 0);

    // Once the data is fixed, the next release builds the index.
    db.exec("DELETE FROM tags WHERE id = 2");
    rerun_applies(&db, app.path(), &[1, 2]);
    assert_eq!(index_is_valid(&db, "tags_name_key"), "true");
}

#[test]
fn an_invalid_index_from_before_the_migration_is_left_alone_and_still_reported() {
    let (db, app) = tags_app();
    db.exec("CREATE TABLE labels (name text); INSERT INTO labels VALUES ('a'), ('a');");
    failed_build_outside_slipway(&db, "labels_name_key", "labels", "name");
    let old_oid = db.text("SELECT 'labels_name_key'::regclass::oid");
    let (err, doc) = run_json(&db, app.path(), 7);
    assert!(
        err.contains("existed before this migration, so slipway left them alone: public.labels_name_key (on labels)"),
        "{err}"
    );
    assert_eq!(doc["dropped_indexes"][0]["index"], "tags_name_key");
    assert_eq!(doc["dropped_indexes"].as_array().unwrap().len(), 1);
    assert_eq!(
        doc["error"]["details"]["invalid_indexes"][0]["index"],
        "labels_name_key"
    );
    // Untouched: the same index, still INVALID, and the checks report it.
    assert!(!index_exists(&db, "tags_name_key"));
    assert_eq!(db.text("SELECT 'labels_name_key'::regclass::oid"), old_oid);
    assert_eq!(index_is_valid(&db, "labels_name_key"), "false");
    let out = run_expecting(slipway(app.path(), &db.url).arg("check"), 8);
    assert!(
        stderr(&out).contains("public.labels_name_key (on labels)"),
        "{}",
        stderr(&out)
    );
}

/// Another session's `CREATE INDEX CONCURRENTLY name ON table (id)` that is
/// stuck waiting for `writer`'s open transaction on `table`: its index
/// exists, INVALID, until the writer ends. Returns the build's thread.
fn concurrent_build_waiting_for_a_writer(
    db: &TestDb,
    name: &str,
    table: &str,
) -> std::thread::JoinHandle<()> {
    let url = db.url.clone();
    let sql = format!("CREATE INDEX CONCURRENTLY {name} ON {table} (id)");
    let build = std::thread::spawn(move || support::exec_at(&url, &sql));
    wait_until(Duration::from_secs(30), || {
        db.text(&format!(
            "SELECT count(*) FROM pg_stat_progress_create_index WHERE index_relid = to_regclass('{name}')"
        )) == "1"
    });
    assert_eq!(index_is_valid(db, name), "false");
    build
}

/// An open transaction that wrote to `table` (a busy app), committed on drop.
fn writer_on(db: &TestDb, table: &str) -> OpenTransaction {
    OpenTransaction::writing(&db.url, &format!("INSERT INTO {table} (id) VALUES (100)"))
}

#[test]
fn an_index_another_session_is_building_does_not_fail_the_checks() {
    let db = TestDb::new();
    db.exec("CREATE TABLE events (id int); INSERT INTO events VALUES (1);");
    let app = app_with_migrations(&[]);
    let writer = writer_on(&db, "events");
    let build = concurrent_build_waiting_for_a_writer(&db, "events_id_idx", "events");

    let out = run_expecting(
        slipway(app.path(), &db.url).args(["check", "--format", "json"]),
        0,
    );
    let err = stderr(&out);
    assert!(
        err.contains("being built by another session (INVALID until done, not counted): public.events_id_idx (on events)"),
        "{err}"
    );
    assert_eq!(
        json(&out)["checks"]["indexes_being_built"][0],
        "public.events_id_idx (on events)"
    );
    run_expecting(&mut run_without_backup(&db, app.path()), 0);

    drop(writer);
    build.join().unwrap();
    assert_eq!(index_is_valid(&db, "events_id_idx"), "true");
}

#[test]
fn the_cleanup_never_drops_an_index_another_session_started_building_meanwhile() {
    let (db, app) = tags_app();
    db.exec("CREATE TABLE events (id int); INSERT INTO events VALUES (1);");
    // slipway's build waits for this writer on `tags`, long enough for
    // another session to start building an index on `events`.
    let tags_writer = writer_on(&db, "tags");
    let child = slipway_process(app.path(), &db.url)
        .args(["run", "--backup", "none", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(30), || {
        db.text("SELECT count(*) FROM pg_stat_progress_create_index WHERE relid = 'tags'::regclass")
            == "1"
    });
    let events_writer = writer_on(&db, "events");
    let build = concurrent_build_waiting_for_a_writer(&db, "events_id_idx", "events");
    // Now slipway's build goes on, and fails on the duplicate.
    drop(tags_writer);
    let out = wait_with_timeout(child, Duration::from_mins(1));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(7), "{err}");
    let doc = json(&out);
    let dropped: Vec<&str> = doc["dropped_indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["index"].as_str().unwrap())
        .collect();
    assert_eq!(dropped, ["tags_name_key"], "{err}");
    // Not even tried: the build in progress holds a lock a drop would wait on.
    assert_eq!(
        doc["error"]["details"]["indexes_not_dropped"],
        serde_json::json!([]),
        "{err}"
    );
    assert!(!err.contains("could not drop"), "{err}");
    assert!(!index_exists(&db, "tags_name_key"));
    assert!(index_exists(&db, "events_id_idx"), "{err}");

    drop(events_writer);
    build.join().unwrap();
    assert_eq!(index_is_valid(&db, "events_id_idx"), "true");
}
