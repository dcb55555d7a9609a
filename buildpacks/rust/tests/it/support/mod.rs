//! Shared helpers for the end-to-end tests through the real CNB lifecycle.
// Test helpers: a failed step should panic with its cause, like in a #[test].
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use fs2::FileExt;
use slipway_lifecycle_harness::{BuildOutcome, Image, Platform, Tools};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub mod mirror;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn fixture(name: &str) -> PathBuf {
    workspace_root().join("test-fixtures/apps").join(name)
}

/// The shared target dir, found from this test binary's path (`<target>/debug/deps/<test>`).
pub fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

/// The host's target, which the amd64 tests package the buildpack for.
pub const HOST_TARGET: &str = "x86_64-unknown-linux-gnu";

/// The buildpack packaged for the host, once per test process.
pub fn packaged_buildpack() -> PathBuf {
    static PACKAGED: OnceLock<PathBuf> = OnceLock::new();
    PACKAGED
        .get_or_init(|| package_buildpack(HOST_TARGET))
        .clone()
}

/// Packages the buildpack for `target` with `cargo libcnb package`; a file lock keeps the test
/// processes that nextest runs in parallel from packaging at the same time.
pub fn package_buildpack(target: &str) -> PathBuf {
    let package_dir = target_dir().join("slipway-packaged");
    std::fs::create_dir_all(&package_dir).unwrap();
    let lock = std::fs::File::create(target_dir().join("slipway-packaged.lock")).unwrap();
    lock.lock_exclusive().unwrap();
    let output = Command::new("cargo")
        .args([
            "libcnb",
            "package",
            "--no-cross-compile-assistance",
            "--target",
            target,
            "--package-dir",
        ])
        .arg(&package_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("CARGO_TARGET_DIR")
        .env("CARGO_TARGET_DIR", target_dir())
        // For aarch64-unknown-linux-gnu on an amd64 host: Debian's cross linker
        // (gcc-aarch64-linux-gnu, which scripts/arm64-env.sh installs). No other target reads them.
        .env("CC_aarch64_unknown_linux_gnu", "aarch64-linux-gnu-gcc")
        .env(
            "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER",
            "aarch64-linux-gnu-gcc",
        )
        .output()
        .expect("cargo libcnb package runs (install it with scripts/install-buildpack-tools.sh)");
    assert!(
        output.status.success(),
        "packaging failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Another test process packages again while this one builds, and `cargo libcnb
    // package` replaces the dir: each process builds with a snapshot nobody rewrites.
    let packaged = package_dir.join(target).join("debug/slipway_rust");
    let snapshot = snapshot_of(&packaged);
    lock.unlock().unwrap();
    snapshot
}

/// A copy of `dir` under `<target>/slipway-packaged-snapshots/<content hash>`, made once.
fn snapshot_of(dir: &Path) -> PathBuf {
    use sha2::{Digest, Sha256};
    let mut files = Vec::new();
    collect_files(dir, &mut files);
    files.sort();
    let mut hasher = Sha256::new();
    for file in &files {
        hasher.update(file.strip_prefix(dir).unwrap().to_string_lossy().as_bytes());
        hasher.update(std::fs::read(file).unwrap());
    }
    let hash = hex::encode(&hasher.finalize()[..8]);
    let snapshot = target_dir().join("slipway-packaged-snapshots").join(hash);
    if !snapshot.exists() {
        let partial = snapshot.with_extension("partial");
        let _ = std::fs::remove_dir_all(&partial);
        slipway_lifecycle_harness::copy_app(dir, &partial).unwrap();
        std::fs::rename(&partial, &snapshot).unwrap();
    }
    snapshot
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The packaged buildpack on the real lifecycle (amd64), with the registry and run image that
/// `scripts/lifecycle-env.sh` provides.
pub fn platform() -> Platform {
    Platform::new(&packaged_buildpack(), Tools::for_host().unwrap()).unwrap()
}

/// Copies the fixture app `name` into `dest/name`.
pub fn copy_fixture(name: &str, dest: &Path) -> PathBuf {
    let app = dest.join(name);
    slipway_lifecycle_harness::copy_app(&fixture(name), &app).unwrap();
    app
}

/// Builds `app` into `root` (reusing `root/cache` from earlier builds) and prints the output.
pub fn build(app: &Path, root: &Path, env: &[(&str, &str)]) -> BuildOutcome {
    build_on(&platform(), app, root, env)
}

/// [`build`] on another platform (the arm64 one).
pub fn build_on(
    platform: &Platform,
    app: &Path,
    root: &Path,
    env: &[(&str, &str)],
) -> BuildOutcome {
    let outcome = platform.build(app, root, &env_map(env)).unwrap();
    eprintln!(
        "----- build output -----\n{}\n----- end -----",
        outcome.output
    );
    outcome
}

/// Builds and asserts success.
pub fn build_ok(app: &Path, root: &Path, env: &[(&str, &str)]) -> (Image, String) {
    build_ok_on(&platform(), app, root, env)
}

/// [`build_ok`] on another platform (the arm64 one).
pub fn build_ok_on(
    platform: &Platform,
    app: &Path,
    root: &Path,
    env: &[(&str, &str)],
) -> (Image, String) {
    let outcome = build_on(platform, app, root, env);
    assert!(outcome.success(), "build failed, see output above");
    let output = strip_ansi(&outcome.output);
    assert_clean_log(&output);
    (outcome.image.unwrap(), output)
}

/// A successful build's log has no `error:` line (rustup-init printed one when the build's
/// HOME was not the CNB user's), no rustup-init chatter after its success, and no complaint of
/// the lifecycle about a missing run.toml.
pub fn assert_clean_log(output: &str) {
    let errors: Vec<&str> = output
        .lines()
        .filter(|line| line.trim_start().to_ascii_lowercase().starts_with("error:"))
        .collect();
    assert!(
        errors.is_empty(),
        "error lines in a successful build: {errors:?}"
    );
    assert!(
        !output.contains("Rust is installed now"),
        "rustup-init's success line"
    );
    assert!(
        !output.contains("No run metadata found"),
        "the platform gives the lifecycle a run.toml, as a builder does"
    );
    assert!(
        !output.contains("Did not find SBOM"),
        "the lifecycle finds its own SBOMs in /cnb/lifecycle, as in a builder"
    );
}

/// The toolchains rustup installed in the toolchain layer of the build in `root`
/// (`1.95.0-x86_64-unknown-linux-gnu`).
pub fn installed_toolchains(root: &Path) -> Vec<String> {
    std::fs::read_dir(root.join("layers/slipway_rust/toolchain/rustup/toolchains"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// The caches that a rebuild with nothing changed reuses.
pub const CACHES: [&str; 2] = ["Cargo registry cache", "target dir cache"];

/// The buildpack's cache layers.
pub const CACHE_LAYERS: [&str; 3] = ["cargo_home", "target", "toolchain"];

/// Whether the exporter reused each of the buildpack's cache layers (same digest as the last
/// build: nothing new is stored) or stored it again. Since lifecycle 0.20 a reused layer is
/// also logged as added (buildpacks/lifecycle#1720), so a layer counts as reused when its
/// `Reusing cache layer` line is there.
pub fn cache_layers_reused(output: &str) -> std::collections::BTreeMap<String, bool> {
    let output = strip_ansi(output);
    CACHE_LAYERS
        .iter()
        .filter(|layer| output.contains(&format!("cache layer 'slipway/rust:{layer}'")))
        .map(|layer| {
            let reused = output.contains(&format!("Reusing cache layer 'slipway/rust:{layer}'"));
            ((*layer).to_string(), reused)
        })
        .collect()
}

/// Which build of the cache `cache` ("target dir cache") the build that printed `output` was:
/// N of its "Reusing the <cache> (build N of at most 100)" line, or 1 when it had no such line
/// (it created or cleared the cache).
pub fn cache_build_number(output: &str, cache: &str) -> u32 {
    let reusing = format!("Reusing the {cache} (build ");
    output
        .lines()
        .find_map(|line| line.split_once(&reusing))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .map_or(1, |number| number.parse().unwrap())
}

/// Asserts that `warm`, a rebuild of an unchanged app after the build that printed `previous`,
/// reused the Rust `toolchain` and both caches (each one build further than in `previous`),
/// and compiled and downloaded nothing.
pub fn assert_warm_rebuild(previous: &str, warm: &str, toolchain: &str) {
    assert!(
        warm.contains(&format!("Reusing the cached Rust {toolchain} toolchain")),
        "{warm}"
    );
    for cache in CACHES {
        let build_number = cache_build_number(previous, cache) + 1;
        let reused = format!("Reusing the {cache} (build {build_number} of at most 100)");
        assert!(warm.contains(&reused), "missing `{reused}` in:\n{warm}");
    }
    assert_eq!(compiled_crates(warm), Vec::<String>::new(), "{warm}");
    assert_eq!(download_lines(warm), Vec::<String>::new(), "{warm}");
    assert_eq!(
        cache_layers_reused(warm),
        CACHE_LAYERS.map(|layer| (layer.to_string(), true)).into(),
        "no change: the exporter reuses every cache layer:\n{warm}"
    );
}

/// Builds, asserts that detect passed and the build failed with the titled user
/// error `title` (with a fix, and not as an internal error), and returns the
/// output without colours.
pub fn build_fails_with(app: &Path, root: &Path, env: &[(&str, &str)], title: &str) -> String {
    let outcome = build(app, root, env);
    assert!(
        !outcome.success(),
        "the build of {} must fail",
        app.display()
    );
    assert!(outcome.detect.passed);
    assert_ne!(outcome.build_exit_code, Some(0));
    let output = strip_ansi(&outcome.output);
    assert!(
        output.contains(&format!("! Error: {title}")),
        "missing title `{title}` in:\n{output}"
    );
    assert!(output.contains("How to fix it:"), "{output}");
    assert!(
        !output.contains("Internal error"),
        "a user error must not read as internal:\n{output}"
    );
    output
}

pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Crate names from cargo's `Compiling <name> v<version>` lines.
pub fn compiled_crates(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Compiling "))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Lines that show something being downloaded: crates or the toolchain.
pub fn download_lines(output: &str) -> Vec<String> {
    output
        .lines()
        .map(str::trim)
        .filter(|line| {
            line.starts_with("Downloading")
                || line.starts_with("Downloaded")
                || line.contains("rustup-init")
                || line.starts_with("info: downloading")
        })
        .map(str::to_string)
        .collect()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed (by its own pid) when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn env_map(env: &[(&str, &str)]) -> BTreeMap<String, String> {
    env.iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

/// Starts process `process_type` of `image` (`/cnb/process/<type>` in a chroot of the
/// exported image) with `env` as the dyno's config vars.
pub fn start(image: &Image, process_type: &str, env: &[(&str, &str)]) -> Running {
    Running(
        image
            .process_command(process_type, &env_map(env))
            .unwrap()
            .spawn()
            .unwrap(),
    )
}

/// Runs process `process_type` to completion; returns (success, stdout + stderr).
pub fn run(image: &Image, process_type: &str, env: &[(&str, &str)]) -> (bool, String) {
    let command = image.process_command(process_type, &env_map(env)).unwrap();
    run_to_end(command, process_type)
}

/// Runs `args` in `image` as `heroku run` does (the launcher with a user command, every
/// layer's launch env applied); returns (success, stdout + stderr).
pub fn heroku_run(image: &Image, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let command = image.launcher_command(args, &env_map(env)).unwrap();
    run_to_end(command, &args.join(" "))
}

/// Runs `command` to completion, printing its output under `label`; returns (success,
/// stdout + stderr).
fn run_to_end(mut command: std::process::Command, label: &str) -> (bool, String) {
    let output = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("----- {label} output -----\n{text}\n----- end -----");
    (output.status.success(), text)
}

/// The image's process types, sorted.
pub fn process_types(image: &Image) -> Vec<String> {
    let mut types: Vec<String> = image
        .processes()
        .unwrap()
        .into_iter()
        .map(|p| p.r#type)
        .collect();
    types.sort();
    types
}

/// The env a process of `image` sees: the launcher runs `env` as a user-provided command, so
/// every layer's launch env applies on top of the image's and the dyno's `env`.
pub fn launch_env(image: &Image, env: &[(&str, &str)]) -> BTreeMap<String, String> {
    let output = succeeded(&mut image.launcher_command(&["env"], &env_map(env)).unwrap());
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// GETs `path` from 127.0.0.1:`port`, retrying until the server answers; returns the body.
pub fn http_get(port: u16, path: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            write!(
                stream,
                "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            assert!(
                response.starts_with("HTTP/1.1 200"),
                "unexpected response: {response}"
            );
            return response
                .split_once("\r\n\r\n")
                .map(|(_, body)| body.to_string())
                .unwrap_or_default();
        }
        assert!(Instant::now() < deadline, "nothing listened on port {port}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The admin URL of the throwaway Postgres: `SLIPWAY_TEST_DATABASE_URL`, or what
/// `scripts/dev-postgres.sh start` prints.
pub fn admin_database_url() -> String {
    if let Ok(url) = std::env::var("SLIPWAY_TEST_DATABASE_URL") {
        return url;
    }
    let output =
        succeeded(Command::new(workspace_root().join("scripts/dev-postgres.sh")).arg("start"));
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// Runs `command` and asserts that it succeeded (its stderr in the failure message).
fn succeeded(command: &mut Command) -> std::process::Output {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A fresh database, dropped again when this value is dropped.
pub struct TestDatabase {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub fn create() -> Self {
        let admin_url = admin_database_url();
        let name = format!(
            "slipway_bp_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        psql(&admin_url, &format!("CREATE DATABASE {name}"));
        let base = admin_url.rsplit_once('/').unwrap().0;
        let url = format!("{base}/{name}");
        Self {
            admin_url,
            name,
            url,
        }
    }

    /// Runs `sql` and returns psql's unaligned, tuples-only output.
    pub fn query(&self, sql: &str) -> String {
        psql(&self.url, sql)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .arg(&self.admin_url)
            .args([
                "-qc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}

fn psql(url: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .arg(url)
        .args(["-v", "ON_ERROR_STOP=1", "-qAtc", sql])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "psql `{sql}`: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}
