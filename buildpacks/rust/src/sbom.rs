//! The app layer's SBOM: a CycloneDX document of the crates compiled into the app.
//!
//! Buildpack API 0.10 lets a buildpack attach an SBOM to a layer (`<layer>.sbom.cdx.json`);
//! the lifecycle's exporter puts it in the image's SBOM layer, where `pack sbom download`
//! finds it. It lists exactly the packages this build compiled (cargo's `compiler-artifact`
//! messages, so the features, package and target the build selected count, and
//! dev-dependencies do not unless `SLIPWAY_CARGO_ARGS` builds tests), each with its version,
//! licence (from its `Cargo.toml`), `pkg:cargo` purl for crates.io crates and the checksum
//! `Cargo.lock` pins. Nothing is downloaded for it. It is deterministic (sorted, no timestamp,
//! no random serial number), so an unchanged app keeps an unchanged SBOM layer.

use crate::cargo_lock::LockedPackage;
use cyclonedx_bom::models::bom::Bom;
use cyclonedx_bom::models::component::{Classification, Component, Components};
use cyclonedx_bom::models::hash::{Hash, HashAlgorithm, HashValue, Hashes};
use cyclonedx_bom::models::license::{License, LicenseChoice, Licenses};
use cyclonedx_bom::models::metadata::Metadata;
use cyclonedx_bom::prelude::{Purl, SpdxExpression};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub(crate) enum SbomError {
    #[error("cannot read {}: {source}", path.display())]
    Manifest {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not valid TOML: {message}", path.display())]
    ManifestToml { path: PathBuf, message: String },
    #[error("writing the CycloneDX document failed: {0}")]
    Write(String),
}

/// A package as cargo's package id names it: `registry+https://…#serde@1.0.228`,
/// `path+file:///app#0.1.0` (the name is the folder's) or `path+file:///app#my-app@0.1.0`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct PackageId {
    name: String,
    version: String,
    source: String,
}

impl PackageId {
    /// Cargo 1.77 and later (a package id spec), or the older `name version (source)`.
    fn parse(id: &str) -> Option<Self> {
        if let Some((name_version, source)) = id.split_once(" (") {
            let (name, version) = name_version.split_once(' ')?;
            let source = source.strip_suffix(')')?;
            let source = source.split(['?', '#']).next().unwrap_or(source);
            return Some(Self {
                name: name.to_string(),
                version: version.to_string(),
                source: source.to_string(),
            });
        }
        let (url, fragment) = id.rsplit_once('#')?;
        let (name, version) = if let Some((name, version)) = fragment.split_once('@') {
            (name.to_string(), version.to_string())
        } else {
            let path = url.split(['?', '#']).next()?;
            let name = path.trim_end_matches('/').rsplit('/').next()?;
            (name.to_string(), fragment.to_string())
        };
        let source = url.split('?').next().unwrap_or(url).to_string();
        Some(Self {
            name,
            version,
            source,
        })
    }

    fn is_from_crates_io(&self) -> bool {
        self.source.contains("crates.io-index")
    }
}

/// The name of the package cargo's package id `id` names (either form).
pub(crate) fn package_name(id: &str) -> Option<String> {
    PackageId::parse(id).map(|id| id.name)
}

/// A package's licence fields.
#[derive(Debug, Default, PartialEq, Eq)]
struct LicenceFields {
    license: Option<String>,
    license_file: Option<String>,
}

/// The app's CycloneDX 1.5 JSON SBOM: `packages` (package id to `Cargo.toml`, from the build's
/// messages), the shipped binaries' `subject_packages` as the subject.
pub(crate) fn app_sbom(
    app_dir: &Path,
    packages: &BTreeMap<String, PathBuf>,
    subject_packages: &[String],
    locked: &[LockedPackage],
) -> Result<AppSbom, SbomError> {
    let mut described = Vec::new();
    for (id, manifest) in packages {
        let Some(id) = PackageId::parse(id) else {
            continue;
        };
        let licence = licence_fields(manifest, app_dir)?;
        described.push((id, licence));
    }
    let mut json = Vec::new();
    bom_of(&described, subject_packages, locked)
        .output_as_json_v1_5(&mut json)
        .map_err(|error| SbomError::Write(error.to_string()))?;
    Ok(AppSbom {
        json,
        packages: described.len(),
        unreadable_ids: packages.len() - described.len(),
    })
}

/// The document, and how many packages it describes.
pub(crate) struct AppSbom {
    pub(crate) json: Vec<u8>,
    pub(crate) packages: usize,
    /// Package ids in cargo's messages that could not be read (left out).
    pub(crate) unreadable_ids: usize,
}

/// The document: the first subject package as the subject, every other package as a
/// component (the app's own as applications), sorted.
fn bom_of(
    packages: &[(PackageId, LicenceFields)],
    subject_packages: &[String],
    locked: &[LockedPackage],
) -> Bom {
    let checksums: BTreeMap<(&str, &str, &str), &str> = locked
        .iter()
        .filter_map(|package| {
            let checksum = package.checksum.as_deref()?;
            let source = package.source.as_deref()?;
            Some((
                (package.name.as_str(), package.version.as_str(), source),
                checksum,
            ))
        })
        .collect();
    let mut sorted: Vec<&(PackageId, LicenceFields)> = packages.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let subject = subject_packages.first().and_then(|name| {
        sorted
            .iter()
            .find(|(id, _)| &id.name == name && id.source.starts_with("path+"))
    });
    let component = |(id, licence): &(PackageId, LicenceFields)| {
        let member = subject_packages.contains(&id.name) && id.source.starts_with("path+");
        let checksum = checksums
            .get(&(id.name.as_str(), id.version.as_str(), id.source.as_str()))
            .copied();
        component_of(id, licence, member, checksum)
    };
    let components: Vec<Component> = sorted
        .iter()
        .filter(|package| Some(*package) != subject)
        .map(|package| component(package))
        .collect();
    Bom {
        serial_number: None,
        metadata: Some(Metadata {
            component: subject.map(|package| component(package)),
            ..Metadata::default()
        }),
        components: Some(Components(components)),
        ..Bom::default()
    }
}

fn component_of(
    id: &PackageId,
    licence: &LicenceFields,
    member: bool,
    checksum: Option<&str>,
) -> Component {
    let kind = if member {
        Classification::Application
    } else {
        Classification::Library
    };
    let bom_ref = format!("{}#{}@{}", id.source, id.name, id.version);
    let mut component = Component::new(kind, &id.name, &id.version, Some(bom_ref));
    component.licenses = licenses_of(licence);
    if id.is_from_crates_io() {
        component.purl = Purl::new("cargo", &id.name, &id.version).ok();
    }
    component.hashes = checksum.map(|checksum| {
        Hashes(vec![Hash {
            alg: HashAlgorithm::SHA_256,
            content: HashValue(checksum.to_string()),
        }])
    });
    component
}

/// `license` and `license-file` of the `[package]` in `manifest`; a field inherited from the
/// workspace (`license.workspace = true`) is read from the nearest `Cargo.toml` above it (up to
/// `app_dir`) that has `[workspace.package]`. Blank values count as unset.
fn licence_fields(manifest: &Path, app_dir: &Path) -> Result<LicenceFields, SbomError> {
    let package = read_toml(manifest)?;
    let package = package.get("package");
    let mut fields = LicenceFields::default();
    for (key, slot) in [
        ("license", &mut fields.license),
        ("license-file", &mut fields.license_file),
    ] {
        *slot = match package.and_then(|package| package.get(key)) {
            Some(toml::Value::String(value)) => Some(value.clone()),
            Some(toml::Value::Table(table))
                if table.get("workspace").and_then(toml::Value::as_bool) == Some(true) =>
            {
                workspace_field(manifest, app_dir, key)?
            }
            _ => None,
        }
        .filter(|value| !value.trim().is_empty());
    }
    Ok(fields)
}

/// `[workspace.package] <key>` of the workspace root above `manifest`.
fn workspace_field(
    manifest: &Path,
    app_dir: &Path,
    key: &str,
) -> Result<Option<String>, SbomError> {
    let mut dir = manifest.parent();
    while let Some(current) = dir {
        let candidate = current.join("Cargo.toml");
        if candidate.is_file() {
            let root = read_toml(&candidate)?;
            if let Some(workspace) = root.get("workspace") {
                return Ok(workspace
                    .get("package")
                    .and_then(|package| package.get(key))
                    .and_then(toml::Value::as_str)
                    .map(str::to_string));
            }
        }
        if current == app_dir {
            break;
        }
        dir = current.parent();
    }
    Ok(None)
}

fn read_toml(path: &Path) -> Result<toml::Table, SbomError> {
    let text = std::fs::read_to_string(path).map_err(|source| SbomError::Manifest {
        path: path.to_path_buf(),
        source,
    })?;
    text.parse()
        .map_err(|error: toml::de::Error| SbomError::ManifestToml {
            path: path.to_path_buf(),
            message: error.message().to_string(),
        })
}

/// The crate's `license` as an SPDX expression (`MIT/Apache-2.0`, as old crates write it,
/// read as `MIT OR Apache-2.0`), or its `license-file`.
fn licenses_of(fields: &LicenceFields) -> Option<Licenses> {
    let choice = match (&fields.license, &fields.license_file) {
        (Some(expression), _) => match SpdxExpression::parse_lax(expression.clone()) {
            Ok(parsed) => LicenseChoice::Expression(parsed),
            Err(_) => LicenseChoice::License(License::named_license(expression)),
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

    const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

    fn write(dir: &Path, relative: &str, text: &str) -> PathBuf {
        let path = dir.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A workspace app (`my-app`, licence inherited), and three registry crates.
    fn packages(dir: &Path) -> BTreeMap<String, PathBuf> {
        write(
            dir,
            "app/Cargo.toml",
            "[workspace]\nmembers = [\"api\"]\n[workspace.package]\nlicense = \"MIT\"\n",
        );
        let api = write(
            dir,
            "app/api/Cargo.toml",
            "[package]\nname = \"my-app\"\nversion = \"0.1.0\"\nlicense.workspace = true\n",
        );
        let serde = write(
            dir,
            "reg/serde/Cargo.toml",
            "[package]\nname = \"serde\"\nlicense = \"MIT OR Apache-2.0\"\n",
        );
        let old = write(
            dir,
            "reg/old/Cargo.toml",
            "[package]\nname = \"old\"\nlicense = \"MIT/Apache-2.0\"\n",
        );
        let cc = write(
            dir,
            "reg/cc/Cargo.toml",
            "[package]\nname = \"cc\"\nlicense = \"  \"\nlicense-file = \"LICENSE\"\n",
        );
        [
            (
                format!("path+file://{}/app/api#my-app@0.1.0", dir.display()),
                api,
            ),
            (format!("{CRATES_IO}#serde@1.0.228"), serde),
            (format!("{CRATES_IO}#old@0.1.0"), old),
            (format!("{CRATES_IO}#cc@1.2.0"), cc),
        ]
        .into()
    }

    fn document(dir: &Path) -> serde_json::Value {
        let locked = [LockedPackage {
            name: "serde".into(),
            version: "1.0.228".into(),
            source: Some(CRATES_IO.into()),
            checksum: Some("9a8e94ea".into()),
            dependencies: Vec::new(),
        }];
        let sbom = app_sbom(
            &dir.join("app"),
            &packages(dir),
            &["my-app".to_string()],
            &locked,
        )
        .unwrap();
        assert_eq!((sbom.packages, sbom.unreadable_ids), (4, 0));
        serde_json::from_slice(&sbom.json).unwrap()
    }

    #[test]
    fn lists_compiled_crates_with_versions_licences_purls_and_checksums() {
        let dir = tempfile::tempdir().unwrap();
        let document = document(dir.path());
        assert_eq!(document["bomFormat"], "CycloneDX");
        assert_eq!(document["specVersion"], "1.5");
        let subject = &document["metadata"]["component"];
        assert_eq!(subject["name"], "my-app");
        assert_eq!(subject["type"], "application");
        assert_eq!(
            subject["licenses"][0]["expression"], "MIT",
            "inherited from the workspace"
        );
        let components = document["components"].as_array().unwrap();
        let names: Vec<&str> = components
            .iter()
            .map(|component| component["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["cc", "old", "serde"]);
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
            components[0]["licenses"][0]["license"]["name"], "see LICENSE",
            "a blank licence is unset"
        );
        assert!(components[0].get("hashes").is_none(), "no checksum pinned");
    }

    #[test]
    fn the_same_build_gives_the_same_document() {
        let dir = tempfile::tempdir().unwrap();
        let document = document(dir.path());
        assert_eq!(document, self::document(dir.path()));
        assert!(document.get("serialNumber").is_none());
        assert!(document["metadata"].get("timestamp").is_none());
    }

    #[test]
    fn package_ids_of_every_form() {
        let parsed = |id: &str| PackageId::parse(id).map(|id| (id.name, id.version, id.source));
        assert_eq!(
            parsed("path+file:///workspace#0.1.0"),
            Some((
                "workspace".into(),
                "0.1.0".into(),
                "path+file:///workspace".into()
            ))
        );
        assert_eq!(
            parsed("git+https://github.com/a/b?branch=main#forked@0.2.0"),
            Some((
                "forked".into(),
                "0.2.0".into(),
                "git+https://github.com/a/b".into()
            ))
        );
        assert_eq!(
            parsed(&format!("{CRATES_IO}#serde@1.0.228")),
            Some(("serde".into(), "1.0.228".into(), CRATES_IO.into()))
        );
        // Cargo before 1.77.
        assert_eq!(
            parsed(&format!("serde 1.0.228 ({CRATES_IO})")),
            Some(("serde".into(), "1.0.228".into(), CRATES_IO.into()))
        );
        assert_eq!(
            parsed("x 0.2.0 (git+https://h/a/b?branch=m#0123abc)"),
            Some(("x".into(), "0.2.0".into(), "git+https://h/a/b".into()))
        );
    }
}
