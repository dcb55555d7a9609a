//! The build: the lifecycle's five phases, in order, in registry mode.

use crate::image::Image;
use crate::isolate::Isolation;
use crate::tools::Tools;
use crate::{CNB_USER, PLATFORM_API};
use build_root::Dirs;
use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;

mod build_root;

/// The lifecycle's exit code when no group passed detection (Platform spec, "Exit codes").
pub const DETECT_FAILED: i32 = 20;

/// Where a builder has the lifecycle. The exporter reads the lifecycle's and the launcher's
/// SBOMs (`lifecycle.sbom.cdx.json`, …, which `scripts/install-lifecycle.sh` writes beside the
/// binaries) from this fixed path, and warns "Did not find SBOM" for each one missing there.
const BUILDER_LIFECYCLE_DIR: &str = "/cnb/lifecycle";

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error("the packaged buildpack at {path} is unusable: {why}")]
    Buildpack { path: String, why: String },
    #[error("{what}: {error}")]
    Io { what: String, error: io::Error },
    #[error("the {phase} phase failed (exit code {code:?}); its output:\n{output}")]
    Phase {
        phase: &'static str,
        code: Option<i32>,
        output: String,
    },
}

/// What `detector` did.
#[derive(Debug, Clone)]
pub struct DetectOutcome {
    pub passed: bool,
    pub exit_code: Option<i32>,
    pub output: String,
}

/// What a build did. `output` is every phase's output, in order.
#[derive(Debug)]
pub struct BuildOutcome {
    pub detect: DetectOutcome,
    /// The builder's exit code; `None` when detection failed.
    pub build_exit_code: Option<i32>,
    pub output: String,
    /// The exported image, when every phase succeeded.
    pub image: Option<Image>,
}

impl BuildOutcome {
    /// Whether the image was built and exported.
    #[must_use]
    pub fn success(&self) -> bool {
        self.image.is_some()
    }
}

/// A packaged buildpack and the platform pieces to build apps with it.
#[derive(Debug, Clone)]
pub struct Platform {
    buildpack_dir: PathBuf,
    escaped_id: String,
    id: String,
    version: String,
    tools: Tools,
    build_root: PathBuf,
    echo: bool,
}

impl Platform {
    /// Loads the packaged buildpack in `buildpack_dir`, to be built with `tools`.
    ///
    /// # Errors
    ///
    /// `buildpack.toml` is missing or has no `[buildpack]` id and version.
    pub fn new(buildpack_dir: &Path, tools: Tools) -> Result<Self, PlatformError> {
        let unusable = |why: String| PlatformError::Buildpack {
            path: buildpack_dir.display().to_string(),
            why,
        };
        let text = std::fs::read_to_string(buildpack_dir.join("buildpack.toml"))
            .map_err(|error| unusable(format!("buildpack.toml: {error}")))?;
        let descriptor: toml::Table =
            toml::from_str(&text).map_err(|error| unusable(error.to_string()))?;
        let field = |key: &str| {
            descriptor
                .get("buildpack")
                .and_then(|table| table.get(key))
                .and_then(toml::Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| unusable(format!("no [buildpack] {key}")))
        };
        let id = field("id")?;
        let buildpack_dir = buildpack_dir
            .canonicalize()
            .map_err(|error| unusable(error.to_string()))?;
        Ok(Self {
            buildpack_dir,
            escaped_id: id.replace('/', "_"),
            version: field("version")?,
            id,
            tools,
            build_root: PathBuf::from("/"),
            echo: false,
        })
    }

    /// Runs every phase chrooted into `build_root`, a root file system of the target
    /// architecture (the build image), instead of on the host's.
    #[must_use]
    pub fn with_build_root(mut self, build_root: &Path) -> Self {
        self.build_root = build_root.to_path_buf();
        self
    }

    /// Also print each phase's output to this process's stderr when it ends.
    #[must_use]
    pub fn echo_output(mut self, echo: bool) -> Self {
        self.echo = echo;
        self
    }

    /// The tools this platform builds with.
    #[must_use]
    pub fn tools(&self) -> &Tools {
        &self.tools
    }

    /// Builds `app_source` into `root`. `root/cache` is the build cache and the image name is
    /// derived from `root`, so a later build into the same root restores that cache and reuses
    /// the previous image's layers, as pack does for the same app image.
    ///
    /// `user_env` are the user's variables (Heroku config vars, `pack build --env`), written to
    /// `<platform>/env/<NAME>`.
    ///
    /// # Errors
    ///
    /// Only failures of the platform itself; a failed detect or build is a [`BuildOutcome`].
    pub fn build(
        &self,
        app_source: &Path,
        root: &Path,
        user_env: &BTreeMap<String, String>,
    ) -> Result<BuildOutcome, PlatformError> {
        let dirs = self.prepare(app_source, root, user_env)?;
        let image = self.image_name(root);
        let mut output = String::new();

        output.push_str(&self.run_analyzer(&dirs, &image)?);
        let detect = self.run_detector(&dirs)?;
        output.push_str(&detect.output);
        if !detect.passed {
            return Ok(BuildOutcome {
                detect,
                build_exit_code: None,
                output,
                image: None,
            });
        }

        let cache = dirs.cache.display().to_string();
        let restorer = ["-layers", "/layers", "-cache-dir", &cache];
        let (code, text) = self.phase(&dirs, "restorer", false, &restorer)?;
        output.push_str(&text);
        require_success("restorer", code, &output)?;

        let (build_code, text) = self.run_builder(&dirs)?;
        output.push_str(&text);
        if build_code != Some(0) {
            return Ok(BuildOutcome {
                detect,
                build_exit_code: build_code,
                output,
                image: None,
            });
        }

        let launcher = self.tools.lifecycle("launcher").display().to_string();
        let run_toml = dirs.run_toml().display().to_string();
        let exporter = [
            "-app",
            "/workspace",
            "-layers",
            "/layers",
            "-cache-dir",
            &cache,
            "-launcher",
            &launcher,
            "-run",
            &run_toml,
            &image,
        ];
        let (code, text) = self.phase(&dirs, "exporter", false, &exporter)?;
        output.push_str(&text);
        require_success("exporter", code, &output)?;
        let digest = read_exported_digest(&dirs.layers.join("report.toml"))?;
        Ok(BuildOutcome {
            detect,
            build_exit_code: build_code,
            output,
            image: Some(Image::new(
                &self.tools,
                &format!("{image}@{digest}"),
                &dirs.image(),
            )),
        })
    }

    /// Runs `analyzer` and `detector` only, on `app_source` copied into `root`.
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
        let dirs = self.prepare(app_source, root, user_env)?;
        let analyzed = self.run_analyzer(&dirs, &self.image_name(root))?;
        let mut detect = self.run_detector(&dirs)?;
        detect.output = format!("{analyzed}{}", detect.output);
        Ok(detect)
    }

    /// `analyzer`: checks registry access, reads the previous image and the run image.
    fn run_analyzer(&self, dirs: &Dirs, image: &str) -> Result<String, PlatformError> {
        let run_toml = dirs.run_toml().display().to_string();
        let args = [
            "-layers",
            "/layers",
            "-run",
            &run_toml,
            "-run-image",
            &self.tools.run_image,
            image,
        ];
        let (code, output) = self.phase(dirs, "analyzer", false, &args)?;
        require_success("analyzer", code, &output)?;
        Ok(output)
    }

    fn run_detector(&self, dirs: &Dirs) -> Result<DetectOutcome, PlatformError> {
        let order = dirs.root.join("order.toml").display().to_string();
        let buildpacks = dirs.buildpacks.display().to_string();
        let platform = dirs.platform.display().to_string();
        // At the default log level the lifecycle hides a failing buildpack's detect output.
        let args = [
            "-app",
            "/workspace",
            "-buildpacks",
            &buildpacks,
            "-order",
            &order,
            "-layers",
            "/layers",
            "-platform",
            &platform,
            "-log-level",
            "debug",
        ];
        let (code, output) = self.phase(dirs, "detector", true, &args)?;
        if code != Some(0) && code != Some(DETECT_FAILED) {
            return Err(PlatformError::Phase {
                phase: "detector",
                code,
                output,
            });
        }
        Ok(DetectOutcome {
            passed: code == Some(0),
            exit_code: code,
            output,
        })
    }

    fn run_builder(&self, dirs: &Dirs) -> Result<(Option<i32>, String), PlatformError> {
        let buildpacks = dirs.buildpacks.display().to_string();
        let platform = dirs.platform.display().to_string();
        let args = [
            "-app",
            "/workspace",
            "-layers",
            "/layers",
            "-buildpacks",
            &buildpacks,
            "-platform",
            &platform,
        ];
        self.phase(dirs, "builder", true, &args)
    }

    /// Runs one phase; returns its exit code and its output (stdout and stderr interleaved).
    fn phase(
        &self,
        dirs: &Dirs,
        name: &'static str,
        as_cnb_user: bool,
        args: &[&str],
    ) -> Result<(Option<i32>, String), PlatformError> {
        let log_path = dirs.logs.join(format!("{name}.log"));
        let io_error = |what: String| move |error| PlatformError::Io { what, error };
        let log = File::create(&log_path).map_err(io_error(format!("creating {name}.log")))?;
        let log_err = log
            .try_clone()
            .map_err(io_error(format!("opening {name}.log")))?;
        let mut isolation = self
            .isolation(dirs)
            .as_user(as_cnb_user.then_some(CNB_USER));
        // HOME is the CNB user's home, as its passwd entry says (heroku/builder's `heroku`
        // user has /home/heroku): tools compare the two, and rustup-init prints
        // "error: $HOME differs from euid-obtained home directory" when they differ. The
        // build's own empty home is bound there, so nothing of the host's is seen or written.
        let home = match cnb_user_home(&self.build_root).filter(|_| as_cnb_user) {
            // Only over a home that exists: on the host's own root, nothing is created.
            Some(home)
                if self
                    .build_root
                    .join(home.strip_prefix("/").unwrap_or(&home))
                    .is_dir() =>
            {
                isolation.binds.push((dirs.home.clone(), home.clone()));
                home
            }
            _ => dirs.home.clone(),
        };
        // The phases that run as root (analyzer, restorer, exporter) talk to the registry and
        // hand what they write to the CNB user: the same flags for each.
        let mut full_args: Vec<String> = Vec::new();
        if !as_cnb_user {
            full_args.extend([
                "-uid".to_string(),
                CNB_USER.0.to_string(),
                "-gid".to_string(),
                CNB_USER.1.to_string(),
                "-insecure-registry".to_string(),
                self.tools.registry.clone(),
            ]);
        }
        full_args.extend(args.iter().map(|arg| (*arg).to_string()));
        let mut command = isolation.command(&self.tools.lifecycle(name), &full_args);
        command
            .env("CNB_PLATFORM_API", PLATFORM_API)
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .env("HOME", &home)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        let status = command
            .status()
            .map_err(io_error(format!("starting the {name} phase (unshare)")))?;
        let output =
            std::fs::read_to_string(&log_path).map_err(io_error(format!("reading {name}.log")))?;
        if self.echo {
            eprint!("{output}");
        }
        Ok((status.code(), output))
    }

    /// Every phase sees `<root>/layers` at `/layers`, `<root>/workspace` at `/workspace` and
    /// the lifecycle's dir (with its SBOMs) at `/cnb/lifecycle`, as in a builder; in a chroot
    /// it also sees the build root, the lifecycle and the buildpack at their host paths.
    fn isolation(&self, dirs: &Dirs) -> Isolation {
        let mut binds = vec![
            (dirs.layers.clone(), PathBuf::from("/layers")),
            (dirs.workspace.clone(), PathBuf::from("/workspace")),
            (
                self.tools.lifecycle_dir.clone(),
                PathBuf::from(BUILDER_LIFECYCLE_DIR),
            ),
        ];
        if self.build_root != Path::new("/") {
            for shared in [&dirs.root, &self.tools.lifecycle_dir, &self.buildpack_dir] {
                binds.push((shared.clone(), shared.clone()));
            }
        }
        Isolation {
            root: self.build_root.clone(),
            binds,
            user: None,
        }
    }
}

/// The home directory of the CNB user in the passwd file of `root`, when it has an entry.
fn cnb_user_home(root: &Path) -> Option<PathBuf> {
    let passwd = std::fs::read_to_string(root.join("etc/passwd")).ok()?;
    passwd_home(&passwd, CNB_USER.0)
}

/// The home directory of `uid` in the text of a passwd file.
fn passwd_home(passwd: &str, uid: u32) -> Option<PathBuf> {
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        let home = fields.get(5).filter(|home| home.starts_with('/'))?;
        (fields.get(2)?.parse::<u32>().ok()? == uid).then(|| PathBuf::from(home))
    })
}

fn require_success(
    phase: &'static str,
    code: Option<i32>,
    output: &str,
) -> Result<(), PlatformError> {
    if code == Some(0) {
        Ok(())
    } else {
        Err(PlatformError::Phase {
            phase,
            code,
            output: output.to_string(),
        })
    }
}

/// The exported image's digest, from the exporter's `report.toml` (`[image] digest`).
fn read_exported_digest(report: &Path) -> Result<String, PlatformError> {
    let text = std::fs::read_to_string(report).map_err(|error| PlatformError::Io {
        what: format!("reading {}", report.display()),
        error,
    })?;
    let table: toml::Table = toml::from_str(&text).map_err(|error| PlatformError::Io {
        what: format!("parsing {}", report.display()),
        error: io::Error::other(error),
    })?;
    table
        .get("image")
        .and_then(|image| image.get("digest"))
        .and_then(toml::Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| PlatformError::Io {
            what: format!("reading the digest from {}", report.display()),
            error: io::Error::other("no [image] digest"),
        })
}

#[cfg(test)]
mod home_tests {
    use super::*;

    #[test]
    fn the_cnb_users_home_is_read_from_its_passwd_entry() {
        let passwd =
            "root:x:0:0:root:/root:/bin/bash\nheroku:x:1000:1000::/home/heroku:/bin/bash\n";
        assert_eq!(
            passwd_home(passwd, 1000),
            Some(PathBuf::from("/home/heroku"))
        );
        assert_eq!(passwd_home(passwd, 1001), None);
        assert_eq!(
            passwd_home("odd:x:1000:1000::relative:/bin/sh\n", 1000),
            None
        );
    }
}

#[cfg(test)]
mod isolation_tests {
    use super::*;

    fn platform() -> (tempfile::TempDir, Platform) {
        let buildpack = tempfile::tempdir().unwrap();
        std::fs::write(
            buildpack.path().join("buildpack.toml"),
            "[buildpack]\nid = \"slipway/rust\"\nversion = \"0.1.0\"\n",
        )
        .unwrap();
        let tools = Tools {
            lifecycle_dir: PathBuf::from("/t/lifecycle-0.21.17-amd64"),
            crane: PathBuf::from("/t/crane"),
            registry: "127.0.0.1:5".to_string(),
            run_image: "127.0.0.1:5/run:x".to_string(),
        };
        let platform = Platform::new(buildpack.path(), tools).unwrap();
        (buildpack, platform)
    }

    #[test]
    fn every_phase_sees_the_lifecycle_dir_where_the_exporter_reads_its_sboms() {
        let (_buildpack, platform) = platform();
        let dirs = Dirs::new(Path::new("/r"));
        let lifecycle_bind = (
            PathBuf::from("/t/lifecycle-0.21.17-amd64"),
            PathBuf::from("/cnb/lifecycle"),
        );
        assert!(platform.isolation(&dirs).binds.contains(&lifecycle_bind));
        let chrooted = platform.with_build_root(Path::new("/build-root"));
        let binds = chrooted.isolation(&dirs).binds;
        assert!(binds.contains(&lifecycle_bind));
        assert!(binds.contains(&(
            PathBuf::from("/t/lifecycle-0.21.17-amd64"),
            PathBuf::from("/t/lifecycle-0.21.17-amd64"),
        )));
    }
}
