//! One module per layer, each with one `install_*` (or `prepare_*`) function.

pub(crate) mod app_binaries;
pub(crate) mod cargo_home;
pub(crate) mod release_tool;
pub(crate) mod target_dir;
pub(crate) mod toolchain;

/// How many builds may reuse a growing cache layer before it is cleared.
///
/// Cargo never prunes its registry or target dir, so a cache that is only ever reused grows
/// with every dependency bump. Like heroku/buildpacks-go's `MAX_CACHE_USAGE_COUNT`, a usage
/// counter in the layer metadata bounds it.
pub(crate) const MAX_CACHE_USES: u32 = 100;

/// Whether a cache used `uses` times must be cleared before this build.
pub(crate) fn cache_expired(uses: u32) -> bool {
    uses >= MAX_CACHE_USES
}

/// Why a cached layer was (or was not) reused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CacheState {
    Reused { uses: u32 },
    Expired { uses: u32 },
    Outdated { why: String },
    Invalid,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_expires_at_the_bound() {
        assert!(!cache_expired(MAX_CACHE_USES - 1));
        assert!(cache_expired(MAX_CACHE_USES));
    }
}
