//! A thin harness around the real Cloud Native Buildpacks lifecycle.
//!
//! pack and Heroku build images by running the lifecycle's phases in order; this crate does
//! the same with the lifecycle that `scripts/install-lifecycle.sh` builds (v0.21.17), as host
//! processes, without Docker (the buildpacks docs' "Orchestrate a build with the CNB
//! lifecycle"):
//!
//! 1. [`app::copy_app`] copies the app into `<root>/workspace` with every mtime set to
//!    1980-01-01, as pack and Heroku do.
//! 2. [`Platform::build`] runs `analyzer`, `detector`, `restorer`, `builder` and `exporter` in
//!    registry mode: the run image and the exported app image live in a local OCI registry
//!    (`crane registry serve`), the build cache in `<root>/cache` (`-cache-dir`), kept between
//!    builds into the same root. The builder runs as the non-root CNB user (1000:1000), as
//!    heroku/builder does; the other phases start as root and drop to that user themselves.
//! 3. [`Image`] reads the exported image back from the registry (`crane config`, `crane
//!    manifest`, `crane export`) and launches `/cnb/process/<type>` in a chroot of its file
//!    system with the image config's env: the real launcher, nothing of ours in between.
//!
//! `-layers` and `-app` are baked into the image as absolute paths, so every phase runs in its
//! own mount namespace (`unshare -m`) with `<root>/layers` bound at `/layers`,
//! `<root>/workspace` at `/workspace` and the lifecycle's dir at `/cnb/lifecycle` (where the
//! exporter reads the lifecycle's and the launcher's SBOMs), as in heroku/builder. For another
//! architecture (arm64 under qemu-user), [`Platform::with_build_root`] runs every phase
//! chrooted into a root file system of that architecture.

mod app;
mod image;
mod isolate;
mod phases;
mod tools;

pub use app::{NORMALISED_MTIME_UNIX, copy_app};
pub use image::{Image, ImageError, Process};
pub use phases::{BuildOutcome, DETECT_FAILED, DetectOutcome, Platform, PlatformError};
pub use tools::{Tools, ToolsError};

/// The CNB user and group the builder runs as (heroku/heroku:24's `heroku` user).
pub const CNB_USER: (u32, u32) = (1000, 1000);

/// The Platform API the phases are driven with (lifecycle 0.21 supports 0.7 to 0.14).
pub const PLATFORM_API: &str = "0.13";
