//! `DATABASE_URL` is decoded exactly as sqlx decodes it (`percent_decode_str`:
//! a `+` stays a `+`), so that slipway's own session, `pg_dump`'s
//! `PGPASSWORD` and `restore --confirm` all mean the same password and
//! database. Each case is a password and a database name holding one
//! character a URL encodes, or that form decoding would change, checked with
//! a real scram-sha-256 login on a cluster of the test's own.

// Helpers outside #[test] fns unwrap too: a failed step should fail the test.
#![allow(unused_crate_dependencies, clippy::unwrap_used)]

mod support;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use support::cluster::OwnCluster;
use support::{
    all_output, app_with_migrations, exec_at, json, run_expecting, slipway, stderr, text_at,
};

/// Every character but letters, digits, `-`, `_` and `+` is percent-encoded:
/// the `+` is left as a user writes it, which form decoding turns into a space.
const KEEP_PLUS: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'+');

/// Each special character, with a label for the failure message.
const CASES: [(&str, &str); 10] = [
    ("plus", "+"),
    ("encoded plus", "%2B"),
    ("percent", "%"),
    ("at sign", "@"),
    ("colon", ":"),
    ("slash", "/"),
    ("hash", "#"),
    ("question mark", "?"),
    ("space", " "),
    ("non-ASCII", "é€"),
];

/// The text a case stands for (`%2B` is the `+` written encoded).
fn plain(special: &str) -> &str {
    if special == "%2B" { "+" } else { special }
}

/// `special` as it is written in the URL.
fn in_url(special: &str) -> String {
    if special == "%2B" {
        return special.to_owned();
    }
    utf8_percent_encode(special, KEEP_PLUS).to_string()
}

#[test]
fn passwords_and_database_names_with_url_characters_work_for_run_backup_and_restore() {
    let cluster = OwnCluster::start_with(&[("SLIPWAY_PG_PASSWORD_AUTH", "1")]);
    let mut failures = Vec::new();
    for (i, (label, special)) in CASES.iter().enumerate() {
        let role = format!("slipway_url_{i}");
        let password = format!("pw{0}x{0}{i}", plain(special));
        let database = format!("db{0}x{0}{i}", plain(special));
        cluster.exec(
            "postgres",
            &format!("CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{password}'"),
        );
        cluster.exec(
            "postgres",
            &format!("CREATE DATABASE \"{database}\" OWNER {role}"),
        );
        let url = format!(
            "postgres://{role}:pw{0}x{0}{i}@localhost:{1}/db{0}x{0}{i}",
            in_url(special),
            cluster.port()
        );
        let app = app_with_migrations(&[("1_items.sql", "CREATE TABLE items (id int);\n")]);
        let cmd = || {
            let mut cmd = slipway(app.path(), &url);
            cmd.env("SLIPWAY_BACKUP", "file:backups");
            cmd
        };
        // Data to back up, written through the URL itself (sqlx decodes it).
        exec_at(
            &url,
            "CREATE TABLE existing (id int); INSERT INTO existing VALUES (1);",
        );
        let backed_up = cmd().args(["backup", "--format", "json"]).output().unwrap();
        let taken = cmd().args(["run", "--format", "json"]).output().unwrap();
        // A row the restore must take away again.
        exec_at(&url, "INSERT INTO existing VALUES (2);");
        let restored = cmd()
            .args(["restore", "latest", "--confirm", &database])
            .output()
            .unwrap();
        let report = |what: &str, out: &std::process::Output| {
            format!(
                "{label} ({url}): {what} exited {:?}:\n{}",
                out.status.code(),
                all_output(out)
            )
        };
        for (what, out) in [
            ("backup", &backed_up),
            ("run", &taken),
            ("restore", &restored),
        ] {
            if out.status.code() != Some(0) {
                failures.push(report(what, out));
            }
        }
        if taken.status.code() == Some(0) {
            let document = json(&taken);
            if document["backup"]["taken"] != true || document["database"]["name"] != database {
                failures.push(report("run (no backup, or another database)", &taken));
            }
        }
        // The restore put back the backup the run took.
        if restored.status.code() == Some(0)
            && text_at(&url, "SELECT count(*) FROM existing") != "1"
        {
            failures.push(report("restore (the data is not the backup's)", &restored));
        }
        // The URL shows with its password masked, the user name intact.
        if !stderr(&taken).contains(&format!("postgres://{role}:***@localhost")) {
            failures.push(report("run (URL not shown masked)", &taken));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_dbname_parameter_names_the_database_as_in_sqlx() {
    let cluster = OwnCluster::start();
    cluster.exec("postgres", "CREATE DATABASE \"shop+eu\"");
    // The path names another database; sqlx and libpq connect to `dbname`.
    let url = format!(
        "postgres://postgres@localhost:{}/postgres?dbname=shop%2Beu",
        cluster.port()
    );
    exec_at(&url, "CREATE TABLE t (id int); INSERT INTO t VALUES (1);");
    let app = app_with_migrations(&[]);
    let backup = || {
        let mut cmd = slipway(app.path(), &url);
        cmd.env("SLIPWAY_BACKUP", "file:backups");
        cmd
    };
    let out = run_expecting(backup().args(["backup", "--format", "json"]), 0);
    assert_eq!(json(&out)["database"]["name"], "shop+eu");
    run_expecting(
        backup().args(["restore", "latest", "--confirm", "shop+eu"]),
        0,
    );
}
