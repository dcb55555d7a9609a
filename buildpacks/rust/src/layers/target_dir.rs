//! The target dir layer: `CARGO_TARGET_DIR`, so build output never lands in the app image.

pub(crate) mod prune;

use crate::RustBuildpack;
use crate::errors::RustBuildpackError;
use crate::layers::{BuiltFor, CacheState, build_changes, keep_unless_expired, previous_uses};
use crate::toolchain_file::ToolchainSpec;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{CachedLayerDefinition, InvalidMetadataAction, RestoredLayerAction};
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The file in the layer that records the app's source hashes (see `source_mtimes`).
pub(crate) const SOURCE_MANIFEST: &str = "slipway-source-mtimes.toml";

/// The file in the layer that records when each unit was last used (see [`prune`]).
const UNIT_MANIFEST: &str = "slipway-target-units.toml";

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
    pub(crate) unit_manifest: PathBuf,
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
    let env = LayerEnv::new()
        .chainable_insert(
            Scope::Build,
            ModificationBehavior::Override,
            "CARGO_TARGET_DIR",
            &dir,
        )
        // Cargo caches `rustc -vV` in `target/.rustc_info.json`, keyed by the mtime of rustc,
        // which the lifecycle's restore resets: the file would change on every build, and the
        // lifecycle would store the whole layer again although nothing else changed.
        .chainable_insert(
            Scope::Build,
            ModificationBehavior::Override,
            "CARGO_CACHE_RUSTC_INFO",
            "0",
        )
        // Cargo 1.91's `build.build-dir` moves the intermediate artifacts out of the target
        // dir; a build dir configured elsewhere would be outside this cached layer.
        .chainable_insert(
            Scope::Build,
            ModificationBehavior::Override,
            "CARGO_BUILD_BUILD_DIR",
            &dir,
        );
    layer.write_env(&env)?;
    Ok(TargetDir {
        env: layer.read_env()?,
        dir,
        source_manifest: layer.path().join(SOURCE_MANIFEST),
        unit_manifest: layer.path().join(UNIT_MANIFEST),
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
    let why = build_changes(
        BuiltFor::new(
            &old.toolchain,
            &old.arch,
            &old.distro_name,
            &old.distro_version,
        )
        .compiler_only(),
        BuiltFor::new(
            &new.toolchain,
            &new.arch,
            &new.distro_name,
            &new.distro_version,
        )
        .compiler_only(),
    );
    if why.is_empty() {
        expiry
    } else {
        (
            RestoredLayerAction::DeleteLayer,
            CacheState::Outdated {
                why: why.join("; "),
            },
        )
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
    fn every_reason_is_given() {
        let mut old = metadata("1.94.0", 1.0);
        old.toolchain.components = vec!["clippy".into()];
        old.arch = "amd64".into();
        old.distro_version = "22.04".into();
        let (_, state) = restored_action(&old, &metadata("1.95.0", 0.0));
        assert_eq!(
            state,
            CacheState::Outdated {
                why: "the toolchain changed from 1.94.0 to 1.95.0; \
                      the arch changed from amd64 to arm64; \
                      the distro version changed from 22.04 to 24.04"
                    .into()
            }
        );
        // Components, added targets and the rustup profile do not change the compiler.
        let mut same_compiler = metadata("1.95.0", 1.0);
        same_compiler.toolchain.components = vec!["clippy".into()];
        assert!(matches!(
            restored_action(&same_compiler, &metadata("1.95.0", 0.0)),
            (RestoredLayerAction::KeepLayer, _)
        ));
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
