//! slipway-release: backs up, migrates (compatibly with sqlx 0.9) and checks a
//! PostgreSQL + pgvector database in Heroku's release phase.
//!
//! The layout follows the release flow: `config` → `db` (connect) → `lock` →
//! `migrations` (plan, apply) → `pgvector` → `backup` → `checks` → `report`.
//! `commands/` holds one file per subcommand; `commands/run.rs` is the release
//! flow itself. Every message a person reads is written in `errors.rs`, which
//! also maps each class of failure to its documented exit code.

// Unit tests build with the dev-dependencies the integration tests use.
#![cfg_attr(test, allow(unused_crate_dependencies))]

mod backup;
mod checks;
mod cli;
mod commands;
mod config;
mod db;
mod errors;
mod lock;
mod migrations;
mod pgvector;
mod redact;
mod report;

pub use errors::ExitClass;

/// Runs `slipway-release` with the process's arguments and environment and
/// returns the exit code documented in the README.
#[must_use]
pub fn main() -> std::process::ExitCode {
    let code = commands::dispatch(std::env::args_os());
    std::process::ExitCode::from(code.code())
}
