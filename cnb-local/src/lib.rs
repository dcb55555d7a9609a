//! A small local Cloud Native Buildpacks platform.
//!
//! It runs a *packaged* buildpack (`bin/detect`, `bin/build`) the way the
//! lifecycle does for Buildpack API 0.10, without Docker:
//!
//! 1. [`app::copy_app`] copies the app into `<root>/workspace` and normalises every mtime
//!    to 1980-01-01, as `pack` and Heroku do.
//! 2. [`phases::detect`] runs `bin/detect`; [`phases::build`] restores the cached layers, runs
//!    `bin/build`, saves the layers marked `cache = true`, and drops everything that is not
//!    `launch = true`.
//! 3. What is left under `<root>` (`workspace/` + the launch layers + `launch.toml`) is the
//!    exported "image". [`image::Image::process_command`] launches a process from it with the
//!    layers' launch environment applied.
//!
//! Only the parts the slipway buildpack needs are implemented: a group of exactly one
//! buildpack, no SBOMs, no exec.d, no layer reuse from a previous image (a layer that is
//! `launch = true` but not `cache = true` is rebuilt every time).
//!
//! Spec references are to <https://github.com/buildpacks/spec/blob/main/buildpack.md>
//! (Buildpack API 0.10) and <https://github.com/buildpacks/spec/blob/main/platform.md>.

mod app;
mod descriptor;
mod env_rules;
mod image;
mod layer_types;
mod phases;

#[cfg(test)]
use assert_cmd as _;

pub use app::{NORMALISED_MTIME_UNIX, copy_app};
pub use env_rules::{Scope, apply_layer_env};
pub use image::{Image, ImageError};
pub use phases::{BuildOutcome, DetectOutcome, Platform, PlatformError, Target};
