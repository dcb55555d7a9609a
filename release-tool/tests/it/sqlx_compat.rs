//! The compatibility proof, in both directions, with sqlx 0.9's own
//! `Migrator` against real PostgreSQL: same history rows, same checksums,
//! same table, same lock.

use crate::support;
use crate::support::{
    TestDb, app_with, app_with_migrations, json, run_expecting, slipway, slipway_process,
    sqlx_cli_migrate, sqlx_migrate, stderr,
};

/// version, description, success, checksum (hex) of every history row.
fn history(db: &TestDb) -> String {
    db.text(
        "SELECT string_agg(format('%s|%s|%s|%s', version, description, success, encode(checksum, 'hex')), E'\\n' ORDER BY version) FROM _sqlx_migrations",
    )
}

const SETS: [&str; 4] = ["basic", "pgvector", "no_transaction", "reversible"];

#[test]
fn sqlx_finds_nothing_to_do_on_a_database_slipway_migrated() {
    for set in SETS {
        let db = TestDb::new();
        let app = app_with(&[set]);
        let out = slipway(app.path(), &db.url).arg("run").output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{set}: {}", stderr(&out));
        let before = history(&db);
        let installed_on = db.text("SELECT max(installed_on) FROM _sqlx_migrations");

        sqlx_migrate(&app.path().join("migrations"), &db.url)
            .unwrap_or_else(|e| panic!("{set}: sqlx's Migrator rejected slipway's history: {e}"));
        assert_eq!(history(&db), before, "{set}: sqlx changed the history");
        assert_eq!(
            db.text("SELECT max(installed_on) FROM _sqlx_migrations"),
            installed_on
        );
        assert_eq!(
            db.int("SELECT count(*) FROM _sqlx_migrations WHERE execution_time <= 0"),
            0,
            "{set}"
        );
    }
}

#[test]
fn slipway_finds_nothing_pending_on_a_database_sqlx_migrated() {
    for set in SETS {
        let db = TestDb::new();
        let app = app_with(&[set]);
        sqlx_migrate(&app.path().join("migrations"), &db.url).unwrap();
        let before = history(&db);

        let out = slipway(app.path(), &db.url)
            .args(["plan", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{set}: {}", stderr(&out));
        assert_eq!(json(&out)["pending"], serde_json::json!([]), "{set}");

        let out = slipway(app.path(), &db.url)
            .args(["run", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{set}: {}", stderr(&out));
        let doc = json(&out);
        assert_eq!(doc["applied"], serde_json::json!([]), "{set}");
        assert_eq!(doc["rollback"], serde_json::json!([]), "{set}");
        assert_eq!(doc["backup"]["taken"], false, "{set}");
        assert_eq!(history(&db), before, "{set}");
    }
}

#[test]
fn both_write_identical_history_rows() {
    let by_slipway = TestDb::new();
    let by_sqlx = TestDb::new();
    let app = app_with(&["basic", "reversible", "no_transaction"]);
    run_expecting(slipway(app.path(), &by_slipway.url).arg("run"), 0);
    sqlx_migrate(&app.path().join("migrations"), &by_sqlx.url).unwrap();
    assert_eq!(history(&by_slipway), history(&by_sqlx));
    // And the checksum is SHA-384 of the file bytes.
    let users = std::fs::read(
        app.path()
            .join("migrations/20240101000000_create_users.sql"),
    )
    .unwrap();
    assert_eq!(
        by_slipway.text(
            "SELECT encode(checksum, 'hex') FROM _sqlx_migrations WHERE version = 20240101000000"
        ),
        support::sha384_hex(&users)
    );
}

/// A migration with no SQL (what `sqlx migrate add` writes) between two real ones: sqlx applies
/// and records it, so slipway does too, with a warning, and the rows are identical both ways,
/// with sqlx's `Migrator` and with sqlx-cli.
#[test]
fn an_empty_migration_is_applied_and_recorded_as_sqlx_does() {
    let by_slipway = TestDb::new();
    let by_sqlx = TestDb::new();
    let app = app_with(&["empty"]);
    let out = run_expecting(
        slipway(app.path(), &by_slipway.url).args(["run", "--format", "json"]),
        0,
    );
    let warning = "20240702000000_placeholder.sql (version 20240702000000) has no SQL; recorded as applied, as sqlx does";
    assert!(stderr(&out).contains(warning), "{}", stderr(&out));
    let warnings = json(&out)["warnings"].clone();
    assert!(
        warnings
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str() == Some(warning)),
        "{warnings}"
    );
    let human = run_expecting(slipway(app.path(), &by_sqlx.url).arg("plan"), 0);
    assert!(
        support::all_output(&human).contains(warning),
        "{}",
        support::all_output(&human)
    );

    sqlx_migrate(&app.path().join("migrations"), &by_sqlx.url).unwrap();
    let rows = history(&by_slipway);
    assert_eq!(rows, history(&by_sqlx));
    assert_eq!(rows.lines().count(), 3, "{rows}");
    assert!(rows.contains("20240702000000|placeholder|t|"), "{rows}");
    for db in [&by_slipway, &by_sqlx] {
        assert_eq!(
            db.int("SELECT count(*) FROM _sqlx_migrations WHERE execution_time <= 0"),
            0
        );
    }

    // The other way round: sqlx's history with the empty row is up to date for slipway,
    // and slipway's is up to date for sqlx.
    let out = run_expecting(
        slipway(app.path(), &by_sqlx.url).args(["plan", "--format", "json"]),
        0,
    );
    assert_eq!(json(&out)["pending"], serde_json::json!([]));
    assert!(
        !stderr(&out).contains("has no SQL"),
        "only pending files warn"
    );
    sqlx_migrate(&app.path().join("migrations"), &by_slipway.url).unwrap();
    assert_eq!(history(&by_slipway), rows);

    // And sqlx-cli 0.9 (`sqlx migrate run`), which sqlx-cli users run by hand, in both
    // directions.
    let by_cli = TestDb::new();
    sqlx_cli_migrate(&app.path().join("migrations"), &by_cli.url);
    assert_eq!(history(&by_cli), rows);
    let out = run_expecting(
        slipway(app.path(), &by_cli.url).args(["run", "--format", "json"]),
        0,
    );
    assert_eq!(json(&out)["pending"], serde_json::json!([]));
    assert_eq!(history(&by_cli), rows);
    sqlx_cli_migrate(&app.path().join("migrations"), &by_slipway.url);
    assert_eq!(history(&by_slipway), rows);
}

#[test]
fn the_history_table_is_the_one_sqlx_creates() {
    let by_slipway = TestDb::new();
    let by_sqlx = TestDb::new();
    let app = app_with(&["basic"]);
    run_expecting(slipway(app.path(), &by_slipway.url).arg("run"), 0);
    sqlx_migrate(&app.path().join("migrations"), &by_sqlx.url).unwrap();
    let shape = "SELECT string_agg(format('%s %s %s %s', column_name, data_type, is_nullable, coalesce(column_default, '-')), ', ' ORDER BY ordinal_position) \
                 FROM information_schema.columns WHERE table_name = '_sqlx_migrations'";
    let constraints = "SELECT string_agg(pg_get_constraintdef(oid), ', ') FROM pg_constraint WHERE conrelid = '_sqlx_migrations'::regclass";
    assert_eq!(by_slipway.text(shape), by_sqlx.text(shape));
    assert_eq!(by_slipway.text(constraints), by_sqlx.text(constraints));
    assert!(by_slipway.text(shape).starts_with(
        "version bigint NO -, description text NO -, installed_on timestamp with time zone NO now()"
    ));
}

#[test]
fn a_sqlx_migrator_holding_the_lock_blocks_slipway() {
    let db = TestDb::new();
    let slow = tempfile::tempdir().unwrap();
    std::fs::write(slow.path().join("1_slow.sql"), "SELECT pg_sleep(4);\n").unwrap();
    let url = db.url.clone();
    let migrating = std::thread::spawn(move || sqlx_migrate(slow.path(), &url));
    // Wait until sqlx's session is inside its migration (it took the lock first).
    let mut sqlx_pid = String::from("NULL");
    for _ in 0..100 {
        sqlx_pid = db.text("(SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(4)%' LIMIT 1)");
        if sqlx_pid != "NULL" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_ne!(sqlx_pid, "NULL", "sqlx's migration never started");

    let app = app_with(&["basic"]);
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--lock-wait", "1s"]),
        4,
    );
    assert!(
        stderr(&out).contains(&format!("backend pid {sqlx_pid}")),
        "{}",
        stderr(&out)
    );
    migrating.join().unwrap().unwrap();
}

#[test]
fn sqlx_waits_for_the_lock_slipway_holds() {
    let db = TestDb::new();
    let app = app_with_migrations(&[("1_slow.sql", "SELECT pg_sleep(3);\n")]);
    let mut release = slipway_process(app.path(), &db.url);
    release.arg("run");
    let child = release
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until slipway runs its migration, then let sqlx try.
    let running = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        db.text("(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(3)%')") == "1"
    });
    assert!(running, "slipway's migration never started");
    let other = tempfile::tempdir().unwrap();
    std::fs::copy(
        app.path().join("migrations/1_slow.sql"),
        other.path().join("1_slow.sql"),
    )
    .unwrap();
    let started = std::time::Instant::now();
    // sqlx blocks in pg_advisory_lock until slipway is done, then finds 1 applied.
    sqlx_migrate(other.path(), &db.url).unwrap();
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(1500),
        "sqlx did not wait"
    );
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("| 1_slow.sql"),
        "slipway, not sqlx, applied it: {}",
        stderr(&out)
    );
    assert_eq!(db.applied_versions(), vec![1]);
}

/// Migrations that create the `vector` extension themselves, in each form
/// (plain, `IF NOT EXISTS`, `WITH SCHEMA`, quoted names, any case), each with
/// the schema the extension must end up in. Before slipway left `CREATE
/// EXTENSION` to them, it created the extension first: the plain form failed
/// with 42710 (exit 7) and `WITH SCHEMA x` found it in `public`.
const CREATING_THE_EXTENSION: [(&str, &str); 7] = [
    (
        "CREATE EXTENSION vector;\nCREATE TABLE items (e vector(3));\n",
        "public",
    ),
    (
        "create extension VECTOR;\ncreate table items (e Vector(3));\n",
        "public",
    ),
    (
        "CREATE EXTENSION IF NOT EXISTS \"vector\";\nCREATE TABLE items (e vector(3));\n",
        "public",
    ),
    (
        "CREATE SCHEMA IF NOT EXISTS extensions;\nCREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA extensions;\nCREATE TABLE items (e extensions.vector(3));\n",
        "extensions",
    ),
    (
        "CREATE SCHEMA ext;\nCREATE EXTENSION vector WITH SCHEMA ext;\nCREATE TABLE items (e ext.vector(3));\n",
        "ext",
    ),
    (
        "CREATE SCHEMA \"Vec Ext\";\nCREATE EXTENSION IF NOT EXISTS vector SCHEMA \"Vec Ext\";\nCREATE TABLE items (e \"Vec Ext\".vector(3));\n",
        "Vec Ext",
    ),
    (
        "create schema x;\nCreate Extension If Not Exists \"vector\" With Schema X Version '0.8.0';\ncreate table items (e x.VECTOR(3));\n",
        "x",
    ),
];

/// The schema the `vector` extension is in, or `NULL`.
fn extension_schema(db: &TestDb) -> String {
    db.text("(SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'vector')")
        .trim_matches('"')
        .to_owned()
}

#[test]
fn a_migration_that_creates_the_extension_runs_as_sqlx_runs_it() {
    for (sql, schema) in CREATING_THE_EXTENSION {
        // After an applied migration, as an app that adds pgvector later does.
        let app = app_with_migrations(&[
            ("1_users.sql", "CREATE TABLE users (id int);\n"),
            ("2_vector.sql", sql),
        ]);
        let dir = app.path().join("migrations");
        let by_migrator = TestDb::new();
        sqlx_migrate(&dir, &by_migrator.url).unwrap_or_else(|e| panic!("{sql}: sqlx: {e}"));
        assert_eq!(extension_schema(&by_migrator), schema, "{sql}");
        let by_cli = TestDb::new();
        sqlx_cli_migrate(&dir, &by_cli.url);
        assert_eq!(history(&by_cli), history(&by_migrator), "{sql}");

        let by_slipway = TestDb::new();
        let out = run_expecting(
            slipway(app.path(), &by_slipway.url).args(["plan", "--format", "json"]),
            0,
        );
        let line = 1 + sql
            .lines()
            .position(|l| l.to_lowercase().contains("create extension"))
            .unwrap();
        assert_eq!(
            json(&out)["pgvector"]["action"],
            format!("CREATE EXTENSION left to 2_vector.sql:{line}"),
            "{sql}"
        );
        let out = slipway(app.path(), &by_slipway.url)
            .args(["run", "--format", "json", "--backup", "none"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{sql}: {}", stderr(&out));
        assert_eq!(extension_schema(&by_slipway), schema, "{sql}");
        assert_eq!(history(&by_slipway), history(&by_migrator), "{sql}");
        assert_eq!(json(&out)["checks"]["pgvector_version"], "0.8.0", "{sql}");
        assert!(
            !stderr(&out).contains("| extension"),
            "{sql}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_migration_that_creates_the_extension_still_needs_a_server_that_has_it_new_enough() {
    let db = TestDb::new();
    let app = app_with_migrations(&[(
        "1_vector.sql",
        "CREATE EXTENSION vector;\nCREATE TABLE items (e vector(3));\n",
    )]);
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--pgvector-min-version", "0.9.0"]),
        8,
    );
    assert!(
        stderr(&out).contains("pgvector 0.9.0 is required"),
        "{}",
        stderr(&out)
    );
    assert_eq!(extension_schema(&db), "NULL");
    assert!(!db.table_exists("_sqlx_migrations"), "nothing ran");
}

#[test]
fn migrations_that_only_use_the_type_still_get_the_extension_created_first() {
    let db = TestDb::new();
    let app = app_with_migrations(&[("1_items.sql", "CREATE TABLE items (e vector(3));\n")]);
    let out = run_expecting(slipway(app.path(), &db.url).arg("run"), 0);
    assert!(
        stderr(&out).contains("| CREATE EXTENSION vector (version 0.8.0)"),
        "{}",
        stderr(&out)
    );
    assert_eq!(extension_schema(&db), "public");
}

/// A pending migration that creates `vector` after an earlier pending one
/// already uses the type (a fresh review database): slipway creates the
/// extension first, as it always did, and the later `CREATE EXTENSION IF NOT
/// EXISTS` is a no-op. Leaving it to the later migration would fail the first.
#[test]
fn a_creator_after_a_use_gets_the_extension_created_first() {
    let db = support::TestDb::new();
    let app = support::app_with_migrations(&[
        ("1_items.sql", "CREATE TABLE items (e vector(3));\n"),
        (
            "2_extension.sql",
            "CREATE EXTENSION IF NOT EXISTS vector;\n",
        ),
    ]);
    let mut cmd = support::slipway(app.path(), &db.url);
    cmd.env("SLIPWAY_BACKUP", "none");
    support::run_expecting(cmd.arg("run"), 0);
    assert_eq!(db.applied_versions(), vec![1, 2]);
}
