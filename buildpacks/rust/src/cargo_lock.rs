//! The packages `Cargo.lock` pins, for pruning the caches and for the SBOM.

use serde::Deserialize;
use std::path::Path;

/// One `[[package]]` of `Cargo.lock`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct LockedPackage {
    pub(crate) name: String,
    pub(crate) version: String,
    /// `registry+…`, `sparse+…` or `git+…`; none for the workspace's own packages.
    pub(crate) source: Option<String>,
    /// The SHA-256 of a registry crate's archive.
    pub(crate) checksum: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Lockfile {
    #[serde(default)]
    package: Vec<LockedPackage>,
}

/// The packages in the app's `Cargo.lock` (cargo has already checked it with `--locked`).
pub(crate) fn read_cargo_lock(app_dir: &Path) -> std::io::Result<Vec<LockedPackage>> {
    let text = std::fs::read_to_string(app_dir.join("Cargo.lock"))?;
    parse_cargo_lock(&text)
}

fn parse_cargo_lock(text: &str) -> std::io::Result<Vec<LockedPackage>> {
    toml::from_str::<Lockfile>(text)
        .map(|lockfile| lockfile.package)
        .map_err(std::io::Error::other)
}

impl LockedPackage {
    /// Whether it comes from a registry (crates.io or another), whose files cargo keeps in
    /// `$CARGO_HOME/registry` as `<name>-<version>`.
    pub(crate) fn is_from_registry(&self) -> bool {
        self.source
            .as_deref()
            .is_some_and(|source| source.starts_with("registry+") || source.starts_with("sparse+"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indoc::indoc;

    #[test]
    fn reads_names_versions_and_sources() {
        let packages = parse_cargo_lock(indoc! {r#"
            version = 4

            [[package]]
            name = "app"
            version = "0.1.0"
            dependencies = ["serde"]

            [[package]]
            name = "serde"
            version = "1.0.228"
            source = "registry+https://github.com/rust-lang/crates.io-index"
            checksum = "abc"

            [[package]]
            name = "forked"
            version = "0.2.0"
            source = "git+https://example.com/forked#0123"
        "#})
        .unwrap();
        let registry: Vec<_> = packages
            .iter()
            .filter(|package| package.is_from_registry())
            .map(|package| format!("{}-{}", package.name, package.version))
            .collect();
        assert_eq!(packages.len(), 3);
        assert_eq!(registry, ["serde-1.0.228"]);
    }
}
