//! `slipway-release run`, `plan` and `check` against real PostgreSQL 15 +
//! pgvector: every step of the release flow and the exit code of each failure.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::support;
use crate::support::{
    TestDb, app_with, app_with_migrations, dumps_in, json, run_expecting, slipway, stderr,
};

/// The installed version of the `vector` extension in `db` ("NULL" when it
/// is not installed).
fn vector_version(db: &TestDb) -> String {
    db.text("(SELECT extversion FROM pg_extension WHERE extname = 'vector')")
}

#[test]
fn run_applies_pending_migrations_and_a_second_run_is_a_no_op() {
    let db = TestDb::new();
    let app = app_with(&["basic"]);

    let first = run_expecting(slipway(app.path(), &db.url).arg("run"), 0);
    assert_eq!(
        db.applied_versions(),
        vec![20_240_101_000_000, 20_240_102_000_000, 20_240_103_000_000]
    );
    assert_eq!(db.int("SELECT count(*) FROM posts"), 1);
    // sqlx measures execution_time in nanoseconds, set after the commit.
    assert_eq!(
        db.int("SELECT count(*) FROM _sqlx_migrations WHERE execution_time <= 0 OR NOT success"),
        0
    );
    let err = stderr(&first);
    for step in [
        "config", "connect", "lock", "plan", "pgvector", "backup", "migrate", "checks",
    ] {
        assert!(
            err.contains(&format!("slipway-release | {step}")),
            "no {step} line in:\n{err}"
        );
    }
    // An empty database has nothing to back up.
    assert!(
        err.contains("not needed: the database has no tables yet"),
        "{err}"
    );

    let second = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--format", "json"]),
        0,
    );
    let doc = json(&second);
    assert_eq!(doc["pending"], serde_json::json!([]));
    assert_eq!(doc["applied"], serde_json::json!([]));
    assert_eq!(doc["backup"]["taken"], false);
    assert_eq!(doc["backup"]["reason"], "nothing is pending");
    assert!(dumps_in(&app.path().join(".slipway/backups")).is_empty());
    assert_eq!(
        db.int("SELECT count(*) FROM posts"),
        1,
        "the seed must not run twice"
    );
}

#[test]
fn a_backup_is_taken_and_verified_before_migrating_a_database_with_tables() {
    let db = TestDb::new();
    let app = app_with(&["basic"]);
    let third = app.path().join("migrations/20240103000000_seed_admin.sql");
    let held_back = fs::read(&third).unwrap();
    fs::remove_file(&third).unwrap();
    run_expecting(slipway(app.path(), &db.url).arg("run"), 0);
    assert!(dumps_in(&app.path().join(".slipway/backups")).is_empty());

    fs::write(&third, held_back).unwrap();
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--format", "json"]),
        0,
    );
    let doc = json(&out);
    assert_eq!(doc["backup"]["taken"], true);
    let entries = doc["backup"]["record"]["verified_entries"]
        .as_u64()
        .unwrap();
    assert!(
        entries >= 4,
        "pg_restore --list should list the tables, got {entries}"
    );
    let dumps = dumps_in(&app.path().join(".slipway/backups"));
    assert_eq!(dumps.len(), 1);
    // The archive is a real custom-format dump of the pre-migration database.
    let listing = std::process::Command::new("pg_restore")
        .arg("--list")
        .arg(&dumps[0])
        .output()
        .unwrap();
    assert!(listing.status.success());
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    assert!(listing.contains("TABLE public users"), "{listing}");
    assert!(
        listing.contains("TABLE DATA public _sqlx_migrations"),
        "{listing}"
    );
    assert_eq!(
        fs::metadata(&dumps[0]).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn a_rollback_release_warns_applies_nothing_and_still_checks() {
    let db = TestDb::new();
    let app = app_with(&["basic"]);
    run_expecting(slipway(app.path(), &db.url).arg("run"), 0);

    // The previous release's code: it does not have the newest migration.
    fs::remove_file(app.path().join("migrations/20240103000000_seed_admin.sql")).unwrap();
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--format", "json"]),
        0,
    );
    let err = stderr(&out);
    assert!(err.contains("WARNING: the database has 1 migration(s) this code does not know: 20240103000000 (seed admin)"), "{err}");
    let doc = json(&out);
    assert_eq!(doc["rollback"][0]["version"], 20_240_103_000_000_i64);
    assert_eq!(doc["backup"]["taken"], false);
    assert!(
        doc["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "checks" && s["status"] == "ok")
    );
    assert_eq!(db.applied_versions().len(), 3, "nothing reverted");
}

#[test]
fn a_changed_migration_is_drift_and_nothing_runs() {
    let db = TestDb::new();
    let app = app_with(&["basic"]);
    run_expecting(slipway(app.path(), &db.url).arg("run"), 0);
    let applied: String = db.text(
        "SELECT encode(checksum, 'hex') FROM _sqlx_migrations WHERE version = 20240102000000",
    );

    let posts = app
        .path()
        .join("migrations/20240102000000_create_posts.sql");
    fs::write(
        &posts,
        fs::read_to_string(&posts).unwrap() + "-- edited after it ran\n",
    )
    .unwrap();
    fs::write(
        app.path().join("migrations/20240104000000_more.sql"),
        "CREATE TABLE more (id int);\n",
    )
    .unwrap();
    let out = run_expecting(slipway(app.path(), &db.url).arg("run"), 6);
    let err = stderr(&out);
    assert!(
        err.contains("20240102000000_create_posts.sql (version 20240102000000)"),
        "{err}"
    );
    assert!(
        err.contains(&format!("checksum in _sqlx_migrations: {applied}")),
        "{err}"
    );
    let now = support::sha384_hex(&fs::read(&posts).unwrap());
    assert!(
        err.contains(&format!("checksum of the file now:     {now}")),
        "{err}"
    );
    assert!(
        !db.table_exists("more"),
        "nothing may be applied after drift"
    );
}

#[test]
fn crlf_line_endings_are_named_as_the_cause_of_drift() {
    let db = TestDb::new();
    let app = app_with(&["basic"]);
    run_expecting(slipway(app.path(), &db.url).arg("run"), 0);
    let users = app
        .path()
        .join("migrations/20240101000000_create_users.sql");
    fs::write(
        &users,
        fs::read_to_string(&users).unwrap().replace('\n', "\r\n"),
    )
    .unwrap();

    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--format", "json"]),
        6,
    );
    assert!(
        stderr(&out).contains("differs only in line endings (CRLF vs LF)"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains(".gitattributes"));
    let doc = json(&out);
    assert_eq!(doc["error"]["class"], "drift");
    assert_eq!(
        doc["error"]["details"]["drift"][0]["line_endings_only"],
        true
    );
}

#[test]
fn a_failed_history_row_is_exit_6() {
    let db = TestDb::new();
    let app = app_with(&["basic"]);
    run_expecting(slipway(app.path(), &db.url).arg("run"), 0);
    db.exec("UPDATE _sqlx_migrations SET success = false WHERE version = 20240102000000");
    let out = run_expecting(slipway(app.path(), &db.url).arg("run"), 6);
    assert!(stderr(&out).contains("DELETE FROM _sqlx_migrations WHERE version = 20240102000000"));
}

#[test]
fn diverged_histories_are_exit_6() {
    let db = TestDb::new();
    let app = app_with(&["basic"]);
    run_expecting(slipway(app.path(), &db.url).arg("run"), 0);
    fs::remove_file(app.path().join("migrations/20240103000000_seed_admin.sql")).unwrap();
    fs::write(
        app.path()
            .join("migrations/20240104000000_other_branch.sql"),
        "CREATE TABLE other (id int);\n",
    )
    .unwrap();
    let out = run_expecting(slipway(app.path(), &db.url).arg("run"), 6);
    assert!(
        stderr(&out).contains("only in the database: 20240103000000 (seed admin)"),
        "{}",
        stderr(&out)
    );
    assert!(!db.table_exists("other"));
}

#[test]
fn a_no_transaction_migration_runs_outside_a_transaction() {
    let db = TestDb::new();
    let app = app_with(&["no_transaction"]);
    let out = run_expecting(slipway(app.path(), &db.url).arg("run"), 0);
    assert!(stderr(&out).contains("20240302000000_events_created_at_index.sql (no transaction)"));
    assert_eq!(
        db.text(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'events_created_at_idx'::regclass"
        ),
        "true"
    );
    assert_eq!(
        db.applied_versions(),
        vec![20_240_301_000_000, 20_240_302_000_000]
    );
}

#[test]
fn a_failing_migration_rolls_back_and_names_file_line_and_column() {
    let db = TestDb::new();
    let app = app_with(&["failing"]);
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--format", "json"]),
        7,
    );
    let err = stderr(&out);
    assert!(
        err.contains("20240502000000_price_items.sql at line 4, column 40: ERROR 42703: column \"missing_column\" does not exist"),
        "{err}"
    );
    assert!(err.contains("_sqlx_migrations is unchanged"), "{err}");
    // The good migration stays applied; the failed one left nothing behind.
    assert_eq!(db.applied_versions(), vec![20_240_501_000_000]);
    assert_eq!(
        db.int("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'price_cents'"),
        0
    );
    let doc = json(&out);
    assert_eq!(doc["exit_code"], 7);
    assert_eq!(doc["error"]["details"]["server_error"]["line"], 4);
    assert_eq!(doc["error"]["details"]["server_error"]["column"], 40);
}

#[test]
fn a_missing_extension_is_created_before_the_migrations_use_it() {
    let db = TestDb::new();
    // No CREATE EXTENSION: only the type gives pgvector away.
    let app = app_with_migrations(&[(
        "1_items.sql",
        "CREATE TABLE items (id int PRIMARY KEY, embedding vector(3));\nINSERT INTO items VALUES (1, '[1,1,1]');\n",
    )]);
    assert_eq!(vector_version(&db), "NULL");
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--format", "json"]),
        0,
    );
    assert_eq!(vector_version(&db), "0.8.0");
    let doc = json(&out);
    assert_eq!(
        doc["pgvector"]["action"],
        "CREATE EXTENSION vector (version 0.8.0)"
    );
    assert!(
        doc["pgvector"]["why"]
            .as_str()
            .unwrap()
            .contains("1_items.sql")
    );
}

#[test]
fn the_pgvector_set_migrates_and_the_smoke_query_measures_a_real_distance() {
    let db = TestDb::new();
    let app = app_with(&["pgvector"]);
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--format", "json"]),
        0,
    );
    let doc = json(&out);
    // HNSW sets the derived minimum.
    assert_eq!(doc["pgvector"]["minimum"], "0.5.0");
    assert_eq!(doc["checks"]["pgvector_version"], "0.8.0");
    let distance = doc["checks"]["smoke_distance"].as_f64().unwrap();
    assert!((distance - 8f64.sqrt()).abs() < 1e-6, "{distance}");
    assert_eq!(
        db.text("SELECT indexdef FROM pg_indexes WHERE indexname = 'documents_embedding_hnsw_idx'"),
        "CREATE INDEX documents_embedding_hnsw_idx ON public.documents USING hnsw (embedding vector_cosine_ops)"
    );
    assert_eq!(db.text("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'documents'::regclass AND attname = 'embedding'"), "vector(1536)");
}

#[test]
fn a_minimum_above_what_the_server_offers_fails_before_changing_anything() {
    let db = TestDb::new();
    let app = app_with(&["pgvector"]);
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--pgvector-min-version", "0.9.0"]),
        8,
    );
    let err = stderr(&out);
    assert!(
        err.contains("pgvector 0.9.0 is required (SLIPWAY_PGVECTOR_MIN_VERSION); installed: none; available on the server: 0.8.0"),
        "{err}"
    );
    assert!(db.applied_versions().is_empty());
    assert_eq!(vector_version(&db), "NULL");

    // Installed but too old for the requirement, and no newer version offered.
    db.exec("CREATE EXTENSION vector");
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .env("SLIPWAY_PGVECTOR_MIN_VERSION", "0.9.0")
            .arg("run"),
        8,
    );
    assert!(
        stderr(&out).contains("installed: 0.8.0; available on the server: 0.8.0"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn pgvector_off_skips_the_extension_even_when_migrations_use_it() {
    let db = TestDb::new();
    let app = app_with(&["basic"]);
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--pgvector", "required", "--format", "json"]),
        0,
    );
    assert_eq!(json(&out)["pgvector"]["wanted"], true);
    assert_eq!(vector_version(&db), "0.8.0");

    let other = TestDb::new();
    run_expecting(
        slipway(app.path(), &other.url)
            .env("SLIPWAY_PGVECTOR", "off")
            .arg("run"),
        0,
    );
    assert_eq!(vector_version(&other), "NULL");
}

#[test]
fn an_invalid_index_fails_the_checks_naming_the_drop_to_run() {
    let db = TestDb::new();
    db.exec("CREATE TABLE tags (name text); INSERT INTO tags VALUES ('rust'), ('rust');");
    // A failed concurrent build outside slipway (a psql session, another
    // tool) leaves its INVALID index.
    let failed = std::panic::catch_unwind(|| {
        db.exec("CREATE UNIQUE INDEX CONCURRENTLY tags_name_key ON tags (name)");
    });
    assert!(failed.is_err());
    assert_eq!(
        db.text("SELECT indisvalid FROM pg_index WHERE indexrelid = 'tags_name_key'::regclass"),
        "false"
    );
    let app = app_with_migrations(&[]);
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["check", "--format", "json"]),
        8,
    );
    assert!(
        stderr(&out).contains("public.tags_name_key (on tags)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        json(&out)["error"]["details"]["invalid_indexes"][0]["index"],
        "tags_name_key"
    );

    // The fix the message gives works.
    db.exec("DROP INDEX CONCURRENTLY \"public\".\"tags_name_key\"");
    run_expecting(slipway(app.path(), &db.url).arg("check"), 0);
}

#[test]
fn plan_changes_nothing_and_says_what_run_would_do() {
    let db = TestDb::new();
    let app = app_with(&["basic", "pgvector"]);
    db.exec("CREATE TABLE legacy (id int)");
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["plan", "--format", "json"]),
        0,
    );
    let doc = json(&out);
    assert_eq!(doc["pending"].as_array().unwrap().len(), 6);
    // The fixture's first migration creates the extension itself (issue 22).
    assert_eq!(
        doc["pgvector"]["action"],
        "CREATE EXTENSION left to 20240201000000_enable_vector.sql:1"
    );
    assert_eq!(doc["backup"]["would_take"], true);
    assert_eq!(doc["backup"]["target"], "file:./.slipway/backups");
    assert!(!db.table_exists("_sqlx_migrations"));
    assert_eq!(vector_version(&db), "NULL");
    assert!(dumps_in(&app.path().join(".slipway/backups")).is_empty());
}

#[test]
fn on_a_dyno_without_a_backup_target_nothing_is_migrated() {
    let db = TestDb::new();
    db.exec("CREATE TABLE customers (id int); INSERT INTO customers VALUES (1)");
    let app = app_with(&["basic"]);
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .env("DYNO", "release.1")
            .arg("run"),
        5,
    );
    let err = stderr(&out);
    assert!(err.contains("no backup target is configured"), "{err}");
    assert!(err.contains("SLIPWAY_BACKUP"), "{err}");
    assert!(db.applied_versions().is_empty());

    // An explicit `none` releases, and says loudly that there is no backup.
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .env("DYNO", "release.1")
            .env("SLIPWAY_BACKUP", "none")
            .arg("run"),
        0,
    );
    assert!(
        stderr(&out).contains("WARNING: BACKUPS ARE OFF"),
        "{}",
        stderr(&out)
    );
    assert_eq!(db.applied_versions().len(), 3);
}

#[test]
fn a_failing_backup_stops_the_release_before_any_migration() {
    let db = TestDb::new();
    db.exec("CREATE TABLE customers (id int)");
    let app = app_with(&["basic"]);
    let empty = tempfile::tempdir().unwrap();
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .env("SLIPWAY_PG_BIN_DIR", empty.path())
            .arg("run"),
        5,
    );
    assert!(
        stderr(&out).contains("`pg_dump` was not found in SLIPWAY_PG_BIN_DIR="),
        "{}",
        stderr(&out)
    );
    assert!(db.applied_versions().is_empty());
    assert!(!db.table_exists("users"));
}

#[test]
fn a_held_lock_is_exit_4_and_names_the_holder() {
    let db = TestDb::new();
    let app = app_with(&["basic"]);
    let rt = support::runtime();
    let (_holder, pid) = support::hold_migration_lock(&rt, &db);
    let started = std::time::Instant::now();
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--lock-wait", "1s"]),
        4,
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert!(
        stderr(&out).contains(&format!("backend pid {pid}")),
        "{}",
        stderr(&out)
    );
    assert!(db.applied_versions().is_empty());
}
