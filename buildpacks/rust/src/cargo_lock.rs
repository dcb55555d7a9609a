//! The packages `Cargo.lock` pins, for pruning the caches, for the SBOM, and for telling which
//! migration tool the app uses.

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
    /// Its direct dependencies: `name`, or `name version` (or `name version (source)`) when
    /// the lockfile holds several versions of that name.
    #[serde(default)]
    pub(crate) dependencies: Vec<String>,
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

/// Whether a package named `name` is in the lockfile.
pub(crate) fn has_package(locked: &[LockedPackage], name: &str) -> bool {
    locked.iter().any(|package| package.name == name)
}

/// Whether the app's own package `package` (a workspace member or path dependency: one with no
/// source) depends on `dependency` directly.
pub(crate) fn depends_directly(locked: &[LockedPackage], package: &str, dependency: &str) -> bool {
    locked
        .iter()
        .filter(|locked| locked.name == package && locked.source.is_none())
        .flat_map(|locked| &locked.dependencies)
        .any(|entry| entry.split_whitespace().next() == Some(dependency))
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

    #[test]
    fn direct_dependencies_of_the_apps_own_packages() {
        let packages = parse_cargo_lock(indoc! {r#"
            version = 4

            [[package]]
            name = "migration"
            version = "0.1.0"
            dependencies = [
             "sea-orm-migration 2.0.4",
             "tokio",
            ]

            [[package]]
            name = "web"
            version = "0.1.0"
            dependencies = ["migration"]

            [[package]]
            name = "sea-orm-migration"
            version = "2.0.4"
            source = "registry+https://github.com/rust-lang/crates.io-index"
            dependencies = ["sea-orm-migration-extra"]

            [[package]]
            name = "registry-twin"
            version = "1.0.0"
            source = "registry+https://github.com/rust-lang/crates.io-index"
            dependencies = ["sea-orm-migration"]
        "#})
        .unwrap();
        assert!(depends_directly(
            &packages,
            "migration",
            "sea-orm-migration"
        ));
        assert!(depends_directly(&packages, "migration", "tokio"));
        // Only direct dependencies count, and only the app's own packages.
        assert!(!depends_directly(&packages, "web", "sea-orm-migration"));
        assert!(!depends_directly(
            &packages,
            "registry-twin",
            "sea-orm-migration"
        ));
        // A name is a whole word, not a prefix.
        assert!(!depends_directly(
            &packages,
            "sea-orm-migration",
            "sea-orm-migration"
        ));
        assert!(!depends_directly(&packages, "nope", "tokio"));
        assert!(has_package(&packages, "sea-orm-migration"));
        assert!(!has_package(&packages, "diesel_migrations"));
    }
}
