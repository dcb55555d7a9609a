//! No secret ever leaves slipway-release: every command and every failure
//! path runs with a recognisable database password (checked by a real
//! `scram-sha-256` login on a cluster of the test's own), a Heroku API key and
//! AWS secrets in the environment. None of them may appear in stdout, stderr,
//! the JSON document, or any file slipway writes apart from the backup itself.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::cluster::OwnCluster;
use crate::support::{all_output, slipway, stderr, stdout, with_credentials};
use crate::support::{heroku, s3};

/// The database password, with a character that must be percent-encoded in
/// the URL: both forms must stay hidden.
const DB_PASSWORD: &str = "Recognisable@Pg-Password-4f1d";
const DB_PASSWORD_IN_URL: &str = "Recognisable%40Pg-Password-4f1d";
const WRONG_PASSWORD: &str = "Recognisable-Wrong-Password-8c2e";
const AWS_SECRET: &str = "Recognisable-Aws-Secret-Key-93ab";
const AWS_SESSION: &str = "Recognisable-Aws-Session-Token-51c0";

/// Every string that must never be printed or written.
fn secrets() -> Vec<&'static str> {
    vec![
        DB_PASSWORD,
        DB_PASSWORD_IN_URL,
        "Pg-Password-4f1d",
        WRONG_PASSWORD,
        AWS_SECRET,
        AWS_SESSION,
        heroku::TOKEN,
        s3::SECRET_KEY,
    ]
}

/// What one command printed, for the report.
struct Ran {
    what: &'static str,
    output: Output,
}

fn write_migrations(app: &Path, extra: &[(&str, &str)]) {
    let dir = app.join("migrations");
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("1_items.sql"),
        "CREATE TABLE items (id int PRIMARY KEY, name text);\n",
    )
    .unwrap();
    for (name, sql) in extra {
        fs::write(dir.join(name), sql).unwrap();
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return found;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
#[allow(clippy::too_many_lines)] // one list of every command and failure path
fn no_command_or_failure_prints_or_writes_a_secret() {
    let cluster = OwnCluster::start_with(&[("SLIPWAY_PG_PASSWORD_AUTH", "1")]);
    cluster.exec(
        "postgres",
        &format!("CREATE ROLE slipway_app LOGIN SUPERUSER PASSWORD '{DB_PASSWORD}'"),
    );
    cluster.exec("postgres", "CREATE DATABASE shop OWNER slipway_app");
    cluster.exec(
        "shop",
        "CREATE TABLE existing (id int); INSERT INTO existing VALUES (1);",
    );
    let url = with_credentials(&cluster.url_for("shop"), "slipway_app", DB_PASSWORD_IN_URL);
    assert!(url.contains(DB_PASSWORD_IN_URL), "{url}");
    let wrong = with_credentials(&cluster.url_for("shop"), "slipway_app", WRONG_PASSWORD);

    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("app");
    let tmp = work.path().join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    write_migrations(&app, &[]);
    let fake_heroku = heroku::Apis::start(heroku::Script::default());
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s3_server = s3::Server::shared();
    let bucket = s3_server.new_bucket();

    // Every run sees every secret; a run may override the target's own.
    let cmd = |url: &str| {
        let mut cmd = slipway(&app, url);
        cmd.env("TMPDIR", &tmp)
            .envs(fake_heroku.env(heroku::TOKEN))
            .env("AWS_ACCESS_KEY_ID", "slipway-secrets-test-access")
            .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
            .env("AWS_SESSION_TOKEN", AWS_SESSION)
            .env("AWS_REGION", "us-east-1")
            .env("SLIPWAY_BACKUP", "file:backups");
        cmd
    };
    let mut ran = Vec::new();
    let mut go = |what: &'static str, mut command: assert_cmd::Command, args: &[&str]| {
        let output = command.args(args).output().unwrap();
        ran.push(Ran { what, output });
        ran.last().unwrap().output.status.code()
    };

    // The happy paths: a run that backs up first (pg_dump gets the password),
    // plan, check, backup, the listing, and a confirmed restore.
    assert_eq!(go("run", cmd(&url), &["run", "--format", "json"]), Some(0));
    write_migrations(&app, &[("2_more.sql", "CREATE TABLE more (id int);\n")]);
    assert_eq!(
        go("plan", cmd(&url), &["plan", "--format", "json"]),
        Some(0)
    );
    assert_eq!(
        go("run with backup", cmd(&url), &["run", "--format", "json"]),
        Some(0)
    );
    assert_eq!(
        go("check", cmd(&url), &["check", "--format", "json"]),
        Some(0)
    );
    assert_eq!(
        go("backup", cmd(&url), &["backup", "--format", "json"]),
        Some(0)
    );
    assert_eq!(
        go("backups", cmd(&url), &["backups", "--format", "json"]),
        Some(0)
    );
    assert_eq!(
        go(
            "restore",
            cmd(&url),
            &["restore", "latest", "--confirm", "shop"]
        ),
        Some(0)
    );
    // The other targets, with their secrets in use.
    let mut s3_cmd = cmd(&url);
    s3_cmd.envs(s3_server.env(&bucket, "secrets"));
    assert_eq!(
        go("backup to s3", s3_cmd, &["backup", "--format", "json"]),
        Some(0)
    );
    let mut heroku_cmd = cmd(&url);
    heroku_cmd.env("SLIPWAY_BACKUP", "heroku");
    assert_eq!(
        go(
            "backup to heroku",
            heroku_cmd,
            &["backup", "--format", "json"]
        ),
        Some(0)
    );

    // The failure paths.
    assert_eq!(
        go("wrong password", cmd(&wrong), &["run", "--format", "json"]),
        Some(3)
    );
    let unreachable = url.replace(
        &format!(":{}/", cluster.port()),
        &format!(":{closed_port}/"),
    );
    assert_eq!(
        go(
            "unreachable host",
            cmd(&unreachable),
            &["run", "--format", "json"]
        ),
        Some(3)
    );
    assert_eq!(
        go(
            "restore not confirmed",
            cmd(&url),
            &["restore", "latest", "--confirm", "nope"]
        ),
        Some(2)
    );
    assert_eq!(
        go(
            "URL as a flag with a usage error",
            cmd(""),
            &["run", "--database-url", &url, "--bogus"]
        ),
        Some(2)
    );
    assert_eq!(
        go(
            "bad setting",
            cmd(&url),
            &["run", "--lock-wait", "soon", "--format", "json"]
        ),
        Some(2)
    );
    let mut no_pg_dump = cmd(&url);
    no_pg_dump.env("PATH", work.path());
    write_migrations(
        &app,
        &[("3_even_more.sql", "CREATE TABLE even_more (id int);\n")],
    );
    assert_eq!(
        go(
            "backup tool missing",
            no_pg_dump,
            &["run", "--format", "json"]
        ),
        Some(5)
    );
    let mut s3_down = cmd(&url);
    s3_down
        .env("SLIPWAY_BACKUP", "s3://slipway-secrets/app")
        .env(
            "SLIPWAY_BACKUP_S3_ENDPOINT",
            format!("http://127.0.0.1:{closed_port}"),
        );
    assert_eq!(
        go("S3 down", s3_down, &["run", "--format", "json"]),
        Some(5)
    );
    let mut heroku_refused = cmd(&url);
    heroku_refused
        .env("SLIPWAY_BACKUP", "heroku")
        .env("HEROKU_API_KEY", format!("{}-not-this-one", heroku::TOKEN));
    assert_eq!(
        go(
            "Heroku key refused",
            heroku_refused,
            &["run", "--format", "json"]
        ),
        Some(5)
    );
    write_migrations(
        &app,
        &[
            ("3_even_more.sql", "CREATE TABLE even_more (id int);\n"),
            ("4_broken.sql", "CREATE TABLE broken (id int);\nSELEC 1;\n"),
        ],
    );
    assert_eq!(
        go("failing migration", cmd(&url), &["run", "--format", "json"]),
        Some(7)
    );
    fs::write(
        app.join("migrations/1_items.sql"),
        "CREATE TABLE items (id bigint PRIMARY KEY, name text);\n",
    )
    .unwrap();
    assert_eq!(
        go("drift", cmd(&url), &["run", "--format", "json"]),
        Some(6)
    );

    // Nothing printed holds a secret.
    let mut leaks = Vec::new();
    for run in &ran {
        let printed = all_output(&run.output);
        for secret in secrets() {
            if printed.contains(secret) {
                leaks.push(format!("{}: printed {secret:?}:\n{printed}", run.what));
            }
        }
    }
    // The JSON runs printed a document, and the password-bearing URL shows masked.
    let run_json = stdout(&ran[0].output);
    assert!(run_json.contains("slipway_app:***@"), "{run_json}");
    assert!(stderr(&ran[0].output).contains("slipway_app:***@"));
    // Nothing written holds a secret (the backups are the data, exempt).
    let written: Vec<PathBuf> = files_under(work.path())
        .into_iter()
        .filter(|path| !path.starts_with(app.join("migrations")))
        .collect();
    assert!(
        written
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "dump")),
        "the file backups should be there: {written:?}"
    );
    for path in written
        .iter()
        .filter(|p| p.extension().is_none_or(|e| e != "dump"))
    {
        let bytes = fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for secret in secrets() {
            if text.contains(secret) {
                leaks.push(format!("{} holds {secret:?}", path.display()));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n\n"));
    // Every failure really ran its path (not an earlier, unrelated error).
    let said = |what: &str| {
        let run = ran.iter().find(|r| r.what == what).unwrap();
        stderr(&run.output)
    };
    assert!(
        said("wrong password").contains("password authentication failed"),
        "{}",
        said("wrong password")
    );
    assert!(
        said("failing migration").contains("4_broken.sql"),
        "{}",
        said("failing migration")
    );
    assert!(said("drift").contains("1_items.sql"), "{}", said("drift"));
    assert!(
        said("backup tool missing").contains("pg_dump"),
        "{}",
        said("backup tool missing")
    );
}
