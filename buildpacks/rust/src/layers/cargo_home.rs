//! The Cargo home layer: the registry index, crate sources and git checkouts.
//!
//! After each build it keeps only the crates `Cargo.lock` pins, and never cargo's own usage
//! database (`.global-cache`): it records when each file was last used, so it changes on
//! every build and would make the lifecycle store the whole layer again although nothing
//! else changed. Cargo's automatic clean-up, which reads that database, is off: the pruning
//! here replaces it.

use crate::RustBuildpack;
use crate::cargo_lock::LockedPackage;
use crate::errors::RustBuildpackError;
use crate::layers::{
    CacheState, dir_size, keep_unless_expired, previous_uses, read_dir_if_present,
    remove_if_present,
};
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{CachedLayerDefinition, InvalidMetadataAction};
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

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
    let env = LayerEnv::new()
        .chainable_insert(
            Scope::Build,
            ModificationBehavior::Override,
            "CARGO_HOME",
            layer.path(),
        )
        .chainable_insert(
            Scope::Build,
            ModificationBehavior::Override,
            "CARGO_CACHE_AUTO_CLEAN_FREQUENCY",
            "never",
        );
    layer.write_env(&env)?;
    Ok(CargoHome {
        env: layer.read_env()?,
        dir: layer.path(),
    })
}

/// What pruning left in the Cargo home.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CargoHomePruned {
    /// Crates no longer in `Cargo.lock` whose archive or sources were removed.
    pub(crate) dropped_crates: usize,
    pub(crate) dropped_bytes: u64,
    /// The size of the layer after pruning.
    pub(crate) bytes: u64,
}

/// Removes cargo's usage database, the registry archives (`registry/cache/*/*.crate`) and
/// sources (`registry/src/*/*`) of crates that `locked` does not list, and the checkouts of
/// git revisions it does not pin (`git/db`, one clone per repository, stays).
pub(crate) fn prune_cargo_home(
    cargo_home: &Path,
    locked: &[LockedPackage],
) -> io::Result<CargoHomePruned> {
    for entry in read_dir_if_present(cargo_home)? {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(".global-cache")
        {
            std::fs::remove_file(entry.path())?;
        }
    }
    let keep: BTreeSet<String> = locked
        .iter()
        .filter(|package| package.is_from_registry())
        .map(|package| format!("{}-{}", package.name, package.version))
        .collect();
    let mut dropped = BTreeSet::new();
    let mut dropped_bytes = 0;
    for (kind, suffix) in [("cache", ".crate"), ("src", "")] {
        for registry in read_dir_if_present(&cargo_home.join("registry").join(kind))? {
            for entry in read_dir_if_present(&registry.path())? {
                let file_name = entry.file_name().to_string_lossy().into_owned();
                let Some(crate_id) = file_name.strip_suffix(suffix) else {
                    continue;
                };
                if keep.contains(crate_id) {
                    continue;
                }
                dropped_bytes += dir_size(&entry.path())?;
                remove_if_present(&entry.path())?;
                dropped.insert(crate_id.to_string());
            }
        }
    }
    // Git dependencies: `git/checkouts/<name>-<url hash>/<short rev>` for each locked rev.
    let revs: Vec<&str> = locked
        .iter()
        .filter_map(|package| package.source.as_deref()?.strip_prefix("git+"))
        .filter_map(|source| source.rsplit_once('#').map(|(_, rev)| rev))
        .collect();
    // A repository no locked source names any more: its clone and all its checkouts.
    let repositories: BTreeSet<String> = locked
        .iter()
        .filter_map(|package| package.source.as_deref()?.strip_prefix("git+"))
        .filter_map(|source| {
            let url = source.split(['?', '#']).next()?;
            let name = url.trim_end_matches('/').rsplit('/').next()?;
            Some(name.trim_end_matches(".git").to_string())
        })
        .collect();
    for kind in ["db", "checkouts"] {
        for repository in read_dir_if_present(&cargo_home.join("git").join(kind))? {
            let dir_name = repository.file_name().to_string_lossy().into_owned();
            let name = dir_name
                .rsplit_once('-')
                .map_or(dir_name.as_str(), |(name, _)| name);
            if repositories.contains(name) || !repository.file_type()?.is_dir() {
                continue;
            }
            dropped_bytes += dir_size(&repository.path())?;
            std::fs::remove_dir_all(repository.path())?;
            dropped.insert(format!("git {name}"));
        }
    }
    for repository in read_dir_if_present(&cargo_home.join("git/checkouts"))? {
        for checkout in read_dir_if_present(&repository.path())? {
            let short_rev = checkout.file_name().to_string_lossy().into_owned();
            if revs.iter().any(|rev| rev.starts_with(&short_rev)) || !checkout.file_type()?.is_dir()
            {
                continue;
            }
            dropped_bytes += dir_size(&checkout.path())?;
            std::fs::remove_dir_all(checkout.path())?;
            dropped.insert(format!(
                "{}@{short_rev}",
                repository.file_name().to_string_lossy()
            ));
        }
    }
    Ok(CargoHomePruned {
        dropped_crates: dropped.len(),
        dropped_bytes,
        bytes: dir_size(cargo_home)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::tests::lifecycle_round_trip;

    #[test]
    fn pruning_keeps_the_locked_crates_and_drops_the_usage_database() {
        let home = tempfile::tempdir().unwrap();
        let index = "index.crates.io-1949cf8c6b5b557f";
        let cache = home.path().join("registry/cache").join(index);
        let src = home.path().join("registry/src").join(index);
        std::fs::create_dir_all(&cache).unwrap();
        for id in ["serde-1.0.228", "serde-1.0.200", "tokio-1.48.0"] {
            std::fs::write(cache.join(format!("{id}.crate")), "12345").unwrap();
            std::fs::create_dir_all(src.join(id).join("src")).unwrap();
            std::fs::write(src.join(id).join("src/lib.rs"), "123").unwrap();
        }
        std::fs::write(home.path().join(".global-cache"), "sqlite").unwrap();
        let checkouts = home.path().join("git/checkouts/forked-0123456789abcdef");
        let gone = home.path().join("git/db/removed-fedcba9876543210");
        std::fs::create_dir_all(&gone).unwrap();
        std::fs::write(gone.join("HEAD"), "12").unwrap();
        std::fs::create_dir_all(home.path().join("git/db/forked-0123456789abcdef")).unwrap();
        for rev in ["a1b2c3d", "0000000"] {
            std::fs::create_dir_all(checkouts.join(rev)).unwrap();
            std::fs::write(checkouts.join(rev).join("lib.rs"), "1234").unwrap();
        }
        std::fs::write(home.path().join(".package-cache"), "").unwrap();
        let locked = |name: &str, version: &str| LockedPackage {
            name: name.into(),
            version: version.into(),
            source: Some("registry+https://github.com/rust-lang/crates.io-index".into()),
            checksum: None,
            dependencies: Vec::new(),
        };
        let forked = LockedPackage {
            name: "forked".into(),
            version: "0.2.0".into(),
            source: Some("git+https://example.com/forked?branch=main#a1b2c3d4e5f60718".into()),
            checksum: None,
            dependencies: Vec::new(),
        };
        let pruned = prune_cargo_home(
            home.path(),
            &[
                locked("serde", "1.0.228"),
                locked("tokio", "1.48.0"),
                forked,
            ],
        )
        .unwrap();
        assert_eq!(
            pruned,
            CargoHomePruned {
                dropped_crates: 3,
                dropped_bytes: 14,
                bytes: 20
            }
        );
        assert!(!cache.join("serde-1.0.200.crate").exists());
        assert!(!src.join("serde-1.0.200").exists());
        assert!(src.join("serde-1.0.228/src/lib.rs").is_file());
        assert!(!home.path().join(".global-cache").exists());
        assert!(home.path().join(".package-cache").exists());
        assert!(
            checkouts.join("a1b2c3d/lib.rs").exists(),
            "the locked rev stays"
        );
        assert!(!checkouts.join("0000000").exists());
        assert!(!gone.exists(), "a repository no longer locked");
        assert!(home.path().join("git/db/forked-0123456789abcdef").exists());
    }

    #[test]
    fn metadata_survives_the_lifecycles_json_round_trip() {
        let metadata = CargoHomeMetadata { uses: 3.0 };
        assert_eq!(lifecycle_round_trip(&metadata), metadata);
    }
}
