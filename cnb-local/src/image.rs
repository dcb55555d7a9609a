//! The exported image: the app dir plus the launch layers, and how to launch its processes.

use crate::env_rules::{Scope, apply_layer_env};
use crate::layer_types::list_layers;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// An error reading the image or preparing a process.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("cannot read the image at {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("the image has no process type `{0}` (it has: {1})")]
    NoSuchProcess(String, String),
    #[error("the command `{0}` of process `{1}` is not on the launch PATH")]
    CommandNotFound(String, String),
}

/// A process from `launch.toml`.
///
/// Buildpack spec, "launch.toml (TOML)": in API 0.10 `command` is an array (the executable and
/// its fixed arguments) and `args` are default arguments that a user may override.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Process {
    pub r#type: String,
    pub command: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub default: bool,
    #[serde(rename = "working-dir", default)]
    pub working_dir: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct LaunchToml {
    #[serde(default)]
    processes: Vec<Process>,
}

/// An exported image rooted at a directory (`workspace/` and `layers/<buildpack>/`).
#[derive(Debug, Clone)]
pub struct Image {
    root: PathBuf,
}

impl Image {
    /// Opens the image that [`crate::Platform::build`] exported into `root`.
    ///
    /// # Errors
    ///
    /// `root` has no `workspace/` directory.
    pub fn open(root: &Path) -> Result<Self, ImageError> {
        if !root.join("workspace").is_dir() {
            return Err(ImageError::Read {
                path: root.to_path_buf(),
                message: "no workspace/ directory; was the build successful?".to_string(),
            });
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// The app dir (`/workspace` in a real image).
    #[must_use]
    pub fn app_dir(&self) -> PathBuf {
        self.root.join("workspace")
    }

    /// The layers dir (`/layers` in a real image).
    #[must_use]
    pub fn layers_dir(&self) -> PathBuf {
        self.root.join("layers")
    }

    /// Each buildpack's layers dir, in a stable order.
    fn buildpack_layer_dirs(&self) -> Result<Vec<PathBuf>, ImageError> {
        let layers = self.layers_dir();
        let read_error = |error: std::io::Error| ImageError::Read {
            path: layers.clone(),
            message: error.to_string(),
        };
        let mut dirs = Vec::new();
        for entry in std::fs::read_dir(&layers).map_err(read_error)? {
            let path = entry.map_err(read_error)?.path();
            if path.is_dir() {
                dirs.push(path);
            }
        }
        dirs.sort();
        Ok(dirs)
    }

    /// All processes declared in the buildpacks' `launch.toml` files.
    ///
    /// # Errors
    ///
    /// A `launch.toml` that cannot be read or parsed.
    pub fn processes(&self) -> Result<Vec<Process>, ImageError> {
        let mut processes: Vec<Process> = Vec::new();
        for dir in self.buildpack_layer_dirs()? {
            let path = dir.join("launch.toml");
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let launch: LaunchToml = toml::from_str(&text).map_err(|error| ImageError::Read {
                path: path.clone(),
                message: error.to_string(),
            })?;
            // Buildpack spec, "launch.toml": a later buildpack's process of the same type
            // replaces an earlier one.
            for process in launch.processes {
                processes.retain(|p| p.r#type != process.r#type);
                processes.push(process);
            }
        }
        Ok(processes)
    }

    /// The environment a process starts with: `runtime_env` (the run image's env plus the
    /// platform's config vars) modified by every launch layer.
    ///
    /// Buildpack spec, "Launch" and "Environment": the launcher applies each buildpack's
    /// launch layers in order and, within a buildpack, in alphabetical order of layer name.
    ///
    /// # Errors
    ///
    /// A layer env file that cannot be read.
    pub fn launch_env(
        &self,
        process_type: Option<&str>,
        runtime_env: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, ImageError> {
        let mut env = runtime_env.clone();
        let scope = Scope::Launch {
            process: process_type.map(str::to_string),
        };
        for dir in self.buildpack_layer_dirs()? {
            let layers = list_layers(&dir).map_err(|message| ImageError::Read {
                path: dir.clone(),
                message,
            })?;
            for layer in layers.into_iter().filter(|layer| layer.types.launch) {
                apply_layer_env(&layer.dir, &scope, &mut env).map_err(|error| {
                    ImageError::Read {
                        path: layer.dir.clone(),
                        message: error.to_string(),
                    }
                })?;
            }
        }
        env.insert(
            "CNB_APP_DIR".into(),
            self.app_dir().to_string_lossy().into(),
        );
        env.insert(
            "CNB_LAYERS_DIR".into(),
            self.layers_dir().to_string_lossy().into(),
        );
        Ok(env)
    }

    /// A command that runs process `process_type` as the CNB launcher would: in the app dir
    /// (or the process's `working-dir`), with only the launch environment, the executable
    /// found on the launch `PATH`.
    ///
    /// # Errors
    ///
    /// No such process, an unreadable image, or an executable not on the launch `PATH`.
    pub fn process_command(
        &self,
        process_type: &str,
        runtime_env: &BTreeMap<String, String>,
    ) -> Result<Command, ImageError> {
        let processes = self.processes()?;
        let Some(process) = processes.iter().find(|p| p.r#type == process_type) else {
            let names: Vec<_> = processes.iter().map(|p| p.r#type.as_str()).collect();
            return Err(ImageError::NoSuchProcess(
                process_type.to_string(),
                names.join(", "),
            ));
        };
        let env = self.launch_env(Some(process_type), runtime_env)?;
        let (program, fixed_args) = process
            .command
            .split_first()
            .ok_or_else(|| ImageError::CommandNotFound(String::new(), process_type.to_string()))?;
        let executable = find_on_path(program, env.get("PATH").map_or("", String::as_str))
            .ok_or_else(|| {
                ImageError::CommandNotFound(program.clone(), process_type.to_string())
            })?;
        let working_dir = match &process.working_dir {
            Some(dir) => self.app_dir().join(dir),
            None => self.app_dir(),
        };
        let mut command = Command::new(executable);
        command
            .args(fixed_args)
            .args(&process.args)
            .current_dir(working_dir)
            .env_clear()
            .envs(env);
        Ok(command)
    }

    /// Every file path in the image, relative to its root, for inspecting what shipped.
    ///
    /// # Errors
    ///
    /// A directory that cannot be listed.
    pub fn files(&self) -> Result<Vec<PathBuf>, ImageError> {
        let mut files = Vec::new();
        for top in ["workspace", "layers"] {
            collect_files(&self.root, &self.root.join(top), &mut files)?;
        }
        files.sort();
        Ok(files)
    }
}

fn collect_files(root: &Path, dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), ImageError> {
    let read_error = |error: std::io::Error| ImageError::Read {
        path: dir.to_path_buf(),
        message: error.to_string(),
    };
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let path = entry.path();
        if entry.file_type().map_err(read_error)?.is_dir() {
            collect_files(root, &path, files)?;
        } else if let Ok(relative) = path.strip_prefix(root) {
            files.push(relative.to_path_buf());
        }
    }
    Ok(())
}

fn find_on_path(program: &str, path: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    path.split(':')
        .filter(|dir| !dir.is_empty())
        .map(|dir| Path::new(dir).join(program))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn launches_a_process_with_the_launch_env_applied() {
        let root = tempfile::tempdir().unwrap();
        let bp = root.path().join("layers/example_bp");
        fs::create_dir_all(root.path().join("workspace")).unwrap();
        fs::create_dir_all(bp.join("tools/bin")).unwrap();
        fs::create_dir_all(bp.join("tools/env.launch")).unwrap();
        fs::write(bp.join("tools.toml"), "[types]\nlaunch = true\n").unwrap();
        fs::write(bp.join("tools/env.launch/GREETING.default"), "hello").unwrap();
        let script = bp.join("tools/bin/greet");
        fs::write(&script, "#!/bin/sh\necho \"$GREETING $1 from $(pwd)\"\n").unwrap();
        fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        fs::write(
            bp.join("launch.toml"),
            "[[processes]]\ntype = \"web\"\ncommand = [\"greet\"]\nargs = [\"world\"]\n",
        )
        .unwrap();

        let image = Image::open(root.path()).unwrap();
        let runtime_env = BTreeMap::from([("PATH".to_string(), "/usr/bin:/bin".to_string())]);
        let output = image
            .process_command("web", &runtime_env)
            .unwrap()
            .output()
            .unwrap();

        let stdout = String::from_utf8_lossy(&output.stdout);
        let app_dir = image.app_dir().canonicalize().unwrap();
        assert_eq!(
            stdout.trim(),
            format!("hello world from {}", app_dir.display())
        );
        let error = image.process_command("worker", &runtime_env).unwrap_err();
        assert!(error.to_string().contains("it has: web"), "{error}");
    }
}
