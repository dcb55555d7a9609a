//! End-to-end tests of the migration formats other than sqlx, through the real CNB lifecycle:
//! a Diesel + pgvector app (diesel.toml, `diesel setup`'s initial migration, a
//! `run_in_transaction = false` migration) and a `SeaORM` app whose `migration` binary the release
//! phase runs as its migrate command. Each builds cold, declares `release`, and its release
//! process migrates a fresh PostgreSQL.

use crate::support::{
    TestDatabase, build_ok, copy_fixture, free_port, heroku_run, http_get, launch_env,
    process_types, run, start, strip_ansi,
};

/// Whether `output` has slipway-release's line for `step` with status `ok`.
fn step_ok(output: &str, step: &str) -> bool {
    output.lines().any(|line| {
        line.strip_prefix("slipway-release | ")
            .and_then(|rest| rest.strip_prefix(step))
            .is_some_and(|rest| rest.split_whitespace().next() == Some("ok"))
    })
}

/// The Diesel + pgvector app: cold build, the format line, `release` declared; `release` on a
/// fresh database writes diesel's history and installs `vector`, after which diesel's own
/// harness (`diesel-app migrate`, crates.io's release command) finds nothing pending; `web`
/// answers a nearest-neighbour query.
#[test]
fn diesel_app_builds_releases_with_slipway_and_serves() {
    let work = tempfile::tempdir().unwrap();
    let app = copy_fixture("diesel-app", work.path());
    let root = work.path().join("root");

    let (image, cold) = build_ok(&app, &root, &[]);
    let cold = strip_ansi(&cold);
    assert!(
        cold.contains(
            "- Migrations: diesel, `migrations/`, 4 migrations (diesel.toml at the app root)"
        ),
        "{cold}"
    );
    assert!(
        cold.contains(
            "Run outside a transaction, as Diesel runs them (`run_in_transaction = false`): \
             2024-06-01-000200-0000_index_documents_concurrently"
        ),
        "{cold}"
    );
    // The pgvector scan reads up.sql (the HNSW index), not down.sql.
    assert!(
        cold.contains("the migrations use CREATE EXTENSION vector (2024-06-01-000000-0000_enable_vector/up.sql:2)"),
        "{cold}"
    );
    assert!(
        cold.contains(
            "minimum pgvector 0.5.0, for an HNSW index (2024-06-01-000200-0000_index_documents_concurrently/up.sql:2)"
        ),
        "{cold}"
    );
    assert!(cold.contains("release: `slipway-release run`"), "{cold}");
    assert_eq!(process_types(&image), ["diesel-app", "release", "web"]);
    let launch = launch_env(&image, &[]);
    assert_eq!(
        launch
            .get("SLIPWAY_PGVECTOR_MIN_VERSION")
            .map(String::as_str),
        Some("0.5.0")
    );
    // diesel.toml says Diesel to the release phase as well: no format default is needed.
    assert_eq!(launch.get("SLIPWAY_MIGRATIONS_FORMAT"), None);

    // The release process migrates a fresh database as diesel_migrations would, and installs
    // pgvector.
    let database = TestDatabase::create();
    let (released, out) = run(&image, "release", &[("DATABASE_URL", &database.url)]);
    assert!(released, "the release process succeeds:\n{out}");
    assert!(step_ok(&out, "lock"), "{out}");
    assert!(step_ok(&out, "migrate"), "{out}");
    assert_eq!(
        database.query(
            "SELECT string_agg(version, ',' ORDER BY version) FROM __diesel_schema_migrations"
        ),
        "00000000000000,202406010000000000,202406010001000000,202406010002000000"
    );
    assert_eq!(
        database.query("SELECT count(*) FROM pg_extension WHERE extname = 'vector'"),
        "1"
    );
    // The CONCURRENTLY index ran outside a transaction, and is valid.
    assert_eq!(
        database.query(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'documents_embedding_hnsw'::regclass"
        ),
        "t"
    );

    // diesel_migrations' own harness agrees: nothing is pending.
    let (migrated, out) = heroku_run(
        &image,
        &["diesel-app", "migrate"],
        &[("DATABASE_URL", &database.url)],
    );
    assert!(migrated, "{out}");
    assert!(
        !out.contains("applied"),
        "diesel found something pending:\n{out}"
    );

    // The web process answers over HTTP.
    let port = free_port();
    let _web = start(
        &image,
        "web",
        &[("DATABASE_URL", &database.url), ("PORT", &port.to_string())],
    );
    let body = http_get(port, "/documents/1/neighbours");
    assert!(
        body.starts_with("[{\"id\":2,\"title\":\"harbour tugboats\""),
        "{body}"
    );

    // The build lints up.sql as the release phase does (slipway-release's Diesel lint).
    assert!(cold.contains("finding(s) in 4 migration(s)"), "{cold}");
}

/// The `SeaORM` app: its `migration` binary (the only one depending on sea-orm-migration) is
/// wired as the release phase's migrate command, by a launch default a config var overrides;
/// `release` runs it inside slipway's flow; the migrator is no candidate for `web`; a
/// `SLIPWAY_MIGRATE_COMMAND` config var is respected.
#[test]
fn seaorm_app_release_runs_its_migrator_inside_slipways_flow() {
    let work = tempfile::tempdir().unwrap();
    let app = copy_fixture("seaorm-app", work.path());
    let root = work.path().join("root");

    let (image, cold) = build_ok(&app, &root, &[]);
    let cold = strip_ansi(&cold);
    assert!(
        cold.contains(
            "- Migrations: command, `migration up` (SeaORM: sea-orm-migration is in Cargo.lock, \
             and `migration` is the only binary whose package depends on sea-orm-migration)"
        ),
        "{cold}"
    );
    assert!(
        cold.contains("no SQL for the build to scan for pgvector or lint"),
        "{cold}"
    );
    assert!(
        cold.contains("web: `seaorm-app` (the only binary besides the migrator)"),
        "{cold}"
    );
    assert_eq!(
        process_types(&image),
        ["migration", "release", "seaorm-app", "web"]
    );
    let launch = launch_env(&image, &[]);
    assert_eq!(
        launch.get("SLIPWAY_MIGRATE_COMMAND").map(String::as_str),
        Some("migration up")
    );
    // One default only: the migrate command implies the command format, so a format the
    // user sets later never meets a default that contradicts it.
    assert_eq!(launch.get("SLIPWAY_MIGRATIONS_FORMAT"), None);
    // sea-orm's Cargo.lock lists `pgvector` (an optional dependency), but the app does not
    // compile it: the release phase is not told to create the extension.
    assert!(
        cold.contains("Not used: the app compiles no `pgvector` crate"),
        "{cold}"
    );
    assert_eq!(launch.get("SLIPWAY_PGVECTOR"), None);
    // The migrator is on PATH at launch, from the app layer.
    assert!(
        image
            .files()
            .unwrap()
            .contains(&"layers/slipway_rust/app/bin/migration".into())
    );
    let overridden = launch_env(&image, &[("SLIPWAY_MIGRATE_COMMAND", "migration up -n 1")]);
    assert_eq!(
        overridden
            .get("SLIPWAY_MIGRATE_COMMAND")
            .map(String::as_str),
        Some("migration up -n 1")
    );

    let database = TestDatabase::create();
    let (released, out) = run(&image, "release", &[("DATABASE_URL", &database.url)]);
    assert!(released, "the release process succeeds:\n{out}");
    assert!(step_ok(&out, "lock"), "{out}");
    assert!(step_ok(&out, "migrate"), "{out}");
    assert_eq!(
        database.query("SELECT string_agg(version, ',' ORDER BY version) FROM seaql_migrations"),
        "m20240601_000001_create_posts"
    );
    assert_eq!(database.query("SELECT count(*) FROM posts"), "0");

    let port = free_port();
    let _web = start(&image, "web", &[("PORT", &port.to_string())]);
    assert_eq!(http_get(port, "/"), "ok");

    // A config var set for the build is respected, and said so.
    let (image, warm) = build_ok(&app, &root, &[("SLIPWAY_MIGRATE_COMMAND", "migration up")]);
    let warm = strip_ansi(&warm);
    assert!(
        warm.contains(
            "- Migrations: command (a migrate command is set by SLIPWAY_MIGRATE_COMMAND)"
        ),
        "{warm}"
    );
    assert!(
        warm.contains("SLIPWAY_MIGRATE_COMMAND is set by the app's config"),
        "{warm}"
    );
    assert_eq!(launch_env(&image, &[]).get("SLIPWAY_MIGRATE_COMMAND"), None);
}
