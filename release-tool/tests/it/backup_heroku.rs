//! The `heroku` backup target (Heroku PGBackups) against a local fake of the
//! Heroku Platform and Postgres data APIs that follows their documented
//! contract (see `support/heroku.rs`), with real PostgreSQL for the release.

use std::time::{Duration, Instant};

use crate::support::heroku::{
    ADDON_ID, APP, Apis, Elsewhere, FakeHeroku, Script, TOKEN, slipway_heroku,
};
use crate::support::{
    TARGET_ENV, TestDb, all_output, app_with, assert_exit, assert_mentions, db_with_data, json,
    run_expecting, slipway, stderr,
};

/// What a `heroku` target test works on: a database with data, the fake APIs
/// and an app folder.
struct Case {
    db: TestDb,
    apis: Apis,
    app: tempfile::TempDir,
}

impl Case {
    /// The fakes, the data API following `data_script`, and an empty app folder.
    fn start(data_script: Script) -> Self {
        Self {
            db: db_with_data(),
            apis: Apis::start(data_script),
            app: tempfile::tempdir().unwrap(),
        }
    }

    /// The same, with an app holding the `basic` fixture's migrations.
    fn with_migrations(data_script: Script) -> Self {
        Self {
            app: app_with(&["basic"]),
            ..Self::start(data_script)
        }
    }

    /// `slipway-release` in the app folder against the database, backing up
    /// to the fakes.
    fn slipway(&self) -> assert_cmd::Command {
        slipway_heroku(self.app.path(), &self.db, &self.apis)
    }

    /// `restore b123 --confirm DATABASE --yes-use-heroku-restore`: Heroku's
    /// restore of the fake's backup into the database.
    fn heroku_restore(&self) -> assert_cmd::Command {
        let mut cmd = self.slipway();
        cmd.args(["restore", "b123", "--confirm", &self.db.name])
            .arg("--yes-use-heroku-restore");
        cmd
    }
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
    let case = Case::start(Script::default());

    let output = run_expecting(case.slipway().arg("backup"), 0);
    assert_mentions(
        &stderr(&output),
        &[
            "b123",
            "heroku pg:backups:restore b123 DATABASE_URL --app slipway-fake-app",
        ],
    );
    assert!(!all_output(&output).contains(TOKEN));

    // The add-on is resolved on the Platform API, the capture and the polls
    // go to the data API, exactly as the Heroku CLI does it.
    let platform = requests(&case.apis.platform);
    assert_eq!(platform, ["POST /actions/addon-attachments/resolve"]);
    let data = requests(&case.apis.data);
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
    assert_eq!(case.apis.data.polls(), 3);
}

#[test]
fn heroku_failed_transfer_exits_5_with_its_last_log_lines() {
    let logs: Vec<String> = (1..=7).map(|n| format!("log line {n}")).collect();
    let case = Case::with_migrations(Script {
        succeeds: false,
        logs: logs.clone(),
        ..Script::default()
    });

    let output = run_expecting(case.slipway().arg("run"), 5);
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
        case.apis
            .data
            .seen()
            .iter()
            .any(|s| s.path.ends_with("?verbose=true"))
    );
    // The backup failed, so nothing was migrated.
    assert!(case.db.applied_versions().is_empty());
}

#[test]
fn heroku_poll_errors_recover_with_backoff() {
    let case = Case::start(Script {
        failing_polls: 3,
        ..Script::default()
    });

    let output = run_expecting(case.slipway().arg("backup"), 0);
    assert!(stderr(&output).contains("b123"));
    // Three 503s, two "still running", one finished.
    assert_eq!(case.apis.data.polls(), 6);
}

#[test]
fn heroku_api_that_keeps_failing_stops_within_the_capture_timeout() {
    let case = Case::start(Script {
        polls_always_fail: true,
        ..Script::default()
    });

    let started = Instant::now();
    let output = case
        .slipway()
        .env("SLIPWAY_HEROKU_CAPTURE_TIMEOUT", "2s")
        .arg("backup")
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_exit(&output, 5);
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert_mentions(&stderr(&output), &["kept failing", "503"]);
    // It retried (with backoff), and it stopped.
    let polls = case.apis.data.polls();
    assert!(polls >= 3, "{polls} polls");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(case.apis.data.polls(), polls, "still polling after exiting");
}

#[test]
fn heroku_token_is_never_sent_to_another_host() {
    let elsewhere = Elsewhere::start();
    let case = Case::start(Script {
        redirect_polls_to: Some(elsewhere.url.clone()),
        ..Script::default()
    });

    let output = run_expecting(case.slipway().arg("backup"), 5);
    assert_mentions(&stderr(&output), &["does not follow redirects"]);
    // The redirect was not followed: the other host saw nothing at all.
    assert!(elsewhere.seen().is_empty(), "{:?}", elsewhere.seen());
    // Every request went to the configured hosts, each with the token.
    for (fake, name) in [(&case.apis.platform, "platform"), (&case.apis.data, "data")] {
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
    let case = Case::start(Script::default());
    let output = run_expecting(
        case.slipway()
            .env("SLIPWAY_HEROKU_DATA_API_URL", "http://api.data.heroku.com")
            .arg("backup"),
        2,
    );
    assert_mentions(&stderr(&output), &["SLIPWAY_HEROKU_DATA_API_URL"]);
    assert!(case.apis.platform.seen().is_empty() && case.apis.data.seen().is_empty());
}

#[test]
fn heroku_rejected_token_exits_5_without_printing_it() {
    let case = Case::start(Script::default());
    let wrong = "wrong-heroku-token-0b9d7c";
    let output = run_expecting(
        case.slipway()
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
    let case = Case::start(Script::default());
    let output = run_expecting(
        case.slipway().env_remove("HEROKU_APP_NAME").arg("backup"),
        5,
    );
    assert_mentions(&stderr(&output), &["SLIPWAY_HEROKU_APP"]);
    assert!(case.apis.platform.seen().is_empty());
}

#[test]
fn on_a_dyno_heroku_is_the_default_when_an_api_key_is_set() {
    let case = Case::with_migrations(Script::default());
    let output = run_expecting(
        case.slipway()
            .env_remove("SLIPWAY_BACKUP")
            .env("DYNO", "release.1")
            .arg("run"),
        0,
    );
    assert_mentions(&stderr(&output), &["the default on a dyno"]);
    assert_eq!(
        case.apis.data.polls(),
        3,
        "a capture was taken before migrating"
    );
    assert_eq!(case.db.applied_versions().len(), 3);
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
    let case = Case::start(Script::default());
    run_expecting(case.slipway().arg("backup"), 0);

    let listed = run_expecting(case.slipway().args(["backups", "--format", "json"]), 0);
    let doc = json(&listed);
    assert_eq!(doc["backups"][0]["name"], "b123", "{doc}");

    // Without the flag: the Heroku CLI command, and nothing restored.
    let printed = run_expecting(
        case.slipway()
            .args(["restore", "b123", "--confirm", &case.db.name]),
        2,
    );
    assert_mentions(
        &stderr(&printed),
        &["heroku pg:backups:restore b123 DATABASE_URL --app slipway-fake-app"],
    );
    assert!(case.apis.data.restores().is_empty());

    // With it: the restore API, with the backup's URL, and its transfer awaited.
    run_expecting(&mut case.heroku_restore(), 0);
    assert_eq!(
        case.apis.data.restores(),
        ["https://fake-pgbackups.invalid/b123"]
    );
    assert!(
        case.apis
            .data
            .seen()
            .iter()
            .any(|s| s.path == format!("/client/v11/apps/{APP}/transfers/transfer-900")),
        "{:?}",
        case.apis.data.seen()
    );
}

#[test]
fn a_heroku_restore_that_fails_after_it_started_is_exit_13_and_says_it_may_be_partial() {
    let case = Case::start(Script {
        restores_fail: true,
        logs: vec!["pg_restore: error: could not execute query".to_owned()],
        ..Script::default()
    });
    run_expecting(case.slipway().arg("backup"), 0);
    let out = run_expecting(case.heroku_restore().args(["--format", "json"]), 13);
    let err = stderr(&out);
    assert_mentions(
        &err,
        &[
            "the Heroku restore did not finish",
            "may now hold part of b123",
            "heroku pg:backups:info r900 --app slipway-fake-app",
            "could not execute query",
        ],
    );
    assert!(!err.contains("as it was"), "{err}");
    let doc = json(&out);
    assert_eq!(doc["error"]["class"], "restore_incomplete");
    assert_eq!(
        doc["error"]["details"]["database_state"],
        "maybe_partly_restored"
    );
    assert_eq!(case.apis.data.restores().len(), 1);
}

#[test]
fn a_heroku_restore_that_never_started_is_exit_5_and_says_nothing_changed() {
    let case = Case::start(Script::default());
    let out = run_expecting(
        case.heroku_restore().env("HEROKU_APP_NAME", "no-such-app"),
        5,
    );
    assert_mentions(
        &stderr(&out),
        &[
            "the restore failed",
            "Heroku's restore was never started: the database is as it was",
        ],
    );
    assert!(case.apis.data.restores().is_empty());
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
        assert_mentions(
            &stderr(&out),
            &["Heroku PGBackups would act on another database"],
        );
    }
    assert!(
        requests(&apis.data).is_empty(),
        "nothing may be captured or restored: {:?}",
        requests(&apis.data)
    );
    assert!(!migrated.table_exists("_sqlx_migrations"));
}

/// sqlx connects to `hostaddr` (the URL's, or an inherited `PGHOSTADDR`) instead of the host
/// name, which is all PGBackups knows of the add-on: the heroku target refuses rather than back
/// up what may be another server.
#[test]
fn heroku_refuses_when_the_connection_goes_to_a_hostaddr() {
    let attached = db_with_data();
    let address = url::Url::parse(&attached.url)
        .unwrap()
        .host_str()
        .unwrap()
        .to_owned();
    let apis = Apis::start(Script::default());
    let app = app_with(&["basic"]);
    let mut in_url = url::Url::parse(&attached.url).unwrap();
    in_url.query_pairs_mut().append_pair("hostaddr", &address);
    for (label, url, env) in [
        ("?hostaddr=", in_url.to_string(), None),
        ("PGHOSTADDR", attached.url.clone(), Some(address.as_str())),
    ] {
        let mut cmd = slipway_heroku(app.path(), &attached, &apis);
        cmd.env("DATABASE_URL", &url);
        match env {
            Some(address) => cmd.env("PGHOSTADDR", address),
            None => cmd.env_remove("PGHOSTADDR"),
        };
        let out = cmd.arg("run").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{label}: {}", stderr(&out));
        assert_mentions(
            &stderr(&out),
            &[
                "Heroku PGBackups would act on another database",
                &format!("at the address {address}"),
            ],
        );
    }
    assert!(
        requests(&apis.data).is_empty(),
        "nothing may be captured: {:?}",
        requests(&apis.data)
    );
    assert!(!attached.table_exists("_sqlx_migrations"));
}
