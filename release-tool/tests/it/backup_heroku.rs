//! The `heroku` backup target (Heroku PGBackups) against a local fake of the
//! Heroku Platform and Postgres data APIs that follows their documented
//! contract (see `support/heroku.rs`), with real PostgreSQL for the release.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::heroku::{ADDON_ID, APP, Elsewhere, FakeHeroku, Script, TOKEN};
use crate::support::{
    TARGET_ENV, TestDb, all_output, app_with, assert_exit, db_with_data, json, run_expecting,
    slipway, stderr,
};

/// The two fake APIs, on two hosts (ports), as on Heroku.
struct Apis {
    platform: FakeHeroku,
    data: FakeHeroku,
}

impl Apis {
    fn start(data_script: Script) -> Self {
        Self {
            platform: FakeHeroku::start(Script::default()),
            data: FakeHeroku::start(data_script),
        }
    }
}

/// `slipway-release` with the `heroku` target pointed at the fakes.
fn slipway_heroku(dir: &Path, db: &TestDb, apis: &Apis) -> assert_cmd::Command {
    let mut cmd = slipway(dir, &db.url);
    for var in TARGET_ENV {
        cmd.env_remove(var);
    }
    cmd.env("SLIPWAY_BACKUP", "heroku")
        .env("HEROKU_API_KEY", TOKEN)
        .env("HEROKU_APP_NAME", APP)
        .env("SLIPWAY_HEROKU_API_URL", &apis.platform.url)
        .env("SLIPWAY_HEROKU_DATA_API_URL", &apis.data.url)
        .env("SLIPWAY_HEROKU_POLL_INTERVAL", "50ms");
    cmd
}

/// The requests `fake` received, as `METHOD /path`.
fn requests(fake: &FakeHeroku) -> Vec<String> {
    fake.seen()
        .iter()
        .map(|s| format!("{} {}", s.method, s.path))
        .collect()
}

#[test]
fn heroku_backup_captures_waits_and_prints_the_restore_command() {
    let db = db_with_data();
    let apis = Apis::start(Script::default());
    let app = tempfile::tempdir().unwrap();

    let output = run_expecting(slipway_heroku(app.path(), &db, &apis).arg("backup"), 0);
    let err = stderr(&output);
    assert!(err.contains("b123"), "{err}");
    assert!(
        err.contains("heroku pg:backups:restore b123 DATABASE_URL --app slipway-fake-app"),
        "{err}"
    );
    assert!(!all_output(&output).contains(TOKEN));

    // The add-on is resolved on the Platform API, the capture and the polls
    // go to the data API, exactly as the Heroku CLI does it.
    let platform = requests(&apis.platform);
    assert_eq!(platform, ["POST /actions/addon-attachments/resolve"]);
    let data = requests(&apis.data);
    assert_eq!(
        data[0],
        format!("POST /client/v11/databases/{ADDON_ID}/backups")
    );
    assert!(
        data[1..]
            .iter()
            .all(|r| r == &format!("GET /client/v11/apps/{APP}/transfers/transfer-123")),
        "{data:?}"
    );
    // Two "still running" answers, then finished.
    assert_eq!(apis.data.polls(), 3);
}

#[test]
fn heroku_failed_transfer_exits_5_with_its_last_log_lines() {
    let db = db_with_data();
    let logs: Vec<String> = (1..=7).map(|n| format!("log line {n}")).collect();
    let apis = Apis::start(Script {
        succeeds: false,
        logs: logs.clone(),
        ..Script::default()
    });
    let app = app_with(&["basic"]);

    let output = run_expecting(slipway_heroku(app.path(), &db, &apis).arg("run"), 5);
    let err = stderr(&output);
    assert!(err.contains("could not finish b123"), "{err}");
    for line in &logs[2..] {
        assert!(err.contains(line.as_str()), "missing {line:?} in {err}");
    }
    assert!(
        !err.contains("log line 1\n") && !err.contains("log line 2\n"),
        "only the last 5 lines: {err}"
    );
    // The logs came from the verbose transfer.
    assert!(
        apis.data
            .seen()
            .iter()
            .any(|s| s.path.ends_with("?verbose=true"))
    );
    // The backup failed, so nothing was migrated.
    assert!(db.applied_versions().is_empty());
}

#[test]
fn heroku_poll_errors_recover_with_backoff() {
    let db = db_with_data();
    let apis = Apis::start(Script {
        failing_polls: 3,
        ..Script::default()
    });
    let app = tempfile::tempdir().unwrap();

    let output = run_expecting(slipway_heroku(app.path(), &db, &apis).arg("backup"), 0);
    assert!(stderr(&output).contains("b123"));
    // Three 503s, two "still running", one finished.
    assert_eq!(apis.data.polls(), 6);
}

#[test]
fn heroku_api_that_keeps_failing_stops_within_the_capture_timeout() {
    let db = db_with_data();
    let apis = Apis::start(Script {
        polls_always_fail: true,
        ..Script::default()
    });
    let app = tempfile::tempdir().unwrap();

    let started = Instant::now();
    let output = slipway_heroku(app.path(), &db, &apis)
        .env("SLIPWAY_HEROKU_CAPTURE_TIMEOUT", "2s")
        .arg("backup")
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_exit(&output, 5);
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let err = stderr(&output);
    assert!(err.contains("kept failing"), "{err}");
    assert!(err.contains("503"), "{err}");
    // It retried (with backoff), and it stopped.
    let polls = apis.data.polls();
    assert!(polls >= 3, "{polls} polls");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(apis.data.polls(), polls, "still polling after exiting");
}

#[test]
fn heroku_token_is_never_sent_to_another_host() {
    let db = db_with_data();
    let elsewhere = Elsewhere::start();
    let apis = Apis::start(Script {
        redirect_polls_to: Some(elsewhere.url.clone()),
        ..Script::default()
    });
    let app = tempfile::tempdir().unwrap();

    let output = run_expecting(slipway_heroku(app.path(), &db, &apis).arg("backup"), 5);
    assert!(
        stderr(&output).contains("does not follow redirects"),
        "{}",
        stderr(&output)
    );
    // The redirect was not followed: the other host saw nothing at all.
    assert!(elsewhere.seen().is_empty(), "{:?}", elsewhere.seen());
    // Every request went to the configured hosts, each with the token.
    for (fake, name) in [(&apis.platform, "platform"), (&apis.data, "data")] {
        let host = fake.url.trim_start_matches("http://");
        for seen in fake.seen() {
            assert_eq!(seen.host.as_deref(), Some(host), "{name}: {seen:?}");
            assert_eq!(
                seen.authorization,
                Some(format!("Bearer {TOKEN}")),
                "{name}: {seen:?}"
            );
        }
    }
    assert!(!all_output(&output).contains(TOKEN));
}

#[test]
fn heroku_api_urls_must_be_https_unless_loopback() {
    let db = db_with_data();
    let apis = Apis::start(Script::default());
    let app = tempfile::tempdir().unwrap();
    let output = run_expecting(
        slipway_heroku(app.path(), &db, &apis)
            .env("SLIPWAY_HEROKU_DATA_API_URL", "http://api.data.heroku.com")
            .arg("backup"),
        2,
    );
    assert!(
        stderr(&output).contains("SLIPWAY_HEROKU_DATA_API_URL"),
        "{}",
        stderr(&output)
    );
    assert!(apis.platform.seen().is_empty() && apis.data.seen().is_empty());
}

#[test]
fn heroku_rejected_token_exits_5_without_printing_it() {
    let db = db_with_data();
    let apis = Apis::start(Script::default());
    let app = tempfile::tempdir().unwrap();
    let wrong = "wrong-heroku-token-0b9d7c";
    let output = run_expecting(
        slipway_heroku(app.path(), &db, &apis)
            .env("HEROKU_API_KEY", wrong)
            .args(["backup", "--format", "json"]),
        5,
    );
    let all = all_output(&output);
    assert!(!all.contains(wrong), "the token leaked:\n{all}");
    assert!(all.contains("rejected HEROKU_API_KEY"), "{all}");
    assert_eq!(json(&output)["exit_code"], 5, "{all}");
}

#[test]
fn heroku_missing_app_name_explains_how_to_set_it() {
    let db = db_with_data();
    let apis = Apis::start(Script::default());
    let app = tempfile::tempdir().unwrap();
    let output = run_expecting(
        slipway_heroku(app.path(), &db, &apis)
            .env_remove("HEROKU_APP_NAME")
            .arg("backup"),
        5,
    );
    assert!(
        stderr(&output).contains("SLIPWAY_HEROKU_APP"),
        "{}",
        stderr(&output)
    );
    assert!(apis.platform.seen().is_empty());
}

#[test]
fn on_a_dyno_heroku_is_the_default_when_an_api_key_is_set() {
    let db = db_with_data();
    let apis = Apis::start(Script::default());
    let app = app_with(&["basic"]);
    let output = run_expecting(
        slipway_heroku(app.path(), &db, &apis)
            .env_remove("SLIPWAY_BACKUP")
            .env("DYNO", "release.1")
            .arg("run"),
        0,
    );
    assert!(
        stderr(&output).contains("the default on a dyno"),
        "{}",
        stderr(&output)
    );
    assert_eq!(apis.data.polls(), 3, "a capture was taken before migrating");
    assert_eq!(db.applied_versions().len(), 3);
}

#[test]
fn on_a_dyno_without_any_target_the_message_names_the_three_ways() {
    let db = db_with_data();
    let app = app_with(&["basic"]);
    let mut cmd = slipway(app.path(), &db.url);
    for var in TARGET_ENV {
        cmd.env_remove(var);
    }
    let output = cmd.env("DYNO", "release.1").arg("run").output().unwrap();
    assert_exit(&output, 5);
    let err = stderr(&output);
    for way in [
        "HEROKU_API_KEY",
        "s3://BUCKET/PREFIX",
        "SLIPWAY_BACKUP=none",
    ] {
        assert!(err.contains(way), "{way} missing from {err}");
    }
    assert!(db.applied_versions().is_empty());
}

#[test]
fn heroku_backups_are_listed_and_restore_needs_the_explicit_flag() {
    let db = db_with_data();
    let apis = Apis::start(Script::default());
    let app = tempfile::tempdir().unwrap();
    run_expecting(slipway_heroku(app.path(), &db, &apis).arg("backup"), 0);

    let listed = run_expecting(
        slipway_heroku(app.path(), &db, &apis).args(["backups", "--format", "json"]),
        0,
    );
    let doc = json(&listed);
    assert_eq!(doc["backups"][0]["name"], "b123", "{doc}");

    // Without the flag: the Heroku CLI command, and nothing restored.
    let printed = run_expecting(
        slipway_heroku(app.path(), &db, &apis).args(["restore", "b123", "--confirm", &db.name]),
        2,
    );
    assert!(
        stderr(&printed)
            .contains("heroku pg:backups:restore b123 DATABASE_URL --app slipway-fake-app"),
        "{}",
        stderr(&printed)
    );
    assert!(apis.data.restores().is_empty());

    // With it: the restore API, with the backup's URL, and its transfer awaited.
    run_expecting(
        slipway_heroku(app.path(), &db, &apis).args([
            "restore",
            "b123",
            "--confirm",
            &db.name,
            "--yes-use-heroku-restore",
        ]),
        0,
    );
    assert_eq!(
        apis.data.restores(),
        ["https://fake-pgbackups.invalid/b123"]
    );
    assert!(
        apis.data
            .seen()
            .iter()
            .any(|s| s.path == format!("/client/v11/apps/{APP}/transfers/transfer-900")),
        "{:?}",
        apis.data.seen()
    );
}

#[test]
fn a_heroku_restore_that_fails_after_it_started_is_exit_13_and_says_it_may_be_partial() {
    let db = db_with_data();
    let apis = Apis::start(Script {
        restores_fail: true,
        logs: vec!["pg_restore: error: could not execute query".to_owned()],
        ..Script::default()
    });
    let app = tempfile::tempdir().unwrap();
    run_expecting(slipway_heroku(app.path(), &db, &apis).arg("backup"), 0);
    let out = run_expecting(
        slipway_heroku(app.path(), &db, &apis).args([
            "restore",
            "b123",
            "--confirm",
            &db.name,
            "--yes-use-heroku-restore",
            "--format",
            "json",
        ]),
        13,
    );
    let err = stderr(&out);
    assert!(err.contains("the Heroku restore did not finish"), "{err}");
    assert!(err.contains("may now hold part of b123"), "{err}");
    assert!(
        err.contains("heroku pg:backups:info r900 --app slipway-fake-app"),
        "{err}"
    );
    assert!(err.contains("could not execute query"), "{err}");
    assert!(!err.contains("as it was"), "{err}");
    let doc = json(&out);
    assert_eq!(doc["error"]["class"], "restore_incomplete");
    assert_eq!(
        doc["error"]["details"]["database_state"],
        "maybe_partly_restored"
    );
    assert_eq!(apis.data.restores().len(), 1);
}

#[test]
fn a_heroku_restore_that_never_started_is_exit_5_and_says_nothing_changed() {
    let db = db_with_data();
    let apis = Apis::start(Script::default());
    let app = tempfile::tempdir().unwrap();
    let out = run_expecting(
        slipway_heroku(app.path(), &db, &apis)
            .env("HEROKU_APP_NAME", "no-such-app")
            .args([
                "restore",
                "b123",
                "--confirm",
                &db.name,
                "--yes-use-heroku-restore",
            ]),
        5,
    );
    let err = stderr(&out);
    assert!(err.contains("the restore failed"), "{err}");
    assert!(
        err.contains("Heroku's restore was never started: the database is as it was"),
        "{err}"
    );
    assert!(apis.data.restores().is_empty());
}

/// PGBackups captures the add-on attached as `DATABASE_URL`. A release that
/// migrates another database (`--database-url`) must not back that one up
/// instead: it is refused before anything is asked of Heroku or changed.
#[test]
fn heroku_refuses_to_back_up_another_database_than_the_one_migrated() {
    let attached = db_with_data();
    let migrated = db_with_data();
    let apis = Apis::start(Script::default());
    let app = app_with(&["basic"]);
    for command in [
        vec![
            "run".to_owned(),
            "--database-url".to_owned(),
            migrated.url.clone(),
        ],
        vec![
            "restore".to_owned(),
            "b123".to_owned(),
            "--confirm".to_owned(),
            migrated.name.clone(),
            "--yes-use-heroku-restore".to_owned(),
            "--database-url".to_owned(),
            migrated.url.clone(),
        ],
    ] {
        let out = slipway_heroku(app.path(), &attached, &apis)
            .args(&command)
            .output()
            .unwrap();
        assert_exit(&out, 2);
        assert!(
            stderr(&out).contains("Heroku PGBackups would act on another database"),
            "{}",
            stderr(&out)
        );
    }
    assert!(
        requests(&apis.data).is_empty(),
        "nothing may be captured or restored: {:?}",
        requests(&apis.data)
    );
    assert!(!migrated.table_exists("_sqlx_migrations"));
}
