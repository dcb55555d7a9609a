//! The Cargo home layer: the registry index, crate sources and git checkouts.

use crate::RustBuildpack;
use crate::errors::RustBuildpackError;
use crate::layers::{CacheState, keep_unless_expired, previous_uses};
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{CachedLayerDefinition, InvalidMetadataAction};
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CargoHomeMetadata {
    uses: f32,
}

/// The Cargo home layer, ready for `cargo build`.
pub(crate) struct CargoHome {
    pub(crate) env: LayerEnv,
    /// `CARGO_HOME`.
    pub(crate) dir: PathBuf,
}

/// Creates or reuses the Cargo home cache.
pub(crate) fn install_cargo_home(
    context: &BuildContext<RustBuildpack>,
) -> libcnb::Result<CargoHome, RustBuildpackError> {
    let layer = context.cached_layer(
        layer_name!("cargo_home"),
        CachedLayerDefinition {
            build: true,
            launch: false,
            invalid_metadata_action: &|_| (InvalidMetadataAction::DeleteLayer, CacheState::Invalid),
            restored_layer_action: &|old: &CargoHomeMetadata, _| keep_unless_expired(old.uses),
        },
    )?;
    let uses = previous_uses(&layer.state, "Cargo registry cache");
    layer.write_metadata(CargoHomeMetadata { uses: uses + 1.0 })?;
    let env = LayerEnv::new().chainable_insert(
        Scope::Build,
        ModificationBehavior::Override,
        "CARGO_HOME",
        layer.path(),
    );
    layer.write_env(&env)?;
    Ok(CargoHome {
        env: layer.read_env()?,
        dir: layer.path(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::tests::lifecycle_round_trip;

    #[test]
    fn metadata_survives_the_lifecycles_json_round_trip() {
        let metadata = CargoHomeMetadata { uses: 3.0 };
        assert_eq!(lifecycle_round_trip(&metadata), metadata);
    }
}
