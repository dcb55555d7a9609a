//! An exported app image, read back from the registry and launched from its file system.

use crate::isolate::Isolation;
use crate::tools::Tools;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("`crane {args}` failed: {detail}")]
    Crane { args: String, detail: String },
    #[error("{what}: {error}")]
    Io { what: String, error: io::Error },
    #[error("the image's {what} is not what the lifecycle writes: {error}")]
    Format {
        what: &'static str,
        error: serde_json::Error,
    },
    #[error("the image has no process type `{0}`")]
    NoSuchProcess(String),
}

/// A process type, from the image's `io.buildpacks.build.metadata` label.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Process {
    pub r#type: String,
    pub command: Vec<String>,
    /// The lifecycle writes `null` when a process has no arguments.
    #[serde(default)]
    pub args: Option<Vec<String>>,
    #[serde(default)]
    pub default: bool,
}

#[derive(Debug, Deserialize)]
struct BuildMetadata {
    #[serde(default)]
    processes: Vec<Process>,
}

/// An app image in the registry, by digest.
#[derive(Debug)]
pub struct Image {
    tools: Tools,
    reference: String,
    dir: PathBuf,
    rootfs: OnceLock<PathBuf>,
}

impl Image {
    /// The image `reference` (`registry/name@sha256:…`); its file system is exported into
    /// `dir` when first needed.
    #[must_use]
    pub fn new(tools: &Tools, reference: &str, dir: &Path) -> Self {
        Self {
            tools: tools.clone(),
            reference: reference.to_string(),
            dir: dir.to_path_buf(),
            rootfs: OnceLock::new(),
        }
    }

    /// The image reference, by digest.
    #[must_use]
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// `crane config`: the image config (env, user, labels, …).
    ///
    /// # Errors
    ///
    /// crane failed, or printed something that is not JSON.
    pub fn config(&self) -> Result<serde_json::Value, ImageError> {
        self.crane_json(&["config"], "config")
    }

    /// `crane manifest`: the layers, with their digests and (compressed) sizes.
    ///
    /// # Errors
    ///
    /// crane failed, or printed something that is not JSON.
    pub fn manifest(&self) -> Result<serde_json::Value, ImageError> {
        self.crane_json(&["manifest"], "manifest")
    }

    /// The process types the lifecycle recorded in the image, in their order.
    ///
    /// # Errors
    ///
    /// The config or its `io.buildpacks.build.metadata` label is unreadable.
    pub fn processes(&self) -> Result<Vec<Process>, ImageError> {
        let config = self.config()?;
        let label = config["config"]["Labels"]["io.buildpacks.build.metadata"]
            .as_str()
            .unwrap_or("{}");
        let metadata: BuildMetadata =
            serde_json::from_str(label).map_err(|error| ImageError::Format {
                what: "io.buildpacks.build.metadata label",
                error,
            })?;
        Ok(metadata.processes)
    }

    /// The default process type: the exporter makes `/cnb/process/<type>` the entrypoint.
    ///
    /// # Errors
    ///
    /// The config is unreadable.
    pub fn default_process(&self) -> Result<Option<String>, ImageError> {
        let config = self.config()?;
        Ok(config["config"]["Entrypoint"]
            .as_array()
            .and_then(|entrypoint| entrypoint.first())
            .and_then(serde_json::Value::as_str)
            .and_then(|program| program.strip_prefix("/cnb/process/"))
            .map(str::to_string))
    }

    /// The image's env (`Env` of its config) as a map.
    ///
    /// # Errors
    ///
    /// The config is unreadable.
    pub fn env(&self) -> Result<BTreeMap<String, String>, ImageError> {
        let config = self.config()?;
        Ok(config["config"]["Env"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str)
            .filter_map(|pair| pair.split_once('='))
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect())
    }

    /// The image's whole file system, exported once (`crane export | tar -x`).
    ///
    /// # Errors
    ///
    /// crane or tar failed.
    pub fn rootfs(&self) -> Result<PathBuf, ImageError> {
        if let Some(dir) = self.rootfs.get() {
            return Ok(dir.clone());
        }
        let dir = self.dir.join("rootfs");
        export_rootfs(&self.tools.crane, &self.reference, &dir)?;
        Ok(self.rootfs.get_or_init(|| dir).clone())
    }

    /// Every path under `/layers` and `/workspace` in the image, relative to `/`
    /// (`layers/slipway_rust/app/bin/web`).
    ///
    /// # Errors
    ///
    /// The export or the walk failed.
    pub fn files(&self) -> Result<Vec<PathBuf>, ImageError> {
        let rootfs = self.rootfs()?;
        let mut files = Vec::new();
        for top in ["layers", "workspace"] {
            walk(&rootfs, &rootfs.join(top), &mut files).map_err(|error| ImageError::Io {
                what: format!("listing /{top} of the exported image"),
                error,
            })?;
        }
        files.sort();
        Ok(files)
    }

    /// A command that runs `/cnb/process/<process_type>` in a chroot of the image, as the
    /// image's user, with the image's env overlaid by `env` (the dyno's config vars).
    ///
    /// # Errors
    ///
    /// The image has no such process type, or it could not be exported.
    pub fn process_command(
        &self,
        process_type: &str,
        env: &BTreeMap<String, String>,
    ) -> Result<Command, ImageError> {
        if !self.processes()?.iter().any(|p| p.r#type == process_type) {
            return Err(ImageError::NoSuchProcess(process_type.to_string()));
        }
        self.command_in_image(&format!("/cnb/process/{process_type}"), &[], env)
    }

    /// A command that runs the launcher with a user-provided command (`launcher <args>…`), as
    /// `heroku run` does: the launch env of every layer applies, no process type's own.
    ///
    /// # Errors
    ///
    /// The image could not be exported.
    pub fn launcher_command(
        &self,
        args: &[&str],
        env: &BTreeMap<String, String>,
    ) -> Result<Command, ImageError> {
        self.command_in_image("/cnb/lifecycle/launcher", args, env)
    }

    fn command_in_image(
        &self,
        program: &str,
        args: &[&str],
        env: &BTreeMap<String, String>,
    ) -> Result<Command, ImageError> {
        let rootfs = self.rootfs()?;
        let mut full_env = self.env()?;
        full_env.extend(env.clone());
        let user = self.config()?["config"]["User"]
            .as_str()
            .and_then(parse_user)
            .or(Some(crate::CNB_USER));
        let isolation = Isolation {
            root: rootfs,
            binds: Vec::new(),
            user,
        };
        let mut command = isolation.command(Path::new(program), args);
        command.envs(full_env);
        Ok(command)
    }

    fn crane_json(
        &self,
        args: &[&str],
        what: &'static str,
    ) -> Result<serde_json::Value, ImageError> {
        let output = Command::new(&self.tools.crane)
            .args(args)
            .arg(&self.reference)
            .output()
            .map_err(|error| ImageError::Io {
                what: format!("running {}", self.tools.crane.display()),
                error,
            })?;
        if !output.status.success() {
            return Err(ImageError::Crane {
                args: format!("{} {}", args.join(" "), self.reference),
                detail: String::from_utf8_lossy(&output.stderr).into_owned(),
            });
        }
        serde_json::from_slice(&output.stdout).map_err(|error| ImageError::Format { what, error })
    }
}

/// `uid:gid` of an image config's `User` (numeric, as the lifecycle writes it).
fn parse_user(user: &str) -> Option<(u32, u32)> {
    let (uid, gid) = user.split_once(':')?;
    Some((uid.parse().ok()?, gid.parse().ok()?))
}

/// `crane export <reference> - | tar -x -C <dir>`, keeping owners and modes.
fn export_rootfs(crane: &Path, reference: &str, dir: &Path) -> Result<(), ImageError> {
    let io_error = |what: &str| {
        let what = what.to_string();
        move |error| ImageError::Io { what, error }
    };
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io_error("clearing the last export"))?;
    }
    std::fs::create_dir_all(dir).map_err(io_error("creating the export dir"))?;
    let mut export = Command::new(crane)
        .args(["export", reference, "-"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io_error("running crane export"))?;
    let stdout = export.stdout.take().ok_or_else(|| ImageError::Crane {
        args: format!("export {reference}"),
        detail: "no stdout".into(),
    })?;
    let untar = Command::new("tar")
        .args(["-x", "--numeric-owner", "-f", "-", "-C"])
        .arg(dir)
        .stdin(Stdio::from(stdout))
        .output()
        .map_err(io_error("running tar"))?;
    let exported = export
        .wait_with_output()
        .map_err(io_error("waiting for crane export"))?;
    if !exported.status.success() || !untar.status.success() {
        return Err(ImageError::Crane {
            args: format!("export {reference} | tar -x"),
            detail: format!(
                "{}{}",
                String::from_utf8_lossy(&exported.stderr),
                String::from_utf8_lossy(&untar.stderr)
            ),
        });
    }
    // A container runtime gives the container a `/` everyone can enter, whatever the
    // image's `./` entry says.
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .map_err(io_error("opening the exported root to the image's user"))?;
    Ok(())
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if let Ok(relative) = path.strip_prefix(base) {
            out.push(relative.to_path_buf());
        }
        if std::fs::symlink_metadata(&path)?.is_dir() {
            walk(base, &path, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_numeric_pairs() {
        assert_eq!(parse_user("1000:1000"), Some((1000, 1000)));
        assert_eq!(parse_user("heroku"), None);
    }
}
