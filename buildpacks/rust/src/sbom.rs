//! The app layer's SBOM: a CycloneDX document of the crates compiled into the app.
//!
//! Buildpack API 0.10 lets a buildpack attach an SBOM to a layer (`<layer>.sbom.cdx.json`);
//! the lifecycle's exporter puts it in the image's SBOM layer, where `pack sbom download`
//! finds it. It lists what `cargo metadata` resolves for the target platform, reachable from
//! the workspace through normal and build dependencies (not dev-dependencies), with each
//! crate's version, licence, `pkg:cargo` purl and the checksum `Cargo.lock` pins. It is
//! deterministic (no timestamp, no random serial number), so an unchanged app keeps an
//! unchanged SBOM layer.

use crate::cargo_lock::LockedPackage;
use cyclonedx_bom::models::bom::Bom;
use cyclonedx_bom::models::component::{Classification, Component, Components};
use cyclonedx_bom::models::dependency::{Dependencies, Dependency};
use cyclonedx_bom::models::hash::{Hash, HashAlgorithm, HashValue, Hashes};
use cyclonedx_bom::models::license::{License, LicenseChoice, Licenses};
use cyclonedx_bom::models::metadata::Metadata;
use cyclonedx_bom::prelude::{Purl, SpdxExpression};
use fun_run::CommandWithName;
use libcnb::Env;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub(crate) enum SbomError {
    #[error("`cargo metadata` failed: {0}")]
    Metadata(fun_run::CmdError),
    #[error("`cargo metadata` printed something unexpected: {0}")]
    MetadataJson(serde_json::Error),
    #[error("writing the CycloneDX document failed: {0}")]
    Write(String),
}

/// `cargo metadata` with its resolved graph.
#[derive(Debug, Deserialize)]
struct Graph {
    packages: Vec<Package>,
    workspace_members: Vec<String>,
    resolve: Resolve,
}

#[derive(Debug, Deserialize)]
struct Package {
    id: String,
    name: String,
    version: String,
    license: Option<String>,
    license_file: Option<String>,
    source: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
    root: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Node {
    id: String,
    #[serde(default)]
    deps: Vec<NodeDep>,
}

#[derive(Debug, Deserialize)]
struct NodeDep {
    pkg: String,
    #[serde(default)]
    dep_kinds: Vec<DepKind>,
}

#[derive(Debug, Deserialize)]
struct DepKind {
    kind: Option<String>,
}

/// The app's CycloneDX 1.5 JSON SBOM, for the crates built for `triple`.
pub(crate) fn app_sbom(
    app_dir: &Path,
    env: &Env,
    triple: &str,
    locked: &[LockedPackage],
) -> Result<Vec<u8>, SbomError> {
    let mut command = Command::new("cargo");
    command
        .args(["metadata", "--format-version", "1", "--locked"])
        .args(["--filter-platform", triple])
        .current_dir(app_dir)
        .env_clear()
        .envs(env);
    let output = command.named_output().map_err(SbomError::Metadata)?;
    let graph: Graph = serde_json::from_slice(output.stdout()).map_err(SbomError::MetadataJson)?;
    let mut json = Vec::new();
    bom_of(&graph, locked)
        .output_as_json_v1_5(&mut json)
        .map_err(|error| SbomError::Write(error.to_string()))?;
    Ok(json)
}

/// The document for `graph`: the root package as the subject, every crate it needs as a
/// component, and who needs whom.
fn bom_of(graph: &Graph, locked: &[LockedPackage]) -> Bom {
    let packages: BTreeMap<&str, &Package> = graph
        .packages
        .iter()
        .map(|package| (package.id.as_str(), package))
        .collect();
    let needed = shipped_packages(graph);
    let root = graph
        .resolve
        .root
        .as_deref()
        .or_else(|| graph.workspace_members.first().map(String::as_str));
    let checksums: BTreeMap<(&str, &str), &str> = locked
        .iter()
        .filter_map(|package| {
            let checksum = package.checksum.as_deref()?;
            Some(((package.name.as_str(), package.version.as_str()), checksum))
        })
        .collect();
    let component = |package: &Package| {
        let member = graph.workspace_members.contains(&package.id);
        let checksum = checksums
            .get(&(package.name.as_str(), package.version.as_str()))
            .copied();
        component_of(package, member, checksum)
    };
    let components: Vec<Component> = needed
        .iter()
        .filter(|id| Some(id.as_str()) != root)
        .filter_map(|id| packages.get(id.as_str()))
        .map(|package| component(package))
        .collect();
    let dependencies: Vec<Dependency> = graph
        .resolve
        .nodes
        .iter()
        .filter(|node| needed.contains(&node.id))
        .map(|node| Dependency {
            dependency_ref: node.id.clone(),
            dependencies: shipped_deps(node).map(str::to_string).collect(),
        })
        .collect();
    Bom {
        serial_number: None,
        metadata: Some(Metadata {
            component: root
                .and_then(|id| packages.get(id))
                .map(|package| component(package)),
            ..Metadata::default()
        }),
        components: Some(Components(components)),
        dependencies: Some(Dependencies(dependencies)),
        ..Bom::default()
    }
}

/// The ids of the workspace members and of every package they reach through normal or build
/// dependencies, sorted.
fn shipped_packages(graph: &Graph) -> BTreeSet<String> {
    let nodes: BTreeMap<&str, &Node> = graph
        .resolve
        .nodes
        .iter()
        .map(|node| (node.id.as_str(), node))
        .collect();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut pending: VecDeque<&str> = graph
        .workspace_members
        .iter()
        .map(String::as_str)
        .filter(|id| nodes.contains_key(id))
        .collect();
    while let Some(id) = pending.pop_front() {
        if !seen.insert(id.to_string()) {
            continue;
        }
        if let Some(node) = nodes.get(id) {
            pending.extend(shipped_deps(node));
        }
    }
    seen
}

/// The dependencies of `node` that are not only dev-dependencies.
fn shipped_deps(node: &Node) -> impl Iterator<Item = &str> {
    node.deps
        .iter()
        .filter(|dep| {
            dep.dep_kinds.is_empty()
                || dep
                    .dep_kinds
                    .iter()
                    .any(|kind| kind.kind.as_deref() != Some("dev"))
        })
        .map(|dep| dep.pkg.as_str())
}

fn component_of(package: &Package, member: bool, checksum: Option<&str>) -> Component {
    let kind = if member {
        Classification::Application
    } else {
        Classification::Library
    };
    let mut component = Component::new(
        kind,
        &package.name,
        &package.version,
        Some(package.id.clone()),
    );
    component.licenses = licenses_of(package);
    let from_crates_io = package
        .source
        .as_deref()
        .is_some_and(|source| source.contains("crates.io-index"));
    if from_crates_io {
        component.purl = Purl::new("cargo", &package.name, &package.version).ok();
    }
    component.hashes = checksum.map(|checksum| {
        Hashes(vec![Hash {
            alg: HashAlgorithm::SHA_256,
            content: HashValue(checksum.to_string()),
        }])
    });
    component
}

/// The crate's `license` as an SPDX expression (`MIT/Apache-2.0`, as old crates write it,
/// read as `MIT OR Apache-2.0`), or its `license-file`.
fn licenses_of(package: &Package) -> Option<Licenses> {
    let choice = match (&package.license, &package.license_file) {
        (Some(license), _) => match SpdxExpression::parse_lax(license.clone()) {
            Ok(expression) => LicenseChoice::Expression(expression),
            Err(_) => LicenseChoice::License(License::named_license(license)),
        },
        (None, Some(file)) => {
            LicenseChoice::License(License::named_license(&format!("see {file}")))
        }
        (None, None) => return None,
    };
    Some(Licenses(vec![choice]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use indoc::indoc;

    fn graph() -> Graph {
        serde_json::from_str(indoc! {r#"{
            "packages": [
                {"id": "path+file:///app#my-app@0.1.0", "name": "my-app", "version": "0.1.0", "license": null, "license_file": null, "source": null},
                {"id": "registry+https://github.com/rust-lang/crates.io-index#serde@1.0.228", "name": "serde", "version": "1.0.228", "license": "MIT OR Apache-2.0", "license_file": null, "source": "registry+https://github.com/rust-lang/crates.io-index"},
                {"id": "registry+https://github.com/rust-lang/crates.io-index#old@0.1.0", "name": "old", "version": "0.1.0", "license": "MIT/Apache-2.0", "license_file": null, "source": "registry+https://github.com/rust-lang/crates.io-index"},
                {"id": "registry+https://github.com/rust-lang/crates.io-index#cc@1.2.0", "name": "cc", "version": "1.2.0", "license": null, "license_file": "LICENSE", "source": "registry+https://github.com/rust-lang/crates.io-index"},
                {"id": "registry+https://github.com/rust-lang/crates.io-index#tempfile@3.0.0", "name": "tempfile", "version": "3.0.0", "license": "MIT", "license_file": null, "source": "registry+https://github.com/rust-lang/crates.io-index"}
            ],
            "workspace_members": ["path+file:///app#my-app@0.1.0"],
            "resolve": {
                "root": "path+file:///app#my-app@0.1.0",
                "nodes": [
                    {"id": "path+file:///app#my-app@0.1.0", "deps": [
                        {"pkg": "registry+https://github.com/rust-lang/crates.io-index#serde@1.0.228", "dep_kinds": [{"kind": null}]},
                        {"pkg": "registry+https://github.com/rust-lang/crates.io-index#cc@1.2.0", "dep_kinds": [{"kind": "build"}]},
                        {"pkg": "registry+https://github.com/rust-lang/crates.io-index#tempfile@3.0.0", "dep_kinds": [{"kind": "dev"}]}
                    ]},
                    {"id": "registry+https://github.com/rust-lang/crates.io-index#serde@1.0.228", "deps": [
                        {"pkg": "registry+https://github.com/rust-lang/crates.io-index#old@0.1.0", "dep_kinds": [{"kind": null}]}
                    ]},
                    {"id": "registry+https://github.com/rust-lang/crates.io-index#old@0.1.0", "deps": []},
                    {"id": "registry+https://github.com/rust-lang/crates.io-index#cc@1.2.0", "deps": []},
                    {"id": "registry+https://github.com/rust-lang/crates.io-index#tempfile@3.0.0", "deps": []}
                ]
            }
        }"#})
        .unwrap()
    }

    fn document() -> serde_json::Value {
        let locked = [LockedPackage {
            name: "serde".into(),
            version: "1.0.228".into(),
            source: Some("registry+https://github.com/rust-lang/crates.io-index".into()),
            checksum: Some("9a8e94ea".into()),
        }];
        let mut json = Vec::new();
        bom_of(&graph(), &locked)
            .output_as_json_v1_5(&mut json)
            .unwrap();
        serde_json::from_slice(&json).unwrap()
    }

    #[test]
    fn lists_shipped_crates_with_versions_licences_purls_and_checksums() {
        let document = document();
        assert_eq!(document["bomFormat"], "CycloneDX");
        assert_eq!(document["specVersion"], "1.5");
        assert_eq!(document["metadata"]["component"]["name"], "my-app");
        assert_eq!(document["metadata"]["component"]["type"], "application");
        let components = document["components"].as_array().unwrap();
        let names: Vec<&str> = components
            .iter()
            .map(|component| component["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["cc", "old", "serde"], "no dev-dependency, no app");
        let serde = &components[2];
        assert_eq!(serde["version"], "1.0.228");
        assert_eq!(serde["purl"], "pkg:cargo/serde@1.0.228");
        assert_eq!(serde["licenses"][0]["expression"], "MIT OR Apache-2.0");
        assert_eq!(serde["hashes"][0]["alg"], "SHA-256");
        assert_eq!(serde["hashes"][0]["content"], "9a8e94ea");
        assert_eq!(
            components[1]["licenses"][0]["expression"], "MIT OR Apache-2.0",
            "the old slash form"
        );
        assert_eq!(
            components[0]["licenses"][0]["license"]["name"],
            "see LICENSE"
        );
        let app_deps = document["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|dependency| dependency["ref"] == "path+file:///app#my-app@0.1.0")
            .unwrap();
        assert_eq!(app_deps["dependsOn"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn the_same_app_gives_the_same_document() {
        let document = document();
        assert_eq!(document, self::document());
        assert!(document.get("serialNumber").is_none());
        assert!(document["metadata"].get("timestamp").is_none());
    }
}
