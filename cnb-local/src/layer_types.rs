//! `<layers>/<layer>.toml` and the `[types]` table.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The `[types]` table of a layer content metadata file.
///
/// Buildpack spec, "Layer Types": a missing key means `false`; a layer whose types are all
/// `false` (or that has no `<layer>.toml`) is ignored by the lifecycle.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[allow(clippy::struct_excessive_bools)]
pub(crate) struct LayerTypes {
    #[serde(default)]
    pub(crate) launch: bool,
    #[serde(default)]
    pub(crate) build: bool,
    #[serde(default)]
    pub(crate) cache: bool,
}

#[derive(Debug, Default, Deserialize)]
struct LayerToml {
    #[serde(default)]
    types: LayerTypes,
}

/// One layer of a buildpack: its name, directory, `<layer>.toml` path and types.
#[derive(Debug, Clone)]
pub(crate) struct Layer {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
    pub(crate) toml: PathBuf,
    pub(crate) types: LayerTypes,
}

/// Files in a buildpack's layers dir that are not layer metadata.
///
/// Buildpack spec, "Build": `launch.toml`, `build.toml` and `store.toml` live beside the
/// `<layer>.toml` files but describe the build, not a layer.
const NOT_LAYERS: [&str; 3] = ["launch", "build", "store"];

/// Lists the layers in `dir` (one buildpack's layers dir), sorted by name.
///
/// Sorting matters: Buildpack spec, "Environment > Provided by the Buildpacks": layers of one
/// buildpack are applied in alphabetical order.
pub(crate) fn list_layers(dir: &Path) -> Result<Vec<Layer>, String> {
    let mut layers = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(layers),
        Err(error) => return Err(format!("cannot list {}: {error}", dir.display())),
    };
    for entry in entries {
        let path = entry
            .map_err(|error| format!("cannot list {}: {error}", dir.display()))?
            .path();
        let is_toml = path.extension().is_some_and(|ext| ext == "toml");
        let Some(name) = path.file_stem().and_then(|stem| stem.to_str()) else {
            continue;
        };
        if !is_toml || NOT_LAYERS.contains(&name) {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let parsed: LayerToml = toml::from_str(&text)
            .map_err(|error| format!("invalid layer metadata {}: {error}", path.display()))?;
        layers.push(Layer {
            name: name.to_string(),
            dir: dir.join(name),
            toml: path.clone(),
            types: parsed.types,
        });
    }
    layers.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(layers)
}
