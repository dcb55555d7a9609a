//! The parts of `buildpack.toml` the platform reads.

use serde::Deserialize;
use std::path::Path;

/// The only Buildpack API this platform implements.
pub(crate) const SUPPORTED_BUILDPACK_API: &str = "0.10";

#[derive(Debug, Deserialize)]
pub(crate) struct Descriptor {
    pub(crate) api: String,
    pub(crate) buildpack: BuildpackInfo,
}

#[derive(Debug, Deserialize)]
pub(crate) struct BuildpackInfo {
    pub(crate) id: String,
    #[serde(rename = "clear-env", default)]
    pub(crate) clear_env: bool,
}

impl Descriptor {
    /// Reads `<buildpack>/buildpack.toml`.
    pub(crate) fn read(buildpack_dir: &Path) -> Result<Self, String> {
        let path = buildpack_dir.join("buildpack.toml");
        let text = std::fs::read_to_string(&path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        toml::from_str(&text).map_err(|error| format!("invalid {}: {error}", path.display()))
    }

    /// The buildpack's directory name under `<layers>`.
    ///
    /// Platform spec, "Buildpacks Directory Layout" / "Layers": the layers directory of a
    /// buildpack is `<layers>/<buildpack ID>` with every `/` in the ID replaced by `_`.
    pub(crate) fn escaped_id(&self) -> String {
        self.buildpack.id.replace('/', "_")
    }
}
