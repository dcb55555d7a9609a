//! Bad input, table-driven: each case is one mistake a user can make. Each
//! must end with its documented exit code and one message that names the
//! file, line, key, flag or variable at fault, and must leave the database
//! exactly as it was (compared by a schema fingerprint).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::support::{
    TestDb, run_expecting, schema_fingerprint, slipway, stderr, with_credentials,
};

/// The migration every case's database already has applied.
const BASE: &str = "CREATE TABLE base (id int PRIMARY KEY);\nINSERT INTO base VALUES (1);\n";

/// Where the database URL of a case comes from.
enum Url {
    /// The test database, as `DATABASE_URL`.
    TestDb,
    /// This text as `DATABASE_URL`.
    Env(&'static str),
    /// No `DATABASE_URL` at all.
    Unset,
    /// The test database, logged in as a role that cannot create extensions.
    WithoutExtensionPrivilege,
}

struct Case {
    name: &'static str,
    /// Files written into the app folder (paths relative to it, raw bytes).
    files: Vec<(&'static [u8], &'static [u8])>,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    url: Url,
    exit: i32,
    /// Each must appear in stderr: the location, and what is wrong.
    says: &'static [&'static str],
}

fn case(name: &'static str, exit: i32, says: &'static [&'static str]) -> Case {
    Case {
        name,
        files: Vec::new(),
        args: &["run"],
        env: &[],
        url: Url::TestDb,
        exit,
        says,
    }
}

impl Case {
    fn file(mut self, path: &'static [u8], content: &'static [u8]) -> Self {
        self.files.push((path, content));
        self
    }
    fn args(mut self, args: &'static [&'static str]) -> Self {
        self.args = args;
        self
    }
    fn env(mut self, env: &'static [(&'static str, &'static str)]) -> Self {
        self.env = env;
        self
    }
    fn url(mut self, url: Url) -> Self {
        self.url = url;
        self
    }
}

#[allow(clippy::too_many_lines)] // one line per case reads best as one table
fn cases() -> Vec<Case> {
    vec![
        // The database URL.
        case("no DATABASE_URL", 2, &["DATABASE_URL", "no database URL"]).url(Url::Unset),
        case(
            "DATABASE_URL is not a URL",
            2,
            &["environment variable DATABASE_URL", "not a URL"],
        )
        .url(Url::Env("not a url")),
        case(
            "DATABASE_URL with another scheme",
            2,
            &["environment variable DATABASE_URL", "`mysql`"],
        )
        .url(Url::Env("mysql://app@127.0.0.1/shop")),
        case(
            "DATABASE_URL without a database",
            2,
            &["environment variable DATABASE_URL", "no database name"],
        )
        .url(Url::Env("postgres://app@127.0.0.1:5432")),
        case("--database-url malformed", 2, &["flag --database-url"]).args(&[
            "run",
            "--database-url",
            "postgres://app@[::1/shop",
        ]),
        // slipway.toml.
        case(
            "unknown key in slipway.toml",
            2,
            &["slipway.toml, line 2", "lock_wiat"],
        )
        .file(b"slipway.toml", b"lock_wait = \"5s\"\nlock_wiat = \"5s\"\n"),
        case(
            "wrong type in slipway.toml",
            2,
            &["slipway.toml, line 2, key `lock_wait`", "boolean"],
        )
        .file(b"slipway.toml", b"# settings\nlock_wait = true\n"),
        case("TOML syntax error", 2, &["slipway.toml, line 2"])
            .file(b"slipway.toml", b"pgvector = \"auto\"\nbackup = \n"),
        case(
            "database_url in slipway.toml",
            2,
            &["slipway.toml, line 1, key `database_url`"],
        )
        .file(b"slipway.toml", b"database_url = \"postgres://a@b/c\"\n"),
        case(
            "bad duration in the file",
            2,
            &["slipway.toml, line 1, key `lock_timeout`", "\"soon\""],
        )
        .file(b"slipway.toml", b"lock_timeout = \"soon\"\n"),
        case(
            "bad duration in the environment",
            2,
            &["environment variable SLIPWAY_LOCK_WAIT"],
        )
        .env(&[("SLIPWAY_LOCK_WAIT", "5 minutes please")]),
        case(
            "bad duration as a flag",
            2,
            &["flag --statement-timeout", "\"abc\""],
        )
        .args(&["run", "--statement-timeout", "abc"]),
        case(
            "duration beyond PostgreSQL's limit",
            2,
            &["flag --lock-timeout", "PostgreSQL's limit"],
        )
        .args(&["run", "--lock-timeout", "30d"]),
        case(
            "duration below a millisecond",
            2,
            &[
                "environment variable SLIPWAY_STATEMENT_TIMEOUT",
                "millisecond",
            ],
        )
        .env(&[("SLIPWAY_STATEMENT_TIMEOUT", "500us")]),
        case(
            "bad version in the environment",
            2,
            &[
                "environment variable SLIPWAY_PGVECTOR_MIN_VERSION",
                "\"latest\"",
            ],
        )
        .env(&[("SLIPWAY_PGVECTOR_MIN_VERSION", "latest")]),
        case(
            "bad version in the file",
            2,
            &["slipway.toml, line 3, key `pgvector_min_version`"],
        )
        .file(b"slipway.toml", b"\n\npgvector_min_version = \"0.x\"\n"),
        case(
            "bad pgvector mode",
            2,
            &["flag --pgvector", "\"sometimes\""],
        )
        .args(&["run", "--pgvector", "sometimes"]),
        case(
            "unknown backup target",
            2,
            &["environment variable SLIPWAY_BACKUP", "ftp://"],
        )
        .env(&[("SLIPWAY_BACKUP", "ftp://host/backups")]),
        case(
            "keep zero backups",
            2,
            &["slipway.toml, line 1, key `backup_keep`"],
        )
        .file(b"slipway.toml", b"backup_keep = 0\n"),
        case("unknown output format", 2, &["flag --format", "\"xml\""])
            .args(&["run", "--format", "xml"]),
        case("unknown flag", 2, &["--dry-run"]).args(&["run", "--dry-run"]),
        // The migrations folder.
        case(
            "missing migrations folder (flag)",
            2,
            &["flag --migrations", "nope"],
        )
        .args(&["run", "--migrations", "nope"]),
        case(
            "missing migrations folder (file)",
            2,
            &[
                "slipway.toml, line 1, key `migrations_dir`",
                "db/migrations",
            ],
        )
        .file(b"slipway.toml", b"migrations_dir = \"db/migrations\"\n"),
        case(
            "non-numeric version",
            2,
            &["v2_add_users.sql", "64-bit integer"],
        )
        .file(
            b"migrations/v2_add_users.sql",
            b"CREATE TABLE users (id int);\n",
        ),
        case(
            "duplicate version",
            2,
            &["2_add_a.sql", "02_add_b.sql", "same version 2"],
        )
        .file(b"migrations/2_add_a.sql", b"CREATE TABLE a (id int);\n")
        .file(b"migrations/02_add_b.sql", b"CREATE TABLE b (id int);\n"),
        // sqlx applies the first of these and fails on the second's history row (23505).
        case(
            "one version as .sql and .up.sql",
            2,
            &[
                "2_add_a.sql",
                "2_add_a.up.sql",
                "same version 2",
                "rename one",
            ],
        )
        .file(b"migrations/2_add_a.sql", b"CREATE TABLE a (id int);\n")
        .file(b"migrations/2_add_a.up.sql", b"CREATE TABLE b (id int);\n")
        .file(b"migrations/2_add_a.down.sql", b"DROP TABLE b;\n"),
        case(
            "one version as .sql and another .up.sql",
            2,
            &["2_add_a.sql", "2_add_b.up.sql", "same version 2"],
        )
        .file(b"migrations/2_add_a.sql", b"CREATE TABLE a (id int);\n")
        .file(b"migrations/2_add_b.up.sql", b"CREATE TABLE b (id int);\n"),
        case("non-UTF-8 file name", 2, &["2_caf", "not valid UTF-8"]).file(
            b"migrations/2_caf\xe9.sql",
            b"CREATE TABLE cafe (id int);\n",
        ),
        case(
            "non-UTF-8 content",
            2,
            &["2_latin1.sql, line 2", "not UTF-8"],
        )
        .file(
            b"migrations/2_latin1.sql",
            b"CREATE TABLE t (name text);\nINSERT INTO t VALUES ('caf\xe9');\n",
        ),
        // What the database says.
        case(
            "SQL syntax error",
            7,
            &[
                "2_typo.sql at line 2, column 8",
                "syntax error at or near \"TABLEE\"",
            ],
        )
        .file(
            b"migrations/2_typo.sql",
            b"CREATE TABLE fine (id int);\nCREATE TABLEE oops (id int);\n",
        ),
        case(
            "changed applied migration",
            6,
            &["1_base.sql", "checksum in _sqlx_migrations"],
        )
        .file(
            b"migrations/1_base.sql",
            b"CREATE TABLE base (id bigint PRIMARY KEY);\n",
        ),
        case(
            "pgvector minimum above the server's",
            8,
            &["9.9.9", "0.8.0"],
        )
        .args(&["run", "--pgvector", "required"])
        .env(&[("SLIPWAY_PGVECTOR_MIN_VERSION", "9.9.9")]),
        case(
            "role that may not create extensions",
            8,
            &[
                "CREATE EXTENSION",
                "Must be superuser to create this extension",
            ],
        )
        .file(
            b"migrations/2_docs.sql",
            b"CREATE TABLE docs (id int, embedding vector(3));\n",
        )
        .url(Url::WithoutExtensionPrivilege),
        case(
            "restore without --confirm",
            2,
            &["--confirm", "restore not confirmed"],
        )
        .args(&["restore", "latest"]),
        case(
            "restore with the wrong name",
            2,
            &["--confirm \"prod\" does not match", "restore not confirmed"],
        )
        .args(&["restore", "latest", "--confirm", "prod"]),
    ]
}

/// A login role that may use the schema but not create extensions (pgvector
/// is not a trusted extension: only a superuser may create it). Dropped with
/// everything it was granted when the value is.
struct LimitedRole<'a> {
    db: &'a TestDb,
    name: String,
}

impl<'a> LimitedRole<'a> {
    const PASSWORD: &'static str = "limited-role-password";

    fn create(db: &'a TestDb) -> Self {
        let name = format!("{}_limited", db.name);
        db.exec(&format!(
            "CREATE ROLE \"{name}\" LOGIN PASSWORD '{}';
             GRANT USAGE, CREATE ON SCHEMA public TO \"{name}\";
             GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO \"{name}\";",
            Self::PASSWORD
        ));
        Self { db, name }
    }
}

impl Drop for LimitedRole<'_> {
    fn drop(&mut self) {
        self.db.exec(&format!(
            "DROP OWNED BY \"{0}\"; DROP ROLE \"{0}\";",
            self.name
        ));
    }
}

fn write_app(dir: &Path, files: &[(&[u8], &[u8])]) {
    std::fs::create_dir_all(dir.join("migrations")).unwrap();
    std::fs::write(dir.join("migrations/1_base.sql"), BASE).unwrap();
    for (path, content) in files {
        let path = dir.join(OsStr::from_bytes(path));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

#[test]
fn every_bad_input_is_one_clear_error_with_its_exit_code_and_changes_nothing() {
    let db = TestDb::new();
    let base = tempfile::tempdir().unwrap();
    write_app(base.path(), &[]);
    run_expecting(
        slipway(base.path(), &db.url).args(["run", "--backup", "none"]),
        0,
    );
    let role = LimitedRole::create(&db);
    let before = schema_fingerprint(&db);

    let cases = cases();
    assert!(cases.len() >= 25, "the issue asks for at least 25 cases");
    let mut failures = Vec::new();
    for case in &cases {
        let app = tempfile::tempdir().unwrap();
        write_app(app.path(), &case.files);
        let mut cmd = slipway(app.path(), &db.url);
        match case.url {
            Url::TestDb => {}
            Url::Env(url) => {
                cmd.env("DATABASE_URL", url);
            }
            Url::Unset => {
                cmd.env_remove("DATABASE_URL");
            }
            Url::WithoutExtensionPrivilege => {
                cmd.env(
                    "DATABASE_URL",
                    with_credentials(&db.url, &role.name, LimitedRole::PASSWORD),
                );
            }
        }
        let out = cmd
            .args(case.args)
            .envs(case.env.iter().copied())
            .output()
            .unwrap();
        let err = stderr(&out);
        let mut problems = Vec::new();
        if out.status.code() != Some(case.exit) {
            problems.push(format!(
                "exit {:?}, expected {}",
                out.status.code(),
                case.exit
            ));
        }
        for text in case.says {
            if !err.contains(text) {
                problems.push(format!("does not say {text:?}"));
            }
        }
        if err.matches("error:").count() != 1 {
            problems.push("not exactly one error".to_owned());
        }
        let after = schema_fingerprint(&db);
        if after != before {
            problems.push(format!("changed the database:\n  {before}\n  {after}"));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n--- stderr ---\n{err}",
                case.name,
                problems.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
