//! Where slipway keeps sqlx's rules but says more than sqlx: files in the
//! migrations folder that sqlx ignores although they look like migrations,
//! and rollback releases, on which an app that runs `sqlx::migrate!().run()`
//! at boot fails unless its `Migrator` ignores missing migrations.

use std::path::Path;

use sqlx::_unstable::config::migrate::UnrecognizedSqlFiles;
use sqlx::migrate::{MigrateError, Migrator, ResolveConfig, ResolveWith};
use sqlx::{Connection, PgConnection};

use crate::support::{
    TestDb, app_with, app_with_migrations, json, run_expecting, runtime, slipway, sqlx_cli_migrate,
    stderr,
};

/// sqlx's `Migrator` on `dir`, as `sqlx::migrate!()` builds it, with
/// `set_ignore_missing(ignore_missing)`, run against `url`.
fn sqlx_migrate(dir: &Path, url: &str, ignore_missing: bool) -> Result<(), MigrateError> {
    sqlx_migrate_with(dir, url, ignore_missing, ResolveConfig::new())
}

/// [`sqlx_migrate`] with the folder read by `config`.
fn sqlx_migrate_with(
    dir: &Path,
    url: &str,
    ignore_missing: bool,
    config: ResolveConfig,
) -> Result<(), MigrateError> {
    let dir = dir.to_owned();
    let url = url.to_owned();
    runtime().block_on(async move {
        let mut migrator = Migrator::new(ResolveWith(dir, config)).await?;
        migrator.set_ignore_missing(ignore_missing);
        let mut conn = PgConnection::connect(&url).await?;
        migrator.run(&mut conn).await
    })
}

fn warnings(doc: &serde_json::Value) -> Vec<String> {
    doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn files_sqlx_ignores_are_skipped_as_sqlx_does_with_a_warning_naming_each_and_its_rule() {
    let app = app_with_migrations(&[
        (
            "20240101000000_create_users.sql",
            "CREATE TABLE users (id int);\n",
        ),
        (
            "20240102000000-create-posts.sql",
            "CREATE TABLE posts (id int);\n",
        ),
        (
            "20240103000000_create_tags.sq",
            "CREATE TABLE tags (id int);\n",
        ),
        (
            "20240104000000_create_notes.SQL",
            "CREATE TABLE notes (id int);\n",
        ),
        ("README.md", "How we name migrations.\n"),
    ]);
    let expected = [
        "20240102000000-create-posts.sql is not a migration for sqlx, which ignores it: there is no `_` after the version (sqlx reads <VERSION>_<DESCRIPTION>.sql).",
        "20240103000000_create_tags.sq is not a migration for sqlx, which ignores it: the name does not end in `.sql` (lower case).",
        "20240104000000_create_notes.SQL is not a migration for sqlx, which ignores it: the name does not end in `.sql` (lower case).",
    ];
    let db = TestDb::new();
    let human = run_expecting(slipway(app.path(), &db.url).arg("run"), 0);
    let err = stderr(&human);
    for warning in expected {
        assert!(err.contains(&format!("WARNING: {warning}")), "{err}");
    }
    assert!(!err.contains("README.md"), "{err}");
    assert_eq!(db.applied_versions(), vec![20_240_101_000_000]);
    assert!(!db.table_exists("posts"));

    // The JSON document lists the same warnings, and each file with its rule.
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["plan", "--format", "json"]),
        0,
    );
    let doc = json(&out);
    let listed = warnings(&doc);
    for warning in expected {
        assert!(listed.iter().any(|w| w.starts_with(warning)), "{listed:?}");
    }
    let files: Vec<(&str, &str)> = doc["ignored_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["file"].as_str().unwrap(), f["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(
        files,
        [
            ("20240102000000-create-posts.sql", "no_underscore"),
            ("20240103000000_create_tags.sq", "not_dot_sql"),
            ("20240104000000_create_notes.SQL", "not_dot_sql"),
        ]
    );

    // The `.sql` file without `_` is one sqlx 0.9.1 refuses by default, as the warning says;
    // the others are not.
    let note = "sqlx 0.9.1 and later refuse such a .sql file unless sqlx.toml sets [migrate] unrecognized-sql-files";
    assert_eq!(err.matches(note).count(), 1, "{err}");
    assert!(listed[0].contains(note), "{listed:?}");
    let dir = app.path().join("migrations");
    let refused = sqlx_migrate(&dir, &db.url, false).unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("20240102000000-create-posts.sql"),
        "{refused}"
    );

    // With `unrecognized-sql-files = "warn"`, sqlx 0.9.1 takes exactly the same files: its
    // Migrator finds nothing to do, and on a fresh database applies what slipway applied.
    let warn = || {
        let mut config = ResolveConfig::new();
        config.unrecognized_sql_files(UnrecognizedSqlFiles::Warn);
        config
    };
    sqlx_migrate_with(&dir, &db.url, false, warn()).unwrap();
    let by_sqlx = TestDb::new();
    sqlx_migrate_with(&dir, &by_sqlx.url, false, warn()).unwrap();
    assert_eq!(by_sqlx.applied_versions(), db.applied_versions());

    // So does sqlx-cli 0.9.0 (the newest sqlx-cli, built on sqlx 0.9.0, which skips them all).
    let by_cli = TestDb::new();
    sqlx_cli_migrate(&dir, &by_cli.url);
    assert_eq!(by_cli.applied_versions(), db.applied_versions());
}

#[test]
fn a_rollback_release_says_how_an_app_migrating_at_boot_can_start() {
    let db = TestDb::new();
    let app = app_with(&["basic"]);
    run_expecting(slipway(app.path(), &db.url).arg("run"), 0);
    // The previous release's code: it does not have the newest migration.
    std::fs::remove_file(app.path().join("migrations/20240103000000_seed_admin.sql")).unwrap();

    let advice = "An app that also runs sqlx::migrate!().run() at boot will fail to start on this database: \
                  sqlx's Migrator refuses it with VersionMissing. Let it accept a newer database: \
                  `let mut migrator = sqlx::migrate!(); migrator.set_ignore_missing(true); migrator.run(&pool).await?;`.";
    let human = run_expecting(slipway(app.path(), &db.url).arg("run"), 0);
    assert!(stderr(&human).contains(advice), "{}", stderr(&human));
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--format", "json"]),
        0,
    );
    let listed = warnings(&json(&out));
    assert!(
        listed.iter().any(|w| w.starts_with(
            "the database has 1 migration(s) this code does not know: 20240103000000 (seed admin)."
        ) && w.ends_with(advice)),
        "{listed:?}"
    );

    // What the advice says, with sqlx's own Migrator on that database: the default fails as
    // the warning says, and `set_ignore_missing(true)` starts, changing nothing.
    let before = db.applied_versions();
    let dir = app.path().join("migrations");
    assert!(matches!(
        sqlx_migrate(&dir, &db.url, false),
        Err(MigrateError::VersionMissing(20_240_103_000_000))
    ));
    sqlx_migrate(&dir, &db.url, true).unwrap();
    assert_eq!(db.applied_versions(), before);
}
