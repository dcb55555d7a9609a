//! The buildpack's integration tests, in one test binary (one link step), a module per area:
//!
//! - `lifecycle_e2e`: the packaged buildpack through the real CNB lifecycle (see
//!   `lifecycle-harness`), with real toolchain installs, real cargo builds and the exported
//!   image's processes run against a real PostgreSQL;
//! - `migration_formats_e2e`: the same, for a Diesel app and a `SeaORM` app;
//! - `rustup_mirror`: the rustup-init download through a local mirror (`RUSTUP_UPDATE_ROOT`);
//! - `arm64`: the same lifecycle for arm64 under qemu-user, as Fir runs it (ignored: `.ci/run`
//!   runs it after the suite, in the platform `scripts/arm64-env.sh` prepares);
//! - `integration_test`: libcnb-test with pack and Docker (ignored: CI runs them).

// Integration tests share the package's dependency list; most are the buildpack's own.
#![allow(unused_crate_dependencies)]
// Helpers panic with the failed step's cause, like the tests that call them.
#![allow(clippy::unwrap_used)]

mod arm64;
mod integration_test;
mod lifecycle_e2e;
mod migration_formats_e2e;
mod rustup_mirror;
mod support;
