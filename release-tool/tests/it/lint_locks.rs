//! Lint sees every statement that blocks a big table (issue 22): the size of
//! a partitioned table is its partitions' (its own `pg_total_relation_size`
//! is 0), inheritance children count when the statement reaches them, and
//! the statements squawk does not flag (`CLUSTER` and `VACUUM FULL` before
//! PostgreSQL 19, `LOCK TABLE`, `REFRESH MATERIALIZED VIEW`, `TRUNCATE`) are
//! classified by the lock they take, against a real PostgreSQL.

use serde_json::Value;

use crate::support::{TestDb, json, run_expecting, slipway, stderr};

/// The limit the big tables here (several MiB each) are above.
const LIMIT: &str = "2MiB";

/// `slipway-release lint m.sql --format json` on `sql` against `db`, with
/// `args`, expecting exit `code`: the JSON document and stderr.
fn lint_sql(db: &TestDb, sql: &str, args: &[&str], code: i32) -> (Value, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.sql"), sql).unwrap();
    let out = run_expecting(
        slipway(dir.path(), &db.url)
            .args(["lint", "m.sql", "--format", "json"])
            .args(args),
        code,
    );
    (json(&out), stderr(&out))
}

/// The only finding of a lint document.
fn only_finding(doc: &Value) -> &Value {
    let findings = doc["lint"]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{doc:#}");
    &findings[0]
}

/// A partitioned `events` (two levels: `events_2024` is partitioned again)
/// with 40 000 rows of ~250 bytes, analysed; a never-analysed partitioned
/// `logs`; and an inheritance parent `cities` whose rows are all in its child
/// `capitals`.
fn partitioned_db() -> TestDb {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE events (id bigint, at timestamptz NOT NULL, payload text) PARTITION BY RANGE (at);
         CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
         CREATE TABLE events_2024 PARTITION OF events
             FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY RANGE (at);
         CREATE TABLE events_2024_h1 PARTITION OF events_2024 FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
         CREATE TABLE events_2024_h2 PARTITION OF events_2024 FOR VALUES FROM ('2024-07-01') TO ('2025-01-01');
         INSERT INTO events SELECT g, '2023-01-01'::timestamptz + g * interval '20 minutes', repeat('x', 200)
             FROM generate_series(1, 40000) g;
         ANALYZE events;
         CREATE TABLE logs (at date NOT NULL, line text) PARTITION BY RANGE (at);
         CREATE TABLE logs_a PARTITION OF logs FOR VALUES FROM ('2020-01-01') TO ('2030-01-01')
             WITH (autovacuum_enabled = false);
         INSERT INTO logs SELECT '2024-01-01', repeat('y', 200) FROM generate_series(1, 20000);
         CREATE TABLE cities (name text, population int);
         CREATE TABLE capitals (state text) INHERITS (cities);
         INSERT INTO capitals SELECT 'c' || g, g, repeat('z', 200) FROM generate_series(1, 20000) g;
         ANALYZE cities; ANALYZE capitals;",
    );
    db
}

#[test]
fn a_partitioned_table_is_as_big_as_its_partitions() {
    let db = partitioned_db();
    let tree_bytes = |table: &str| {
        db.int(&format!(
            "SELECT sum(pg_total_relation_size(relid))::int8 FROM pg_partition_tree('{table}')"
        ))
    };
    // The parent, a partitioned partition and a leaf, each named directly.
    for (table, children) in [("events", 4), ("events_2024", 2), ("events_2023", 0)] {
        let sql = format!("CREATE INDEX ON {table} (at);\n");
        let (doc, err) = lint_sql(&db, &sql, &["--lint-blocking-max-size", LIMIT], 9);
        let finding = only_finding(&doc);
        assert_eq!(finding["rule"], "require-concurrent-index-creation");
        assert_eq!(finding["fails"], true, "{finding:#}");
        let facts = &finding["facts"];
        assert_eq!(facts["table"], format!("public.{table}"));
        assert_near(facts["bytes"].as_i64().unwrap(), tree_bytes(table), table);
        assert!(facts["bytes"].as_i64().unwrap() > 1 << 20, "{facts:#}");
        assert_eq!(facts["children"], children, "{table}");
        assert!(err.contains("exit code 9 (lint)"), "{err}");
    }
    // Rows are the leaves' (ANALYZE gave exact counts for these small tables).
    let (doc, err) = lint_sql(&db, "CREATE INDEX ON events (at);", &[], 0);
    assert_eq!(only_finding(&doc)["facts"]["rows"], 40_000, "{doc:#}");
    assert!(err.contains("on public.events ("), "{err}");
    assert!(
        err.contains("including 4 partitions/children, ~40.0K rows)"),
        "{err}"
    );
    // An index named by an index of the partitioned table: the same table.
    db.exec("CREATE INDEX events_id ON events (id);");
    let (doc, _) = lint_sql(&db, "REINDEX INDEX events_id;", &[], 0);
    let facts = &only_finding(&doc)["facts"];
    assert_eq!(facts["table"], "public.events");
    assert_near(
        facts["bytes"].as_i64().unwrap(),
        tree_bytes("events"),
        "events_id",
    );
}

/// `bytes` is `expected` give or take a few pages (autovacuum may add a
/// visibility map or free-space map between the two readings).
#[track_caller]
fn assert_near(bytes: i64, expected: i64, what: &str) {
    assert!(
        (bytes - expected).abs() <= 64 * 1024,
        "{what}: {bytes} bytes, expected about {expected}"
    );
}

#[test]
fn never_analysed_partitions_have_unknown_rows_not_minus_one() {
    let db = partitioned_db();
    assert_eq!(
        db.text("SELECT reltuples::text FROM pg_class WHERE relname = 'logs_a'"),
        "-1"
    );
    let (doc, err) = lint_sql(&db, "CREATE INDEX ON logs (at);", &[], 0);
    let facts = &only_finding(&doc)["facts"];
    assert_eq!(facts["rows"], Value::Null, "{facts:#}");
    assert!(facts["bytes"].as_i64().unwrap() > 1 << 20, "{facts:#}");
    assert!(
        err.contains("rows not counted yet (never analysed)"),
        "{err}"
    );
}

#[test]
fn inheritance_children_count_when_the_statement_reaches_them() {
    let db = partitioned_db();
    // ALTER TABLE on the parent recurses into `capitals`, which holds the rows.
    let (doc, _) = lint_sql(
        &db,
        "ALTER TABLE cities ALTER COLUMN population TYPE bigint;",
        &["--lint-blocking-max-size", LIMIT],
        9,
    );
    let facts = &only_finding(&doc)["facts"];
    assert_eq!(facts["children"], 1);
    assert_eq!(facts["rows"], 20_000);
    // With ONLY it changes the (empty) parent alone.
    let (doc, _) = lint_sql(
        &db,
        "ALTER TABLE ONLY cities ADD CONSTRAINT positive CHECK (population > 0);",
        &["--lint-blocking-max-size", LIMIT],
        0,
    );
    let finding = only_finding(&doc);
    assert_eq!(finding["rule"], "constraint-missing-not-valid");
    assert_eq!(finding["facts"]["children"], 0);
    assert!(finding["facts"]["bytes"].as_i64().unwrap() < 1 << 20);
    assert_eq!(finding["fails"], false);
    // CREATE INDEX on an inheritance parent builds on the parent alone.
    let (doc, _) = lint_sql(&db, "CREATE INDEX ON cities (name);", &[], 0);
    assert_eq!(only_finding(&doc)["facts"]["children"], 0);
}

/// A plain `big` table (40 000 rows, with its primary key `big_pkey`), a
/// materialized view `big_mv` of it, and `toasty`, whose data is nearly all
/// in its TOAST table.
fn big_db() -> TestDb {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE big (id bigint PRIMARY KEY, body text);
         INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 40000) g;
         CREATE MATERIALIZED VIEW big_mv AS SELECT * FROM big;
         CREATE TABLE toasty (id int PRIMARY KEY, doc text);
         ALTER TABLE toasty ALTER doc SET STORAGE EXTERNAL;
         INSERT INTO toasty SELECT g, repeat(md5(g::text), 100) FROM generate_series(1, 1000) g;
         ANALYZE big; ANALYZE big_mv; ANALYZE toasty;",
    );
    db
}

/// A statement that blocks a big table: (statement, rule, what it does,
/// lock, table).
type BlockingCase = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const BLOCKING: [BlockingCase; 10] = [
    (
        "CLUSTER big USING big_pkey;",
        "prefer-repack",
        "VACUUM FULL or CLUSTER",
        "ACCESS EXCLUSIVE",
        "big",
    ),
    (
        "CLUSTER big_pkey ON big;",
        "prefer-repack",
        "VACUUM FULL or CLUSTER",
        "ACCESS EXCLUSIVE",
        "big",
    ),
    (
        "CLUSTER toasty;",
        "prefer-repack",
        "VACUUM FULL or CLUSTER",
        "ACCESS EXCLUSIVE",
        "toasty",
    ),
    (
        "VACUUM FULL big;",
        "prefer-repack",
        "VACUUM FULL or CLUSTER",
        "ACCESS EXCLUSIVE",
        "big",
    ),
    (
        "VACUUM (FULL, VERBOSE) big;",
        "prefer-repack",
        "VACUUM FULL or CLUSTER",
        "ACCESS EXCLUSIVE",
        "big",
    ),
    (
        "REINDEX TABLE big;",
        "require-concurrent-reindex",
        "REINDEX without CONCURRENTLY",
        "ACCESS EXCLUSIVE",
        "big",
    ),
    (
        "LOCK TABLE big;",
        "lock-table",
        "LOCK TABLE",
        "ACCESS EXCLUSIVE",
        "big",
    ),
    (
        "LOCK TABLE big IN EXCLUSIVE MODE;",
        "lock-table",
        "LOCK TABLE",
        "EXCLUSIVE",
        "big",
    ),
    (
        "LOCK big IN SHARE MODE;",
        "lock-table",
        "LOCK TABLE",
        "SHARE",
        "big",
    ),
    (
        "REFRESH MATERIALIZED VIEW big_mv;",
        "require-concurrent-refresh",
        "REFRESH MATERIALIZED VIEW without CONCURRENTLY",
        "ACCESS EXCLUSIVE",
        "big_mv",
    ),
];

#[test]
fn statements_that_block_a_big_table_fail_above_the_limit_and_warn_below() {
    let db = big_db();
    assert!(
        db.int("SELECT pg_relation_size('toasty')") < 1 << 20,
        "toasty's data should be in TOAST"
    );
    for case in BLOCKING {
        assert_blocks(&db, case);
    }
}

/// Above the limit `sql` fails with the usual shape of a finding, below it
/// warns, and with `SLIPWAY_LINT=error` it fails whatever the size.
fn assert_blocks(db: &TestDb, (sql, rule, does, lock, table): BlockingCase) {
    // Above the limit: exit 9 in the default mode, with the usual shape.
    let (doc, err) = lint_sql(db, sql, &["--lint-blocking-max-size", LIMIT], 9);
    let finding = only_finding(&doc);
    assert_eq!(finding["rule"], rule, "{sql}");
    assert_eq!(finding["lock"], lock, "{sql}");
    assert_eq!(finding["blocking"], true, "{sql}");
    assert_eq!(finding["fails"], true, "{sql}");
    assert_eq!(
        finding["facts"]["table"],
        format!("public.{table}"),
        "{sql}"
    );
    assert!(
        finding["facts"]["bytes"].as_i64().unwrap() > 2 << 20,
        "{sql}: {finding:#}"
    );
    let headline = format!("m.sql:1:1 {rule}: {does} on public.{table} (");
    for part in [
        headline.as_str(),
        "statement: ",
        "why: ",
        "safe: ",
        "exit code 9 (lint)",
    ] {
        assert!(err.contains(part), "{sql}: no {part:?} in\n{err}");
    }
    assert!(err.contains(&format!("({lock} lock)")), "{sql}: {err}");
    // Below the limit: a warning, exit 0.
    let (doc, err) = lint_sql(db, sql, &["--lint-blocking-max-size", "1GiB"], 0);
    assert_eq!(only_finding(&doc)["fails"], false, "{sql}");
    assert!(
        err.contains(&format!("WARNING: m.sql:1:1 {rule}")),
        "{sql}: {err}"
    );
    // SLIPWAY_LINT=error: every finding stops the release.
    lint_sql(
        db,
        sql,
        &["--lint", "error", "--lint-blocking-max-size", "1GiB"],
        9,
    );
}

#[test]
fn truncate_is_a_brief_exclusive_lock_and_weak_locks_are_no_finding() {
    let db = big_db();
    let (doc, err) = lint_sql(
        &db,
        "TRUNCATE big;",
        &["--lint-blocking-max-size", LIMIT],
        0,
    );
    let finding = only_finding(&doc);
    assert_eq!(finding["rule"], "truncate");
    assert_eq!(finding["lock"], "ACCESS EXCLUSIVE");
    assert_eq!(finding["blocking"], false);
    assert!(
        err.contains("WARNING: m.sql:1:1 truncate: TRUNCATE on public.big ("),
        "{err}"
    );
    lint_sql(&db, "TRUNCATE big;", &["--lint", "error"], 9);
    for sql in [
        "LOCK TABLE big IN ROW EXCLUSIVE MODE;",
        "LOCK TABLE big IN SHARE UPDATE EXCLUSIVE MODE;",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY big_mv;",
        "VACUUM big;",
    ] {
        let (doc, _) = lint_sql(&db, sql, &["--lint", "error"], 0);
        assert_eq!(doc["lint"]["findings"], serde_json::json!([]), "{sql}");
    }
}

#[test]
fn slipways_own_rules_are_ignored_by_squawk_ignore_comments() {
    let db = big_db();
    let sql = "-- squawk-ignore lock-table\nLOCK TABLE big;\n-- squawk-ignore prefer-repack\nCLUSTER big;\n";
    let (doc, err) = lint_sql(&db, sql, &["--lint", "error"], 0);
    assert_eq!(doc["lint"]["findings"], serde_json::json!([]), "{doc:#}");
    let ignored = doc["lint"]["ignored"].as_array().unwrap();
    assert_eq!(ignored.len(), 2, "{doc:#}");
    // squawk does not know `lock-table`, but it is no unknown name here.
    assert!(
        doc["lint"]["notes"].as_array().unwrap().is_empty(),
        "{doc:#}"
    );
    assert!(!err.contains("no such squawk rule"), "{err}");
}
