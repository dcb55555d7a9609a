//! Detect, restore, build, cache and export: the lifecycle phases, for one buildpack.

use crate::app::copy_app;
use crate::descriptor::{Descriptor, SUPPORTED_BUILDPACK_API};
use crate::image::Image;
use crate::layer_types::{Layer, list_layers};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// An error of the platform itself (not a failed detect or build, which are outcomes).
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("the buildpack is unusable: {0}")]
    Buildpack(String),
    #[error("the platform failed to prepare or export the build: {0}")]
    Io(String),
}

fn io_error(what: &str, path: &Path, error: &std::io::Error) -> PlatformError {
    PlatformError::Io(format!("{what} {}: {error}", path.display()))
}

/// The target the build runs for, given to buildpacks as `CNB_TARGET_*`.
///
/// Buildpack spec, "Environment > Provided by the Lifecycle > Target": `CNB_TARGET_OS`,
/// `CNB_TARGET_ARCH`, `CNB_TARGET_ARCH_VARIANT`, `CNB_TARGET_DISTRO_NAME`,
/// `CNB_TARGET_DISTRO_VERSION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub os: String,
    pub arch: String,
    pub distro_name: String,
    pub distro_version: String,
}

impl Target {
    /// The machine this platform runs on: builds run natively, so that is the target.
    #[must_use]
    pub fn host() -> Self {
        let os_release = fs::read_to_string("/etc/os-release").unwrap_or_default();
        let field = |key: &str| {
            os_release
                .lines()
                .find_map(|line| line.strip_prefix(&format!("{key}=")))
                .map(|value| value.trim_matches('"').to_string())
                .unwrap_or_default()
        };
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            other => other,
        };
        Self {
            os: std::env::consts::OS.to_string(),
            arch: arch.to_string(),
            distro_name: field("ID"),
            distro_version: field("VERSION_ID"),
        }
    }

    fn env(&self) -> [(&'static str, String); 4] {
        [
            ("CNB_TARGET_OS", self.os.clone()),
            ("CNB_TARGET_ARCH", self.arch.clone()),
            ("CNB_TARGET_DISTRO_NAME", self.distro_name.clone()),
            ("CNB_TARGET_DISTRO_VERSION", self.distro_version.clone()),
        ]
    }
}

/// What `bin/detect` said.
#[derive(Debug, Clone)]
pub struct DetectOutcome {
    /// Exit code 0 (Buildpack spec, "Detection": 0 passes, 100 fails, anything else errors).
    pub passed: bool,
    pub exit_code: Option<i32>,
    pub output: String,
    /// The buildpack's build plan (`CNB_BUILD_PLAN_PATH`) as written by `bin/detect`.
    pub plan: String,
}

/// The result of [`Platform::build`].
#[derive(Debug)]
pub struct BuildOutcome {
    pub detect: DetectOutcome,
    /// `None` when detection failed and `bin/build` never ran.
    pub build_exit_code: Option<i32>,
    /// Everything `bin/detect` and `bin/build` printed.
    pub output: String,
    /// The exported image, when the build succeeded.
    pub image: Option<Image>,
}

impl BuildOutcome {
    #[must_use]
    pub fn success(&self) -> bool {
        self.image.is_some()
    }
}

/// A local platform for one packaged buildpack.
#[derive(Debug, Clone)]
pub struct Platform {
    buildpack_dir: PathBuf,
    id: String,
    escaped_id: String,
    clear_env: bool,
    target: Target,
    echo: bool,
}

/// Variables passed from this process to buildpacks, like the base image's `ENV`.
///
/// Everything else (notably `CARGO_*`/`RUSTUP_*` of the test runner) is kept out, as a build
/// container would.
const INHERITED_ENV: [&str; 10] = [
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TZ",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "http_proxy",
    "https_proxy",
    "no_proxy",
];

impl Platform {
    /// Loads the packaged buildpack in `buildpack_dir`.
    ///
    /// # Errors
    ///
    /// `buildpack.toml` is missing or invalid, or declares an API other than 0.10.
    pub fn new(buildpack_dir: &Path) -> Result<Self, PlatformError> {
        let descriptor = Descriptor::read(buildpack_dir).map_err(PlatformError::Buildpack)?;
        if descriptor.api != SUPPORTED_BUILDPACK_API {
            return Err(PlatformError::Buildpack(format!(
                "it declares Buildpack API {}, this platform implements {SUPPORTED_BUILDPACK_API}",
                descriptor.api
            )));
        }
        Ok(Self {
            buildpack_dir: buildpack_dir.to_path_buf(),
            escaped_id: descriptor.escaped_id(),
            id: descriptor.buildpack.id,
            clear_env: descriptor.buildpack.clear_env,
            target: Target::host(),
            echo: false,
        })
    }

    /// Also copy the buildpack's output to this process's stderr while it runs.
    #[must_use]
    pub fn echo_output(mut self, echo: bool) -> Self {
        self.echo = echo;
        self
    }

    /// The buildpack ID from `buildpack.toml`.
    #[must_use]
    pub fn buildpack_id(&self) -> &str {
        &self.id
    }

    /// Builds `app_source` into `root`: `root/workspace` is the app dir, `root/layers` the
    /// layers dir, `root/platform` the platform dir, and `root/cache` the app's build cache,
    /// kept between builds into the same `root`.
    ///
    /// `user_env` are the user's variables (Heroku config vars), written to
    /// `<platform>/env/<NAME>` (Platform spec, "Buildpack Environment > User-Provided
    /// Variables").
    ///
    /// # Errors
    ///
    /// Only failures of the platform itself; a failed detect or build is an [`BuildOutcome`].
    pub fn build(
        &self,
        app_source: &Path,
        root: &Path,
        user_env: &BTreeMap<String, String>,
    ) -> Result<BuildOutcome, PlatformError> {
        let dirs = Dirs::new(root);
        dirs.prepare(app_source, user_env)?;
        let detect = self.run_detect(&dirs, user_env)?;
        if !detect.passed {
            let output = detect.output.clone();
            return Ok(BuildOutcome {
                detect,
                build_exit_code: None,
                output,
                image: None,
            });
        }
        write_buildpack_plan(&detect.plan, &dirs.bp_plan)?;
        let bp_layers = dirs.layers.join(&self.escaped_id);
        let bp_cache = dirs.cache.join(&self.escaped_id);
        restore_cached_layers(&bp_cache, &bp_layers)?;
        let (exit_code, build_output) = self.run_build(&dirs, &bp_layers, user_env)?;
        let output = format!("{}{build_output}", detect.output);
        if exit_code != Some(0) {
            return Ok(BuildOutcome {
                detect,
                build_exit_code: exit_code,
                output,
                image: None,
            });
        }
        save_cached_layers(&bp_layers, &bp_cache)?;
        drop_non_launch_layers(&bp_layers)?;
        let image = Image::open(root).map_err(|error| PlatformError::Io(error.to_string()))?;
        Ok(BuildOutcome {
            detect,
            build_exit_code: exit_code,
            output,
            image: Some(image),
        })
    }

    /// Runs only `bin/detect` on `app_source` (copied into `root` first).
    ///
    /// # Errors
    ///
    /// Only failures of the platform itself.
    pub fn detect(
        &self,
        app_source: &Path,
        root: &Path,
        user_env: &BTreeMap<String, String>,
    ) -> Result<DetectOutcome, PlatformError> {
        let dirs = Dirs::new(root);
        dirs.prepare(app_source, user_env)?;
        self.run_detect(&dirs, user_env)
    }

    /// Buildpack spec, "Detection": `bin/detect` runs in the app dir with `CNB_PLATFORM_DIR`,
    /// `CNB_BUILD_PLAN_PATH` and `CNB_BUILDPACK_DIR`; the paths are also passed as positional
    /// arguments, as the lifecycle still does for older buildpacks (and libcnb 0.30 reads).
    fn run_detect(
        &self,
        dirs: &Dirs,
        user_env: &BTreeMap<String, String>,
    ) -> Result<DetectOutcome, PlatformError> {
        let mut command = Command::new(self.buildpack_dir.join("bin").join("detect"));
        command
            .arg(&dirs.platform)
            .arg(&dirs.build_plan)
            .env("CNB_PLATFORM_DIR", &dirs.platform)
            .env("CNB_BUILD_PLAN_PATH", &dirs.build_plan);
        self.prepare_command(&mut command, dirs, user_env);
        let (exit_code, output) = run_capturing(&mut command, self.echo)?;
        let plan = fs::read_to_string(&dirs.build_plan).unwrap_or_default();
        Ok(DetectOutcome {
            passed: exit_code == Some(0),
            exit_code,
            output,
            plan,
        })
    }

    /// Buildpack spec, "Build": `bin/build` runs in the app dir with `CNB_LAYERS_DIR`,
    /// `CNB_PLATFORM_DIR`, `CNB_BP_PLAN_PATH` and `CNB_BUILDPACK_DIR` (and the positional
    /// arguments `<layers> <platform> <plan>`).
    fn run_build(
        &self,
        dirs: &Dirs,
        bp_layers: &Path,
        user_env: &BTreeMap<String, String>,
    ) -> Result<(Option<i32>, String), PlatformError> {
        fs::create_dir_all(bp_layers).map_err(|e| io_error("cannot create", bp_layers, &e))?;
        let mut command = Command::new(self.buildpack_dir.join("bin").join("build"));
        command
            .arg(bp_layers)
            .arg(&dirs.platform)
            .arg(&dirs.bp_plan)
            .env("CNB_LAYERS_DIR", bp_layers)
            .env("CNB_PLATFORM_DIR", &dirs.platform)
            .env("CNB_BP_PLAN_PATH", &dirs.bp_plan);
        self.prepare_command(&mut command, dirs, user_env);
        run_capturing(&mut command, self.echo)
    }

    /// The environment shared by both phases.
    ///
    /// Buildpack spec, "Environment > Provided by the Platform": unless the buildpack sets
    /// `clear-env = true` in `buildpack.toml`, the user-provided variables from
    /// `<platform>/env/` are also set in the process environment.
    fn prepare_command(
        &self,
        command: &mut Command,
        dirs: &Dirs,
        user_env: &BTreeMap<String, String>,
    ) {
        command
            .current_dir(&dirs.app)
            .env_clear()
            .envs(
                INHERITED_ENV
                    .iter()
                    .filter_map(|key| std::env::var(key).ok().map(|value| (*key, value))),
            )
            .env("CNB_BUILDPACK_DIR", &self.buildpack_dir)
            .envs(self.target.env());
        if !self.clear_env {
            command.envs(user_env);
        }
    }
}

/// The directories of one build under its root.
struct Dirs {
    app: PathBuf,
    layers: PathBuf,
    platform: PathBuf,
    cache: PathBuf,
    build_plan: PathBuf,
    bp_plan: PathBuf,
}

impl Dirs {
    fn new(root: &Path) -> Self {
        Self {
            app: root.join("workspace"),
            layers: root.join("layers"),
            platform: root.join("platform"),
            cache: root.join("cache"),
            build_plan: root.join("layers").join("plan.toml"),
            bp_plan: root.join("platform").join("bp-plan.toml"),
        }
    }

    /// Starts a build from a clean slate, except for the cache.
    fn prepare(
        &self,
        app_source: &Path,
        user_env: &BTreeMap<String, String>,
    ) -> Result<(), PlatformError> {
        for dir in [&self.app, &self.layers, &self.platform] {
            remove_dir_if_present(dir)?;
        }
        copy_app(app_source, &self.app)
            .map_err(|e| io_error("cannot copy the app to", &self.app, &e))?;
        let env_dir = self.platform.join("env");
        for dir in [&env_dir, &self.layers, &self.cache] {
            fs::create_dir_all(dir).map_err(|e| io_error("cannot create", dir, &e))?;
        }
        for (name, value) in user_env {
            let path = env_dir.join(name);
            fs::write(&path, value).map_err(|e| io_error("cannot write", &path, &e))?;
        }
        Ok(())
    }
}

fn remove_dir_if_present(dir: &Path) -> Result<(), PlatformError> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(io_error("cannot remove", dir, &error)),
    }
}

#[derive(Debug, Default, Deserialize)]
struct BuildPlan {
    #[serde(default)]
    provides: Vec<PlanEntry>,
    #[serde(default)]
    requires: Vec<PlanRequire>,
}

#[derive(Debug, Deserialize)]
struct PlanEntry {
    name: String,
}

#[derive(Debug, Deserialize)]
struct PlanRequire {
    name: String,
    #[serde(default)]
    metadata: toml::Table,
}

/// Writes the Buildpack Plan from the detect-time Build Plan.
///
/// Buildpack spec, "Phase #1: Detection" and "Buildpack Plan (TOML)": each `requires` entry
/// becomes an `[[entries]]` item of the buildpack that provides it. With one buildpack in the
/// group, that is this buildpack, so every `requires` must be in its own `provides`.
fn write_buildpack_plan(plan: &str, path: &Path) -> Result<(), PlatformError> {
    let plan: BuildPlan = toml::from_str(plan).map_err(|error| {
        PlatformError::Buildpack(format!("bin/detect wrote an invalid build plan: {error}"))
    })?;
    let mut entries = Vec::new();
    for require in plan.requires {
        if !plan.provides.iter().any(|p| p.name == require.name) {
            return Err(PlatformError::Buildpack(format!(
                "the build plan requires `{}`, which no buildpack in the group provides",
                require.name
            )));
        }
        let mut entry = toml::Table::new();
        entry.insert("name".into(), require.name.into());
        entry.insert("metadata".into(), require.metadata.into());
        entries.push(toml::Value::Table(entry));
    }
    let mut document = toml::Table::new();
    document.insert("entries".into(), toml::Value::Array(entries));
    let text = toml::to_string(&document)
        .map_err(|error| PlatformError::Io(format!("cannot write the buildpack plan: {error}")))?;
    fs::write(path, text).map_err(|e| io_error("cannot write", path, &e))
}

/// Platform spec, "restorer": layers whose `<layer>.toml` says `cache = true` come back with
/// their contents and metadata before `bin/build`. The `[types]` table is *not* restored
/// (Buildpack spec, "Layer Types": since API 0.6 a buildpack declares the types again on every
/// build), so a layer the buildpack no longer declares is ignored.
///
/// Deviation, for speed: the layers are *moved* out of the cache (a cargo target dir is large),
/// so a failed build, which exports nothing, leaves no cache behind and the next build is cold.
/// The lifecycle keeps the previous cache instead. This only ever makes a build colder than on
/// a real platform, never warmer, so no test can pass because of it.
fn restore_cached_layers(bp_cache: &Path, bp_layers: &Path) -> Result<(), PlatformError> {
    fs::create_dir_all(bp_layers).map_err(|e| io_error("cannot create", bp_layers, &e))?;
    for layer in list_layers(bp_cache).map_err(PlatformError::Io)? {
        let toml_to = bp_layers.join(format!("{}.toml", layer.name));
        write_toml_without_types(&layer.toml, &toml_to)?;
        if layer.dir.is_dir() {
            let dir_to = bp_layers.join(&layer.name);
            fs::rename(&layer.dir, &dir_to)
                .map_err(|e| io_error("cannot restore", &layer.dir, &e))?;
        }
    }
    remove_dir_if_present(bp_cache)
}

fn write_toml_without_types(from: &Path, to: &Path) -> Result<(), PlatformError> {
    let text = fs::read_to_string(from).map_err(|e| io_error("cannot read", from, &e))?;
    let mut table: toml::Table =
        toml::from_str(&text).map_err(|e| PlatformError::Io(format!("{}: {e}", from.display())))?;
    table.remove("types");
    let text = toml::to_string(&table)
        .map_err(|e| PlatformError::Io(format!("{}: {e}", from.display())))?;
    fs::write(to, text).map_err(|e| io_error("cannot write", to, &e))
}

/// Platform spec, "exporter" (cache): after a successful build, every layer whose
/// `<layer>.toml` says `cache = true` is stored, contents and metadata, for the next build of
/// this app. Other layers are not cached.
fn save_cached_layers(bp_layers: &Path, bp_cache: &Path) -> Result<(), PlatformError> {
    remove_dir_if_present(bp_cache)?;
    fs::create_dir_all(bp_cache).map_err(|e| io_error("cannot create", bp_cache, &e))?;
    for layer in list_layers(bp_layers).map_err(PlatformError::Io)? {
        if !layer.types.cache {
            continue;
        }
        let toml_to = bp_cache.join(format!("{}.toml", layer.name));
        fs::copy(&layer.toml, &toml_to).map_err(|e| io_error("cannot cache", &layer.toml, &e))?;
        if !layer.dir.is_dir() {
            continue;
        }
        let dir_to = bp_cache.join(&layer.name);
        if layer.types.launch {
            copy_tree(&layer.dir, &dir_to)?;
        } else {
            // Moving keeps this cheap for big caches (a cargo target dir); the layer is not
            // exported, so nothing else needs it.
            fs::rename(&layer.dir, &dir_to)
                .map_err(|e| io_error("cannot cache", &layer.dir, &e))?;
        }
    }
    Ok(())
}

/// Buildpack spec, "Layer Types": only `launch = true` layers are part of the exported image;
/// a layer directory without a `<layer>.toml` is ignored.
fn drop_non_launch_layers(bp_layers: &Path) -> Result<(), PlatformError> {
    let layers: Vec<Layer> = list_layers(bp_layers).map_err(PlatformError::Io)?;
    for layer in &layers {
        if !layer.types.launch {
            remove_dir_if_present(&layer.dir)?;
            fs::remove_file(&layer.toml).map_err(|e| io_error("cannot remove", &layer.toml, &e))?;
        }
    }
    let entries = fs::read_dir(bp_layers).map_err(|e| io_error("cannot list", bp_layers, &e))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let has_toml = path.with_extension("toml").is_file();
        if path.is_dir() && !has_toml {
            remove_dir_if_present(&path)?;
        }
    }
    Ok(())
}

/// Copies a directory tree, keeping permissions, symlinks and mtimes.
fn copy_tree(from: &Path, to: &Path) -> Result<(), PlatformError> {
    fs::create_dir_all(to).map_err(|e| io_error("cannot create", to, &e))?;
    let entries = fs::read_dir(from).map_err(|e| io_error("cannot list", from, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error("cannot list", from, &e))?;
        let source = entry.path();
        let dest = to.join(entry.file_name());
        let metadata =
            fs::symlink_metadata(&source).map_err(|e| io_error("cannot stat", &source, &e))?;
        if metadata.is_symlink() {
            let target =
                fs::read_link(&source).map_err(|e| io_error("cannot read", &source, &e))?;
            std::os::unix::fs::symlink(target, &dest)
                .map_err(|e| io_error("cannot link", &dest, &e))?;
            continue;
        }
        if metadata.is_dir() {
            copy_tree(&source, &dest)?;
        } else {
            fs::copy(&source, &dest).map_err(|e| io_error("cannot copy", &source, &e))?;
        }
        let mtime = filetime::FileTime::from_last_modification_time(&metadata);
        filetime::set_file_mtime(&dest, mtime)
            .map_err(|e| io_error("cannot set mtime", &dest, &e))?;
    }
    Ok(())
}

/// Runs `command`, collecting stdout and stderr (in arrival order) and optionally echoing them.
fn run_capturing(
    command: &mut Command,
    echo: bool,
) -> Result<(Option<i32>, String), PlatformError> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| PlatformError::Buildpack(format!("cannot run {command:?}: {error}")))?;
    let collected = Arc::new(Mutex::new(Vec::new()));
    let readers: Vec<Box<dyn Read + Send>> = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .collect();
    let threads: Vec<_> = readers
        .into_iter()
        .map(|reader| {
            let collected = Arc::clone(&collected);
            std::thread::spawn(move || pump(reader, &collected, echo))
        })
        .collect();
    for thread in threads {
        let _ = thread.join();
    }
    let status = child
        .wait()
        .map_err(|error| PlatformError::Io(format!("waiting for the buildpack: {error}")))?;
    let bytes = collected
        .lock()
        .map(|bytes| bytes.clone())
        .unwrap_or_default();
    Ok((status.code(), String::from_utf8_lossy(&bytes).into_owned()))
}

fn pump(mut reader: Box<dyn Read + Send>, collected: &Mutex<Vec<u8>>, echo: bool) {
    let mut buffer = [0_u8; 8192];
    while let Ok(read) = reader.read(&mut buffer) {
        if read == 0 {
            break;
        }
        if let Ok(mut bytes) = collected.lock() {
            bytes.extend_from_slice(&buffer[..read]);
        }
        if echo {
            let _ = std::io::stderr().write_all(&buffer[..read]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buildpack_plan_takes_the_required_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.toml");
        let plan = indoc::indoc! {r#"
            [[provides]]
            name = "rust"
            [[requires]]
            name = "rust"
            [requires.metadata]
            version = "1.95"
        "#};
        write_buildpack_plan(plan, &path).unwrap();
        let written: toml::Table = toml::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let entries = written["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["name"].as_str(), Some("rust"));
        assert_eq!(entries[0]["metadata"]["version"].as_str(), Some("1.95"));
    }

    #[test]
    fn an_unprovided_requirement_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let plan = "[[requires]]\nname = \"node\"\n";
        let error = write_buildpack_plan(plan, &dir.path().join("plan.toml")).unwrap_err();
        assert!(error.to_string().contains("`node`"), "{error}");
    }

    #[test]
    fn cache_round_trip_keeps_cached_layers_and_drops_the_rest() {
        let root = tempfile::tempdir().unwrap();
        let layers = root.path().join("layers");
        let cache = root.path().join("cache");
        let write = |path: PathBuf, text: &str| {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write(
            layers.join("kept.toml"),
            "[types]\ncache = true\n[metadata]\nk = 1\n",
        );
        write(layers.join("kept/file"), "cached");
        write(layers.join("launch_only.toml"), "[types]\nlaunch = true\n");
        write(layers.join("launch_only/bin/app"), "binary");
        write(layers.join("scratch.toml"), "[types]\nbuild = true\n");
        write(layers.join("scratch/file"), "gone");
        write(layers.join("no_toml/file"), "ignored");

        save_cached_layers(&layers, &cache).unwrap();
        drop_non_launch_layers(&layers).unwrap();

        assert!(layers.join("launch_only/bin/app").is_file());
        assert!(!layers.join("kept").exists());
        assert!(!layers.join("scratch").exists());
        assert!(!layers.join("no_toml").exists());
        assert!(!cache.join("scratch.toml").exists());

        let next_layers = root.path().join("next");
        restore_cached_layers(&cache, &next_layers).unwrap();
        assert_eq!(
            fs::read_to_string(next_layers.join("kept/file")).unwrap(),
            "cached"
        );
        let restored = fs::read_to_string(next_layers.join("kept.toml")).unwrap();
        assert!(restored.contains("k = 1"), "{restored}");
        assert!(!restored.contains("types"), "{restored}");
    }
}
