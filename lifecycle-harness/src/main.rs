//! `slipway-lifecycle`: build an app with a packaged buildpack through the real CNB lifecycle,
//! and run a process of the exported image. Used by `scripts/demo.sh`.
//!
//! ```text
//! slipway-lifecycle build --buildpack DIR --app DIR --root DIR [--env NAME=VALUE]...
//!                         [--arch amd64|arm64 --build-root DIR]
//! slipway-lifecycle run --root DIR --process TYPE [--env NAME=VALUE]...
//! ```
//!
//! `--arch arm64` builds with the arm64 lifecycle and run image; `--build-root` is the build
//! image's root file system (of that arch) that every phase runs chrooted into, under
//! qemu-user when the arch is not the host's.
//!
//! Exit codes: 0 success, 1 the build failed, 2 bad usage, 3 the platform itself failed,
//! 20 detection failed (the lifecycle's own code); `run` exits with the process's code.

// The library uses these; the binary only needs the library.
use filetime as _;
use serde as _;
use serde_json as _;
#[cfg(test)]
use tempfile as _;
use thiserror as _;
use toml as _;

use slipway_lifecycle_harness::{Image, Platform, Tools};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage:
  slipway-lifecycle build --buildpack DIR --app DIR --root DIR [--env NAME=VALUE]...
                          [--arch amd64|arm64 --build-root DIR]
  slipway-lifecycle run --root DIR --process TYPE [--env NAME=VALUE]...";

/// The file in the root that names the last exported image, for `run`.
const IMAGE_FILE: &str = "image-reference";

#[derive(Debug, Default)]
struct Args {
    buildpack: Option<PathBuf>,
    app: Option<PathBuf>,
    root: Option<PathBuf>,
    process: Option<String>,
    arch: Option<String>,
    build_root: Option<PathBuf>,
    env: BTreeMap<String, String>,
}

fn main() -> ExitCode {
    let mut raw = std::env::args().skip(1);
    let command = raw.next();
    let args = match parse_args(raw) {
        Ok(parsed) => parsed,
        Err(message) => return usage_error(&message),
    };
    match command.as_deref() {
        Some("build") => build(&args),
        Some("run") => run(&args),
        _ => usage_error("expected `build` or `run`"),
    }
}

fn parse_args(mut raw: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args::default();
    while let Some(flag) = raw.next() {
        let value = raw.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--buildpack" => parsed.buildpack = Some(PathBuf::from(value)),
            "--app" => parsed.app = Some(PathBuf::from(value)),
            "--root" => parsed.root = Some(PathBuf::from(value)),
            "--process" => parsed.process = Some(value),
            "--arch" => parsed.arch = Some(value),
            "--build-root" => parsed.build_root = Some(PathBuf::from(value)),
            "--env" => {
                let (name, value) = value
                    .split_once('=')
                    .ok_or_else(|| format!("--env {value}: expected NAME=VALUE"))?;
                parsed.env.insert(name.to_string(), value.to_string());
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(parsed)
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("slipway-lifecycle: {message}\n{USAGE}");
    ExitCode::from(2)
}

fn platform_error(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("slipway-lifecycle: platform error: {error}");
    ExitCode::from(3)
}

fn build(args: &Args) -> ExitCode {
    let (Some(buildpack), Some(app), Some(root)) = (&args.buildpack, &args.app, &args.root) else {
        return usage_error("build needs --buildpack, --app and --root");
    };
    let tools = match args.arch.as_deref() {
        None => Tools::for_host(),
        Some(arch) => Tools::for_arch(arch),
    };
    let tools = match tools {
        Ok(tools) => tools,
        Err(error) => return platform_error(&error),
    };
    let platform = match Platform::new(buildpack, tools) {
        Ok(platform) => platform.echo_output(true),
        Err(error) => return platform_error(&error),
    };
    let platform = match &args.build_root {
        Some(build_root) => platform.with_build_root(build_root),
        None => platform,
    };
    match platform.build(app, root, &args.env) {
        Ok(outcome) => match &outcome.image {
            Some(image) => match std::fs::write(root.join(IMAGE_FILE), image.reference()) {
                Ok(()) => {
                    eprintln!("slipway-lifecycle: exported {}", image.reference());
                    ExitCode::SUCCESS
                }
                Err(error) => platform_error(&error),
            },
            None if !outcome.detect.passed => ExitCode::from(20),
            None => ExitCode::from(1),
        },
        Err(error) => platform_error(&error),
    }
}

fn run(args: &Args) -> ExitCode {
    let (Some(root), Some(process)) = (&args.root, &args.process) else {
        return usage_error("run needs --root and --process");
    };
    let tools = match Tools::for_host() {
        Ok(tools) => tools,
        Err(error) => return platform_error(&error),
    };
    let reference = match std::fs::read_to_string(root.join(IMAGE_FILE)) {
        Ok(reference) => reference,
        Err(error) => {
            return platform_error(&format!("no image built in {}: {error}", root.display()));
        }
    };
    let image = Image::new(&tools, reference.trim(), &root.join("image"));
    let status = image
        .process_command(process, &args.env)
        .map_err(|error| error.to_string())
        .and_then(|mut command| command.status().map_err(|error| error.to_string()));
    match status {
        Ok(status) => ExitCode::from(u8::try_from(status.code().unwrap_or(1)).unwrap_or(1)),
        Err(error) => platform_error(&error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_flags_need_a_name_and_value() {
        let args = parse_args(["--env".to_string(), "A=b=c".to_string()].into_iter()).unwrap();
        assert_eq!(args.env.get("A").map(String::as_str), Some("b=c"));
        assert!(parse_args(["--env".to_string(), "A".to_string()].into_iter()).is_err());
        assert!(parse_args(["--root".to_string()].into_iter()).is_err());
    }
}
