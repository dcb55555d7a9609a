//! arm64 end to end, as Heroku Fir runs it (Graviton), on an amd64 machine under qemu-user:
//! the buildpack packaged for `aarch64-unknown-linux-gnu` builds an app through the real arm64
//! lifecycle, every phase chrooted into an arm64 Debian build root, so the real rustup-init
//! installs the real aarch64 toolchain and cargo compiles natively for arm64; the exported
//! linux/arm64 image's `release` process (the arm64 slipway-release) migrates a real
//! PostgreSQL with pgvector and its `web` process answers over HTTP; a rebuild is warm.
//!
//! Ignored by default: it needs the arm64 platform that `scripts/arm64-env.sh` prepares (qemu-user
//! and `binfmt_misc`, the cross linker, the arm64 lifecycle, run image and build root), and takes
//! about 3 minutes warm, 12 cold. `.ci/run` runs it after the suite:
//!
//! ```sh
//! eval "$(./scripts/arm64-env.sh | sed 's/^/export /')"
//! cargo nextest run -p slipway-buildpack-rust --no-capture --run-ignored ignored-only -E 'test(/^arm64::/)'
//! ```
//!
//! Its build root (and so the build cache) is kept in `<target dir>/slipway-arm64/build` for the
//! next run; `scripts/arm64-env.sh --clean` deletes it. The app is test-fixtures/apps/tiny with
//! one pgvector migration: rustc under qemu is ~10x slower than native, so the
//! dependency-heavy pgvector app is left to the amd64 tests.

use crate::support::{
    CACHES, TestDatabase, assert_warm_rebuild, build_ok_on, cache_build_number, copy_fixture,
    free_port, http_get, installed_toolchains, package_buildpack, run, start, strip_ansi,
    target_dir,
};
use slipway_lifecycle_harness::{Platform, Tools};
use std::path::{Path, PathBuf};
use std::time::Instant;

const TARGET: &str = "aarch64-unknown-linux-gnu";

/// `e_machine` of an arm64 ELF file (`EM_AARCH64`).
const EM_AARCH64: u16 = 183;

#[test]
#[ignore = "arm64 under qemu-user: needs scripts/arm64-env.sh; .ci/run runs it after the suite"]
fn arm64_app_builds_releases_serves_and_rebuilds_warm() {
    let build_root = std::env::var_os("SLIPWAY_ARM64_BUILD_ROOT").map(PathBuf::from).expect(
        "SLIPWAY_ARM64_BUILD_ROOT: export what scripts/arm64-env.sh prints before running this test",
    );
    let mut steps = Steps::new();

    steps.next("1/5 packaging slipway/rust for aarch64-unknown-linux-gnu");
    let buildpack = package_buildpack(TARGET);
    assert_eq!(
        elf_machine(&buildpack.join("bin/build")),
        EM_AARCH64,
        "the packaged bin/build"
    );
    let platform = Platform::new(&buildpack, Tools::for_arch("arm64").unwrap())
        .unwrap()
        .with_build_root(&build_root);
    let work = tempfile::tempdir().unwrap();
    let app = copy_fixture("tiny", work.path());
    std::fs::create_dir_all(app.join("migrations")).unwrap();
    std::fs::write(
        app.join("migrations/20240101000000_create_items.sql"),
        "CREATE EXTENSION IF NOT EXISTS vector;\nCREATE TABLE items (id bigserial PRIMARY KEY, embedding vector(3) NOT NULL);\n",
    )
    .unwrap();
    let root = kept_root();

    steps.next("2/5 build on the arm64 lifecycle (rustup-init and cargo under qemu, unless the kept cache has them)");
    let (image, first) = build_ok_on(&platform, &app, &root, &[]);
    let config = image.config().unwrap();
    assert_eq!(
        (config["architecture"].as_str(), config["os"].as_str()),
        (Some("arm64"), Some("linux")),
        "the exported image's platform"
    );
    // From the toolchain layer, not the log: a kept root restores the toolchain.
    let toolchains = installed_toolchains(&root);
    assert!(
        toolchains
            .iter()
            .all(|toolchain| toolchain.ends_with("-aarch64-unknown-linux-gnu"))
            && !toolchains.is_empty(),
        "the build used an aarch64 toolchain: {toolchains:?}"
    );

    steps.next("3/5 the image's release process against PostgreSQL with pgvector");
    let database = TestDatabase::create();
    let (released, out) = run(&image, "release", &[("DATABASE_URL", &database.url)]);
    assert!(released, "the arm64 release process failed: {out}");
    let rootfs = image.rootfs().unwrap();
    for binary in ["app/bin/tiny", "release_tool/bin/slipway-release"] {
        let path = rootfs.join("layers/slipway_rust").join(binary);
        assert_eq!(elf_machine(&path), EM_AARCH64, "{binary}");
    }
    assert_eq!(
        database.query("SELECT count(*) FROM _sqlx_migrations WHERE success"),
        "1"
    );
    assert_eq!(
        database.query("SELECT count(*) FROM pg_extension WHERE extname = 'vector'"),
        "1"
    );

    steps.next("4/5 the image's web process over HTTP");
    let port = free_port();
    let web = start(&image, "web", &[("PORT", &port.to_string())]);
    assert_eq!(http_get(port, "/"), "hello from tiny\n");
    drop(web);

    steps.next("5/5 warm rebuild: the restored caches are reused, nothing compiles");
    let (_, warm) = build_ok_on(&platform, &app, &root, &[]);
    assert_warm_rebuild(&first, &warm, "1.95.0");
    steps.done();
}

/// `<target dir>/slipway-arm64/build`, the build root kept between runs: a cold build under qemu
/// takes minutes. A root whose caches the next two builds would take past their bound of 100
/// uses is deleted first, so that this run's rebuild is warm.
fn kept_root() -> PathBuf {
    let root = target_dir().join("slipway-arm64/build");
    let last_build = std::fs::read_to_string(root.join("logs/builder.log")).unwrap_or_default();
    let last_build = strip_ansi(&last_build);
    if CACHES
        .iter()
        .any(|cache| cache_build_number(&last_build, cache) + 2 > 100)
    {
        std::fs::remove_dir_all(&root).unwrap();
    }
    root
}

/// `e_machine` of the ELF file at `path`.
fn elf_machine(path: &Path) -> u16 {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        bytes.get(..4),
        Some(&b"\x7fELF"[..]),
        "{} is not an ELF file",
        path.display()
    );
    u16::from_le_bytes([bytes[18], bytes[19]])
}

/// Prints each step's name when it starts and its duration when the next one starts.
struct Steps {
    started: Instant,
    step: Option<(&'static str, Instant)>,
}

impl Steps {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            step: None,
        }
    }

    fn next(&mut self, name: &'static str) {
        self.finish();
        eprintln!("[arm64] {name}");
        self.step = Some((name, Instant::now()));
    }

    fn finish(&mut self) {
        if let Some((name, started)) = self.step.take() {
            eprintln!("[arm64] ({}s) {name}", started.elapsed().as_secs());
        }
    }

    fn done(mut self) {
        self.finish();
        eprintln!("[arm64] passed in {}s", self.started.elapsed().as_secs());
    }
}
