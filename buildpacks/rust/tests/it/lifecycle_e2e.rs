//! End-to-end tests: the *packaged* buildpack run by the real CNB lifecycle (analyzer,
//! detector, restorer, builder, exporter; see `lifecycle-harness`), with a real rustup-init
//! toolchain install, real cargo builds, the image exported to a local OCI registry and its
//! processes started by the real launcher, against a real PostgreSQL.

use crate::support::{
    TestDatabase, assert_warm_rebuild, build, build_fails_with, build_ok, cache_layers_reused,
    compiled_crates, copy_fixture, download_lines, fixture, free_port, http_get,
    installed_toolchains, launch_env, platform, process_types, run, start, strip_ansi,
};

/// The image's process types, sorted (the lifecycle records them sorted by type).
fn default_process(image: &slipway_lifecycle_harness::Image) -> Option<String> {
    image.default_process().unwrap()
}

/// Asserts the exported image holds binaries only: no target dir, toolchain or registry.
fn assert_image_has_only_binaries(image: &slipway_lifecycle_harness::Image, bins: &[&str]) {
    let files: Vec<String> = image
        .files()
        .unwrap()
        .into_iter()
        .map(|path| path.to_string_lossy().into_owned())
        .collect();
    for forbidden in [
        "/target/",
        "workspace/target",
        "rustup",
        "/registry/",
        "toolchain/",
        "cargo_home",
    ] {
        let found: Vec<&String> = files.iter().filter(|f| f.contains(forbidden)).collect();
        assert!(
            found.is_empty(),
            "the image must not contain `{forbidden}`: {found:?}"
        );
    }
    // What the registry says the image holds: slipway/rust's launch layers only.
    let config = image.config().unwrap();
    let label: serde_json::Value = serde_json::from_str(
        config["config"]["Labels"]["io.buildpacks.lifecycle.metadata"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let layers: Vec<&str> = label["buildpacks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|buildpack| buildpack["key"] == "slipway/rust")
        .flat_map(|buildpack| buildpack["layers"].as_object().unwrap().keys())
        .map(String::as_str)
        .collect();
    assert!(
        layers
            .iter()
            .all(|layer| ["app", "release_tool"].contains(layer)),
        "only launch layers reach the image: {layers:?}"
    );
    let manifest = image.manifest().unwrap();
    let diff_ids = config["rootfs"]["diff_ids"].as_array().unwrap().len();
    assert_eq!(
        manifest["layers"].as_array().unwrap().len(),
        diff_ids,
        "every layer in the config is in the registry"
    );
    for bin in bins {
        let path = format!("layers/slipway_rust/app/bin/{bin}");
        assert!(
            files.contains(&path),
            "the image lacks {path}; it has {files:?}"
        );
    }
}

#[test]
fn detect_passes_with_a_cargo_toml_and_fails_without() {
    let root = tempfile::tempdir().unwrap();
    let env = std::collections::BTreeMap::new();
    let passed = platform()
        .detect(&fixture("tiny"), root.path(), &env)
        .unwrap();
    assert!(passed.passed, "{}", passed.output);
    let plan = std::fs::read_to_string(root.path().join("layers/plan.toml")).unwrap();
    assert!(plan.contains("name = \"rust\""), "{plan}");

    let failed = platform()
        .detect(&fixture("not-rust"), root.path(), &env)
        .unwrap();
    assert!(!failed.passed);
    assert_eq!(
        failed.exit_code,
        Some(slipway_lifecycle_harness::DETECT_FAILED)
    );
    assert!(
        failed.output.contains("No Cargo.toml at the app root"),
        "{}",
        failed.output
    );
}

#[test]
fn tiny_app_cold_build_serves_http_and_ships_only_binaries() {
    let root = tempfile::tempdir().unwrap();
    let (image, output) = build_ok(&fixture("tiny"), root.path(), &[]);

    assert!(
        output.contains("Using Rust `1.95.0`"),
        "the pinned default is printed"
    );
    assert!(
        output.contains("rustup-init"),
        "the toolchain is installed by rustup-init"
    );
    assert!(output.contains("Verified SHA-256"));
    // rustup-init's success line is not printed (the step's own line says it is done); the
    // toolchain it installed is in the layer.
    assert!(
        installed_toolchains(root.path())
            .iter()
            .any(|toolchain| toolchain.starts_with("1.95.0-")),
        "{output}"
    );
    assert!(
        !output.contains("in your PATH"),
        "rustup-init's PATH advice is wrong in a buildpack: {output}"
    );
    assert_eq!(compiled_crates(&output), ["tiny"]);
    assert_eq!(process_types(&image), ["tiny", "web"]);
    assert_eq!(default_process(&image).as_deref(), Some("web"));
    assert_image_has_only_binaries(&image, &["tiny"]);

    let port = free_port().to_string();
    let _web = start(&image, "web", &[("PORT", &port)]);
    assert_eq!(http_get(port.parse().unwrap(), "/"), "hello from tiny\n");
}

#[test]
fn workspace_binaries_become_processes_and_web_needs_a_choice() {
    let root = tempfile::tempdir().unwrap();
    let (image, output) = build_ok(&fixture("workspace"), root.path(), &[]);
    assert!(
        output.contains("No web process: the build produced 2 binaries (api, jobs)"),
        "{output}"
    );
    assert!(output.contains("SLIPWAY_WEB_BIN"));
    assert_eq!(process_types(&image), ["api", "jobs"]);
    assert_eq!(default_process(&image), None, "no web, no default");
    assert_image_has_only_binaries(&image, &["api", "jobs"]);

    let (image, output) = build_ok(
        &fixture("workspace"),
        root.path(),
        &[("SLIPWAY_WEB_BIN", "jobs")],
    );
    assert!(
        output.contains("web: `jobs` (set by SLIPWAY_WEB_BIN)"),
        "{output}"
    );
    assert_eq!(process_types(&image), ["api", "jobs", "web"]);
    let (ok, out) = run(&image, "web", &[]);
    assert!(ok);
    assert_eq!(out.trim(), "jobs ran");

    let (image, output) = build_ok(
        &fixture("workspace"),
        root.path(),
        &[("SLIPWAY_CARGO_PACKAGE", "api")],
    );
    assert!(
        output.contains("cargo build --locked --release --package api"),
        "{output}"
    );
    assert_eq!(process_types(&image), ["api", "web"]);
    assert!(
        !output.contains("rustup-init"),
        "the cached toolchain is reused"
    );

    let outcome = build(
        &fixture("workspace"),
        root.path(),
        &[("SLIPWAY_WEB_BIN", "nope")],
    );
    assert!(!outcome.success());
    let output = strip_ansi(&outcome.output);
    assert!(
        output.contains("Error: Cannot choose the web process"),
        "{output}"
    );
}

#[test]
fn toolchain_file_channel_and_components_are_installed() {
    let root = tempfile::tempdir().unwrap();
    let (image, output) = build_ok(&fixture("toolchain-file"), root.path(), &[]);
    assert!(
        output.contains("Using Rust `1.95.0` (from rust-toolchain.toml)"),
        "{output}"
    );
    assert!(output.contains("--component rustfmt"), "{output}");
    let installed = installed_toolchains(root.path());
    assert_eq!(installed, ["1.95.0-x86_64-unknown-linux-gnu"]);
    assert!(
        root.path()
            .join("layers/slipway_rust/toolchain/rustup/toolchains")
            .join(&installed[0])
            .join("bin/rustfmt")
            .is_file(),
        "rustfmt component"
    );
    let (ok, out) = run(&image, "web", &[]);
    assert!(ok);
    assert!(out.starts_with("built with rustc 1.95.0"), "{out}");
}

fn assert_build_error(app: &str, title: &str, more: &[&str]) -> String {
    let root = tempfile::tempdir().unwrap();
    let output = build_fails_with(&fixture(app), root.path(), &[], title);
    for needle in more {
        assert!(output.contains(needle), "missing `{needle}` in:\n{output}");
    }
    output
}

#[test]
fn missing_lockfile_is_a_titled_error() {
    let output = assert_build_error(
        "no-lockfile",
        "No Cargo.lock found",
        &["cargo generate-lockfile"],
    );
    assert!(
        !output.contains("rustup-init"),
        "nothing is installed before the check"
    );
}

#[test]
fn bad_toolchain_file_is_a_titled_error() {
    assert_build_error(
        "bad-toolchain",
        "Invalid Rust toolchain file",
        &["rust-toolchain.toml line 3", "componets"],
    );
}

#[test]
fn compile_error_is_a_titled_error() {
    assert_build_error(
        "compile-error",
        "Compiling the app failed",
        &["mismatched types", "cargo build --release --locked"],
    );
}

#[test]
fn library_only_app_has_no_binary_targets() {
    assert_build_error(
        "library-only",
        "No binary targets",
        &["only library targets"],
    );
}

#[test]
fn unknown_toolchain_channel_is_a_titled_error_and_nothing_is_kept() {
    let work = tempfile::tempdir().unwrap();
    let app = copy_fixture("tiny", work.path());
    // A well-formed channel that does not exist: only rustup can tell.
    std::fs::write(
        app.join("rust-toolchain.toml"),
        "[toolchain]\nchannel = \"1.0.99\"\n",
    )
    .unwrap();
    let root = work.path().join("root");
    let outcome = build(&app, &root, &[]);
    assert!(!outcome.success());
    let output = strip_ansi(&outcome.output);
    assert!(output.contains("Verified SHA-256"), "{output}");
    assert!(
        output.contains("! Error: Installing the Rust toolchain failed"),
        "{output}"
    );
    assert!(
        output.contains(
            "`rustup-init -y --no-modify-path --profile minimal --default-toolchain 1.0.99` exited with exit status: 1"
        ),
        "{output}"
    );
    assert!(
        output.contains("How to fix it: Check the channel"),
        "{output}"
    );
    assert!(!output.contains("Internal error"), "{output}");
    let layer = root.join("layers/slipway_rust/toolchain");
    assert!(
        !layer.join("rustup-init").exists(),
        "the installer is removed even when it failed"
    );
    let layer_toml = std::fs::read_to_string(root.join("layers/slipway_rust/toolchain.toml"))
        .unwrap_or_default();
    assert!(
        !layer_toml.contains("1.0.99"),
        "a failed install is not recorded as installed: {layer_toml}"
    );
}

#[test]
fn invalid_setting_is_a_titled_error() {
    let root = tempfile::tempdir().unwrap();
    let outcome = build(
        &fixture("tiny"),
        root.path(),
        &[("SLIPWAY_PGVECTOR", "maybe")],
    );
    assert!(!outcome.success());
    let output = strip_ansi(&outcome.output);
    assert!(
        output.contains("! Error: Invalid build setting"),
        "{output}"
    );
    assert!(
        output.contains("SLIPWAY_PGVECTOR is set to `maybe`"),
        "{output}"
    );
}

/// The whole life of the pgvector app, in one test so every step shares one build cache:
/// cold build, warm rebuild, one-line change, release against a fresh database, web, and the
/// sqlx hint when `.sqlx/` is missing.
#[test]
fn pgvector_app_builds_releases_serves_and_rebuilds_incrementally() {
    let work = tempfile::tempdir().unwrap();
    let app = copy_fixture("pgvector-app", work.path());
    let root = work.path().join("root");

    // 1. Cold build, with a real toolchain install.
    let (_, cold) = build_ok(&app, &root, &[]);
    assert!(
        cold.contains("rustup-init"),
        "cold build installs the toolchain"
    );
    assert!(
        cold.contains("Found .sqlx/: setting `SQLX_OFFLINE=true`"),
        "{cold}"
    );
    assert!(
        cold.contains("the app compiles the `pgvector` crate"),
        "{cold}"
    );
    assert!(
        cold.contains("minimum pgvector 0.5.0, for an HNSW index"),
        "{cold}"
    );
    assert!(
        compiled_crates(&cold).len() > 50,
        "the dependencies compile"
    );
    assert_caches_sized_without_binary_copies(&cold, &root);

    // 2. Warm rebuilds, twice, so the use counters cross two real restores: both caches
    // reused (builds 2 and 3 of each), nothing downloaded, nothing compiled.
    let mut previous = cold;
    for _ in [2, 3] {
        let (_, warm) = build_ok(&app, &root, &[]);
        assert_warm_rebuild(&previous, &warm, "1.95.0");
        previous = warm;
    }

    // 3. One-line change: only the app crate recompiles.
    let main_rs = app.join("src/main.rs");
    let source = std::fs::read_to_string(&main_rs).unwrap();
    let changed = source.replace(
        "pgvector-app listening on port",
        "pgvector-app is listening on port",
    );
    assert_ne!(source, changed);
    std::fs::write(&main_rs, changed).unwrap();
    let (image, change) = build_ok(&app, &root, &[]);
    assert_eq!(compiled_crates(&change), ["pgvector-app"], "{change}");
    assert_eq!(download_lines(&change), Vec::<String>::new());
    assert_eq!(
        cache_layers_reused(&change),
        [("cargo_home", true), ("target", false), ("toolchain", true)]
            .map(|(layer, reused)| (layer.to_string(), reused))
            .into(),
        "only the target layer is stored again:\n{change}"
    );
    assert_sbom_lists_the_crates(&image);
    assert_eq!(process_types(&image), ["pgvector-app", "release", "web"]);
    assert_image_has_only_binaries(&image, &["pgvector-app"]);
    assert!(
        image
            .files()
            .unwrap()
            .contains(&"layers/slipway_rust/release_tool/bin/slipway-release".into())
    );

    // The pgvector minimum reaches the release process as a default the user can override.
    let launch = launch_env(&image, &[]);
    assert_eq!(
        launch
            .get("SLIPWAY_PGVECTOR_MIN_VERSION")
            .map(String::as_str),
        Some("0.5.0")
    );
    assert_eq!(
        launch.get("SLIPWAY_PGVECTOR").map(String::as_str),
        Some("required"),
        "the release process is told to ensure the extension"
    );
    assert!(
        change.contains("The release process will ensure the `vector` extension"),
        "{change}"
    );
    let launch = launch_env(&image, &[("SLIPWAY_PGVECTOR_MIN_VERSION", "0.8.0")]);
    assert_eq!(
        launch
            .get("SLIPWAY_PGVECTOR_MIN_VERSION")
            .map(String::as_str),
        Some("0.8.0")
    );

    release_then_query_nearest_neighbours(&image);

    // 6. Without .sqlx/ the compile fails with the `cargo sqlx prepare` hint.
    // (Cargo does not track `.sqlx/`, so the app crate must change too to recompile.)
    std::fs::remove_dir_all(app.join(".sqlx")).unwrap();
    let source = std::fs::read_to_string(&main_rs).unwrap();
    std::fs::write(
        &main_rs,
        source.replace("is listening on port", "listens on port"),
    )
    .unwrap();
    let outcome = build(&app, &root, &[]);
    assert!(!outcome.success());
    let output = strip_ansi(&outcome.output);
    assert!(
        output.contains("! Error: Compiling the app failed: sqlx needs its offline query data"),
        "{output}"
    );
    assert!(output.contains("cargo sqlx prepare"), "{output}");
}

/// Each cache layer's size is in the log, and the uplifted copy of the binary (a second copy
/// of `deps/pgvector_app-<hash>` in the lifecycle's tar) is not in the cached target dir.
fn assert_caches_sized_without_binary_copies(output: &str, root: &std::path::Path) {
    let output = strip_ansi(output);
    for line in [
        "- Toolchain: ",
        "- Cargo registry cache: ",
        "- Target dir cache: ",
    ] {
        assert!(output.contains(line), "missing `{line}` in:\n{output}");
    }
    let release_dir = root.join("layers/slipway_rust/target/target/release");
    assert!(
        release_dir.join("deps").is_dir(),
        "{}",
        release_dir.display()
    );
    assert!(!release_dir.join("pgvector-app").exists());
}

/// The image's SBOM layer carries the app layer's CycloneDX SBOM, listing the app's crates
/// with the versions `Cargo.lock` pins, their purls and licences.
fn assert_sbom_lists_the_crates(image: &slipway_lifecycle_harness::Image) {
    let config = image.config().unwrap();
    let label = config["config"]["Labels"]["io.buildpacks.lifecycle.metadata"]
        .as_str()
        .unwrap();
    let metadata: serde_json::Value = serde_json::from_str(label).unwrap();
    assert!(
        metadata["sbom"]["sha"]
            .as_str()
            .is_some_and(|sha| sha.starts_with("sha256:")),
        "the image has an SBOM layer: {metadata}"
    );
    let path = image
        .rootfs()
        .unwrap()
        .join("layers/sbom/launch/slipway_rust/app/sbom.cdx.json");
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(document["bomFormat"], "CycloneDX");
    assert_eq!(document["metadata"]["component"]["name"], "pgvector-app");
    let lockfile = std::fs::read_to_string(fixture("pgvector-app").join("Cargo.lock")).unwrap();
    let locked_version = |name: &str| {
        let start = lockfile
            .find(&format!("name = \"{name}\"\nversion = \""))
            .unwrap();
        lockfile[start..].lines().nth(1).unwrap()["version = \"".len()..]
            .trim_end_matches('"')
            .to_string()
    };
    let components = document["components"].as_array().unwrap();
    for name in ["pgvector", "sqlx", "axum", "tokio", "serde"] {
        let component = components
            .iter()
            .find(|component| component["name"] == name)
            .unwrap_or_else(|| panic!("{name} is missing from the SBOM"));
        assert_eq!(component["version"], locked_version(name).as_str());
        assert_eq!(
            component["purl"],
            format!("pkg:cargo/{name}@{}", locked_version(name)).as_str()
        );
        assert!(
            component["licenses"][0]["expression"]
                .as_str()
                .is_some_and(|expression| expression.contains("MIT")),
            "{component}"
        );
    }
}

/// Steps 4 and 5 of the pgvector test: `release` on a fresh database, then `web` over HTTP.
fn release_then_query_nearest_neighbours(image: &slipway_lifecycle_harness::Image) {
    // 4. The release process migrates a fresh database and installs pgvector.
    let database = TestDatabase::create();
    let (released, _) = run(image, "release", &[("DATABASE_URL", &database.url)]);
    assert!(released, "the release process succeeds");
    assert_eq!(
        database.query("SELECT string_agg(version::text, ',' ORDER BY version) FROM _sqlx_migrations WHERE success"),
        "20240601000000,20240601000100,20240601000200"
    );
    assert_eq!(
        database.query("SELECT count(*) FROM pg_extension WHERE extname = 'vector'"),
        "1"
    );

    // 5. The web process answers a nearest-neighbour query over HTTP.
    let port = free_port();
    let _web = start(
        image,
        "web",
        &[("DATABASE_URL", &database.url), ("PORT", &port.to_string())],
    );
    let body = http_get(port, "/documents/1/neighbours?limit=1");
    assert!(body.contains("\"title\":\"harbour tugboats\""), "{body}");
    let body = http_get(port, "/documents/1");
    assert!(body.contains("\"dimensions\":1536"), "{body}");
}

/// A sqlx 0.6 app keeps its offline data in `sqlx-data.json`. With an unreachable
/// `DATABASE_URL` in the build env (as Heroku's config vars are), it builds offline; without
/// the data, the titled error names the cause, and the password is never printed.
#[test]
fn sqlx_data_json_app_builds_offline_while_database_url_is_set() {
    let work = tempfile::tempdir().unwrap();
    let app = copy_fixture("sqlx06-offline", work.path());
    let root = work.path().join("root");
    let password = "build-time-secret-pw";
    let url = format!("postgres://app:{password}@127.0.0.1:1/app");

    let (image, output) = build_ok(&app, &root, &[("DATABASE_URL", &url)]);
    assert!(
        output.contains("Found sqlx-data.json: setting `SQLX_OFFLINE=true`"),
        "{output}"
    );
    assert!(!output.contains(password), "{output}");
    let (ok, out) = run(&image, "web", &[]);
    assert!(ok, "{out}");
    assert_eq!(
        out.trim(),
        "sqlx06-offline checked its query at compile time"
    );

    // Without offline data the macros try DATABASE_URL. (Cargo does not track
    // `sqlx-data.json`, so the app crate must change too to recompile.)
    std::fs::remove_file(app.join("sqlx-data.json")).unwrap();
    let main_rs = app.join("src/main.rs");
    let source = std::fs::read_to_string(&main_rs).unwrap();
    std::fs::write(&main_rs, source.replace("checked its", "has checked its")).unwrap();
    let output = build_fails_with(
        &app,
        &root,
        &[("DATABASE_URL", &url)],
        "Compiling the app failed: sqlx's macros could not reach DATABASE_URL",
    );
    assert!(
        output.contains("error communicating with database"),
        "{output}"
    );
    assert!(
        output.contains("cargo sqlx prepare --workspace"),
        "{output}"
    );
    assert!(output.contains("SQLX_OFFLINE=true"), "{output}");
    assert!(!output.contains(password), "{output}");
}

/// A `stable` toolchain is checked for a newer release on every build; a `[build] target` in
/// `.cargo/config.toml` still ships the binary; migrations outside `migrations/`
/// (`migrations_dir` in slipway.toml) still get the `release` process, the pgvector scan, and
/// a release that migrates from them; the build log shows the migration lint's warnings.
#[test]
fn moving_channel_explicit_target_and_configured_migrations_dir() {
    let work = tempfile::tempdir().unwrap();
    let app = copy_fixture("tiny", work.path());
    std::fs::write(
        app.join("rust-toolchain.toml"),
        "[toolchain]\nchannel = \"stable\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(app.join("db/migrations")).unwrap();
    std::fs::write(
        app.join("db/migrations/20240101000000_create_items.sql"),
        "CREATE EXTENSION IF NOT EXISTS vector;\nCREATE TABLE items (id bigserial PRIMARY KEY, embedding vector(3));\n",
    )
    .unwrap();
    std::fs::write(
        app.join("db/migrations/20240102000000_index_items.sql"),
        "-- Look items up by embedding presence.\nCREATE INDEX items_embedding_idx ON items ((embedding IS NULL));\n",
    )
    .unwrap();
    std::fs::write(
        app.join("slipway.toml"),
        "migrations_dir = \"db/migrations\"\n",
    )
    .unwrap();
    // An explicit build target moves cargo's output to target/<triple>/release: the
    // binaries are found from cargo's own artifact messages.
    std::fs::create_dir_all(app.join(".cargo")).unwrap();
    std::fs::write(
        app.join(".cargo/config.toml"),
        "[build]\ntarget = \"x86_64-unknown-linux-gnu\"\n",
    )
    .unwrap();
    let root = work.path().join("root");

    let (_, cold) = build_ok(&app, &root, &[]);
    assert!(
        cold.contains("Migrations: sqlx, `db/migrations/`, 2 migrations (the default: no diesel.toml, no Diesel migration folders, no migrate command)"),
        "{cold}"
    );
    assert!(
        cold.contains("The folder is set by `migrations_dir` in slipway.toml"),
        "{cold}"
    );
    assert!(cold.contains("--default-toolchain stable"), "{cold}");
    assert!(
        cold.contains("CREATE EXTENSION vector (20240101000000_create_items.sql:1)"),
        "{cold}"
    );
    assert!(
        !cold.contains("moving channel"),
        "a fresh install is current"
    );
    // The same squawk lint as the release phase, as warnings that do not fail the build.
    assert!(
        cold.contains(
            "db/migrations/20240102000000_index_items.sql:2:1 require-concurrent-index-creation: \
             CREATE INDEX without CONCURRENTLY on items"
        ),
        "{cold}"
    );
    assert!(cold.contains("finding(s) in 2 migration(s)"), "{cold}");

    let (image, warm) = build_ok(&app, &root, &[]);
    assert!(
        warm.contains("Reusing the cached Rust stable toolchain"),
        "{warm}"
    );
    assert!(
        warm.contains("`stable` is a moving channel: checking it for a newer release"),
        "{warm}"
    );
    assert!(
        warm.contains("rustup update stable --no-self-update"),
        "{warm}"
    );
    assert!(
        warm.contains("unchanged"),
        "rustup reports the channel: {warm}"
    );
    assert_eq!(process_types(&image), ["release", "tiny", "web"]);

    let database = TestDatabase::create();
    let (released, out) = run(&image, "release", &[("DATABASE_URL", &database.url)]);
    assert!(released, "{out}");
    assert_eq!(
        database.query("SELECT string_agg(version::text, ',' ORDER BY version) FROM _sqlx_migrations WHERE success"),
        "20240101000000,20240102000000"
    );
    let port = free_port();
    let _web = start(&image, "web", &[("PORT", &port.to_string())]);
    assert_eq!(http_get(port, "/"), "hello from tiny\n");

    let output = build_fails_with(
        &app,
        &root,
        &[("SLIPWAY_MIGRATIONS_DIR", "db/none")],
        "Invalid migrations folder setting",
    );
    assert!(
        output.contains(
            "SLIPWAY_MIGRATIONS_DIR is `db/none`, but db/none is not a folder in the app"
        ),
        "{output}"
    );
}
