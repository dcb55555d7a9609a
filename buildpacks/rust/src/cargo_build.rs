//! Running cargo: which binaries the build produces, and the compile itself.

use crate::config::BuildConfig;
use crate::processes::BinTarget;
use crate::sqlx_offline::{SqlxFailure, sqlx_failure};
use bullet_stream::global::print;
use fun_run::CommandWithName;
use libcnb::Env;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub(crate) enum CargoError {
    #[error("`cargo metadata` failed: {0}")]
    Metadata(fun_run::CmdError),
    #[error("`cargo metadata` printed something unexpected: {0}")]
    MetadataJson(serde_json::Error),
    #[error(
        "SLIPWAY_CARGO_PACKAGE is `{wanted}`, but the workspace has no such package (it has: {available})"
    )]
    UnknownPackage { wanted: String, available: String },
    #[error("no binary targets to build ({selection})")]
    NoBinaries { selection: String },
    #[error("`cargo build` failed")]
    Compile {
        error: fun_run::CmdError,
        sqlx: Option<SqlxFailure>,
    },
}

/// The workspace as `cargo metadata` describes it.
#[derive(Debug, Deserialize)]
pub(crate) struct Metadata {
    packages: Vec<Package>,
    workspace_members: Vec<String>,
    #[serde(default)]
    workspace_default_members: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Package {
    id: String,
    name: String,
    manifest_path: PathBuf,
    targets: Vec<CargoTarget>,
}

#[derive(Debug, Deserialize)]
struct CargoTarget {
    name: String,
    kind: Vec<String>,
}

/// Reads the workspace with `cargo metadata` (no dependencies: nothing is downloaded).
pub(crate) fn read_metadata(app_dir: &Path, env: &Env) -> Result<Metadata, CargoError> {
    let mut command = Command::new("cargo");
    command
        .args(["metadata", "--format-version", "1", "--no-deps", "--locked"])
        .current_dir(app_dir)
        .env_clear()
        .envs(env);
    let output = command.named_output().map_err(CargoError::Metadata)?;
    serde_json::from_slice(output.stdout()).map_err(CargoError::MetadataJson)
}

impl Metadata {
    /// The dir of every workspace member (where its `Cargo.toml` is).
    pub(crate) fn member_dirs(&self) -> Vec<PathBuf> {
        self.packages
            .iter()
            .filter(|package| self.workspace_members.contains(&package.id))
            .filter_map(|package| package.manifest_path.parent().map(Path::to_path_buf))
            .collect()
    }

    /// The binaries `cargo build` will produce with these settings.
    pub(crate) fn bin_targets(&self, config: &BuildConfig) -> Result<Vec<BinTarget>, CargoError> {
        select_bin_targets(self, config)
    }
}

fn select_bin_targets(
    metadata: &Metadata,
    config: &BuildConfig,
) -> Result<Vec<BinTarget>, CargoError> {
    // `cargo build` in a workspace root builds the default members (all members if unset).
    let members = if metadata.workspace_default_members.is_empty() {
        &metadata.workspace_members
    } else {
        &metadata.workspace_default_members
    };
    let packages: Vec<&Package> = match &config.package {
        Some(wanted) => {
            let found: Vec<&Package> = metadata
                .packages
                .iter()
                .filter(|p| &p.name == wanted)
                .collect();
            if found.is_empty() {
                return Err(CargoError::UnknownPackage {
                    wanted: wanted.clone(),
                    available: metadata
                        .packages
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            found
        }
        None => metadata
            .packages
            .iter()
            .filter(|p| members.contains(&p.id))
            .collect(),
    };
    let bins: Vec<BinTarget> = packages
        .iter()
        .flat_map(|package| {
            package
                .targets
                .iter()
                .filter(|target| target.kind.iter().any(|kind| kind == "bin"))
                .map(|target| BinTarget {
                    package: package.name.clone(),
                    name: target.name.clone(),
                })
        })
        .filter(|bin| config.bin.as_ref().is_none_or(|wanted| &bin.name == wanted))
        .collect();
    if bins.is_empty() {
        let selection = match (&config.package, &config.bin) {
            (_, Some(bin)) => format!("no binary named `{bin}`"),
            (Some(package), None) => format!("package `{package}` has no [[bin]] target"),
            (None, None) => "the workspace has only library targets".to_string(),
        };
        return Err(CargoError::NoBinaries { selection });
    }
    Ok(bins)
}

/// A binary cargo built, from its `compiler-artifact` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BuiltBinary {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
}

/// What a successful `cargo build` reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Compiled {
    pub(crate) binaries: Vec<BuiltBinary>,
    /// Every file and `OUT_DIR` the build used, fresh or compiled.
    pub(crate) used_paths: BTreeSet<PathBuf>,
    /// Every package the build compiled (or found fresh), by cargo's package id, with its
    /// `Cargo.toml`.
    pub(crate) packages: BTreeMap<String, PathBuf>,
}

/// Runs `cargo build`, streaming its diagnostics, timed, and returns the binaries it built and
/// the units it used.
///
/// The binaries come from cargo's own JSON messages rather than from a path the buildpack
/// rebuilds, so `[build] target` in `.cargo/config.toml`, `CARGO_BUILD_TARGET` and `--target`
/// in `SLIPWAY_CARGO_ARGS` all work.
pub(crate) fn compile(
    app_dir: &Path,
    env: &Env,
    config: &BuildConfig,
) -> Result<Compiled, CargoError> {
    let args = config.cargo_build_args();
    let mut command = Command::new("cargo");
    command
        .args(&args)
        .arg("--message-format=json-render-diagnostics")
        .current_dir(app_dir)
        .env_clear()
        .envs(env)
        // Cargo's progress bar is noise in a build log.
        .env("CARGO_TERM_PROGRESS_WHEN", "never");
    let mut command = command.named(format!("cargo {}", args.join(" ")));
    // stdout carries only the JSON messages; the rendered diagnostics go to stderr.
    let streamed = print::sub_stream_with(
        format!("Running {}", bullet_stream::style::command(command.name())),
        |_stdout, stderr| command.stream_output(std::io::sink(), stderr),
    );
    match streamed {
        Ok(output) => {
            let messages = output.stdout_lossy();
            Ok(Compiled {
                binaries: built_binaries(&messages),
                used_paths: used_paths(&messages),
                packages: compiled_packages(&messages),
            })
        }
        Err(error) => {
            let sqlx = match &error {
                fun_run::CmdError::NonZeroExitAlreadyStreamed(output)
                | fun_run::CmdError::NonZeroExitNotStreamed(output) => {
                    sqlx_failure(&output.stderr_lossy())
                }
                fun_run::CmdError::SystemError(..) => None,
            };
            Err(CargoError::Compile { error, sqlx })
        }
    }
}

#[derive(Debug, Deserialize)]
struct ArtifactMessage {
    reason: String,
    target: Option<ArtifactTarget>,
    profile: Option<ArtifactProfile>,
    executable: Option<PathBuf>,
    #[serde(default)]
    filenames: Vec<PathBuf>,
    package_id: Option<String>,
    manifest_path: Option<PathBuf>,
    /// A `build-script-executed` message's output dir.
    out_dir: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
struct ArtifactProfile {
    /// A test harness (`--tests`, `--all-targets`), never a binary to ship.
    test: bool,
}

#[derive(Debug, Deserialize)]
struct ArtifactTarget {
    name: String,
    kind: Vec<String>,
}

/// The `bin` executables in cargo's `--message-format=json` output.
fn built_binaries(messages: &str) -> Vec<BuiltBinary> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<ArtifactMessage>(line).ok())
        .filter(|message| message.reason == "compiler-artifact")
        .filter(|message| !message.profile.as_ref().is_some_and(|profile| profile.test))
        .filter_map(|message| {
            let target = message.target?;
            let path = message.executable?;
            target
                .kind
                .iter()
                .any(|kind| kind == "bin")
                .then_some(BuiltBinary {
                    name: target.name,
                    path,
                })
        })
        .collect()
}

/// The package of every `compiler-artifact` message, with its manifest.
fn compiled_packages(messages: &str) -> BTreeMap<String, PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<ArtifactMessage>(line).ok())
        .filter(|message| message.reason == "compiler-artifact")
        .filter_map(|message| Some((message.package_id?, message.manifest_path?)))
        .collect()
}

/// The files of every `compiler-artifact` message (fresh or not) and the `OUT_DIR` of every
/// `build-script-executed` one: what this build used.
fn used_paths(messages: &str) -> BTreeSet<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<ArtifactMessage>(line).ok())
        .flat_map(|message| {
            let mut paths = message.filenames;
            paths.extend(message.executable);
            paths.extend(message.out_dir);
            paths
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use indoc::indoc;

    fn metadata() -> Metadata {
        serde_json::from_str(indoc! {r#"{
            "packages": [
                {"id": "a", "name": "api", "manifest_path": "/app/api/Cargo.toml", "targets": [
                    {"name": "api", "kind": ["bin"]},
                    {"name": "api", "kind": ["lib"]}]},
                {"id": "w", "name": "worker", "manifest_path": "/app/worker/Cargo.toml", "targets": [{"name": "worker", "kind": ["bin"]}]},
                {"id": "s", "name": "shared", "manifest_path": "/app/shared/Cargo.toml", "targets": [{"name": "shared", "kind": ["lib"]}]}
            ],
            "workspace_members": ["a", "w", "s"],
            "workspace_default_members": ["a", "w", "s"]
        }"#})
        .unwrap()
    }

    fn config(package: Option<&str>, bin: Option<&str>) -> BuildConfig {
        let mut env = Env::new();
        if let Some(package) = package {
            env.insert("SLIPWAY_CARGO_PACKAGE", package);
        }
        if let Some(bin) = bin {
            env.insert("SLIPWAY_CARGO_BIN", bin);
        }
        BuildConfig::from_env(&env).unwrap()
    }

    #[test]
    fn lists_bins_of_the_selected_packages() {
        let all = select_bin_targets(&metadata(), &config(None, None)).unwrap();
        let names: Vec<_> = all.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["api", "worker"]);
        let worker = select_bin_targets(&metadata(), &config(Some("worker"), None)).unwrap();
        assert_eq!(worker.len(), 1);
        assert_eq!(worker[0].package, "worker");
    }

    #[test]
    fn no_binaries_and_unknown_packages_are_errors() {
        let error = select_bin_targets(&metadata(), &config(Some("shared"), None)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "no binary targets to build (package `shared` has no [[bin]] target)"
        );
        let error = select_bin_targets(&metadata(), &config(Some("nope"), None)).unwrap_err();
        assert!(
            error.to_string().contains("it has: api, worker, shared"),
            "{error}"
        );
    }

    #[test]
    fn member_dirs_are_where_the_manifests_are() {
        let dirs = metadata().member_dirs();
        assert_eq!(
            dirs,
            [
                PathBuf::from("/app/api"),
                PathBuf::from("/app/worker"),
                PathBuf::from("/app/shared")
            ]
        );
    }

    #[test]
    fn binaries_come_from_cargos_artifact_messages() {
        let messages = indoc! {r#"
            {"reason":"compiler-artifact","target":{"name":"serde","kind":["lib"]},"executable":null}
            {"reason":"compiler-artifact","target":{"name":"build-script-build","kind":["custom-build"]},"executable":null}
            {"reason":"compiler-artifact","target":{"name":"api","kind":["bin"]},"executable":"/layers/t/aarch64-unknown-linux-gnu/release/api"}
            {"reason":"compiler-artifact","target":{"name":"bench","kind":["example"]},"executable":"/layers/t/release/examples/bench"}
            {"reason":"compiler-artifact","target":{"name":"api","kind":["bin"]},"profile":{"test":true},"executable":"/layers/t/release/deps/api-0123456789abcdef"}
            {"reason":"build-finished","success":true}
        "#};
        assert_eq!(
            built_binaries(messages),
            [BuiltBinary {
                name: "api".into(),
                path: "/layers/t/aarch64-unknown-linux-gnu/release/api".into()
            }]
        );
    }

    #[test]
    fn used_paths_come_from_artifacts_and_build_script_runs() {
        let messages = indoc! {r#"
            {"reason":"compiler-artifact","package_id":"serde 1.0.0","manifest_path":"/r/serde/Cargo.toml","target":{"name":"serde","kind":["lib"]},"filenames":["/t/release/deps/libserde-0123456789abcdef.rlib"],"executable":null,"fresh":true}
            {"reason":"build-script-executed","package_id":"serde","out_dir":"/t/release/build/serde-2222222222222222/out"}
            {"reason":"compiler-artifact","package_id":"api 0.1.0","manifest_path":"/app/Cargo.toml","target":{"name":"api","kind":["bin"]},"filenames":["/t/release/api"],"executable":"/t/release/api"}
            {"reason":"build-finished","success":true}
        "#};
        let packages: Vec<String> = compiled_packages(messages).into_keys().collect();
        assert_eq!(packages, ["api 0.1.0", "serde 1.0.0"]);
        let paths: Vec<PathBuf> = used_paths(messages).into_iter().collect();
        assert_eq!(
            paths,
            [
                PathBuf::from("/t/release/api"),
                PathBuf::from("/t/release/build/serde-2222222222222222/out"),
                PathBuf::from("/t/release/deps/libserde-0123456789abcdef.rlib"),
            ]
        );
    }
}
