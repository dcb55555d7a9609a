//! Secrets of 2, 8 and 40 characters, each with a quote and a backslash, in
//! every place slipway-release reads one: the `DATABASE_URL` password (user
//! info and `password=` parameter), `PGPASSWORD`, the S3 secret key and
//! session token, `HEROKU_API_KEY`, and credentials put where they do not
//! belong (`SLIPWAY_BACKUP=s3://KEY:SECRET@...` in the environment, as a flag
//! and in `slipway.toml`, `SLIPWAY_BACKUP_S3_BUCKET`, the S3 endpoint and the
//! Heroku API URL). The happy paths really use them (a scram-sha-256 login,
//! an s3s-fs server and a Heroku fake that accept only that secret); no form
//! of any of them (raw, percent-encoded, JSON- or Debug-escaped) may appear in
//! what the command prints. Short secrets are hidden by structure, and must
//! not garble anything else.

use std::process::Output;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::support::cluster::OwnCluster;
use crate::support::{
    TARGET_ENV, TestDb, all_output, app_with_migrations, exec_at, json, run_expecting, slipway,
    stderr, stdout, url_for,
};
use crate::support::{heroku, s3};

/// Secrets of 2, 8 and 40 characters, each with a quote and a backslash, and
/// two of 2 and 40 with every character that ends a URL's parts (`/ ? # @`),
/// a space, `+` and `%`: half of AWS secret keys hold a `/`.
const SECRETS: [&str; 5] = [
    "\"\\",
    "8\"ch\\ar'",
    "Forty-\"quoted\"-and-\\backslashed\\-key-012",
    "/@",
    "wJalrXUt/FEMI/K7MD?ENG#bPx@Rfi CY+EX%AMP",
];

/// Every form in which `secret` could leak: as is, percent-encoded (both as
/// a URL's user info and fully), and escaped as JSON and as Rust's `{:?}`.
fn forms(secret: &str) -> Vec<String> {
    let mut url = url::Url::parse("postgres://u@h/d").unwrap();
    url.set_password(Some(secret)).unwrap();
    let userinfo = url.password().unwrap().to_owned();
    let json = serde_json::to_string(secret).unwrap();
    vec![
        secret.to_owned(),
        utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string(),
        userinfo,
        json[1..json.len() - 1].to_owned(),
        secret.escape_debug().to_string(),
    ]
}

/// What one command printed, for the report.
struct Ran {
    what: String,
    secret: String,
    output: Output,
}

/// Every form of `ran.secret` that `ran` printed.
fn leaks(ran: &Ran) -> Vec<String> {
    let printed = all_output(&ran.output);
    forms(&ran.secret)
        .into_iter()
        .filter(|form| printed.contains(form.as_str()))
        .map(|form| format!("{}: printed {form:?}:\n{printed}", ran.what))
        .collect()
}

/// A command in a clean environment: no host or target variables.
fn clean(dir: &std::path::Path, url: &str) -> assert_cmd::Command {
    let mut cmd = slipway(dir, url);
    for var in TARGET_ENV {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `cmd` with `args`, expecting exit `code`; records it under `what`.
fn go(
    ran: &mut Vec<Ran>,
    what: &str,
    secret: &str,
    code: i32,
    mut cmd: assert_cmd::Command,
    args: &[&str],
) {
    let output = cmd.args(args).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "{what} ({secret:?}):\n{}",
        all_output(&output)
    );
    ran.push(Ran {
        what: format!("{what} ({} chars)", secret.chars().count()),
        secret: secret.to_owned(),
        output,
    });
}

#[test]
#[allow(clippy::too_many_lines)] // one list of every place a secret is read
fn no_form_of_a_short_or_long_secret_is_printed_wherever_it_is_read() {
    assert_eq!(
        SECRETS.map(|s| s.chars().count()),
        [2, 8, 40, 2, 40],
        "the secrets' lengths"
    );
    let cluster = OwnCluster::start_with(&[("SLIPWAY_PG_PASSWORD_AUTH", "1")]);
    let work = tempfile::tempdir().unwrap();
    let mut ran = Vec::new();
    for (i, secret) in SECRETS.iter().enumerate() {
        let role = format!("slipway_sf_{i}");
        let database = format!("sf_{i}");
        let sql_literal = secret.replace('\'', "''");
        cluster.exec(
            "postgres",
            &format!("CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{sql_literal}'"),
        );
        cluster.exec(
            "postgres",
            &format!("CREATE DATABASE {database} OWNER {role}"),
        );
        let base = format!("postgres://{role}@localhost:{}/{database}", cluster.port());
        let mut with_password = url::Url::parse(&base).unwrap();
        with_password.set_password(Some(secret)).unwrap();
        let url = with_password.to_string();
        let in_query = format!(
            "{base}?password={}",
            utf8_percent_encode(secret, NON_ALPHANUMERIC)
        );
        exec_at(
            &url,
            "CREATE TABLE existing (id int); INSERT INTO existing VALUES (1);",
        );
        let app = app_with_migrations(&[("1_items.sql", "CREATE TABLE items (id int);\n")]);
        let dir = app.path();
        let file = |url: &str| {
            let mut cmd = clean(dir, url);
            cmd.env("SLIPWAY_BACKUP", "file:backups");
            cmd
        };

        // The database password, in the user info: a run that backs up first
        // (pg_dump gets it), then usage errors next to it.
        go(
            &mut ran,
            "run",
            secret,
            0,
            file(&url),
            &["run", "--format", "json"],
        );
        go(
            &mut ran,
            "unknown flag",
            secret,
            2,
            file(&url),
            &["run", "--bogus"],
        );
        go(
            &mut ran,
            "URL as a flag next to an unknown one",
            secret,
            2,
            file(""),
            &["run", "--database-url", &url, "--bogus"],
        );
        // In a `password=` parameter, and in PGPASSWORD.
        go(
            &mut ran,
            "password= parameter",
            secret,
            0,
            file(&in_query),
            &["backup", "--format", "json"],
        );
        let mut pgpassword = file(&base);
        pgpassword.env("PGPASSWORD", secret);
        go(
            &mut ran,
            "PGPASSWORD",
            secret,
            0,
            pgpassword,
            &["backup", "--format", "json"],
        );

        // The S3 secret key, against a server that accepts only it; then a
        // wrong one, with a session token.
        let server = s3::Server::private_with_credentials(&format!("sf-access-{i}"), secret);
        let bucket = server.new_bucket();
        let mut s3_cmd = clean(dir, &url);
        s3_cmd.envs(server.env(&bucket, "app"));
        go(
            &mut ran,
            "S3 backup",
            secret,
            0,
            s3_cmd,
            &["backup", "--format", "json"],
        );
        let wrong = format!("{secret}x");
        let mut refused = clean(dir, &url);
        refused
            .envs(server.env(&bucket, "app"))
            .env("AWS_SECRET_ACCESS_KEY", &wrong)
            .env("AWS_SESSION_TOKEN", secret);
        go(
            &mut ran,
            "S3 secret refused, with a session token",
            secret,
            5,
            refused,
            &["backup", "--format", "json"],
        );
        ran.last_mut().unwrap().secret.clone_from(&wrong);

        // The Heroku API key, against a fake that accepts only it; then a wrong one.
        let accepting_only_it = || {
            heroku::FakeHeroku::start(heroku::Script {
                token: (*secret).to_owned(),
                ..heroku::Script::default()
            })
        };
        let apis = heroku::Apis {
            platform: accepting_only_it(),
            data: accepting_only_it(),
        };
        let heroku_cmd = |key: &str| {
            let mut cmd = clean(dir, &url);
            cmd.env("SLIPWAY_BACKUP", "heroku").envs(apis.env(key));
            cmd
        };
        go(
            &mut ran,
            "Heroku backup",
            secret,
            0,
            heroku_cmd(secret),
            &["backup", "--format", "json"],
        );
        go(
            &mut ran,
            "Heroku key refused",
            &wrong,
            5,
            heroku_cmd(&wrong),
            &["backup", "--format", "json"],
        );

        // Credentials where they do not belong, as typed and percent-encoded.
        for given in [
            (*secret).to_owned(),
            utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string(),
        ] {
            let target = format!("s3://AKIDEXAMPLE:{given}@bucket/app");
            let mut env = clean(dir, &url);
            env.env("SLIPWAY_BACKUP", &target);
            go(
                &mut ran,
                "S3 URL with credentials in SLIPWAY_BACKUP",
                secret,
                2,
                env,
                &["run", "--format", "json"],
            );
            go(
                &mut ran,
                "S3 URL with credentials in --backup",
                secret,
                2,
                clean(dir, &url),
                &["backup", "--backup", &target, "--format", "json"],
            );
            let toml = work.path().join(format!("slipway-{i}.toml"));
            std::fs::write(
                &toml,
                format!("backup = {}\n", serde_json::to_string(&target).unwrap()),
            )
            .unwrap();
            go(
                &mut ran,
                "S3 URL with credentials in slipway.toml",
                secret,
                2,
                clean(dir, &url),
                &[
                    "run",
                    "--config",
                    toml.to_str().unwrap(),
                    "--format",
                    "json",
                ],
            );
            let mut bucket_var = clean(dir, &url);
            bucket_var.env("DYNO", "release.1").env(
                "SLIPWAY_BACKUP_S3_BUCKET",
                format!("AKIDEXAMPLE:{given}@bucket/app"),
            );
            go(
                &mut ran,
                "credentials in SLIPWAY_BACKUP_S3_BUCKET",
                secret,
                2,
                bucket_var,
                &["backup", "--format", "json"],
            );
            let mut endpoint = clean(dir, &url);
            endpoint.envs(server.env(&bucket, "app")).env(
                "SLIPWAY_BACKUP_S3_ENDPOINT",
                format!("http://u:{given}@127.0.0.1:9/"),
            );
            go(
                &mut ran,
                "credentials in SLIPWAY_BACKUP_S3_ENDPOINT",
                secret,
                2,
                endpoint,
                &["backup", "--format", "json"],
            );
            let mut api = heroku_cmd(secret);
            api.env(
                "SLIPWAY_HEROKU_API_URL",
                format!("http://u:{given}@127.0.0.1:9/"),
            );
            go(
                &mut ran,
                "credentials in SLIPWAY_HEROKU_API_URL",
                secret,
                2,
                api,
                &["backup", "--format", "json"],
            );
        }
    }

    let leaked: Vec<String> = ran.iter().flat_map(leaks).collect();
    assert!(
        leaked.is_empty(),
        "secrets leaked:\n{}",
        leaked.join("\n\n")
    );
    // Each run really took its path, not an earlier, unrelated one.
    let said = |what: &str| {
        ran.iter()
            .filter(|r| r.what.starts_with(what))
            .map(|r| stderr(&r.output))
            .collect::<Vec<_>>()
    };
    for text in said("run (") {
        assert!(text.contains("backup    ok"), "{text}");
    }
    for text in said("S3 URL with credentials") {
        assert!(text.contains("carries credentials"), "{text}");
    }
    // Refused credentials are shown not even in part: not the access key id.
    for ran in ran.iter().filter(|r| r.what.contains("credentials")) {
        let printed = all_output(&ran.output);
        assert!(!printed.contains("AKIDEXAMPLE"), "{}: {printed}", ran.what);
    }
    for text in said("S3 secret refused") {
        assert!(text.contains("S3"), "{text}");
    }
    for text in said("Heroku key refused") {
        assert!(text.contains("rejected HEROKU_API_KEY"), "{text}");
    }
}

#[test]
fn a_long_secret_pasted_into_another_setting_is_hidden_in_text_and_json() {
    let secret = SECRETS[2];
    let dir = tempfile::tempdir().unwrap();
    let out = run_expecting(
        clean(dir.path(), "postgres://localhost/db")
            .env("HEROKU_API_KEY", secret)
            .env("SLIPWAY_LOCK_WAIT", secret)
            .args(["plan", "--format", "json"]),
        2,
    );
    let ran = Ran {
        what: "secret in SLIPWAY_LOCK_WAIT".to_owned(),
        secret: secret.to_owned(),
        output: out,
    };
    assert!(leaks(&ran).is_empty(), "{}", leaks(&ran).join("\n"));
    // The message still says what is wrong, with the value masked.
    let document = json(&ran.output);
    let cause = document["error"]["cause"].as_str().unwrap();
    assert!(
        cause.starts_with("environment variable SLIPWAY_LOCK_WAIT: invalid value \"***\": "),
        "{cause}"
    );
    assert!(stderr(&ran.output).contains("SLIPWAY_LOCK_WAIT: invalid value \"***\""));
}

#[test]
fn short_passwords_garble_nothing_and_urls_keep_their_scheme_and_user() {
    for password in ["pw", "postgres"] {
        let db = TestDb::new();
        let app = app_with_migrations(&[("1_items.sql", "CREATE TABLE items (id int);\n")]);
        // The shared cluster trusts `postgres`: the password is read, not checked.
        let url = url_for(&db.name).replace("postgres@", &format!("postgres:{password}@"));
        let out = run_expecting(
            slipway(app.path(), &url).args(["run", "--format", "json"]),
            0,
        );
        let masked = url.replace(&format!(":{password}@"), ":***@");
        assert_eq!(json(&out)["database"]["url"], masked.as_str());
        let err = stderr(&out);
        assert!(err.contains(&format!("| {masked} (PostgreSQL")), "{err}");
        // Each line is a step's or a warning's, or continues one (indented).
        for line in err
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with(' '))
        {
            assert!(
                line.starts_with("slipway-release | "),
                "garbled: {line:?}\n{err}"
            );
        }
        // `***` stands for the password in the URL and nowhere else.
        let everything = format!("{}{err}", stdout(&out));
        assert_eq!(
            everything.matches("***").count(),
            everything.matches(":***@").count(),
            "{everything}"
        );
    }
}
