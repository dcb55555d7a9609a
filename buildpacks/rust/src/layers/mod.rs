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
