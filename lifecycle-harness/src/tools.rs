//! Where the lifecycle, crane, the registry and the run image are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum ToolsError {
    #[error("`{script} start {arch}` failed: {detail}")]
    Script {
        script: String,
        arch: String,
        detail: String,
    },
    #[error("`{script}` did not print {key}")]
    Missing { script: String, key: &'static str },
}

/// The platform pieces one build needs, for one architecture.
#[derive(Debug, Clone)]
pub struct Tools {
    /// A dir with the lifecycle's phase links (`analyzer`, …, `exporter`) and `launcher`.
    pub lifecycle_dir: PathBuf,
    /// The `crane` binary.
    pub crane: PathBuf,
    /// The registry, `127.0.0.1:<port>`.
    pub registry: String,
    /// The run image reference in that registry.
    pub run_image: String,
}

const KEYS: [&str; 4] = [
    "SLIPWAY_LIFECYCLE_DIR",
    "SLIPWAY_CRANE",
    "SLIPWAY_REGISTRY",
    "SLIPWAY_RUN_IMAGE",
];

impl Tools {
    /// The amd64 tools from the environment (`scripts/test.sh` exports them), or else from
    /// `scripts/lifecycle-env.sh start`, which installs and starts whatever is missing.
    ///
    /// # Errors
    ///
    /// The script failed, or printed an incomplete answer.
    pub fn for_host() -> Result<Self, ToolsError> {
        let from_env: BTreeMap<String, String> = KEYS
            .iter()
            .filter_map(|key| Some(((*key).to_string(), std::env::var(key).ok()?)))
            .collect();
        if from_env.len() == KEYS.len() {
            return Self::from_map(&from_env, "the environment");
        }
        Self::for_arch("amd64")
    }

    /// The tools for `arch` (`amd64` or `arm64`), from `scripts/lifecycle-env.sh start <arch>`.
    ///
    /// # Errors
    ///
    /// The script failed, or printed an incomplete answer.
    pub fn for_arch(arch: &str) -> Result<Self, ToolsError> {
        let script = script_path();
        let shown = script.display().to_string();
        let output = Command::new(&script)
            .args(["start", arch])
            .output()
            .map_err(|error| ToolsError::Script {
                script: shown.clone(),
                arch: arch.to_string(),
                detail: error.to_string(),
            })?;
        if !output.status.success() {
            return Err(ToolsError::Script {
                script: shown,
                arch: arch.to_string(),
                detail: String::from_utf8_lossy(&output.stderr).into_owned(),
            });
        }
        let map = parse_key_values(&String::from_utf8_lossy(&output.stdout));
        Self::from_map(&map, &shown)
    }

    fn from_map(map: &BTreeMap<String, String>, source: &str) -> Result<Self, ToolsError> {
        let get = |key: &'static str| {
            map.get(key).cloned().ok_or_else(|| ToolsError::Missing {
                script: source.to_string(),
                key,
            })
        };
        Ok(Self {
            lifecycle_dir: PathBuf::from(get(KEYS[0])?),
            crane: PathBuf::from(get(KEYS[1])?),
            registry: get(KEYS[2])?,
            run_image: get(KEYS[3])?,
        })
    }

    /// The path of a lifecycle phase (`analyzer`, …) or of `launcher`.
    #[must_use]
    pub fn lifecycle(&self, name: &str) -> PathBuf {
        self.lifecycle_dir.join(name)
    }
}

/// `scripts/lifecycle-env.sh` of this workspace.
fn script_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/lifecycle-env.sh")
}

/// `KEY=VALUE` lines into a map; other lines are ignored.
fn parse_key_values(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_string(), value.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_scripts_answer() {
        let map = parse_key_values(
            "SLIPWAY_LIFECYCLE_DIR=/t/lc\nSLIPWAY_CRANE=/t/crane\nnoise\nSLIPWAY_REGISTRY=127.0.0.1:5\nSLIPWAY_RUN_IMAGE=127.0.0.1:5/run:x\n",
        );
        let tools = Tools::from_map(&map, "s").unwrap();
        assert_eq!(tools.lifecycle("builder"), PathBuf::from("/t/lc/builder"));
        assert_eq!(tools.run_image, "127.0.0.1:5/run:x");
        let mut partial = map.clone();
        partial.remove("SLIPWAY_CRANE");
        assert!(matches!(
            Tools::from_map(&partial, "s"),
            Err(ToolsError::Missing {
                key: "SLIPWAY_CRANE",
                ..
            })
        ));
    }
}
