//! The Diesel compatibility proof, in both directions, against real
//! PostgreSQL: diesel CLI 2.3 (`diesel migration run/list`, installed by
//! scripts/install-deps.sh) and `diesel_migrations` 2.3's `MigrationHarness`
//! (the `embed_migrations!` + `run_pending_migrations` apps such as crates.io
//! call at release) read slipway's `__diesel_schema_migrations` as their own,
//! and slipway reads theirs; rows and schema equal what Diesel alone makes.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use diesel::{Connection as _, PgConnection};
use diesel_migrations::{FileBasedMigrations, MigrationHarness as _};

use crate::support::{
    TestDb, all_output, assert_mentions, copy_dir, diesel_app, diesel_fixture, json, run_expecting,
    slipway, slipway_process, stderr, stdout, wait_until, wait_with_timeout,
};

/// The `diesel` binary of diesel CLI 2.3 (scripts/install-deps.sh): on PATH, or in cargo's bin dir.
fn diesel_cli() -> PathBuf {
    let cargo_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .map(|home| home.join("bin/diesel"));
    match cargo_bin {
        Some(path) if path.is_file() => path,
        _ => "diesel".into(),
    }
}

/// `diesel <args>` in `dir` against `url` (diesel reads `DATABASE_URL`).
fn diesel(dir: &Path, url: &str, args: &[&str]) -> Output {
    std::process::Command::new(diesel_cli())
        .args(args)
        .current_dir(dir)
        .env("DATABASE_URL", url)
        .env_remove("MIGRATION_DIRECTORY")
        .output()
        .unwrap_or_else(|e| {
            panic!("diesel CLI does not run ({e}); scripts/install-deps.sh installs it")
        })
}

#[track_caller]
fn diesel_ok(dir: &Path, url: &str, args: &[&str]) -> String {
    let out = diesel(dir, url, args);
    assert!(
        out.status.success(),
        "diesel {args:?} failed: {}",
        all_output(&out)
    );
    stdout(&out)
}

/// `diesel_migrations`' harness on `dir`: the pending migrations' versions.
fn harness_pending(dir: &Path, url: &str) -> Vec<String> {
    let mut conn = PgConnection::establish(url).unwrap();
    let source = FileBasedMigrations::from_path(dir).unwrap();
    conn.pending_migrations(source)
        .unwrap()
        .iter()
        .map(|m| m.name().version().to_string())
        .collect()
}

/// `diesel_migrations`' harness: `run_pending_migrations` on `dir`.
fn harness_run(dir: &Path, url: &str) -> Result<Vec<String>, String> {
    let mut conn = PgConnection::establish(url).unwrap();
    let source = FileBasedMigrations::from_path(dir).map_err(|e| e.to_string())?;
    conn.run_pending_migrations(source)
        .map(|done| done.iter().map(ToString::to_string).collect())
        .map_err(|e| e.to_string())
}

/// `diesel_migrations`' harness: runs only the next `count` migrations of `dir`.
fn harness_run_next(dir: &Path, url: &str, count: usize) {
    let mut conn = PgConnection::establish(url).unwrap();
    let source = FileBasedMigrations::from_path(dir).unwrap();
    let mut pending = conn.pending_migrations(source).unwrap();
    pending.sort_by(|a, b| a.name().version().cmp(&b.name().version()));
    for migration in pending.iter().take(count) {
        conn.run_migration(migration.as_ref()).unwrap();
    }
}

/// The versions in `__diesel_schema_migrations`, in Diesel's (byte) order.
fn versions(db: &TestDb) -> Vec<String> {
    if !db.table_exists("__diesel_schema_migrations") {
        return Vec::new();
    }
    db.text(
        "SELECT coalesce(string_agg(version, ',' ORDER BY version COLLATE \"C\"), '') FROM __diesel_schema_migrations",
    )
    .split(',')
    .filter(|v| !v.is_empty())
    .map(str::to_owned)
    .collect()
}

/// The schema as `pg_dump --schema-only` prints it, without the lines that
/// differ between any two dumps (the random `\restrict` key).
fn schema_dump(db: &TestDb) -> String {
    let pg_dump = std::env::var_os("SLIPWAY_PG_DIR")
        .map(|dir| PathBuf::from(dir).join("bin/pg_dump"))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| "pg_dump".into());
    let out = std::process::Command::new(pg_dump)
        .args([
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--dbname",
            &db.url,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "pg_dump: {}", stderr(&out));
    stdout(&out)
        .lines()
        .filter(|line| !line.starts_with("\\restrict") && !line.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `slipway-release run` of a Diesel app, without a backup.
fn slipway_run(app: &Path, db: &TestDb) -> Output {
    let mut cmd = slipway(app, &db.url);
    cmd.args(["run", "--backup", "none"]);
    cmd.output().unwrap()
}

#[test]
fn diesel_finds_nothing_pending_on_a_database_slipway_migrated() {
    for set in ["basic", "pgvector"] {
        let db = TestDb::new();
        let app = diesel_app(set);
        let out = slipway_run(app.path(), &db);
        assert_eq!(out.status.code(), Some(0), "{set}: {}", stderr(&out));
        assert_mentions(
            &stderr(&out),
            &["diesel format (the folder holds Diesel migrations"],
        );

        let migrations = app.path().join("migrations");
        assert!(harness_pending(&migrations, &db.url).is_empty(), "{set}");
        assert_eq!(
            diesel_ok(app.path(), &db.url, &["migration", "pending"]).trim(),
            "false"
        );
        let list = diesel_ok(app.path(), &db.url, &["migration", "list"]);
        assert!(!list.contains("[ ]"), "{set}: {list}");
        assert_eq!(
            list.matches("[X]").count(),
            versions(&db).len(),
            "{set}: {list}"
        );
        // The harness runs nothing and changes nothing.
        let before = versions(&db);
        assert_eq!(
            harness_run(&migrations, &db.url).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(versions(&db), before);
    }
}

#[test]
fn rows_and_schema_equal_what_diesel_alone_makes() {
    for set in ["basic", "pgvector"] {
        let by_diesel = TestDb::new();
        let by_slipway = TestDb::new();
        let app = diesel_app(set);
        diesel_ok(app.path(), &by_diesel.url, &["migration", "run"]);
        let out = slipway_run(app.path(), &by_slipway);
        assert_eq!(out.status.code(), Some(0), "{set}: {}", stderr(&out));

        assert_eq!(versions(&by_slipway), versions(&by_diesel), "{set}");
        assert_eq!(schema_dump(&by_slipway), schema_dump(&by_diesel), "{set}");
        // Diesel's `run_on` is a TIMESTAMP in UTC (its session's time zone).
        assert_eq!(
            by_slipway.int(
                "SELECT count(*) FROM __diesel_schema_migrations
                  WHERE abs(extract(epoch FROM run_on - (now() AT TIME ZONE 'UTC'))) > 300"
            ),
            0,
            "{set}"
        );
    }
}

#[test]
fn the_versions_follow_diesels_rules() {
    let db = TestDb::new();
    let app = diesel_app("basic");
    run_expecting(
        slipway(app.path(), &db.url).args(["run", "--backup", "none"]),
        0,
    );
    // Dashes dropped, sorted as text ("9" after "2024..."), the README skipped.
    assert_eq!(
        versions(&db),
        [
            "20240101000000",
            "20240102000000",
            "202401031200000000",
            "9"
        ]
    );
    assert!(db.table_exists("posts_user_id"), "the CONCURRENTLY index");
}

#[test]
fn diesel_applies_part_and_slipway_the_rest_and_back() {
    let db = TestDb::new();
    let app = diesel_app("basic");
    let migrations = app.path().join("migrations");
    harness_run_next(&migrations, &db.url, 2);
    assert_eq!(versions(&db), ["20240101000000", "20240102000000"]);

    let out = slipway(app.path(), &db.url)
        .args(["run", "--backup", "none", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    let pending: Vec<String> = report["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}|{}",
                m["version"].as_str().unwrap(),
                m["file"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        pending,
        [
            "202401031200000000|2024-01-03-120000-0000_index_posts_by_user/up.sql",
            "9|9_sorts_last_as_text/up.sql"
        ]
    );
    assert_eq!(versions(&db).len(), 4);

    // And the other way: slipway first, then diesel CLI with a new migration.
    let next = migrations.join("2025-01-01-000000-0000_add_tags");
    std::fs::create_dir(&next).unwrap();
    std::fs::write(next.join("up.sql"), "CREATE TABLE tags (id int);\n").unwrap();
    let list = diesel_ok(app.path(), &db.url, &["migration", "list"]);
    assert!(
        list.contains("[ ] 2025-01-01-000000-0000_add_tags"),
        "{list}"
    );
    diesel_ok(app.path(), &db.url, &["migration", "run"]);
    let out = slipway_run(app.path(), &db);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_mentions(&stderr(&out), &["up to date (5 applied)"]);
}

#[test]
fn folders_diesel_cli_writes_are_applied_as_diesel_applies_them() {
    // `diesel setup` writes 00000000000000_diesel_initial_setup (and runs it); `diesel
    // migration generate` writes <YYYY-MM-DD-HHMMSS-XXXX>_<name>. Not our files: Diesel's.
    let by_diesel = TestDb::new();
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
    diesel_ok(app.path(), &by_diesel.url, &["setup"]);
    diesel_ok(
        app.path(),
        &by_diesel.url,
        &["migration", "generate", "create_things"],
    );
    let generated: Vec<PathBuf> = std::fs::read_dir(app.path().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.ends_with("00000000000000_diesel_initial_setup") && p.is_dir())
        .collect();
    assert_eq!(generated.len(), 1, "{generated:?}");
    std::fs::write(
        generated[0].join("up.sql"),
        "CREATE TABLE things (id SERIAL PRIMARY KEY, updated_at TIMESTAMP NOT NULL DEFAULT now());\nSELECT diesel_manage_updated_at('things');\n",
    )
    .unwrap();
    diesel_ok(app.path(), &by_diesel.url, &["migration", "run"]);

    let by_slipway = TestDb::new();
    let out = slipway_run(app.path(), &by_slipway);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // diesel.toml (written by `diesel setup`) made it Diesel.
    assert_mentions(
        &stderr(&out),
        &["diesel format (diesel.toml at the app root)"],
    );
    assert_eq!(versions(&by_slipway), versions(&by_diesel));
    assert_eq!(versions(&by_slipway)[0], "00000000000000");
    assert_eq!(schema_dump(&by_slipway), schema_dump(&by_diesel));
    assert!(harness_pending(&app.path().join("migrations"), &by_slipway.url).is_empty());
}

#[test]
fn diesel_toml_names_the_folder_for_both() {
    let app = tempfile::tempdir().unwrap();
    copy_dir(
        &diesel_fixture("basic"),
        &app.path().join("db/schema_changes"),
    );
    std::fs::write(
        app.path().join("diesel.toml"),
        "[print_schema]\nfile = \"src/schema.rs\"\n\n[migrations_directory]\ndir = \"db/schema_changes\"\n",
    )
    .unwrap();
    let by_diesel = TestDb::new();
    diesel_ok(app.path(), &by_diesel.url, &["migration", "run"]);
    let by_slipway = TestDb::new();
    let out = slipway_run(app.path(), &by_slipway);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(versions(&by_slipway), versions(&by_diesel));
    assert_eq!(versions(&by_slipway).len(), 4);
}

#[test]
fn what_diesel_refuses_stops_the_release_before_anything_changes() {
    let cases = [
        (
            "empty_up",
            "2_second/up.sql: it is empty",
            "Attempted to run an empty migration",
        ),
        (
            "comment_only_up",
            "2_second/up.sql: it holds no statement",
            "Received an empty query",
        ),
        (
            "missing_up",
            "must hold up.sql",
            "Invalid migration directory",
        ),
    ];
    for (set, ours, theirs) in cases {
        let db = TestDb::new();
        let app = diesel_app(set);
        let out = slipway_run(app.path(), &db);
        assert_eq!(out.status.code(), Some(2), "{set}: {}", stderr(&out));
        assert_mentions(&stderr(&out), &[ours]);
        assert!(
            !db.table_exists("first_table"),
            "{set}: slipway changed the database"
        );
        assert!(!db.table_exists("__diesel_schema_migrations"), "{set}");
        // Diesel fails on it too (after applying what comes before, where it can).
        let out = diesel(app.path(), &db.url, &["migration", "run"]);
        assert!(!out.status.success(), "{set}");
        assert_mentions(&all_output(&out), &[theirs]);
    }
}

#[test]
fn an_applied_migration_diesel_would_refuse_now_is_left_alone() {
    // An up.sql emptied after it ran: Diesel never runs it again, nor does slipway.
    let db = TestDb::new();
    let app = diesel_app("empty_up");
    std::fs::write(app.path().join("migrations/2_second/up.sql"), "SELECT 1;").unwrap();
    run_expecting(
        slipway(app.path(), &db.url).args(["run", "--backup", "none"]),
        0,
    );
    std::fs::write(app.path().join("migrations/2_second/up.sql"), "").unwrap();
    run_expecting(
        slipway(app.path(), &db.url).args(["run", "--backup", "none"]),
        0,
    );
}

#[test]
fn a_mixed_folder_is_refused_naming_one_of_each() {
    let db = TestDb::new();
    let app = diesel_app("basic");
    std::fs::write(
        app.path().join("migrations/20240105000000_sqlx_style.sql"),
        "SELECT 1;",
    )
    .unwrap();
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--backup", "none"]),
        2,
    );
    assert_mentions(
        &stderr(&out),
        &[
            "the migrations folder mixes sqlx and Diesel migrations",
            "20240105000000_sqlx_style.sql",
            "2024-01-01-000000_create_users/up.sql",
        ],
    );
    assert!(!db.table_exists("users"));
}

#[test]
fn a_failing_up_sql_rolls_back_leaves_a_history_diesel_accepts_and_the_rerun_finishes() {
    let db = TestDb::new();
    let app = diesel_app("failing");
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--backup", "none"]),
        7,
    );
    assert_mentions(
        &stderr(&out),
        &["2_fails_halfway/up.sql at line 2", "no_such_column"],
    );
    assert_eq!(versions(&db), ["1"]);
    assert!(!db.table_exists("second_table"), "rolled back with its row");
    let migrations = app.path().join("migrations");
    assert_eq!(harness_pending(&migrations, &db.url), ["2", "3"]);

    std::fs::write(
        migrations.join("2_fails_halfway/up.sql"),
        "CREATE TABLE second_table (id int);\n",
    )
    .unwrap();
    run_expecting(
        slipway(app.path(), &db.url).args(["run", "--backup", "none"]),
        0,
    );
    assert_eq!(versions(&db), ["1", "2", "3"]);
    assert!(harness_pending(&migrations, &db.url).is_empty());
}

#[test]
fn sigkill_during_a_diesel_run_leaves_a_history_diesel_accepts_and_the_rerun_finishes() {
    let db = TestDb::new();
    let app = diesel_app("slow");
    let mut child = slipway_process(app.path(), &db.url)
        .args(["run", "--backup", "none"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(20), || {
        db.text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(8)%' AND pid <> pg_backend_pid()") != "0"
    });
    child.kill().unwrap();
    let _ = child.wait();
    // The server ends the orphaned session's transaction: 2_slow rolled back with its row.
    wait_until(Duration::from_secs(40), || {
        db.text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(8)%' AND pid <> pg_backend_pid()") == "0"
    });
    assert_eq!(versions(&db), ["1"]);
    let migrations = app.path().join("migrations");
    assert_eq!(harness_pending(&migrations, &db.url), ["2"]);
    std::fs::write(
        migrations.join("2_slow/up.sql"),
        "CREATE TABLE slow_table (id int);\n",
    )
    .unwrap();
    run_expecting(
        slipway(app.path(), &db.url).args(["run", "--backup", "none"]),
        0,
    );
    assert_eq!(versions(&db), ["1", "2"]);
    assert_eq!(
        diesel_ok(app.path(), &db.url, &["migration", "pending"]).trim(),
        "false"
    );
}

#[test]
fn overlapping_diesel_releases_are_serialised_by_slipways_own_lock() {
    let db = TestDb::new();
    let app = diesel_app("slow");
    std::fs::write(
        app.path().join("migrations/2_slow/up.sql"),
        "CREATE TABLE slow_table (id int);\nSELECT pg_sleep(3);\n",
    )
    .unwrap();
    let first = slipway_process(app.path(), &db.url)
        .args(["run", "--backup", "none"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(20), || {
        db.text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()") != "0"
    });
    let second = slipway_process(app.path(), &db.url)
        .args(["run", "--backup", "none"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let first = wait_with_timeout(first, Duration::from_mins(1));
    let second = wait_with_timeout(second, Duration::from_mins(1));
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    // The second waited for the first, then found nothing to do: each ran once.
    assert_mentions(
        &stderr(&second),
        &[
            "slipway's own key: Diesel takes no lock",
            "up to date (2 applied)",
        ],
    );
    assert_eq!(versions(&db), ["1", "2"]);
}

#[test]
fn a_diesel_rollback_release_warns_and_exits_0() {
    let db = TestDb::new();
    let app = diesel_app("basic");
    run_expecting(
        slipway(app.path(), &db.url).args(["run", "--backup", "none"]),
        0,
    );
    std::fs::remove_dir_all(app.path().join("migrations/9_sorts_last_as_text")).unwrap();
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--backup", "none"]),
        0,
    );
    assert_mentions(
        &stderr(&out),
        &[
            "this code does not know: 9",
            "Diesel ignores versions it does not know",
        ],
    );
}

#[test]
fn diesel_up_sql_is_linted_with_diesels_words_for_no_transaction() {
    let app = diesel_app("basic");
    let dir = app
        .path()
        .join("migrations/2025-01-01-000000-0000_index_titles");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("up.sql"),
        "-- titles\nCREATE INDEX posts_title ON posts (title);\n",
    )
    .unwrap();
    let out = slipway(app.path(), "postgres://nobody@127.0.0.1:1/nothing")
        .args(["lint", "--offline", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = all_output(&out);
    assert_mentions(
        &text,
        &[
            "migrations/2025-01-01-000000-0000_index_titles/up.sql:2:1 require-concurrent-index-creation",
            "a migration whose metadata.toml says `run_in_transaction = false`",
            "::warning file=migrations/2025-01-01-000000-0000_index_titles/up.sql,line=2",
        ],
    );
    assert!(!text.contains("-- no-transaction"), "{text}");
    // The CONCURRENTLY index of `basic` runs outside a transaction: nothing to say about it.
    assert!(!text.contains("index_posts_by_user/up.sql"), "{text}");

    // A file named on the command line is read as its tool runs it too.
    let named = app
        .path()
        .join("migrations/2024-01-03-120000-0000_index_posts_by_user/up.sql");
    let out = slipway(app.path(), "postgres://nobody@127.0.0.1:1/nothing")
        .args(["lint", "--offline"])
        .arg(&named)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("ban-concurrent-index-creation-in-transaction"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn plan_shows_diesel_versions_and_folders_and_changes_nothing() {
    let db = TestDb::new();
    let app = diesel_app("basic");
    let out = slipway(app.path(), &db.url)
        .args(["plan", "--format", "json", "--backup", "none"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["migrations_format"]["format"], "diesel");
    assert_eq!(report["pending"][0]["version"], "20240101000000");
    assert_eq!(
        report["pending"][0]["file"],
        "2024-01-01-000000_create_users/up.sql"
    );
    assert_eq!(report["pending"][2]["no_transaction"], true);
    assert!(
        !db.table_exists("__diesel_schema_migrations"),
        "plan created the table"
    );
}

#[test]
fn a_diesel_release_backs_up_first_and_a_restore_brings_back_diesels_history() {
    let db = TestDb::new();
    db.exec("CREATE TABLE kept (id int); INSERT INTO kept VALUES (1);");
    let app = diesel_app("failing");
    std::fs::remove_dir_all(app.path().join("migrations/2_fails_halfway")).unwrap();
    std::fs::remove_dir_all(app.path().join("migrations/3_third")).unwrap();
    std::fs::write(
        app.path().join("migrations/1_first/up.sql"),
        "ALTER TABLE kept ADD COLUMN email text;\n",
    )
    .unwrap();
    let email = "SELECT count(*) FROM information_schema.columns WHERE table_name = 'kept' AND column_name = 'email'";
    let with_backups = || {
        let mut cmd = slipway(app.path(), &db.url);
        cmd.env("SLIPWAY_BACKUP", "file:backups");
        cmd
    };
    run_expecting(with_backups().arg("run"), 0);
    assert_eq!(versions(&db), ["1"]);
    // The backup was taken before 1_first: restoring it drops Diesel's history
    // (the backup predates it), so the next release applies 1_first again.
    let out = json(&run_expecting(
        with_backups().args([
            "restore",
            "latest",
            "--confirm",
            &db.name,
            "--format",
            "json",
        ]),
        0,
    ));
    assert_eq!(out["restored"]["history_table_dropped"], true, "{out}");
    assert!(!db.table_exists("__diesel_schema_migrations"));
    assert_eq!(db.int(email), 0);
    run_expecting(with_backups().arg("run"), 0);
    assert_eq!(versions(&db), ["1"]);
    assert_eq!(db.int(email), 1);
    assert!(harness_pending(&app.path().join("migrations"), &db.url).is_empty());
}

#[test]
fn diesels_migration_directory_variable_is_honoured_as_diesel_cli_honours_it() {
    let app = tempfile::tempdir().unwrap();
    copy_dir(&diesel_fixture("basic"), &app.path().join("db/migrations"));
    std::fs::write(
        app.path().join("diesel.toml"),
        "[print_schema]\nfile = \"src/schema.rs\"\n",
    )
    .unwrap();
    let by_diesel = TestDb::new();
    let out = std::process::Command::new(diesel_cli())
        .args(["migration", "run"])
        .current_dir(app.path())
        .env("DATABASE_URL", &by_diesel.url)
        .env("MIGRATION_DIRECTORY", "db/migrations")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    let by_slipway = TestDb::new();
    let out = run_expecting(
        slipway(app.path(), &by_slipway.url)
            .args(["run", "--backup", "none"])
            .env("MIGRATION_DIRECTORY", "db/migrations"),
        0,
    );
    assert_mentions(&stderr(&out), &["4 migration(s) in db/migrations"]);
    assert_eq!(versions(&by_slipway), versions(&by_diesel));
    // Without it, there is no ./migrations: Diesel fails, and so does slipway (exit 2).
    let out = run_expecting(
        slipway(app.path(), &by_slipway.url).args(["run", "--backup", "none"]),
        2,
    );
    assert_mentions(
        &stderr(&out),
        &["there is no migrations folder at ./migrations"],
    );
    assert!(
        !diesel(app.path(), &by_slipway.url, &["migration", "run"])
            .status
            .success()
    );
}

#[test]
fn versions_the_folder_lacks_do_not_stop_pending_ones_as_in_diesel() {
    // An app that squashed its old migration folders into one keeps releasing with Diesel.
    let by_slipway = TestDb::new();
    let by_diesel = TestDb::new();
    let app = diesel_app("failing");
    std::fs::remove_dir_all(app.path().join("migrations/2_fails_halfway")).unwrap();
    for db in [&by_slipway, &by_diesel] {
        db.exec(
            "CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
             INSERT INTO __diesel_schema_migrations (version) VALUES ('0_squashed_away');",
        );
    }
    diesel_ok(app.path(), &by_diesel.url, &["migration", "run"]);
    let out = run_expecting(
        slipway(app.path(), &by_slipway.url).args(["run", "--backup", "none"]),
        0,
    );
    assert_mentions(
        &stderr(&out),
        &[
            "this code does not know: 0_squashed_away",
            "the 2 pending one(s) are applied",
        ],
    );
    assert_eq!(versions(&by_slipway), versions(&by_diesel));
    assert_eq!(versions(&by_slipway), ["0_squashed_away", "1", "3"]);
}
