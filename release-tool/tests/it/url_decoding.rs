//! `DATABASE_URL` is decoded exactly as sqlx decodes it (`percent_decode_str`:
//! a `+` stays a `+`), so that slipway's own session, `pg_dump`'s
//! `PGPASSWORD` and `restore --confirm` all mean the same password and
//! database. Each case is a password and a database name holding one
//! character a URL encodes, or that form decoding would change, checked with
//! a real scram-sha-256 login on a cluster of the test's own.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::support;
use crate::support::cluster::OwnCluster;
use crate::support::{
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

/// The defect: `?dbname=rv_a+b` is `rv_a b` to sqlx and was `rv_a+b` to
/// `pg_dump`, so a release migrated one database and backed up another, and
/// `restore` replaced the other. Both exist here, told apart by a marker row.
#[test]
fn a_form_encoded_dbname_is_backed_up_and_restored_as_sqlx_reads_it() {
    let cluster = OwnCluster::start();
    for name in ["rv_a b", "rv_a+b"] {
        cluster.exec("postgres", &format!("CREATE DATABASE \"{name}\""));
        cluster.exec(
            name,
            &format!("CREATE TABLE marker (db text); INSERT INTO marker VALUES ('{name}');"),
        );
    }
    let url = format!(
        "postgres://postgres@localhost:{}/postgres?dbname=rv_a+b",
        cluster.port()
    );
    let app = app_with_migrations(&[("1_items.sql", "CREATE TABLE items (id int);\n")]);
    let cmd = || {
        let mut cmd = slipway(app.path(), &url);
        cmd.env("SLIPWAY_BACKUP", "file:backups")
            // A service or database of our own must not steer pg_dump.
            .env("PGDATABASE", "rv_a+b")
            .env("PGSERVICE", "no-such-service");
        cmd
    };
    let out = run_expecting(cmd().args(["run", "--format", "json"]), 0);
    assert_eq!(json(&out)["database"]["name"], "rv_a b");
    cluster.exec("rv_a b", "UPDATE marker SET db = 'changed'");
    cluster.exec("rv_a+b", "UPDATE marker SET db = 'untouched'");
    run_expecting(cmd().args(["restore", "latest", "--confirm", "rv_a b"]), 0);
    assert_eq!(cluster.text("rv_a b", "SELECT db FROM marker"), "rv_a b");
    assert_eq!(cluster.text("rv_a b", "SELECT count(*) FROM items"), "0");
    assert_eq!(cluster.text("rv_a+b", "SELECT db FROM marker"), "untouched");
}

/// Parameters only sqlx reads (`ssl-mode`, `ssl-root-cert`, `options[...]`)
/// used to reach `pg_dump` in the URL, which libpq refuses: every backup
/// failed. They now reach it as what they mean.
#[test]
fn sqlx_only_url_parameters_do_not_break_backups() {
    let cluster = OwnCluster::start();
    let ca = cluster.dir().join("tls/ca.crt");
    let url = format!(
        "postgres://postgres@localhost:{}/postgres?ssl-mode=verify-full&ssl-root-cert={}\
         &options[statement_timeout]=12345",
        cluster.port(),
        utf8_percent_encode(&ca.display().to_string(), NON_ALPHANUMERIC)
    );
    exec_at(
        &cluster.url,
        "CREATE TABLE t (id int); INSERT INTO t VALUES (1);",
    );
    let app = app_with_migrations(&[]);
    let mut cmd = slipway(app.path(), &url);
    cmd.env("SLIPWAY_BACKUP", "file:backups");
    let out = run_expecting(cmd.args(["backup", "--format", "json"]), 0);
    assert_eq!(json(&out)["backup"]["taken"], true, "{}", all_output(&out));
}

/// A small seeded generator (xorshift64*): the property tests print the seed,
/// and `SLIPWAY_PROPERTY_SEED` replays a failure.
struct Rng(u64);

impl Rng {
    fn from_env() -> Self {
        let seed: u64 = std::env::var("SLIPWAY_PROPERTY_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .subsec_nanos()
                    .into()
            });
        Self(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).unwrap()).unwrap()
    }

    /// 2 to `max` characters: printable ASCII, the URL characters, quotes,
    /// spaces and non-ASCII, at most `max_bytes` bytes (PostgreSQL's names
    /// stop at 63).
    fn text(&mut self, max: usize, max_bytes: usize) -> String {
        const SPECIAL: [&str; 16] = [
            "+", "%", "/", "@", ":", "#", "?", " ", "'", "\"", "&", "=", "é", "€", "日", "\\",
        ];
        let len = 2 + self.below(max - 1);
        let mut out = String::new();
        while out.chars().count() < len {
            let next = if self.below(3) == 0 {
                SPECIAL[self.below(SPECIAL.len())].to_owned()
            } else {
                char::from(b'!' + u8::try_from(self.below(94)).unwrap()).to_string()
            };
            if out.len() + next.len() > max_bytes {
                break;
            }
            out.push_str(&next);
        }
        // A name must not start or end with a space (`psql` would differ).
        out.trim().to_owned() + "x"
    }
}

/// A sibling of `name` that a file-name-safe form cannot tell from it: one
/// non-alphanumeric character swapped for another.
fn sibling(name: &str) -> String {
    let swapped: String = name
        .chars()
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() || c == '_' => c,
            '.' => '-',
            _ => '.',
        })
        .collect();
    if swapped == name {
        format!("{name}.")
    } else {
        swapped
    }
}

fn quoted_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quoted_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The class behind three defects: random database names and passwords
/// (every printable character, `+ % / @ : # ?`, spaces, quotes, non-ASCII)
/// through `run` with a backup, `backups` and `restore latest`, with a sibling
/// database whose name differs only where a file name cannot show it, sharing
/// the backup folder (`SLIPWAY_BACKUP_KEEP=1`). The right database is backed
/// up and restored, the sibling's backup is neither pruned nor restored, and
/// no output shows the password.
#[test]
#[allow(clippy::too_many_lines)] // one scenario, checked at every step
fn random_names_and_passwords_back_up_and_restore_exactly_their_database() {
    let cluster = OwnCluster::start_with(&[("SLIPWAY_PG_PASSWORD_AUTH", "1")]);
    let mut rng = Rng::from_env();
    let seed = rng.0;
    let mut failures = Vec::new();
    let shared = tempfile::tempdir().unwrap();
    let backups = format!("file:{}", shared.path().display());
    for case in 0..8 {
        let role = format!("slipway_prop_{case}");
        let password = rng.text(40, 60);
        let database = rng.text(30, 55);
        let twin = sibling(&database);
        cluster.exec(
            "postgres",
            &format!(
                "CREATE ROLE {role} LOGIN SUPERUSER PASSWORD {}",
                quoted_literal(&password)
            ),
        );
        let path_url = |name: &str| {
            format!(
                "postgres://{role}:{}@localhost:{}/{}",
                utf8_percent_encode(&password, NON_ALPHANUMERIC),
                cluster.port(),
                utf8_percent_encode(name, NON_ALPHANUMERIC)
            )
        };
        // Half the cases name the database in `?dbname=`, form-encoded as a
        // browser would (a space is a `+`), which sqlx decodes and libpq not.
        let url_of = |name: &str| {
            if case % 2 == 0 {
                path_url(name)
            } else {
                let dbname: String =
                    url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
                format!(
                    "postgres://{role}:{}@localhost:{}/postgres?dbname={dbname}",
                    utf8_percent_encode(&password, NON_ALPHANUMERIC),
                    cluster.port()
                )
            }
        };
        for name in [&database, &twin] {
            cluster.exec(
                "postgres",
                &format!("CREATE DATABASE {} OWNER {role}", quoted_identifier(name)),
            );
            exec_at(
                &path_url(name),
                &format!(
                    "CREATE TABLE marker (db text); INSERT INTO marker VALUES ({});",
                    quoted_literal(name)
                ),
            );
        }
        let app = app_with_migrations(&[("1_items.sql", "CREATE TABLE items (id int);\n")]);
        let slipway_for = |name: &str, args: &[&str]| {
            let mut cmd = slipway(app.path(), &url_of(name));
            cmd.env("SLIPWAY_BACKUP", &backups)
                .env("SLIPWAY_BACKUP_KEEP", "1")
                .args(args);
            cmd.output().unwrap()
        };
        let label = format!("case {case} (seed {seed}): database {database:?}, sibling {twin:?}");
        let mut outputs = vec![
            ("run", slipway_for(&database, &["run", "--format", "json"])),
            (
                "sibling run",
                slipway_for(&twin, &["run", "--format", "json"]),
            ),
        ];
        exec_at(&path_url(&database), "UPDATE marker SET db = 'changed'");
        outputs.push((
            "restore",
            slipway_for(&database, &["restore", "latest", "--confirm", &database]),
        ));
        outputs.push((
            "backups",
            slipway_for(&database, &["backups", "--format", "json"]),
        ));
        for (what, out) in &outputs {
            let text = all_output(out);
            if out.status.code() != Some(0) {
                failures.push(format!(
                    "{label}: {what} exited {:?}:\n{text}",
                    out.status.code()
                ));
            }
            let encoded = utf8_percent_encode(&password, NON_ALPHANUMERIC).to_string();
            let shows_password = text.contains(&format!(":{encoded}@"))
                || (password.chars().count() >= 8 && text.contains(&password));
            if shows_password {
                failures.push(format!("{label}: {what} shows the password:\n{text}"));
            }
        }
        if outputs[0].1.status.code() == Some(0) {
            let report = json(&outputs[0].1);
            if report["backup"]["taken"] != true || report["database"]["name"] != database.as_str()
            {
                failures.push(format!("{label}: run backed up another database: {report}"));
            }
        }
        let restored = text_at(&path_url(&database), "SELECT db FROM marker");
        let sibling_kept = text_at(&path_url(&twin), "SELECT db FROM marker");
        if restored != database || sibling_kept != twin {
            failures.push(format!(
                "{label}: after the restore the database holds {restored:?} and its sibling {sibling_kept:?}"
            ));
        }
        let listed = serde_json::to_string(&json(&outputs[3].1)).unwrap();
        for name in [&database, &twin] {
            if !listed.contains(&serde_json::to_string(name).unwrap()) {
                failures.push(format!(
                    "{label}: `backups` lost the backup of {name:?}: {listed}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// sqlx takes an inline PEM certificate, libpq only a file: a release that
/// runs no libpq tool (`--backup none`) must not be refused for it, and one
/// that would is refused with exit 2 before anything changes.
#[test]
fn an_inline_certificate_stops_only_what_pg_dump_would_run() {
    let db = support::TestDb::new();
    let app = app_with_migrations(&[("1_items.sql", "CREATE TABLE items (id int);\n")]);
    let with_inline = |backup: &str| {
        let mut cmd = slipway(app.path(), &db.url);
        cmd.env(
            "PGSSLROOTCERT",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .env("SLIPWAY_BACKUP", backup);
        cmd
    };
    db.exec("CREATE TABLE existing (id int);");
    let out = run_expecting(with_inline("file:backups").arg("run"), 2);
    assert!(stderr(&out).contains("inline PEM"), "{}", stderr(&out));
    assert!(!db.table_exists("items"), "nothing may change");
    run_expecting(with_inline("none").arg("run"), 0);
    assert!(db.table_exists("items"));
}

/// With a unix-socket host and the password only in a password file, sqlx
/// looks the password up under its host name (`localhost`), libpq under the
/// socket's folder: `pg_dump` must get the password sqlx found, or the
/// backup fails where the release's own connection worked.
#[test]
fn a_socket_url_with_the_password_in_a_password_file_backs_up() {
    use std::os::unix::fs::PermissionsExt;
    let cluster = OwnCluster::start_with(&[("SLIPWAY_PG_PASSWORD_AUTH", "1")]);
    cluster.exec(
        "postgres",
        "CREATE ROLE slipway_sock LOGIN SUPERUSER PASSWORD 'sock-pw-4a'",
    );
    cluster.exec("postgres", "CREATE DATABASE sockdb OWNER slipway_sock");
    cluster.exec(
        "sockdb",
        "CREATE TABLE t (id int); INSERT INTO t VALUES (1);",
    );
    let work = tempfile::tempdir().unwrap();
    let passfile = work.path().join("pgpass");
    std::fs::write(
        &passfile,
        format!("localhost:{}:*:slipway_sock:sock-pw-4a\n", cluster.port()),
    )
    .unwrap();
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600)).unwrap();
    let url = format!(
        "postgres://slipway_sock@{}:{}/sockdb",
        utf8_percent_encode(&cluster.dir().display().to_string(), NON_ALPHANUMERIC),
        cluster.port()
    );
    let app = app_with_migrations(&[]);
    let out = run_expecting(
        slipway(app.path(), &url)
            .env("PGPASSFILE", &passfile)
            .env("SLIPWAY_BACKUP", "file:backups")
            .args(["backup", "--format", "json"]),
        0,
    );
    assert_eq!(json(&out)["backup"]["taken"], true, "{}", all_output(&out));
    assert!(!all_output(&out).contains("sock-pw-4a"));
}

/// A database whose name starts with `-` is confirmed like any other: `--confirm -x` takes
/// `-x` as the value (a random case of the test above found it read as a flag).
#[test]
fn a_database_name_starting_with_a_dash_can_be_confirmed() {
    let name = format!("-dash {}", support::unique_suffix('_'));
    exec_at(
        &support::admin_url(),
        &format!("CREATE DATABASE \"{name}\""),
    );
    let url = format!(
        "{}/{}",
        support::admin_url().rsplit_once('/').unwrap().0,
        utf8_percent_encode(&name, NON_ALPHANUMERIC)
    );
    exec_at(&url, "CREATE TABLE t (id int); INSERT INTO t VALUES (1);");
    let app = app_with_migrations(&[]);
    let with_backups = || {
        let mut cmd = slipway(app.path(), &url);
        cmd.env("SLIPWAY_BACKUP", "file:backups");
        cmd
    };
    run_expecting(with_backups().arg("backup"), 0);
    let out = with_backups()
        .args(["restore", "latest", "--confirm", &name])
        .output()
        .unwrap();
    exec_at(
        &support::admin_url(),
        &format!("DROP DATABASE \"{name}\" WITH (FORCE)"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
}

/// sqlx connects to `?hostaddr=` (or `PGHOSTADDR`) rather than to the URL's host name, as libpq
/// does: the backup must go to that same server. Here the host name resolves nowhere, so a
/// `pg_dump` sent to it would fail, and one sent to another server by that name would back up
/// the wrong database.
#[test]
fn a_hostaddr_in_the_url_or_environment_is_where_the_backup_goes_too() {
    let db = support::TestDb::new();
    db.exec("CREATE TABLE kept (id int); INSERT INTO kept VALUES (7);");
    let mut parsed = url::Url::parse(&db.url).unwrap();
    let address = parsed.host_str().unwrap().to_owned();
    assert!(
        address.parse::<std::net::IpAddr>().is_ok(),
        "the test database's host is an address: {address}"
    );
    parsed.set_host(Some("db.example.invalid")).unwrap();
    let by_name = parsed.to_string();
    parsed.query_pairs_mut().append_pair("hostaddr", &address);
    let with_hostaddr = parsed.to_string();

    for (label, url, env) in [
        ("?hostaddr=", with_hostaddr.as_str(), None),
        ("PGHOSTADDR", by_name.as_str(), Some(address.as_str())),
    ] {
        let app = app_with_migrations(&[("1_a.sql", "CREATE TABLE a (id int);\n")]);
        let mut cmd = slipway(app.path(), url);
        cmd.env("SLIPWAY_BACKUP", "file:backups");
        match env {
            Some(address) => cmd.env("PGHOSTADDR", address),
            None => cmd.env_remove("PGHOSTADDR"),
        };
        let out = run_expecting(cmd.args(["run", "--format", "json"]), 0);
        let doc = json(&out);
        assert_eq!(
            doc["backup"]["taken"],
            true,
            "{label}: {}",
            all_output(&out)
        );
        assert!(db.table_exists("a"), "{label}");
        db.exec("DROP TABLE a; DROP TABLE _sqlx_migrations;");
    }
}

/// A host that is a socket folder, from `PGHOST`: sqlx connects over the socket and ignores
/// `PGHOSTADDR`, so `pg_dump` must not be sent to that address (nothing listens there).
#[test]
fn a_socket_from_pghost_wins_over_pghostaddr_for_the_backup_too() {
    let cluster = OwnCluster::start();
    cluster.exec(
        "postgres",
        "CREATE TABLE t (id int); INSERT INTO t VALUES (1);",
    );
    let app = app_with_migrations(&[]);
    let out = run_expecting(
        slipway(
            app.path(),
            "postgres:///postgres?user=postgres&password=unused-by-trust",
        )
        .env("PGHOST", cluster.dir())
        .env("PGPORT", cluster.port().to_string())
        .env("PGHOSTADDR", "127.0.0.254")
        .env("SLIPWAY_BACKUP", "file:backups")
        .args(["backup", "--format", "json"]),
        0,
    );
    assert_eq!(json(&out)["backup"]["taken"], true, "{}", all_output(&out));
}

/// `postgres:/db` (no `//`) reaches sqlx's defaults, but no reader takes it for a URL, and
/// its `password=` would show: it is refused, naming the form to use, without the password.
#[test]
fn a_url_without_slashes_after_the_scheme_is_refused_without_showing_its_password() {
    let app = app_with_migrations(&[]);
    let out = run_expecting(
        slipway(app.path(), "postgres:/postgres?password=s3cretpw").arg("plan"),
        2,
    );
    assert!(
        stderr(&out).contains("it has no `//` after the scheme"),
        "{}",
        stderr(&out)
    );
    assert!(
        !all_output(&out).contains("s3cretpw"),
        "{}",
        all_output(&out)
    );
}
