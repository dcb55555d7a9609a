//! `slipway-cnb-local`: build an app with a packaged buildpack and run its processes, without
//! Docker. Used by `scripts/demo.sh`.
//!
//! ```text
//! slipway-cnb-local build --buildpack DIR --app DIR --root DIR [--env NAME=VALUE]...
//! slipway-cnb-local run --root DIR --process TYPE [--env NAME=VALUE]...
//! ```
//!
//! Exit codes: 0 success, 1 the build failed, 2 bad usage, 3 the platform itself failed,
//! 100 detection failed; `run` replaces itself with the process (exec), as the CNB launcher does.

// The library uses these; the binary only needs the library.
use filetime as _;
use serde as _;
use thiserror as _;
use toml as _;
#[cfg(test)]
use {assert_cmd as _, indoc as _, tempfile as _};

use slipway_cnb_local::{Image, Platform};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage:
  slipway-cnb-local build --buildpack DIR --app DIR --root DIR [--env NAME=VALUE]...
  slipway-cnb-local run --root DIR --process TYPE [--env NAME=VALUE]...";

#[derive(Debug, Default)]
struct Args {
    buildpack: Option<PathBuf>,
    app: Option<PathBuf>,
    root: Option<PathBuf>,
    process: Option<String>,
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
    eprintln!("slipway-cnb-local: {message}\n{USAGE}");
    ExitCode::from(2)
}

fn build(args: &Args) -> ExitCode {
    let (Some(buildpack), Some(app), Some(root)) = (&args.buildpack, &args.app, &args.root) else {
        return usage_error("build needs --buildpack, --app and --root");
    };
    let platform = match Platform::new(buildpack) {
        Ok(platform) => platform.echo_output(true),
        Err(error) => return platform_error(&error),
    };
    match platform.build(app, root, &args.env) {
        Ok(outcome) if outcome.success() => {
            eprintln!("slipway-cnb-local: image exported to {}", root.display());
            ExitCode::SUCCESS
        }
        Ok(outcome) if !outcome.detect.passed => {
            eprintln!("slipway-cnb-local: detection failed");
            ExitCode::from(100)
        }
        Ok(_) => {
            eprintln!("slipway-cnb-local: the build failed");
            ExitCode::from(1)
        }
        Err(error) => platform_error(&error),
    }
}

fn run(args: &Args) -> ExitCode {
    let (Some(root), Some(process)) = (&args.root, &args.process) else {
        return usage_error("run needs --root and --process");
    };
    let mut runtime_env: BTreeMap<String, String> = ["PATH", "LANG", "TZ"]
        .iter()
        .filter_map(|key| {
            std::env::var(key)
                .ok()
                .map(|value| ((*key).to_string(), value))
        })
        .collect();
    runtime_env.extend(args.env.clone());
    let command = Image::open(root).and_then(|image| image.process_command(process, &runtime_env));
    let mut command = match command {
        Ok(command) => command,
        Err(error) => return platform_error(&error),
    };
    // Replace this process, as the CNB launcher does, so signals reach the app directly.
    let error = std::os::unix::process::CommandExt::exec(&mut command);
    platform_error(&error)
}

fn platform_error(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("slipway-cnb-local: internal error: {error}");
    ExitCode::from(3)
}
