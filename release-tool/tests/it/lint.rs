//! `slipway-release lint` and the `lint` step of `plan` and `run`: squawk's
//! rules on realistic unsafe migrations (test-fixtures/migrations/lint-unsafe)
//! and their safe versions (lint-safe), with the live table sizes of a real
//! PostgreSQL, ignore comments, and the JSON and GitHub outputs.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::support::{
    TestDb, app_with, app_with_migrations, dumps_in, fixture, json, run_expecting, slipway, stderr,
    stdout,
};

const INDEX_FILE: &str = "20240302000000_index_document_titles.sql";

/// `lint --offline` in `dir` (no database is reached: the URL points nowhere).
fn lint_offline(dir: &Path) -> assert_cmd::Command {
    let mut cmd = slipway(dir, "postgres://nobody@127.0.0.1:1/nothing");
    cmd.args(["lint", "--offline"]);
    cmd
}

/// The findings of a JSON document, as `(file name, rule, line, column)`.
fn placed(doc: &Value, key: &str) -> Vec<(String, String, u64, u64)> {
    doc["lint"][key]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            let name = Path::new(file).file_name().unwrap().to_string_lossy();
            (
                name.into_owned(),
                f["rule"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn rules_of(doc: &Value, key: &str) -> Vec<String> {
    placed(doc, key)
        .into_iter()
        .map(|(_, rule, ..)| rule)
        .collect()
}

/// A database holding the lint-unsafe schema (its first migration) and
/// `rows` documents of ~250 bytes each, analysed so that `reltuples` is set.
fn documents_db(app: &Path, rows: u32) -> TestDb {
    let db = TestDb::new();
    let migrations = app.join("migrations");
    let schema = "20240301000000_create_documents.sql";
    fs::copy(fixture("lint-unsafe").join(schema), migrations.join(schema)).unwrap();
    run_expecting(slipway(app, &db.url).arg("run"), 0);
    db.exec(&format!(
        "INSERT INTO documents (title, body) \
         SELECT 'title ' || g, repeat('x', 200) FROM generate_series(1, {rows}) g; \
         ANALYZE documents;"
    ));
    db
}

fn add_fixture_file(app: &Path, set: &str, name: &str) {
    fs::copy(fixture(set).join(name), app.join("migrations").join(name)).unwrap();
}

#[test]
fn every_unsafe_family_is_found_with_its_file_line_and_column() {
    let app = app_with(&["lint-unsafe"]);
    let out = run_expecting(lint_offline(app.path()).args(["--format", "json"]), 0);
    let found = placed(&json(&out), "findings");
    let expected = [
        (INDEX_FILE, "require-concurrent-index-creation", 2, 1),
        (
            "20240303000000_require_document_titles.sql",
            "adding-not-nullable-field",
            2,
            42,
        ),
        (
            "20240304000000_add_document_status.sql",
            "adding-required-field",
            1,
            23,
        ),
        (
            "20240305000000_widen_owner_ids.sql",
            "changing-column-type",
            1,
            45,
        ),
        (
            "20240306000000_documents_owner_fk.sql",
            "adding-foreign-key-constraint",
            2,
            9,
        ),
        (
            "20240306000000_documents_owner_fk.sql",
            "constraint-missing-not-valid",
            2,
            5,
        ),
        (
            "20240307000000_add_document_public_ids.sql",
            "adding-field-with-default",
            1,
            57,
        ),
        (
            "20240308000000_rename_document_body.sql",
            "renaming-column",
            1,
            23,
        ),
        ("20240309000000_drop_legacy.sql", "ban-drop-column", 1, 23),
        ("20240309000000_drop_legacy.sql", "ban-drop-table", 2, 1),
    ];
    for (file, rule, line, column) in expected {
        assert!(
            found.contains(&(file.to_owned(), rule.to_owned(), line, column)),
            "no {rule} at {file}:{line}:{column} in {found:#?}"
        );
    }
    // The schema migration creates its tables: nothing to say about it.
    assert!(
        found
            .iter()
            .all(|(file, ..)| file != "20240301000000_create_documents.sql"),
        "{found:#?}"
    );

    // The human output gives the rule, the place, what, why and the safe pattern.
    let human = run_expecting(&mut lint_offline(app.path()), 0);
    let err = stderr(&human);
    assert!(
        err.contains(&format!(
            "migrations/{INDEX_FILE}:2:1 require-concurrent-index-creation: CREATE INDEX without \
             CONCURRENTLY on documents: blocks writes while the index builds (SHARE lock)"
        )),
        "{err}"
    );
    assert!(
        err.contains("safe:      Use `CREATE INDEX CONCURRENTLY IF NOT EXISTS ...` alone in a migration that starts with `-- no-transaction`"),
        "{err}"
    );
    assert!(
        err.contains("why:       During normal index creation"),
        "{err}"
    );

    // `error` makes every finding fail.
    let strict = run_expecting(
        lint_offline(app.path()).args(["--lint", "error", "--format", "json"]),
        9,
    );
    let doc = json(&strict);
    assert_eq!(doc["error"]["exit_code"], 9);
    assert_eq!(
        doc["error"]["details"]["failing"].as_array().unwrap().len(),
        found.len()
    );
}

#[test]
fn the_safe_versions_pass_lint_and_really_migrate() {
    let app = app_with(&["lint-safe"]);
    let out = run_expecting(
        lint_offline(app.path()).args(["--lint", "error", "--format", "json"]),
        0,
    );
    let doc = json(&out);
    assert_eq!(placed(&doc, "findings"), vec![], "{doc:#}");
    assert_eq!(doc["lint"]["files"], 11);

    // They are real migrations: `run` applies them all with every finding fatal.
    let db = TestDb::new();
    run_expecting(
        slipway(app.path(), &db.url).args(["run", "--lint", "error"]),
        0,
    );
    assert_eq!(db.applied_versions().len(), 11);
    assert_eq!(
        db.int("SELECT count(*) FROM pg_constraint WHERE conname = 'documents_owner_fk' AND convalidated"),
        1
    );
}

#[test]
fn missing_timeouts_are_found_only_when_slipway_sets_none() {
    let app = app_with_migrations(&[
        (
            "1_index.sql",
            "-- no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON documents (title);\n",
        ),
        (
            "2_index_with_timeouts.sql",
            "-- no-transaction\nSET lock_timeout = '5s';\nSET statement_timeout = '5min';\n\
             CREATE INDEX CONCURRENTLY IF NOT EXISTS j ON documents (body);\n",
        ),
    ]);
    // With slipway's default session timeouts, the statements have both. (The second file
    // is one query of three statements, which PostgreSQL runs as an implicit transaction
    // where it refuses CONCURRENTLY: that is found whatever the timeouts.)
    let concurrently_in_one_query = (
        "2_index_with_timeouts.sql".to_owned(),
        "ban-concurrent-index-creation-in-transaction".to_owned(),
        4,
        14,
    );
    let defaults = run_expecting(lint_offline(app.path()).args(["--format", "json"]), 0);
    assert_eq!(
        placed(&json(&defaults), "findings"),
        vec![concurrently_in_one_query.clone()]
    );

    let none = run_expecting(
        lint_offline(app.path()).args([
            "--lock-timeout",
            "0",
            "--statement-timeout",
            "0",
            "--format",
            "json",
        ]),
        0,
    );
    let found = placed(&json(&none), "findings");
    assert_eq!(
        found,
        vec![
            ("1_index.sql".into(), "require-lock-timeout".into(), 2, 1),
            (
                "1_index.sql".into(),
                "require-statement-timeout".into(),
                2,
                1
            ),
            concurrently_in_one_query,
        ]
    );
}

#[test]
fn a_blocking_statement_on_a_big_table_stops_the_release_before_the_backup() {
    let app = app_with_migrations(&[]);
    let db = documents_db(app.path(), 20_000);
    add_fixture_file(app.path(), "lint-unsafe", INDEX_FILE);
    let history_before =
        db.text("SELECT string_agg(version::text || checksum::text, ',') FROM _sqlx_migrations");
    let backups = app.path().join(".slipway/backups");
    let dumps_before = dumps_in(&backups).len();

    let plan = run_expecting(
        slipway(app.path(), &db.url).args(["plan", "--lint-blocking-max-size", "1MiB"]),
        9,
    );
    assert!(
        stderr(&plan).contains("slipway-release | lint      FAILED"),
        "{}",
        stderr(&plan)
    );

    let run = run_expecting(
        slipway(app.path(), &db.url).args([
            "run",
            "--lint-blocking-max-size",
            "1MiB",
            "--format",
            "json",
        ]),
        9,
    );
    let err = stderr(&run);
    assert!(
        err.contains("require-concurrent-index-creation: CREATE INDEX without CONCURRENTLY on public.documents ("),
        "{err}"
    );
    assert!(err.contains("~20.0K rows)"), "{err}");
    assert!(err.contains("exit code 9 (lint)"), "{err}");
    let doc = json(&run);
    let finding = &doc["lint"]["findings"][0];
    assert_eq!(finding["fails"], true);
    assert!(
        finding["facts"]["bytes"].as_u64().unwrap() > 1 << 20,
        "{finding:#}"
    );
    assert_eq!(finding["facts"]["table"], "public.documents");
    let steps: Vec<&str> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        !steps.contains(&"backup") && !steps.contains(&"migrate"),
        "{steps:?}"
    );

    // Nothing happened: no backup, no migration, no index, the same history.
    assert_eq!(dumps_in(&backups).len(), dumps_before);
    assert_eq!(
        db.text("SELECT string_agg(version::text || checksum::text, ',') FROM _sqlx_migrations"),
        history_before
    );
    assert_eq!(
        db.int("SELECT count(*) FROM pg_indexes WHERE indexname = 'documents_title_idx'"),
        0
    );
}

#[test]
fn below_the_threshold_a_blocking_statement_is_a_warning_only() {
    let app = app_with_migrations(&[]);
    let db = documents_db(app.path(), 2_000);
    add_fixture_file(app.path(), "lint-unsafe", INDEX_FILE);
    let out = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--format", "json"]),
        0,
    );
    let err = stderr(&out);
    assert!(
        err.contains("WARNING: migrations/20240302000000_index_document_titles.sql:2:1"),
        "{err}"
    );
    assert!(err.contains("slipway-release | lint      warning"), "{err}");
    let doc = json(&out);
    assert_eq!(doc["lint"]["findings"][0]["fails"], false);
    assert_eq!(db.applied_versions().len(), 2);
    assert_eq!(dumps_in(&app.path().join(".slipway/backups")).len(), 1);
}

#[test]
fn with_a_database_only_the_pending_migrations_are_linted_with_live_facts() {
    let app = app_with_migrations(&[]);
    let db = documents_db(app.path(), 100);
    add_fixture_file(app.path(), "lint-unsafe", INDEX_FILE);
    run_expecting(slipway(app.path(), &db.url).arg("run"), 0);
    add_fixture_file(
        app.path(),
        "lint-unsafe",
        "20240308000000_rename_document_body.sql",
    );
    fs::write(
        app.path().join("migrations/20240310000000_create_tags.sql"),
        "CREATE TABLE tags (id bigint PRIMARY KEY, name text);\n",
    )
    .unwrap();
    fs::write(
        app.path().join("migrations/20240311000000_index_tags.sql"),
        "CREATE INDEX tags_name_idx ON tags (name);\n",
    )
    .unwrap();

    let out = run_expecting(
        slipway(app.path(), &db.url).args(["lint", "--format", "json"]),
        0,
    );
    let doc = json(&out);
    assert_eq!(doc["lint"]["files"], 3, "{doc:#}");
    let found = placed(&doc, "findings");
    assert!(
        found.iter().all(|(file, ..)| file != INDEX_FILE),
        "{found:#?}"
    );
    let rename = &doc["lint"]["findings"][0];
    assert_eq!(rename["rule"], "renaming-column");
    assert_eq!(rename["facts"]["table"], "public.documents");
    assert_eq!(rename["facts"]["rows"], 100);
    // A table that a pending migration creates has no rows to lock yet.
    let tags = &doc["lint"]["findings"][1];
    assert_eq!(tags["rule"], "require-concurrent-index-creation");
    assert_eq!(tags["facts"]["exists"], false);
    assert!(stderr(&out).contains("on tags (not created yet: no rows to lock)"));
}

#[test]
fn ignore_comments_for_a_statement_a_file_and_an_unknown_rule() {
    let app = app_with_migrations(&[
        (
            "1_statement.sql",
            "-- squawk-ignore require-concurrent-index-creation\n\
             CREATE INDEX a_idx ON documents (title);\n\
             ALTER TABLE documents RENAME COLUMN body TO content;\n",
        ),
        (
            "2_file.sql",
            "-- squawk-ignore-file\n\
             ALTER TABLE documents ALTER COLUMN owner_id TYPE numeric;\n\
             ALTER TABLE documents DROP COLUMN legacy_flag;\n",
        ),
        (
            "3_unknown.sql",
            "-- squawk-ignore require-concurent-index-creation\n\
             CREATE INDEX b_idx ON documents (body);\n",
        ),
    ]);
    let out = run_expecting(
        lint_offline(app.path()).args(["--lint", "error", "--format", "json"]),
        9,
    );
    let doc = json(&out);
    assert_eq!(
        placed(&doc, "findings"),
        vec![
            ("1_statement.sql".into(), "renaming-column".into(), 3, 23),
            (
                "3_unknown.sql".into(),
                "require-concurrent-index-creation".into(),
                2,
                1
            ),
        ]
    );
    assert_eq!(
        placed(&doc, "ignored"),
        vec![
            (
                "1_statement.sql".into(),
                "require-concurrent-index-creation".into(),
                2,
                1
            ),
            ("2_file.sql".into(), "changing-column-type".into(), 2, 45),
            ("2_file.sql".into(), "ban-drop-column".into(), 3, 23),
        ]
    );
    let notes = doc["lint"]["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    let note = notes[0].as_str().unwrap();
    assert!(
        note.starts_with(
            "migrations/3_unknown.sql:1:18 unknown name require-concurent-index-creation"
        ),
        "{note}"
    );
    let err = stderr(&out);
    assert!(
        err.contains("WARNING: migrations/3_unknown.sql:1:18 unknown name"),
        "{err}"
    );
    assert!(
        err.contains("note: ignored by a squawk-ignore comment: migrations/2_file.sql:2:45"),
        "{err}"
    );
}

#[test]
fn github_format_prints_annotations_and_is_only_for_lint() {
    let app = app_with(&["lint-unsafe"]);
    let out = run_expecting(lint_offline(app.path()).args(["--format", "github"]), 0);
    let annotations = stdout(&out);
    let first = annotations.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "::warning file=migrations/{INDEX_FILE},line=2,col=1,title=slipway lint%3A require-concurrent-index-creation::CREATE INDEX without CONCURRENTLY on documents"
        )),
        "{annotations}"
    );
    assert!(
        first.contains("%0ASafe: Use `CREATE INDEX CONCURRENTLY"),
        "{first}"
    );
    assert_eq!(annotations.lines().count(), 10, "{annotations}");
    assert!(annotations.lines().all(|l| l.starts_with("::warning ")));

    let strict = run_expecting(
        lint_offline(app.path()).args(["--format", "github", "--lint", "error"]),
        9,
    );
    assert!(stdout(&strict).lines().all(|l| l.starts_with("::error ")));

    let db = TestDb::new();
    let run = run_expecting(
        slipway(app.path(), &db.url).args(["run", "--format", "github"]),
        2,
    );
    assert!(
        stderr(&run).contains("`--format github` is only for `lint`"),
        "{}",
        stderr(&run)
    );
    assert_eq!(db.applied_versions(), Vec::<i64>::new());
}

#[test]
fn files_named_on_the_command_line_are_linted_whatever_their_names() {
    let app = app_with_migrations(&[]);
    let file = app.path().join("adhoc.sql");
    fs::write(
        &file,
        "ALTER TABLE documents ALTER COLUMN title TYPE varchar(10);\n",
    )
    .unwrap();
    let out = run_expecting(
        lint_offline(app.path()).args(["adhoc.sql", "--format", "json"]),
        0,
    );
    assert!(rules_of(&json(&out), "findings").contains(&"changing-column-type".to_owned()));

    let missing = run_expecting(lint_offline(app.path()).arg("nope.sql"), 2);
    assert!(
        stderr(&missing).contains("cannot read nope.sql"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn lint_settings_are_checked_and_named_where_they_came_from() {
    // `lint` in slipway.toml is honoured, and the flag wins over it.
    let app = app_with(&["lint-unsafe"]);
    fs::write(app.path().join("slipway.toml"), "lint = \"error\"\n").unwrap();
    run_expecting(&mut lint_offline(app.path()), 9);
    run_expecting(lint_offline(app.path()).args(["--lint", "warn"]), 0);
    fs::remove_file(app.path().join("slipway.toml")).unwrap();

    let bad_mode = run_expecting(lint_offline(app.path()).args(["--lint", "loud"]), 2);
    assert!(
        stderr(&bad_mode).contains("flag --lint: invalid value \"loud\""),
        "{}",
        stderr(&bad_mode)
    );
    fs::write(
        app.path().join("slipway.toml"),
        "lint = \"warn\"\nlint_blocking_max_size = \"64 furlongs\"\n",
    )
    .unwrap();
    let bad_size = run_expecting(&mut lint_offline(app.path()), 2);
    assert!(
        stderr(&bad_size).contains("slipway.toml, line 2, key `lint_blocking_max_size`"),
        "{}",
        stderr(&bad_size)
    );
}
