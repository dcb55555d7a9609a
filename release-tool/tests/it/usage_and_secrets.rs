//! Usage and configuration errors (exit 2), connection failures (exit 3),
//! `--help`, and the rule that the database password never appears anywhere.

use std::fs;

use indoc::indoc;

use crate::support;
use crate::support::{
    TestDb, all_output, app_with, json, run_expecting, shared_ca, slipway, stderr, stdout,
    with_credentials,
};

#[test]
fn help_documents_every_setting_with_its_variable_and_default() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_expecting(
        slipway(dir.path(), "postgres://u:hidden-in-help@localhost/db").arg("--help"),
        0,
    );
    let help = stdout(&out);
    for needle in [
        "DATABASE_URL",
        "SLIPWAY_MIGRATIONS_DIR] [default: ./migrations]",
        "SLIPWAY_BACKUP]",
        "SLIPWAY_BACKUP_KEEP] [default: 10]",
        "SLIPWAY_PGVECTOR] [default: auto]",
        "SLIPWAY_PGVECTOR_MIN_VERSION]",
        "SLIPWAY_LOCK_WAIT] [default: 5m]",
        "SLIPWAY_LOCK_TIMEOUT] [default: 10s]",
        "SLIPWAY_STATEMENT_TIMEOUT] [default: 30m]",
        "SLIPWAY_CONNECT_TIMEOUT] [default: 10s]",
        "SLIPWAY_LINT] [default: warn]",
        "SLIPWAY_LINT_BLOCKING_MAX_SIZE] [default: 64MiB]",
        "8 an extension or schema check failed",
        "9 lint found unsafe migrations",
    ] {
        assert!(
            help.replace('\n', " ").replace("  ", " ").contains(needle),
            "--help lacks {needle:?}:\n{help}"
        );
    }
    assert!(!help.contains("hidden-in-help"));
}

/// Every environment variable the README's slipway-release section documents for users is in
/// `--help` too (the test-only ones are documented as such and left out).
#[test]
fn help_names_every_variable_the_readme_documents() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = readme
        .split("## slipway-release")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap();
    let test_only = [
        "SLIPWAY_HEROKU_API_URL",
        "SLIPWAY_HEROKU_DATA_API_URL",
        "SLIPWAY_FAULT_SEED",
        "SLIPWAY_FAULT_TRIALS",
        "SLIPWAY_PG_DIR",
        "SLIPWAY_PG_PASSWORD_AUTH",
        "SLIPWAY_PG_RESTART_MODE",
        "SLIPWAY_PG_TLS",
        "SLIPWAY_PROPERTY_SEED",
    ];
    let dir = tempfile::tempdir().unwrap();
    let help = stdout(&run_expecting(slipway(dir.path(), "").arg("--help"), 0));
    let mut documented: Vec<String> = section
        .split(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        .filter(|word| {
            ["SLIPWAY_", "AWS_", "HEROKU_", "DATABASE_URL"]
                .iter()
                .any(|prefix| word.starts_with(prefix))
        })
        .filter(|word| !test_only.contains(word))
        .map(str::to_string)
        .collect();
    documented.sort();
    documented.dedup();
    assert!(documented.len() > 20, "{documented:?}");
    let missing: Vec<&String> = documented
        .iter()
        .filter(|name| !help.contains(name.as_str()))
        .collect();
    assert!(missing.is_empty(), "--help lacks {missing:?}:\n{help}");
}

#[test]
fn an_unknown_flag_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_expecting(
        slipway(dir.path(), "postgres://localhost/db").args(["run", "--no-such-flag"]),
        2,
    );
    assert!(stderr(&out).contains("--no-such-flag"));
}

/// A variable read from the environment only (the backup targets', the tools folder) that is
/// not UTF-8 is refused, naming it, before anything runs: read as unset, a secret key or a
/// tools folder would silently be another.
#[test]
fn an_environment_only_value_that_is_not_utf8_is_refused_naming_it() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    for var in [
        "AWS_SECRET_ACCESS_KEY",
        "SLIPWAY_BACKUP_S3_ENDPOINT",
        "SLIPWAY_PG_BIN_DIR",
    ] {
        let out = run_expecting(
            slipway(dir.path(), "postgres://localhost/db")
                .env(var, std::ffi::OsStr::from_bytes(b"http://127.0.0.1:9\xff"))
                .args(["lint", "--offline"]),
            2,
        );
        let err = stderr(&out);
        assert!(
            err.contains(&format!("environment variable {var}: invalid value"))
                && err.contains("not valid UTF-8"),
            "{var}: {err}"
        );
    }
}

#[test]
fn a_bad_value_names_the_variable_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_expecting(
        slipway(dir.path(), "postgres://localhost/db")
            .env("SLIPWAY_LOCK_WAIT", "five minutes")
            .arg("run"),
        2,
    );
    let err = stderr(&out);
    assert!(
        err.contains("environment variable SLIPWAY_LOCK_WAIT: invalid value \"five minutes\""),
        "{err}"
    );
    assert!(err.contains("a duration such as 30s, 5m or 1h"), "{err}");

    // The flag wins over the environment.
    let out = run_expecting(
        slipway(dir.path(), "postgres://localhost/db")
            .env("SLIPWAY_PGVECTOR", "sometimes")
            .args(["plan", "--pgvector", "bogus"]),
        2,
    );
    assert!(
        stderr(&out).contains("flag --pgvector: invalid value \"bogus\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn slipway_toml_errors_name_the_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("slipway.toml"),
        indoc! {r#"
            # release settings
            lock_wait = "2m"
            lock_wiat = "3m"
        "#},
    )
    .unwrap();
    let out = run_expecting(slipway(dir.path(), "postgres://localhost/db").arg("run"), 2);
    let err = stderr(&out);
    assert!(
        err.contains("slipway.toml, line 3: unknown key `lock_wiat`; did you mean `lock_wait`?"),
        "{err}"
    );
    // The fix lists exactly the accepted keys; database_url is not offered.
    let fix = err.split("fix:").nth(1).unwrap();
    assert!(
        fix.contains(
            "Keys slipway.toml accepts: migrations_dir, migrations_format, migrate_command, backup, backup_compression, backup_keep, pgvector, \
             pgvector_min_version, lock_wait, lock_timeout, lock_retries, statement_timeout, connect_timeout, lint, \
             lint_blocking_max_size, lint_rules."
        ),
        "{err}"
    );
    assert!(!fix.contains("database_url,"), "{err}");

    fs::write(
        dir.path().join("slipway.toml"),
        "pgvector = \"auto\"\nstatement_timeout = \"forever\"\n",
    )
    .unwrap();
    let out = run_expecting(slipway(dir.path(), "postgres://localhost/db").arg("run"), 2);
    assert!(
        stderr(&out)
            .contains("slipway.toml, line 2, key `statement_timeout`: invalid value \"forever\""),
        "{}",
        stderr(&out)
    );

    fs::write(
        dir.path().join("slipway.toml"),
        "database_url = \"postgres://a:b@c/d\"\n",
    )
    .unwrap();
    let out = run_expecting(slipway(dir.path(), "postgres://localhost/db").arg("run"), 2);
    assert!(stderr(&out).contains("database_url does not belong in the settings file"));
}

#[test]
fn slipway_toml_settings_apply_below_flags_and_environment() {
    let db = TestDb::new();
    let app = app_with(&["basic"]);
    fs::rename(
        app.path().join("migrations"),
        app.path().join("db-migrations"),
    )
    .unwrap();
    fs::write(
        app.path().join("slipway.toml"),
        "migrations_dir = \"db-migrations\"\npgvector = \"required\"\n",
    )
    .unwrap();
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--format", "json"]),
        0,
    );
    assert_eq!(db.applied_versions().len(), 3);
    assert_eq!(json(&out)["pgvector"]["mode"], "required");
    let out = slipway(app.path(), &db.url)
        .env("SLIPWAY_PGVECTOR", "off")
        .args(["plan", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(json(&out)["pgvector"]["mode"], "off");
}

#[test]
fn no_database_url_is_exit_2_and_an_explicit_missing_folder_too() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_expecting(
        slipway(dir.path(), "")
            .env_remove("DATABASE_URL")
            .arg("run"),
        2,
    );
    assert!(stderr(&out).contains("no database URL"));
    let out = run_expecting(
        slipway(dir.path(), "postgres://localhost/db").args(["run", "--migrations", "nope"]),
        2,
    );
    assert!(
        stderr(&out).contains("the migrations folder nope does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_refused_connection_is_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let out = run_expecting(
        slipway(
            dir.path(),
            &format!("postgres://postgres@127.0.0.1:{port}/db"),
        )
        .arg("run"),
        3,
    );
    assert!(
        stderr(&out).contains("cannot connect to the database"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_refused_login_quotes_the_server_without_its_source_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("slipway_missing_{}", support::unique_suffix('_'));
    let out = run_expecting(
        slipway(dir.path(), &support::url_for(&missing)).args(["check", "--format", "json"]),
        3,
    );
    let cause = json(&out)["error"]["cause"].as_str().unwrap().to_owned();
    assert!(
        cause.ends_with(&format!(
            "the server said: database \"{missing}\" does not exist (SQLSTATE 3D000)"
        )),
        "{cause}"
    );
    // sqlx appends the line of PostgreSQL's C source that raised the error.
    for printed in [cause.as_str(), &stderr(&out)] {
        assert!(!printed.contains(" at line "), "{printed}");
    }
}

#[test]
fn a_server_that_never_answers_is_exit_3_after_the_connect_timeout() {
    let dir = tempfile::tempdir().unwrap();
    // Accepts TCP (the kernel's backlog) but never speaks PostgreSQL.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let started = std::time::Instant::now();
    let out = run_expecting(
        slipway(
            dir.path(),
            &format!("postgres://postgres@127.0.0.1:{port}/db?sslmode=disable"),
        )
        .args(["run", "--connect-timeout", "1s"]),
        3,
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(
        stderr(&out).contains("did not answer in time"),
        "{}",
        stderr(&out)
    );
    drop(silent);
}

#[test]
fn tls_with_verify_full_and_the_test_ca_connects() {
    let db = TestDb::new();
    let app = app_with(&["basic"]);
    let ca = shared_ca().display().to_string();
    let url = db.url.replace("127.0.0.1", "localhost")
        + &format!("?sslmode=verify-full&sslrootcert={ca}");
    run_expecting(slipway(app.path(), &url).arg("run"), 0);
    // The server's certificate names `localhost`, not the IP: verify-full must refuse.
    let wrong = db.url.clone() + &format!("?sslmode=verify-full&sslrootcert={ca}");
    run_expecting(slipway(app.path(), &wrong).arg("check"), 3);
}

#[test]
fn the_password_never_appears_in_any_output() {
    const PASSWORD: &str = "Sup3r-Secret-Pa55word";
    let db = TestDb::new();
    db.exec(&format!(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'slipway_pw') THEN \
         CREATE ROLE slipway_pw LOGIN SUPERUSER PASSWORD '{PASSWORD}'; END IF; END $$"
    ));
    let url = with_credentials(&db.url, "slipway_pw", PASSWORD);
    let app = app_with(&["basic", "pgvector", "failing"]);
    db.exec("CREATE TABLE existing (id int)");
    let mut outputs = Vec::new();
    // A run with a backup (pg_dump gets the password), a failing migration, JSON.
    outputs.push(
        slipway(app.path(), &url)
            .args(["run", "--format", "json"])
            .output()
            .unwrap(),
    );
    outputs.push(
        slipway(app.path(), &url)
            .args(["plan", "--format", "json"])
            .output()
            .unwrap(),
    );
    outputs.push(
        slipway(app.path(), &url)
            .args(["check", "--format", "json"])
            .output()
            .unwrap(),
    );
    outputs.push(
        slipway(app.path(), &url)
            .args(["restore", "latest", "--confirm", "wrong"])
            .output()
            .unwrap(),
    );
    outputs.push(
        slipway(app.path(), &url)
            .args(["restore", "latest", "--confirm", &db.name])
            .output()
            .unwrap(),
    );
    // Unreachable server, bad flag next to the URL, URL as a flag, a bad setting.
    outputs.push(
        slipway(app.path(), "")
            .args([
                "run",
                "--database-url",
                &url.replace("127.0.0.1", "127.0.0.2"),
                "--connect-timeout",
                "1s",
            ])
            .output()
            .unwrap(),
    );
    outputs.push(
        slipway(app.path(), &url)
            .args(["run", "--bogus", &url])
            .output()
            .unwrap(),
    );
    outputs.push(
        slipway(app.path(), &url)
            .args(["run", "--lock-wait", "x"])
            .output()
            .unwrap(),
    );
    outputs.push(
        slipway(app.path(), &format!("mysql://u:{PASSWORD}@h/d"))
            .arg("run")
            .output()
            .unwrap(),
    );

    assert_eq!(outputs[0].status.code(), Some(7), "{}", stderr(&outputs[0]));
    assert!(
        json(&outputs[0])["backup"]["taken"] == true,
        "the run should have backed up first"
    );
    for out in &outputs {
        let all = all_output(out);
        assert!(!all.contains(PASSWORD), "the password leaked:\n{all}");
        assert!(
            !all.contains("Pa55word"),
            "part of the password leaked:\n{all}"
        );
    }
    assert!(
        stderr(&outputs[0]).contains("postgres://slipway_pw:***@127.0.0.1"),
        "{}",
        stderr(&outputs[0])
    );
}
