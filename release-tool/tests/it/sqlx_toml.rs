//! `sqlx.toml`, read as sqlx 0.9 reads it, proved in both directions against
//! real PostgreSQL with sqlx-cli 0.9 (`sqlx migrate run` in the app root,
//! which reads `./sqlx.toml`) and with sqlx's `Migrator` built from the same
//! file by sqlx's own parser (as `sqlx::migrate!()` builds it): each
//! `[migrate]` key, and a file sqlx rejects.

use std::path::Path;
use std::process::Output;

use sqlx::_unstable::config::Config;
use sqlx::migrate::{MigrateError, Migrator, ResolveWith};
use sqlx::{Connection, PgConnection};

use crate::support;
use crate::support::{
    TestDb, all_output, app_with, app_with_migrations, json, run_expecting, runtime, slipway,
    sqlx_cli, stderr,
};

fn write_sqlx_toml(app: &Path, text: &str) {
    std::fs::write(app.join("sqlx.toml"), text).unwrap();
}

/// `sqlx migrate <command>` of sqlx-cli run in `app`, with no `--source`: it
/// reads `./sqlx.toml` as it does for users.
fn sqlx_cli_in(app: &Path, url: &str, command: &str) -> Output {
    std::process::Command::new(sqlx_cli())
        .current_dir(app)
        .env_remove("DATABASE_URL")
        .args(["migrate", command, "--database-url", url])
        .output()
        .unwrap_or_else(|e| {
            panic!("sqlx-cli does not run ({e}); scripts/install-deps.sh installs it")
        })
}

/// `sqlx migrate run` in `app`, which must succeed and say it read `sqlx.toml`.
fn sqlx_cli_migrate(app: &Path, url: &str) {
    let out = sqlx_cli_in(app, url, "run");
    assert!(
        out.status.success(),
        "sqlx migrate run failed: {}",
        all_output(&out)
    );
    assert!(
        stderr(&out).contains("Found `sqlx.toml` in current directory"),
        "sqlx-cli did not read sqlx.toml (is it built with the sqlx-toml feature?): {}",
        all_output(&out)
    );
}

/// sqlx's `Migrator` for `app`, configured from `app/sqlx.toml` by sqlx's own
/// parser exactly as `sqlx::migrate!()` configures it (or sqlx's defaults
/// when there is no file), then run against `url`.
fn migrator_run(app: &Path, url: &str, ignore_missing: bool) -> Result<(), MigrateError> {
    let config = Config::try_from_path_or_default(app.join("sqlx.toml")).unwrap();
    let dir = app.join(config.migrate.migrations_dir());
    let url = url.to_owned();
    runtime().block_on(async move {
        let mut migrator =
            Migrator::new(ResolveWith(dir, config.migrate.to_resolve_config())).await?;
        migrator.dangerous_set_table_name(config.migrate.table_name().to_owned());
        for schema in &config.migrate.create_schemas {
            migrator.create_schema(schema.to_string());
        }
        migrator.set_ignore_missing(ignore_missing);
        let mut conn = PgConnection::connect(&url).await?;
        migrator.run(&mut conn).await
    })
}

/// version, description, success, checksum (hex) of every row of `table`.
fn history(db: &TestDb, table: &str) -> String {
    db.text(&format!(
        "SELECT string_agg(format('%s|%s|%s|%s', version, description, success, encode(checksum, 'hex')), E'\\n' ORDER BY version) FROM {table}"
    ))
}

#[test]
fn ignored_chars_give_the_checksums_sqlx_gives_both_ways() {
    let app = app_with_migrations(&[
        ("1_users.sql", "CREATE TABLE users (id int);\r\n"),
        ("2_posts.sql", "CREATE TABLE posts (id int);\r\n"),
    ]);
    write_sqlx_toml(app.path(), "[migrate]\nignored-chars = [\"\\r\"]\n");

    // sqlx-cli first: its checksums leave out the `\r`.
    let by_cli = TestDb::new();
    sqlx_cli_migrate(app.path(), &by_cli.url);
    let rows = history(&by_cli, "_sqlx_migrations");
    assert!(
        rows.contains(&support::sha384_hex(b"CREATE TABLE users (id int);\n")),
        "{rows}"
    );
    // Before slipway read sqlx.toml, this was drift (exit 6).
    let out = run_expecting(
        slipway(app.path(), &by_cli.url).args(["run", "--format", "json"]),
        0,
    );
    let doc = json(&out);
    assert_eq!(doc["pending"], serde_json::json!([]), "{doc}");
    assert_eq!(doc["applied"], serde_json::json!([]), "{doc}");
    assert_eq!(doc["sqlx_toml"]["ignored_chars"], serde_json::json!(["\r"]));
    assert!(
        stderr(&out).contains("ignored-chars [\"\\r\"]"),
        "{}",
        stderr(&out)
    );

    // slipway first: the same rows, and sqlx-cli and the Migrator find nothing to do.
    let by_slipway = TestDb::new();
    run_expecting(slipway(app.path(), &by_slipway.url).arg("run"), 0);
    assert_eq!(history(&by_slipway, "_sqlx_migrations"), rows);
    sqlx_cli_migrate(app.path(), &by_slipway.url);
    migrator_run(app.path(), &by_slipway.url, false).unwrap();
    assert_eq!(history(&by_slipway, "_sqlx_migrations"), rows);

    // And the key matters to both: without it, that history is drift for sqlx and slipway alike.
    std::fs::remove_file(app.path().join("sqlx.toml")).unwrap();
    assert!(matches!(
        migrator_run(app.path(), &by_slipway.url, false),
        Err(MigrateError::VersionMismatch(1))
    ));
    run_expecting(slipway(app.path(), &by_slipway.url).arg("plan"), 6);
}

/// sqlx 0.9.1's `unrecognized-sql-files`, each value, against sqlx's own Migrator configured
/// from the same file by sqlx's parser.
#[test]
fn unrecognized_sql_files_refuses_or_skips_the_file_as_sqlx_does() {
    let app = app_with_migrations(&[
        ("1_users.sql", "CREATE TABLE users (id int);\n"),
        ("schema.sql", "CREATE TABLE dump (id int);\n"),
        ("2_posts.SQL", "CREATE TABLE posts (id int);\n"),
    ]);
    let schema_warning = "WARNING: schema.sql is not a migration for sqlx";

    // `error`: sqlx refuses the folder; slipway too, with exit 2 naming the file and the line,
    // before it changes anything.
    write_sqlx_toml(
        app.path(),
        "[migrate]\n\nunrecognized-sql-files = \"error\"\n",
    );
    let db = TestDb::new();
    let refused = migrator_run(app.path(), &db.url, false).unwrap_err();
    assert!(refused.to_string().contains("schema.sql"), "{refused}");
    for command in ["run", "plan"] {
        let out = run_expecting(slipway(app.path(), &db.url).arg(command), 2);
        let err = stderr(&out);
        assert!(
            err.contains("error: the migrations folder cannot be used"),
            "{err}"
        );
        assert!(
            err.contains(
                "schema.sql is not named <VERSION>_<DESCRIPTION>.sql, and sqlx.toml (line 3) sets \
                 `unrecognized-sql-files = \"error\"`"
            ),
            "{err}"
        );
        assert!(
            err.contains("move it out of the migrations folder"),
            "{err}"
        );
    }
    assert!(!db.table_exists("_sqlx_migrations"), "nothing ran");

    // `warn` and `ignore`: both skip it, and apply what sqlx applies; only `warn` says so. The
    // `.SQL` file is none of the setting's business: slipway warns about it either way.
    for (value, warns) in [("warn", true), ("ignore", false)] {
        write_sqlx_toml(
            app.path(),
            &format!("[migrate]\nunrecognized-sql-files = \"{value}\"\n"),
        );
        let by_sqlx = TestDb::new();
        migrator_run(app.path(), &by_sqlx.url, false).unwrap();
        let by_slipway = TestDb::new();
        let out = run_expecting(slipway(app.path(), &by_slipway.url).arg("run"), 0);
        let err = stderr(&out);
        assert_eq!(err.contains(schema_warning), warns, "{value}: {err}");
        assert!(
            err.contains("WARNING: 2_posts.SQL is not a migration for sqlx"),
            "{value}: {err}"
        );
        assert_eq!(by_slipway.applied_versions(), by_sqlx.applied_versions());
        assert_eq!(by_slipway.applied_versions(), vec![1]);
        migrator_run(app.path(), &by_slipway.url, false).unwrap();
    }
}

#[test]
fn table_name_and_create_schemas_hold_the_history_where_sqlx_does() {
    let app = app_with(&["basic"]);
    let toml = "[migrate]\ntable-name = 'app_history.\"Migrations\"'\ncreate-schemas = [\"app_history\"]\n";
    write_sqlx_toml(app.path(), toml);
    let table = "app_history.\"Migrations\"";

    // sqlx-cli first. Before slipway read sqlx.toml it found no history and re-applied every
    // migration to the live schema (exit 7, "relation users already exists").
    let by_cli = TestDb::new();
    sqlx_cli_migrate(app.path(), &by_cli.url);
    assert!(!by_cli.table_exists("_sqlx_migrations"));
    let rows = history(&by_cli, table);
    assert_eq!(rows.lines().count(), 3, "{rows}");
    let out = run_expecting(
        slipway(app.path(), &by_cli.url).args(["plan", "--format", "json"]),
        0,
    );
    assert_eq!(json(&out)["pending"], serde_json::json!([]));
    assert_eq!(json(&out)["sqlx_toml"]["table_name"], table);
    let out = run_expecting(
        slipway(app.path(), &by_cli.url).args(["run", "--format", "json"]),
        0,
    );
    assert_eq!(json(&out)["applied"], serde_json::json!([]));
    assert_eq!(history(&by_cli, table), rows);

    // slipway first: it creates the schema and that table, and sqlx agrees.
    let by_slipway = TestDb::new();
    let out = run_expecting(slipway(app.path(), &by_slipway.url).arg("run"), 0);
    assert!(
        stderr(&out).contains(
            "sqlx.toml: history table app_history.\"Migrations\", create-schemas app_history"
        ),
        "{}",
        stderr(&out)
    );
    assert!(!by_slipway.table_exists("_sqlx_migrations"));
    assert_eq!(history(&by_slipway, table), rows);
    sqlx_cli_migrate(app.path(), &by_slipway.url);
    migrator_run(app.path(), &by_slipway.url, false).unwrap();
    assert_eq!(history(&by_slipway, table), rows);
    assert!(
        !by_slipway.table_exists("_sqlx_migrations"),
        "sqlx used the same table"
    );

    // Without the file neither finds that history: both would apply everything again.
    std::fs::remove_file(app.path().join("sqlx.toml")).unwrap();
    let out = run_expecting(
        slipway(app.path(), &by_slipway.url).args(["plan", "--format", "json"]),
        0,
    );
    assert_eq!(json(&out)["pending"].as_array().unwrap().len(), 3);
    assert!(matches!(
        migrator_run(app.path(), &by_slipway.url, false),
        Err(MigrateError::ExecuteMigration(..))
    ));
}

#[test]
fn migrations_dir_comes_after_slipways_settings_and_before_the_default() {
    let app = app_with_migrations(&[]);
    std::fs::remove_dir(app.path().join("migrations")).unwrap();
    let sqlx_dir = app.path().join("db/migrations");
    std::fs::create_dir_all(&sqlx_dir).unwrap();
    for entry in std::fs::read_dir(support::fixture("basic")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, sqlx_dir.join(path.file_name().unwrap())).unwrap();
    }
    let other = app.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("7_other.sql"), "CREATE TABLE other (id int);\n").unwrap();
    write_sqlx_toml(
        app.path(),
        "[migrate]\nmigrations-dir = \"db/migrations\"\n",
    );

    let pending = |cmd: &mut assert_cmd::Command| -> Vec<String> {
        let out = run_expecting(cmd.args(["plan", "--format", "json"]), 0);
        json(&out)["pending"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["file"].as_str().unwrap().to_owned())
            .collect()
    };
    let db = TestDb::new();
    // Before slipway read sqlx.toml: "no migrations folder at ./migrations: nothing to migrate".
    assert_eq!(pending(&mut slipway(app.path(), &db.url)).len(), 3);
    assert_eq!(
        pending(slipway(app.path(), &db.url).args(["--migrations", "other"])),
        ["7_other.sql"]
    );
    assert_eq!(
        pending(slipway(app.path(), &db.url).env("SLIPWAY_MIGRATIONS_DIR", "other")),
        ["7_other.sql"]
    );
    std::fs::write(
        app.path().join("slipway.toml"),
        "migrations_dir = \"other\"\n",
    )
    .unwrap();
    assert_eq!(pending(&mut slipway(app.path(), &db.url)), ["7_other.sql"]);
    std::fs::remove_file(app.path().join("slipway.toml")).unwrap();

    // Both ways with sqlx: what one applies from db/migrations, the other finds done.
    run_expecting(slipway(app.path(), &db.url).arg("run"), 0);
    assert_eq!(db.applied_versions().len(), 3);
    sqlx_cli_migrate(app.path(), &db.url);
    migrator_run(app.path(), &db.url, false).unwrap();
    let by_cli = TestDb::new();
    sqlx_cli_migrate(app.path(), &by_cli.url);
    assert_eq!(
        pending(&mut slipway(app.path(), &by_cli.url)),
        Vec::<String>::new()
    );
    assert_eq!(
        history(&by_cli, "_sqlx_migrations"),
        history(&db, "_sqlx_migrations")
    );

    // A folder sqlx.toml names that does not exist is a mistake for both.
    write_sqlx_toml(app.path(), "[migrate]\nmigrations-dir = \"db/nope\"\n");
    let fresh = TestDb::new();
    let out = run_expecting(slipway(app.path(), &fresh.url).arg("run"), 2);
    assert!(
        stderr(&out).contains("sqlx.toml, line 2, key `migrate.migrations-dir`: the migrations folder db/nope does not exist"),
        "{}",
        stderr(&out)
    );
    assert!(!sqlx_cli_in(app.path(), &fresh.url, "run").status.success());
    assert!(!fresh.table_exists("_sqlx_migrations"));
}

/// Files sqlx's parser rejects, the line and key slipway names, and a word of
/// the problem. Each also fails `sqlx migrate run`.
const REJECTED: &[(&str, usize, Option<&str>, &str)] = &[
    (
        "[migrate]\ntable_name = \"x\"\n",
        2,
        Some("migrate.table_name"),
        "unknown field `table_name`",
    ),
    (
        "[migrate]\nignored-chars = [\"\\r\\n\"]\n",
        2,
        Some("migrate.ignored-chars"),
        "expected a character",
    ),
    (
        "[migrate]\nmigrations-dir = 1\n",
        2,
        Some("migrate.migrations-dir"),
        "invalid type",
    ),
    (
        "[migrate]\ncreate-schemas = \"app\"\n",
        2,
        Some("migrate.create-schemas"),
        "invalid type",
    ),
    (
        "\n[migrate.defaults]\nmigration-type = \"up\"\n",
        3,
        Some("migrate.defaults.migration-type"),
        "unknown variant `up`",
    ),
    (
        "[macros.preferred-crates]\ndate-time = \"jiff\"\n",
        2,
        Some("macros.preferred-crates.date-time"),
        "unknown variant `jiff`",
    ),
    (
        "[common]\ndatabase_url_var = \"X\"\n",
        2,
        Some("common.database_url_var"),
        "unknown field",
    ),
    (
        "[drivers.postgres]\nfoo = 1\n",
        2,
        Some("drivers.postgres.foo"),
        "unknown field `foo`",
    ),
    (
        "[drivers.external]\nfoo = 1\n",
        2,
        Some("drivers.external.foo"),
        "invalid type",
    ),
    (
        "# a comment\n[migrations]\n",
        2,
        Some("migrations"),
        "unknown field `migrations`",
    ),
    (
        "[migrate]\ntable-name = \"x\"\ntable-name = \"y\"\n",
        3,
        Some("migrate.table-name"),
        "duplicate key",
    ),
    (
        "[migrate]\nunrecognized-sql-files = \"maybe\"\n",
        2,
        Some("migrate.unrecognized-sql-files"),
        "unknown variant `maybe`",
    ),
];

/// Files sqlx accepts.
const ACCEPTED: &[&str] = &[
    "",
    // sqlx 0.9.1.
    "[migrate]\nunrecognized-sql-files = \"warn\"\n",
    "[migrate]\ntable-name = \"_sqlx_migrations\"\nignored-chars = []\n",
    "[drivers.external.my-driver]\nanything = [1, \"two\"]\n",
    // sqlx reads `preferred-crates` and `[migrate.defaults]` without `deny_unknown_fields`.
    "[macros.preferred-crates]\nsomething-new = 1\n[migrate.defaults]\nnot-a-key = true\n",
    "[macros.type-overrides]\n'UUID' = \"crate::Uuid\"\n[macros.table-overrides.'foo']\n'bar' = \"crate::Bar\"\n",
];

#[test]
fn a_sqlx_toml_sqlx_rejects_is_exit_2_naming_the_file_line_and_key() {
    let db = TestDb::new();
    for (text, line, key, problem) in REJECTED {
        let app = app_with(&["basic"]);
        write_sqlx_toml(app.path(), text);
        assert!(
            Config::try_from_path(app.path().join("sqlx.toml")).is_err(),
            "sqlx's parser accepts {text:?}"
        );
        assert!(
            !sqlx_cli_in(app.path(), &db.url, "run").status.success(),
            "sqlx-cli accepts {text:?}"
        );
        for command in ["run", "plan"] {
            let out = run_expecting(slipway(app.path(), &db.url).arg(command), 2);
            let err = stderr(&out);
            let place = match key {
                Some(key) => format!("sqlx.toml, line {line}, key `{key}`: "),
                None => format!("sqlx.toml, line {line}: "),
            };
            assert!(
                err.contains("error: sqlx.toml is invalid"),
                "{text:?}: {err}"
            );
            assert!(err.contains(&place), "{text:?}: {err}");
            assert!(err.contains(problem), "{text:?}: {err}");
        }
        let out = run_expecting(
            slipway(app.path(), &db.url).args(["run", "--format", "json"]),
            2,
        );
        assert_eq!(json(&out)["error"]["title"], "sqlx.toml is invalid");
    }
    assert!(!db.table_exists("_sqlx_migrations"), "nothing ran");
    assert!(!db.table_exists("users"), "nothing ran");
}

#[test]
fn every_sqlx_toml_sqlx_accepts_is_accepted() {
    let db = TestDb::new();
    let reference = std::fs::read_to_string(
        support::workspace_root().join("test-fixtures/sqlx-toml/reference.toml"),
    )
    .unwrap();
    for text in ACCEPTED.iter().copied().chain([reference.as_str()]) {
        let app = app_with(&[]);
        // The reference moves the migrations to foo/migrations and the history to schema foo.
        std::fs::create_dir_all(app.path().join("foo/migrations")).unwrap();
        write_sqlx_toml(app.path(), text);
        Config::try_from_path(app.path().join("sqlx.toml"))
            .unwrap_or_else(|e| panic!("sqlx rejects {text:?}: {e:?}"));
        // The reference names `database-url-var = "FOO_DATABASE_URL"`, which
        // is then read instead of DATABASE_URL, as by sqlx-cli.
        let out = run_expecting(
            slipway(app.path(), &db.url)
                .env("FOO_DATABASE_URL", &db.url)
                .arg("plan"),
            0,
        );
        assert!(
            !stderr(&out).contains("sqlx.toml is invalid"),
            "{text:?}: {}",
            stderr(&out)
        );
    }
}

/// A table or schema name sqlx's parser takes but that is no SQL name: sqlx
/// pastes it into its SQL and fails there; slipway refuses it before
/// connecting, naming the line.
#[test]
fn a_table_name_that_is_no_sql_name_is_exit_2_and_fails_sqlx_too() {
    for (text, key) in [
        (
            "[migrate]\ntable-name = \"my history\"\n",
            "migrate.table-name",
        ),
        (
            "[migrate]\ntable-name = \"h; DROP TABLE users\"\n",
            "migrate.table-name",
        ),
        (
            "[migrate]\ncreate-schemas = [\"a.b\"]\n",
            "migrate.create-schemas",
        ),
    ] {
        let db = TestDb::new();
        let app = app_with(&["basic"]);
        write_sqlx_toml(app.path(), text);
        Config::try_from_path(app.path().join("sqlx.toml")).unwrap();
        let out = run_expecting(slipway(app.path(), &db.url).arg("run"), 2);
        assert!(
            stderr(&out).contains(&format!("sqlx.toml, line 2, key `{key}`: ")),
            "{}",
            stderr(&out)
        );
        assert!(
            !sqlx_cli_in(app.path(), &db.url, "run").status.success(),
            "{text}"
        );
    }
}

/// sqlx's `Migrator` creates every schema of `create-schemas` on every run,
/// before it ensures the history table. slipway created them only while the
/// history was empty, so a schema added to the list later, with a migration
/// that writes to it, failed with 3F000 (exit 7).
#[test]
fn a_schema_added_to_create_schemas_later_is_created_as_sqlx_creates_it() {
    let app = app_with_migrations(&[("1_users.sql", "CREATE TABLE users (id int);\n")]);
    let second = |app: &Path| {
        write_sqlx_toml(
            app,
            "[migrate]\ncreate-schemas = [\"app\", '\"Other App\"']\n",
        );
        std::fs::write(
            app.join("migrations/2_tables.sql"),
            "CREATE TABLE app.t (id int);\nCREATE TABLE \"Other App\".t (id int);\n",
        )
        .unwrap();
    };
    let by_slipway = TestDb::new();
    let by_migrator = TestDb::new();
    let by_cli = TestDb::new();
    run_expecting(slipway(app.path(), &by_slipway.url).arg("run"), 0);
    migrator_run(app.path(), &by_migrator.url, false).unwrap();
    sqlx_cli_in(app.path(), &by_cli.url, "run");
    second(app.path());

    let out = run_expecting(slipway(app.path(), &by_slipway.url).arg("run"), 0);
    assert!(
        stderr(&out).contains("| created \"Other App\", app (create-schemas in sqlx.toml)"),
        "{}",
        stderr(&out)
    );
    migrator_run(app.path(), &by_migrator.url, false).unwrap();
    sqlx_cli_migrate(app.path(), &by_cli.url);
    let schemas = "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname IN ('app', 'Other App')";
    for db in [&by_slipway, &by_migrator, &by_cli] {
        assert_eq!(db.text(schemas), "Other App,app");
        assert_eq!(
            db.int("SELECT count(*) FROM app.t") + db.int("SELECT count(*) FROM \"Other App\".t"),
            0
        );
    }
    assert_eq!(
        history(&by_slipway, "_sqlx_migrations"),
        history(&by_migrator, "_sqlx_migrations")
    );
    assert_eq!(
        history(&by_slipway, "_sqlx_migrations"),
        history(&by_cli, "_sqlx_migrations")
    );

    // A schema that exists gets no statement: nothing to say on the next run.
    let out = run_expecting(slipway(app.path(), &by_slipway.url).arg("run"), 0);
    assert!(!stderr(&out).contains("| schemas"), "{}", stderr(&out));
}

/// A `table-name` in a schema that does not exist, with no `create-schemas`:
/// sqlx fails too, but slipway said "schema does not exist at line 3099" (a
/// line of PostgreSQL's C source) with exit 6 and a fix about privileges.
/// It is sqlx.toml's mistake: exit 2 before anything runs, naming the schema
/// and the key that creates it.
#[test]
fn a_history_table_in_a_missing_schema_is_a_configuration_error() {
    for (table, schema, listed) in [
        ("meta.history", "meta", "\"meta\""),
        ("\"Meta\".\"History\"", "Meta", "'\"Meta\"'"),
        ("meta.\"history\"", "meta", "\"meta\""),
    ] {
        let app = app_with(&["basic"]);
        let toml = format!("[migrate]\ntable-name = '{table}'\n");
        write_sqlx_toml(app.path(), &toml);
        let db = TestDb::new();
        assert!(
            migrator_run(app.path(), &db.url, false).is_err(),
            "{table}: sqlx fails too"
        );
        for command in ["plan", "run"] {
            let out = run_expecting(slipway(app.path(), &db.url).arg(command), 2);
            let err = stderr(&out);
            assert!(
                err.contains(&format!("no schema {schema:?}")),
                "{table}: {err}"
            );
            assert!(err.contains("create-schemas"), "{table}: {err}");
            assert!(!err.contains(" at line "), "{table}: {err}");
        }
        assert_eq!(
            db.int("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"),
            0,
            "{table}: nothing ran"
        );

        // The fix the message gives works.
        write_sqlx_toml(app.path(), &format!("{toml}create-schemas = [{listed}]\n"));
        run_expecting(slipway(app.path(), &db.url).arg("run"), 0);
        assert_eq!(history(&db, table).lines().count(), 3, "{table}");
    }
}

/// No database error message shows the line of PostgreSQL's C source that
/// sqlx's `Display` appends: here a `table-name` naming a table of another
/// shape (the history cannot be read, exit 6).
#[test]
fn a_database_error_never_shows_the_servers_source_line() {
    let app = app_with(&["basic"]);
    write_sqlx_toml(app.path(), "[migrate]\ntable-name = \"notes\"\n");
    let db = TestDb::new();
    db.exec("CREATE TABLE notes (body text)");
    let out = run_expecting(slipway(app.path(), &db.url).arg("run"), 6);
    let err = stderr(&out);
    assert!(err.contains("column \"version\" does not exist"), "{err}");
    let source_line = regex_like_at_line(&err);
    assert!(source_line.is_none(), "{source_line:?} in {err}");
}

/// The first ` at line <digits>` in `text` that is not a migration file's
/// position (`<file>.sql at line N, column M`).
fn regex_like_at_line(text: &str) -> Option<String> {
    text.match_indices(" at line ").find_map(|(at, _)| {
        let digits: String = text[at + 9..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let after = &text[at + 9 + digits.len()..];
        (!digits.is_empty() && !after.starts_with(", column"))
            .then(|| text[at..at + 9 + digits.len()].to_owned())
    })
}

/// `[common] database-url-var` names the variable sqlx-cli reads the URL
/// from instead of `DATABASE_URL`; slipway reads it the same way: the flag,
/// else that variable, and `DATABASE_URL` only when the file names none.
#[test]
fn database_url_var_names_where_the_url_is_read_as_for_sqlx_cli() {
    let app = app_with(&["basic"]);
    write_sqlx_toml(
        app.path(),
        "[common]\ndatabase-url-var = \"MIGRATIONS_DATABASE_URL\"\n",
    );
    let named = TestDb::new();
    let primary = TestDb::new();

    // sqlx-cli, with no --database-url, migrates the named variable's database.
    let by_cli = TestDb::new();
    let out = std::process::Command::new(sqlx_cli())
        .current_dir(app.path())
        .env("DATABASE_URL", &primary.url)
        .env("MIGRATIONS_DATABASE_URL", &by_cli.url)
        .args(["migrate", "run"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", all_output(&out));
    assert_eq!(by_cli.applied_versions().len(), 3);
    assert!(!primary.table_exists("_sqlx_migrations"));

    // slipway does the same (DATABASE_URL is the primary database here).
    let out = run_expecting(
        slipway(app.path(), &primary.url)
            .env("MIGRATIONS_DATABASE_URL", &named.url)
            .args(["run", "--backup", "none"]),
        0,
    );
    assert_eq!(named.applied_versions(), by_cli.applied_versions());
    assert!(
        !primary.table_exists("_sqlx_migrations"),
        "{}",
        stderr(&out)
    );

    // The flag comes first.
    let flagged = TestDb::new();
    run_expecting(
        slipway(app.path(), &primary.url)
            .env("MIGRATIONS_DATABASE_URL", &named.url)
            .args(["run", "--backup", "none", "--database-url", &flagged.url]),
        0,
    );
    assert_eq!(flagged.applied_versions().len(), 3);

    // The named variable unset: exit 2 naming it, DATABASE_URL untouched (sqlx-cli fails too).
    let out = run_expecting(slipway(app.path(), &primary.url).arg("run"), 2);
    let err = stderr(&out);
    assert!(err.contains("MIGRATIONS_DATABASE_URL"), "{err}");
    assert!(err.contains("database-url-var"), "{err}");
    assert!(!primary.table_exists("_sqlx_migrations"));

    // A bad URL in it names the variable and the key.
    let out = run_expecting(
        slipway(app.path(), &primary.url)
            .env("MIGRATIONS_DATABASE_URL", "mysql://nope")
            .arg("plan"),
        2,
    );
    assert!(
        stderr(&out).contains(
            "environment variable MIGRATIONS_DATABASE_URL (`database-url-var` in sqlx.toml)"
        ),
        "{}",
        stderr(&out)
    );
}
