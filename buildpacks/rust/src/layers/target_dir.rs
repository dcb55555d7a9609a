//! The target dir layer: `CARGO_TARGET_DIR`, so build output never lands in the app image.

use crate::RustBuildpack;
use crate::errors::RustBuildpackError;
use crate::layers::{CacheState, keep_unless_expired, previous_uses};
use crate::toolchain_file::ToolchainSpec;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{CachedLayerDefinition, InvalidMetadataAction, RestoredLayerAction};
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The file in the layer that records the app's source hashes (see `source_mtimes`).
pub(crate) const SOURCE_MANIFEST: &str = "slipway-source-mtimes.toml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TargetDirMetadata {
    toolchain: ToolchainSpec,
    arch: String,
    distro_name: String,
    distro_version: String,
    uses: f32,
}

/// The target dir layer, ready for `cargo build`.
pub(crate) struct TargetDir {
    pub(crate) env: LayerEnv,
    /// `CARGO_TARGET_DIR`.
    pub(crate) dir: PathBuf,
    pub(crate) source_manifest: PathBuf,
}

/// Creates or reuses the target dir cache.
///
/// It is reused only with the same toolchain, arch and distro, since artifacts of another
/// compiler are never fresh; it is cleared after [`super::MAX_CACHE_USES`] builds.
pub(crate) fn prepare_target_dir(
    context: &BuildContext<RustBuildpack>,
    toolchain: &ToolchainSpec,
) -> libcnb::Result<TargetDir, RustBuildpackError> {
    let mut metadata = TargetDirMetadata {
        toolchain: toolchain.clone(),
        arch: context.target.arch.clone(),
        distro_name: context.target.distro_name.clone(),
        distro_version: context.target.distro_version.clone(),
        uses: 0.0,
    };
    let layer = context.cached_layer(
        layer_name!("target"),
        CachedLayerDefinition {
            build: true,
            launch: false,
            invalid_metadata_action: &|_| (InvalidMetadataAction::DeleteLayer, CacheState::Invalid),
            restored_layer_action: &|old: &TargetDirMetadata, _| restored_action(old, &metadata),
        },
    )?;
    metadata.uses = previous_uses(&layer.state, "target dir cache") + 1.0;
    layer.write_metadata(metadata)?;
    let dir = layer.path().join("target");
    let env = LayerEnv::new().chainable_insert(
        Scope::Build,
        ModificationBehavior::Override,
        "CARGO_TARGET_DIR",
        &dir,
    );
    layer.write_env(&env)?;
    Ok(TargetDir {
        env: layer.read_env()?,
        dir,
        source_manifest: layer.path().join(SOURCE_MANIFEST),
    })
}

fn restored_action(
    old: &TargetDirMetadata,
    new: &TargetDirMetadata,
) -> (RestoredLayerAction, CacheState) {
    let expiry = keep_unless_expired(old.uses);
    if matches!(expiry.1, CacheState::Expired { .. }) {
        return expiry;
    }
    let why = if old.toolchain != new.toolchain {
        Some(format!(
            "the toolchain changed from {} to {}",
            old.toolchain.channel, new.toolchain.channel
        ))
    } else if (&old.arch, &old.distro_name, &old.distro_version)
        != (&new.arch, &new.distro_name, &new.distro_version)
    {
        Some("the target arch or distro changed".to_string())
    } else {
        None
    };
    match why {
        Some(why) => (
            RestoredLayerAction::DeleteLayer,
            CacheState::Outdated { why },
        ),
        None => expiry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::MAX_CACHE_USES;

    fn metadata(channel: &str, uses: f32) -> TargetDirMetadata {
        TargetDirMetadata {
            toolchain: ToolchainSpec {
                channel: channel.into(),
                components: vec![],
                targets: vec![],
                profile: "minimal".into(),
            },
            arch: "arm64".into(),
            distro_name: "ubuntu".into(),
            distro_version: "24.04".into(),
            uses,
        }
    }

    #[test]
    fn reuses_until_expired_or_outdated() {
        let now = metadata("1.95.0", 0.0);
        assert!(matches!(
            restored_action(&metadata("1.95.0", 3.0), &now),
            (RestoredLayerAction::KeepLayer, CacheState::Reused { uses }) if (uses - 3.0).abs() < f32::EPSILON
        ));
        assert!(matches!(
            restored_action(&metadata("1.95.0", MAX_CACHE_USES), &now),
            (RestoredLayerAction::DeleteLayer, CacheState::Expired { .. })
        ));
        let (action, state) = restored_action(&metadata("1.94.0", 1.0), &now);
        assert!(matches!(action, RestoredLayerAction::DeleteLayer));
        assert_eq!(
            state,
            CacheState::Outdated {
                why: "the toolchain changed from 1.94.0 to 1.95.0".into()
            }
        );
    }

    #[test]
    fn metadata_survives_the_lifecycles_json_round_trip() {
        let metadata = metadata("1.95.0", 7.0);
        assert_eq!(
            crate::layers::tests::lifecycle_round_trip(&metadata),
            metadata
        );
    }
}
