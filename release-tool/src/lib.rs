//! slipway-release: backs up, migrates (compatibly with sqlx 0.9) and checks a
//! PostgreSQL + pgvector database in Heroku's release phase.
//!
//! The layout follows the release flow: `config` → `db` (connect) → `lock` →
//! `migrations` (plan, apply) → `pgvector` → `backup` → `checks` → `report`.
//! `commands/` holds one file per subcommand; `commands/run.rs` is the release
//! flow itself. Each module's errors become a `Failure` (title, cause, fix)
//! beside them, in that module's `errors.rs`; the crate's `errors.rs` maps
//! each class of failure to its documented exit code and renders every
//! failure for people.

// Unit tests build with the dev-dependencies the integration tests use.
#![cfg_attr(test, allow(unused_crate_dependencies))]

mod backup;
mod checks;
mod cli;
mod commands;
mod config;
mod db;
mod duration;
mod errors;
mod http;
mod lint;
mod lock;
mod migrations;
mod pgvector;
mod redact;
mod report;

pub use errors::ExitClass;

/// Entry points for the cargo-fuzz targets in `release-tool/fuzz/` (not an
/// API: they exist so the fuzzers reach the parsers that read user input).
#[doc(hidden)]
pub mod fuzzing {
    /// Parses a migration file name with sqlx's rules and, for a migration,
    /// checks what the parse promises: a description without `_`, and a name
    /// that starts with the version's digits.
    ///
    /// # Panics
    ///
    /// When the parse breaks one of those promises (a bug the fuzzer reports).
    pub fn migration_file_name(name: &str) {
        if let slipway_contract::FileName::Migration {
            version,
            description,
            ..
        } = slipway_contract::parse_file_name(name)
        {
            assert!(!description.contains('_'), "{name:?}: {description:?}");
            let (prefix, _) = name.split_once('_').unwrap_or_default();
            assert_eq!(prefix.parse::<i64>().ok(), Some(version), "{name:?}");
        }
    }

    /// Parses `slipway.toml` text and every value in it, and renders the
    /// error a person would read. Returns that message, or `None` when valid.
    #[must_use]
    pub fn settings_file(text: &str) -> Option<String> {
        crate::config::parse_file_text(text)
            .err()
            .map(|error| crate::errors::Failure::from(error).render())
    }
}

/// What the documentation is checked against.
pub mod docs {
    /// The README's settings table (Markdown), rendered from the one
    /// declaration of each setting: flag, variable, `slipway.toml` key and
    /// default.
    #[must_use]
    pub fn settings_table() -> String {
        crate::config::readme::table()
    }
}

/// The migration lint as the buildpack runs it at build time: no database,
/// slipway's default session timeouts, every up-migration.
pub mod build_lint {
    pub use crate::lint::build::{BuildLint, lint_migrations};
}

/// Runs `slipway-release` with the process's arguments and environment and
/// returns the exit code documented in the README.
#[must_use]
pub fn main() -> std::process::ExitCode {
    http::install_crypto_provider();
    report_panics_as_internal_errors();
    let code = commands::dispatch(std::env::args_os());
    std::process::ExitCode::from(code.code())
}

/// Makes a panic exit with the documented code 1 and read as a bug in
/// slipway-release, not as something the user did. The panic message goes
/// through the same redaction as every other line.
fn report_panics_as_internal_errors() {
    std::panic::set_hook(Box::new(|info| {
        let message = redact::redact(&info.to_string());
        eprintln!(
            "slipway-release: INTERNAL ERROR (a bug in slipway-release, please report it): {message}"
        );
        // Exiting here drops the database session: an open migration
        // transaction rolls back and the advisory lock is released.
        std::process::exit(1);
    }));
}
