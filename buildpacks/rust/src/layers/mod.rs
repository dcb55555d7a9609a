//! One module per layer, each with one `install_*` (or `prepare_*`) function.

pub(crate) mod app_binaries;
pub(crate) mod cargo_home;
pub(crate) mod release_tool;
pub(crate) mod target_dir;
pub(crate) mod toolchain;

use std::path::{Path, PathBuf};

use bullet_stream::global::print;
use libcnb::build::BuildContext;
use libcnb::data::layer::LayerName;
use libcnb::layer::{
    EmptyLayerCause, LayerRef, LayerState, RestoredLayerAction, UncachedLayerDefinition,
};

use crate::RustBuildpack;
use crate::errors::RustBuildpackError;
use crate::toolchain_file::ToolchainSpec;

/// How many builds may reuse a growing cache layer before it is cleared.
///
/// Cargo never prunes its registry or target dir, so a cache that is only ever reused grows
/// with every dependency bump. Like heroku/buildpacks-go's `MAX_CACHE_USAGE_COUNT`, a usage
/// counter in the layer metadata bounds it.
///
/// The counter is an `f32`, as in heroku/buildpacks-go: the lifecycle keeps layer metadata as
/// JSON in its cache and writes it back as TOML, so a whole number comes back as `3.0`, which
/// an integer field refuses; the layer would then be deleted on every build
/// (<https://github.com/buildpacks/lifecycle/issues/884>).
pub(crate) const MAX_CACHE_USES: f32 = 100.0;

/// Whether a cache used `uses` times must be cleared before this build.
pub(crate) fn cache_expired(uses: f32) -> bool {
    uses >= MAX_CACHE_USES
}

/// Keeps a restored cache unless it has been used [`MAX_CACHE_USES`] times.
pub(crate) fn keep_unless_expired(uses: f32) -> (RestoredLayerAction, CacheState) {
    if cache_expired(uses) {
        (
            RestoredLayerAction::DeleteLayer,
            CacheState::Expired { uses },
        )
    } else {
        (RestoredLayerAction::KeepLayer, CacheState::Reused { uses })
    }
}

/// Prints what became of the cache called `name` ("target dir cache") and returns how many
/// builds used it before this one (0 for a new or cleared cache).
pub(crate) fn previous_uses(state: &LayerState<CacheState, CacheState>, name: &str) -> f32 {
    match state {
        LayerState::Restored {
            cause: CacheState::Reused { uses },
        } => {
            print::sub_bullet(format!(
                "Reusing the {name} (build {} of at most {MAX_CACHE_USES})",
                uses + 1.0
            ));
            return *uses;
        }
        LayerState::Empty {
            cause: EmptyLayerCause::RestoredLayerAction { cause },
        } => match cause {
            CacheState::Expired { uses } => {
                print::sub_bullet(format!("Clearing the {name}: it was used by {uses} builds"));
            }
            CacheState::Outdated { why } => {
                print::sub_bullet(format!("Clearing the {name}: {why}"));
            }
            CacheState::Reused { .. } | CacheState::Invalid => {
                print::sub_bullet(format!("Clearing the {name}"));
            }
        },
        LayerState::Empty { .. } | LayerState::Restored { .. } => {
            print::sub_bullet(format!("Creating the {name}"));
        }
    }
    0.0
}

/// An uncached launch-only layer called `name`, with an empty `bin/` (on `PATH` at runtime).
pub(crate) fn launch_bin_layer(
    context: &BuildContext<RustBuildpack>,
    name: LayerName,
) -> libcnb::Result<(LayerRef<RustBuildpack, (), ()>, PathBuf), RustBuildpackError> {
    let layer = context.uncached_layer(
        name,
        UncachedLayerDefinition {
            build: false,
            launch: true,
        },
    )?;
    let bin_dir = layer.path().join("bin");
    std::fs::create_dir_all(&bin_dir).map_err(|error| RustBuildpackError::Io {
        what: format!("creating {}", bin_dir.display()),
        error,
    })?;
    Ok((layer, bin_dir))
}

/// The bytes of every regular file under `path` (or of `path` itself), hard links counted each
/// time, as the lifecycle's tar stores them; 0 when it does not exist.
pub(crate) fn dir_size(path: &Path) -> std::io::Result<u64> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(error) => return Err(error),
    };
    if !metadata.is_dir() {
        return Ok(if metadata.is_file() {
            metadata.len()
        } else {
            0
        });
    }
    let mut total = 0;
    for entry in std::fs::read_dir(path)? {
        total += dir_size(&entry?.path())?;
    }
    Ok(total)
}

/// The entries of `dir`, or none when it does not exist.
pub(crate) fn read_dir_if_present(dir: &Path) -> std::io::Result<Vec<std::fs::DirEntry>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => Err(error),
    }
}

/// Removes the file or dir tree at `path`; one that is already gone is no error.
pub(crate) fn remove_if_present(path: &Path) -> std::io::Result<()> {
    let removed = match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    };
    match removed {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// What a cached toolchain or target dir was built for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BuiltFor<'a> {
    toolchain: &'a ToolchainSpec,
    /// Compare only the channel: what compiled artifacts depend on.
    compiler_only: bool,
    arch: &'a str,
    distro_name: &'a str,
    distro_version: &'a str,
}

impl<'a> BuiltFor<'a> {
    pub(crate) fn new(
        toolchain: &'a ToolchainSpec,
        arch: &'a str,
        distro_name: &'a str,
        distro_version: &'a str,
    ) -> Self {
        Self {
            toolchain,
            compiler_only: false,
            arch,
            distro_name,
            distro_version,
        }
    }
}

impl BuiltFor<'_> {
    /// Compares only the compiler, not its components, extra targets or rustup profile.
    pub(crate) fn compiler_only(self) -> Self {
        Self {
            compiler_only: true,
            ..self
        }
    }
}

/// Every difference between what a restored cache was built for and this build, as
/// heroku/buildpacks-python lists them all; empty when the cache fits.
pub(crate) fn build_changes(old: BuiltFor<'_>, new: BuiltFor<'_>) -> Vec<String> {
    let mut changes = Vec::new();
    if new.compiler_only {
        if old.toolchain.channel != new.toolchain.channel {
            changes.push(format!(
                "the toolchain changed from {} to {}",
                old.toolchain.channel, new.toolchain.channel
            ));
        }
    } else if old.toolchain != new.toolchain {
        changes.push(format!(
            "the toolchain changed from {} to {}",
            describe_toolchain(old.toolchain),
            describe_toolchain(new.toolchain)
        ));
    }
    for (what, before, after) in [
        ("arch", old.arch, new.arch),
        ("distro", old.distro_name, new.distro_name),
        ("distro version", old.distro_version, new.distro_version),
    ] {
        if before != after {
            changes.push(format!("the {what} changed from {before} to {after}"));
        }
    }
    changes
}

/// `1.95.0`, or `1.95.0 (components: clippy; targets: …; profile: default)` when those differ
/// from a plain install.
fn describe_toolchain(spec: &ToolchainSpec) -> String {
    let mut extras = Vec::new();
    if !spec.components.is_empty() {
        extras.push(format!("components: {}", spec.components.join(", ")));
    }
    if !spec.targets.is_empty() {
        extras.push(format!("targets: {}", spec.targets.join(", ")));
    }
    if spec.profile != "minimal" {
        extras.push(format!("profile: {}", spec.profile));
    }
    if extras.is_empty() {
        spec.channel.clone()
    } else {
        format!("{} ({})", spec.channel, extras.join("; "))
    }
}

/// Why a cached layer was (or was not) reused.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CacheState {
    Reused { uses: f32 },
    Expired { uses: f32 },
    Outdated { why: String },
    Invalid,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_expires_at_the_bound() {
        assert!(!cache_expired(MAX_CACHE_USES - 1.0));
        assert!(cache_expired(MAX_CACHE_USES));
    }

    /// What the lifecycle does to layer metadata between builds: TOML, then JSON, then TOML.
    pub(crate) fn lifecycle_round_trip<T>(metadata: &T) -> T
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        let toml_text = toml::to_string(metadata).unwrap();
        let value: toml::Value = toml::from_str(&toml_text).unwrap();
        let json = serde_json::to_string(&value).unwrap();
        // Go's encoding/json decodes every number as float64; TOML then writes it with `.0`.
        let mut decoded: serde_json::Value = serde_json::from_str(&json).unwrap();
        floatify(&mut decoded);
        let back: toml::Value = serde_json::from_value(decoded).unwrap();
        toml::from_str(&toml::to_string(&back).unwrap()).unwrap()
    }

    fn floatify(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Number(number) => {
                if let Some(float) = number.as_f64() {
                    *value = serde_json::json!(float);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(floatify),
            serde_json::Value::Object(map) => map.values_mut().for_each(floatify),
            _ => {}
        }
    }
}
