//! The Rust toolchain layer: rustup-init, SHA-256 verified, installs the app's toolchain.

use crate::RustBuildpack;
use crate::errors::RustBuildpackError;
use crate::layers::{BuiltFor, build_changes};
use crate::redact::{RedactingWriter, redact_credentials, secrets_in_url};
use crate::toolchain_file::ToolchainSpec;
use bullet_stream::global::print;
use bullet_stream::style;
use fun_run::CommandWithName;
use libcnb::build::BuildContext;
use libcnb::data::layer_name;
use libcnb::layer::{
    CachedLayerDefinition, EmptyLayerCause, InvalidMetadataAction, LayerState, RestoredLayerAction,
};
use libcnb::layer_env::{LayerEnv, ModificationBehavior, Scope};
use libcnb::{Env, Target};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the cached toolchain was installed for; any difference reinstalls it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ToolchainLayerMetadata {
    spec: ToolchainSpec,
    arch: String,
    distro_name: String,
    distro_version: String,
}

impl ToolchainLayerMetadata {
    fn built_for(&self) -> BuiltFor<'_> {
        BuiltFor::new(
            &self.spec,
            &self.arch,
            &self.distro_name,
            &self.distro_version,
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ToolchainError {
    #[error("target architecture `{0}` is not supported (supported: amd64, arm64)")]
    UnsupportedArch(String),
    /// `url` never holds the credentials of a mirror URL (see [`redact_credentials`]).
    #[error("downloading {url} failed: {message}")]
    Download { url: String, message: String },
    #[error("{url} does not hold a SHA-256 checksum (64 hex digits); it starts with `{found}`")]
    ChecksumUnreadable { url: String, found: String },
    #[error("{url} has SHA-256 {actual}, but the published checksum is {expected}")]
    ChecksumMismatch {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("rustup-init failed: {0}")]
    Install(fun_run::CmdError),
    #[error("cannot write rustup-init to {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// Installs (or reuses) the toolchain for `spec` and returns the layer's build env.
pub(crate) fn install_toolchain(
    context: &BuildContext<RustBuildpack>,
    spec: &ToolchainSpec,
    update_root: &str,
    user_env: &Env,
) -> libcnb::Result<Toolchain, RustBuildpackError> {
    let metadata = metadata_for(spec, &context.target);
    let layer = context.cached_layer(
        layer_name!("toolchain"),
        CachedLayerDefinition {
            build: true,
            launch: false,
            invalid_metadata_action: &|_| {
                (InvalidMetadataAction::DeleteLayer, Vec::<String>::new())
            },
            restored_layer_action: &|old: &ToolchainLayerMetadata, _| {
                let changes = build_changes(old.built_for(), metadata.built_for());
                if changes.is_empty() && *old == metadata {
                    (RestoredLayerAction::KeepLayer, changes)
                } else {
                    (RestoredLayerAction::DeleteLayer, changes)
                }
            },
        },
    )?;
    let layer_dir = layer.path();
    let rustup_home = layer_dir.join("rustup");
    let cargo_bin = layer_dir.join("cargo").join("bin");
    match &layer.state {
        LayerState::Restored { .. } => {
            print::sub_bullet(format!(
                "Reusing the cached Rust {} toolchain",
                spec.channel
            ));
            if is_moving_channel(&spec.channel) {
                // `stable` (or `1.95`) installed months ago is not today's `stable`: rustup
                // fetches the channel's manifest and updates only when upstream moved.
                print::sub_bullet(format!(
                    "`{}` is a moving channel: checking it for a newer release",
                    spec.channel
                ));
                update_toolchain(&layer_dir, spec, user_env)
                    .map_err(RustBuildpackError::Toolchain)?;
            }
        }
        LayerState::Empty { cause } => {
            match cause {
                EmptyLayerCause::RestoredLayerAction { cause } if !cause.is_empty() => {
                    print::sub_bullet(format!("Reinstalling the toolchain: {}", cause.join("; ")));
                }
                EmptyLayerCause::InvalidMetadataAction { .. } => {
                    print::sub_bullet(
                        "Reinstalling the toolchain: its cache metadata is unreadable",
                    );
                }
                _ => {}
            }
            let triple =
                rust_triple(&context.target.arch).map_err(RustBuildpackError::Toolchain)?;
            let rustup_init = layer_dir.join("rustup-init");
            download_rustup_init(update_root, triple, &rustup_init)
                .map_err(RustBuildpackError::Toolchain)?;
            let installed = run_rustup_init(&rustup_init, &layer_dir, spec, user_env);
            // The installer is not part of the toolchain: never leave it in the layer, even
            // when the install failed.
            let _ = std::fs::remove_file(&rustup_init);
            installed.map_err(RustBuildpackError::Toolchain)?;
            // Only a complete install gets metadata, so a half-installed layer is never reused.
            layer.write_metadata(metadata.clone())?;
        }
    }
    let env = LayerEnv::new()
        .chainable_insert(
            Scope::Build,
            ModificationBehavior::Override,
            "RUSTUP_HOME",
            &rustup_home,
        )
        .chainable_insert(
            Scope::Build,
            ModificationBehavior::Prepend,
            "PATH",
            &cargo_bin,
        )
        .chainable_insert(Scope::Build, ModificationBehavior::Delimiter, "PATH", ":");
    layer.write_env(&env)?;
    Ok(Toolchain {
        env: layer.read_env()?,
        dir: layer_dir,
    })
}

/// The toolchain layer, ready for `cargo`.
pub(crate) struct Toolchain {
    pub(crate) env: LayerEnv,
    pub(crate) dir: PathBuf,
}

fn metadata_for(spec: &ToolchainSpec, target: &Target) -> ToolchainLayerMetadata {
    ToolchainLayerMetadata {
        spec: spec.clone(),
        arch: target.arch.clone(),
        distro_name: target.distro_name.clone(),
        distro_version: target.distro_version.clone(),
    }
}

/// The rustup host triple for a CNB target arch.
pub(crate) fn rust_triple(arch: &str) -> Result<&'static str, ToolchainError> {
    match arch {
        "amd64" => Ok("x86_64-unknown-linux-gnu"),
        "arm64" => Ok("aarch64-unknown-linux-gnu"),
        other => Err(ToolchainError::UnsupportedArch(other.to_string())),
    }
}

/// Downloads `<update_root>/dist/<triple>/rustup-init` and checks it against the `.sha256`
/// published beside it. Nothing is written to `dest` unless the checksum matches.
fn download_rustup_init(
    update_root: &str,
    triple: &str,
    dest: &Path,
) -> Result<(), ToolchainError> {
    let url = format!(
        "{}/dist/{triple}/rustup-init",
        update_root.trim_end_matches('/')
    );
    let shown_url = redact_credentials(&url);
    let timer = print::sub_start_timer(format!("Downloading {}", style::url(&shown_url)));
    let checksum_url = format!("{url}.sha256");
    let expected = parse_checksum(&fetch(&checksum_url)?, &checksum_url)?;
    let bytes = fetch(&url)?;
    let actual = hex::encode(Sha256::digest(&bytes));
    timer.done();
    if actual != expected {
        return Err(ToolchainError::ChecksumMismatch {
            url: shown_url,
            expected,
            actual,
        });
    }
    print::sub_bullet(format!("Verified SHA-256 {}", style::value(&actual)));
    let write_error = |source| ToolchainError::Write {
        path: dest.display().to_string(),
        source,
    };
    std::fs::write(dest, &bytes).map_err(write_error)?;
    std::fs::set_permissions(dest, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .map_err(write_error)
}

/// The lower-case hex digest at the start of a `.sha256` file (`<hex>  rustup-init`).
fn parse_checksum(body: &[u8], checksum_url: &str) -> Result<String, ToolchainError> {
    let text = String::from_utf8_lossy(body);
    let digest = text.split_whitespace().next().unwrap_or_default();
    if digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(digest.to_ascii_lowercase())
    } else {
        Err(ToolchainError::ChecksumUnreadable {
            url: redact_credentials(checksum_url),
            found: digest.chars().take(20).collect(),
        })
    }
}

/// The most a download may hold.
const MAX_DOWNLOAD_BYTES: u64 = 200 * 1024 * 1024;

/// GETs `url` (at most 200 MiB). Credentials in the URL are sent as Basic auth; the server's
/// certificate is checked against the platform's trust store (a mirror behind a company CA
/// works as it does for rustup).
fn fetch(url: &str) -> Result<Vec<u8>, ToolchainError> {
    let download_error = |message: String| ToolchainError::Download {
        url: redact_credentials(url),
        message,
    };
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_mins(5)))
        .tls_config(tls)
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|error| download_error(describe_download_error(&error)))?;
    response
        .body_mut()
        .with_config()
        .limit(MAX_DOWNLOAD_BYTES)
        .read_to_vec()
        .map_err(|error| download_error(describe_download_error(&error)))
}

/// Why a request failed, without the URL: ureq's `BadUri` holds the URL, credentials included.
fn describe_download_error(error: &ureq::Error) -> String {
    match error {
        ureq::Error::StatusCode(code) => format!("the server answered HTTP {code}"),
        ureq::Error::BadUri(_) => "the URL is not a valid http(s) URL".to_string(),
        ureq::Error::Io(io) => format!("could not connect or read: {io}"),
        other => other.to_string(),
    }
}

/// The line rustup-init prints when the install succeeded.
const RUSTUP_INIT_DONE: &str = "Rust is installed now.";

/// Runs rustup-init with `RUSTUP_HOME` and `CARGO_HOME` inside the layer.
fn run_rustup_init(
    rustup_init: &Path,
    layer_dir: &Path,
    spec: &ToolchainSpec,
    user_env: &Env,
) -> Result<(), ToolchainError> {
    run_rustup(
        Command::new(rustup_init),
        "rustup-init",
        &rustup_init_args(spec),
        layer_dir,
        user_env,
    )
}

/// `rustup update <channel>` with the layer's rustup: a no-op unless upstream moved.
fn update_toolchain(
    layer_dir: &Path,
    spec: &ToolchainSpec,
    user_env: &Env,
) -> Result<(), ToolchainError> {
    let args = [
        "update".to_string(),
        spec.channel.clone(),
        "--no-self-update".to_string(),
    ];
    let rustup = layer_dir.join("cargo").join("bin").join("rustup");
    run_rustup(Command::new(rustup), "rustup", &args, layer_dir, user_env)
}

/// Runs a rustup program with `RUSTUP_HOME` and `CARGO_HOME` inside the layer, streaming its
/// output with mirror credentials redacted.
///
/// `RUSTUP_DIST_SERVER` and `RUSTUP_UPDATE_ROOT` come from the user's env, so mirrors work.
fn run_rustup(
    mut command: Command,
    name: &str,
    args: &[String],
    layer_dir: &Path,
    user_env: &Env,
) -> Result<(), ToolchainError> {
    command
        .current_dir(layer_dir)
        .args(args)
        .env("RUSTUP_HOME", layer_dir.join("rustup"))
        .env("CARGO_HOME", layer_dir.join("cargo"));
    let mut secrets = Vec::new();
    for key in ["RUSTUP_DIST_SERVER", "RUSTUP_UPDATE_ROOT"] {
        if let Some(value) = user_env.get(key) {
            command.env(key, value);
            secrets.extend(secrets_in_url(&value.to_string_lossy()));
        }
    }
    let mut command = command.named(format!("{name} {}", args.join(" ")));
    // rustup prints the URLs it fails to download from, credentials included. Its success
    // line ("Rust is installed now. Great!") and, after it, its advice to add Cargo's bin dir
    // to PATH are dropped: the layer env does that, and the step's own line says it is done.
    print::sub_stream_with(
        format!("Running {}", style::command(command.name())),
        |stdout, stderr| {
            command.stream_output(
                RedactingWriter::new(stdout, secrets.clone()).ending_at(RUSTUP_INIT_DONE),
                RedactingWriter::new(stderr, secrets.clone()),
            )
        },
    )
    .map(|_| ())
    .map_err(ToolchainError::Install)
}

/// Whether `channel` names a release that moves over time: `stable`, `beta`, `nightly`
/// (optionally with a host triple), or a `MAJOR.MINOR` that follows its latest patch.
/// `1.95.0` and `nightly-2026-01-01` stay put.
pub(crate) fn is_moving_channel(channel: &str) -> bool {
    let name = ["-x86_64-", "-aarch64-"]
        .iter()
        .find_map(|triple| channel.split_once(triple).map(|(name, _)| name))
        .unwrap_or(channel);
    if matches!(name, "stable" | "beta" | "nightly") {
        return true;
    }
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 2
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// The rustup-init arguments for `spec`.
pub(crate) fn rustup_init_args(spec: &ToolchainSpec) -> Vec<String> {
    let mut args = vec![
        "-y".to_string(),
        "--no-modify-path".to_string(),
        "--profile".to_string(),
        spec.profile.clone(),
        "--default-toolchain".to_string(),
        spec.channel.clone(),
    ];
    for component in &spec.components {
        args.extend(["--component".to_string(), component.clone()]);
    }
    for target in &spec.targets {
        args.extend(["--target".to_string(), target.clone()]);
    }
    args
}

#[cfg(test)]
mod tests;
