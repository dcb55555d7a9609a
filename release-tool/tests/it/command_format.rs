//! The `command` format: the app's own migrator runs inside slipway's flow
//! (lock held, backup first, checks after), gets the database slipway
//! migrates, and its failure is exit 7 with its output, its secrets hidden.

use std::time::Duration;

use crate::support::{
    TestDb, all_output, assert_mentions, db_with_data, diesel_app, dumps_in, json, run_expecting,
    slipway, slipway_process, stderr, wait_until, wait_with_timeout,
};

/// An app with a Diesel set in `migrations/` that slipway does not read.
fn app() -> tempfile::TempDir {
    diesel_app("basic")
}

/// The advisory locks other sessions hold on the database, counted by a
/// command that writes the count to `locks.txt` (psql, as a migrator would connect).
const COUNT_LOCKS: &str = "psql \"$DATABASE_URL\" -Atc \"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = current_database())\" > locks.txt";

#[test]
fn the_command_runs_with_the_lock_held_after_the_backup_and_before_the_checks() {
    let db = db_with_data();
    let app = app();
    let backups = app.path().join("backups");
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .args(["run", "--format", "json", "--backup"])
            .arg(format!("file:{}", backups.display()))
            .env(
                "SLIPWAY_MIGRATE_COMMAND",
                format!("{COUNT_LOCKS} && diesel migration run"),
            ),
        0,
    );
    let text = stderr(&out);
    assert_mentions(
        &text,
        &[
            "command format (a migrate command is set by environment variable SLIPWAY_MIGRATE_COMMAND)",
            "plan      skipped",
            "lint      skipped",
            "slipway's own key, held while the command runs",
            "> Running migration 2024-01-01-000000_create_users",
        ],
    );
    let step_order: Vec<String> = json(&out)["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect();
    let at = |name: &str| step_order.iter().position(|s| s == name).unwrap();
    assert!(
        at("lock") < at("backup") && at("backup") < at("migrate") && at("migrate") < at("checks"),
        "{step_order:?}"
    );
    assert_eq!(dumps_in(&backups).len(), 1, "a backup before the command");
    assert_eq!(
        std::fs::read_to_string(app.path().join("locks.txt"))
            .unwrap()
            .trim(),
        "1"
    );
    assert_eq!(
        db.int("SELECT count(*) FROM __diesel_schema_migrations"),
        4,
        "the command migrated the database slipway was given"
    );
}

#[test]
fn the_command_gets_the_database_slipway_migrates_whatever_the_url() {
    let db = TestDb::new();
    let app = app();
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .args(["run", "--backup", "none"])
            .env(
                "SLIPWAY_MIGRATE_COMMAND",
                "psql \"$DATABASE_URL\" -Atc 'SELECT current_database()' > db.txt",
            ),
        0,
    );
    assert_eq!(
        std::fs::read_to_string(app.path().join("db.txt"))
            .unwrap()
            .trim(),
        db.name,
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_failing_command_is_exit_7_with_its_last_lines_and_no_secret() {
    let db = db_with_data();
    let app = app();
    let password_url = db.url.clone();
    let out = run_expecting(
        slipway(app.path(), &password_url)
            .args(["run", "--backup", "none"])
            .env(
                "SLIPWAY_MIGRATE_COMMAND",
                "echo \"connecting to $DATABASE_URL\"; echo 'migration 3 failed: relation \"x\" does not exist' >&2; exit 3",
            ),
        7,
    );
    let text = all_output(&out);
    assert_mentions(
        &text,
        &[
            "the migrate command failed",
            "it exited with status 3",
            "migration 3 failed: relation \"x\" does not exist",
        ],
    );
    let password = url::Url::parse(&db.url)
        .unwrap()
        .password()
        .map(str::to_owned);
    if let Some(password) = password.filter(|p| !p.is_empty()) {
        assert!(!text.contains(&password), "{text}");
    }
}

#[test]
fn a_command_needs_the_command_format_and_the_other_way_round() {
    let db = TestDb::new();
    let app = app();
    let out = run_expecting(
        slipway(app.path(), &db.url).args([
            "run",
            "--backup",
            "none",
            "--migrations-format",
            "command",
        ]),
        2,
    );
    assert_mentions(
        &stderr(&out),
        &["no migrate command", "SLIPWAY_MIGRATE_COMMAND"],
    );
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .args(["run", "--backup", "none"])
            .env("SLIPWAY_MIGRATIONS_FORMAT", "diesel")
            .env("SLIPWAY_MIGRATE_COMMAND", "true"),
        2,
    );
    assert_mentions(&stderr(&out), &["the migrate command would be ignored"]);
    assert!(!db.table_exists("__diesel_schema_migrations"));
}

#[test]
fn sqlx_migrate_run_as_the_command_does_not_wait_for_slipways_lock() {
    let db = TestDb::new();
    let app = tempfile::tempdir().unwrap();
    std::fs::create_dir(app.path().join("migrations")).unwrap();
    std::fs::write(
        app.path().join("migrations/1_a.sql"),
        "CREATE TABLE a (id int);",
    )
    .unwrap();
    let sqlx = crate::support::sqlx_cli();
    run_expecting(
        slipway(app.path(), &db.url)
            .args(["run", "--backup", "none", "--lock-wait", "20s"])
            .env(
                "SLIPWAY_MIGRATE_COMMAND",
                format!("{} migrate run", sqlx.display()),
            )
            .timeout(Duration::from_mins(1)),
        0,
    );
    assert_eq!(db.applied_versions(), [1]);
}

#[test]
fn sigterm_is_passed_on_to_the_command_and_the_release_fails() {
    let out = sigterm_once_started(
        "trap 'echo got TERM; exit 143' TERM; touch started; sleep 60 & wait",
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert_mentions(
        &stderr(&out),
        &["got TERM", "slipway received SIGTERM and passed it on"],
    );
}

/// `slipway-release run` with `command` (which touches `started` once it runs), sent
/// SIGTERM once the command has started; its output, waited for at most `limit`.
fn sigterm_once_started(command: &str, limit: Duration) -> std::process::Output {
    let db = TestDb::new();
    let app = app();
    let child = slipway_process(app.path(), &db.url)
        .args(["run", "--backup", "none"])
        .env("SLIPWAY_MIGRATE_COMMAND", command)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = app.path().join("started");
    wait_until(Duration::from_secs(20), || started.exists());
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    wait_with_timeout(child, limit)
}

#[test]
fn the_command_ends_with_its_shell_not_with_what_it_left_in_the_background() {
    let db = TestDb::new();
    let app = app();
    let started = std::time::Instant::now();
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .args(["run", "--backup", "none"])
            .env(
                "SLIPWAY_MIGRATE_COMMAND",
                "sleep 30 & echo started in the background; exit 0",
            ),
        0,
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_mentions(&stderr(&out), &["> started in the background"]);
    let _ = std::process::Command::new("pkill")
        .args(["-f", "^sleep 30$"])
        .status();
}

#[test]
fn a_command_printing_an_endless_line_is_cut_not_held_whole() {
    let db = TestDb::new();
    let app = app();
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .args(["run", "--backup", "none", "--format", "json"])
            .env(
                "SLIPWAY_MIGRATE_COMMAND",
                "head -c 3000000 /dev/zero | tr '\\0' a; echo; echo done >&2; exit 1",
            ),
        7,
    );
    let cause = json(&out)["error"]["cause"].as_str().unwrap().to_owned();
    assert!(
        cause.contains("[... cut]"),
        "{}",
        &cause[..200.min(cause.len())]
    );
    assert!(cause.contains("done"));
    assert!(cause.len() < 200_000, "{} bytes", cause.len());
}

#[test]
fn a_command_that_ignores_sigterm_is_killed_after_a_grace_period() {
    let out = sigterm_once_started(
        "trap '' TERM; touch started; sleep 120",
        Duration::from_secs(40),
    );
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert_mentions(
        &stderr(&out),
        &["did not end within 20s of the signal: killing it"],
    );
}

#[test]
fn the_command_reaches_the_database_sqlx_reads_from_the_url_whatever_its_spelling() {
    // `?dbname=a+b` is the database `a b` to sqlx (and to slipway's lock, backup and
    // checks), but `a+b` to libpq: the command gets a URL both read alike.
    let name = format!("slipway cmd {}", crate::support::unique_suffix('_'));
    crate::support::exec_at(
        &crate::support::admin_url(),
        &format!("CREATE DATABASE \"{name}\""),
    );
    let url = format!(
        "{}?dbname={}",
        crate::support::url_for("postgres"),
        name.replace(' ', "+")
    );
    let app = app();
    let out = run_expecting(
        slipway(app.path(), &url)
            .args(["run", "--backup", "none"])
            .env(
                "SLIPWAY_MIGRATE_COMMAND",
                "psql \"$DATABASE_URL\" -Atc 'SELECT current_database()' > db.txt",
            ),
        0,
    );
    let reached = std::fs::read_to_string(app.path().join("db.txt")).unwrap();
    crate::support::exec_at(
        &crate::support::admin_url(),
        &format!("DROP DATABASE \"{name}\" WITH (FORCE)"),
    );
    assert_eq!(reached.trim(), name, "{}", stderr(&out));
}

#[test]
fn a_secret_cut_by_a_long_lines_end_never_shows() {
    let db = TestDb::new();
    let app = app();
    let secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEYsecret";
    // The secret starts just before, at, and just after the end of the first 64 KiB piece.
    let command = "for k in 30 12 6 1; do head -c $((65536 - k)) /dev/zero | tr '\\0' x; \
                   echo \"$AWS_SECRET_ACCESS_KEY tail\"; done; exit 1";
    let out = run_expecting(
        slipway(app.path(), &db.url)
            .args(["run", "--backup", "none", "--format", "json"])
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("SLIPWAY_MIGRATE_COMMAND", command),
        7,
    );
    let text = all_output(&out);
    for start in 0..secret.len() - 6 {
        let piece = &secret[start..start + 6];
        assert!(!text.contains(piece), "{piece} of the secret shows");
    }
}
