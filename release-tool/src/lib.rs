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
mod format;
mod lint;
mod lock;
mod migrations;
mod migrations_dir;
mod pgvector;
mod redact;
mod report;
mod text;

pub use errors::ExitClass;

/// How slipway reads the credentials in a URL, shared with the buildpack so
/// that both hide them by the same rule.
pub mod url_credentials {
    pub use crate::redact::{UserInfo, user_info};
}

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
        if let slipway_pgvector_scan::FileName::Migration {
            version,
            description,
            ..
        } = slipway_pgvector_scan::parse_file_name(name)
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
    use std::path::Path;

    use crate::lint::{self, LintSource, RuleSet, output};
    use crate::migrations::source;
    use crate::migrations_dir::MigrationsDir;

    /// What the lint found, ready to print.
    #[derive(Debug, Default)]
    pub struct BuildLint {
        /// How many migrations were linted.
        pub files: usize,
        /// One block of text per finding or note (rule, `file:line:column`,
        /// what, why, and the safe pattern), with paths relative to the app.
        pub warnings: Vec<String>,
        /// How many findings `-- squawk-ignore` comments silenced.
        pub ignored: usize,
    }

    /// Lints the up-migrations in `migrations_dir`, naming files relative to `app_dir`.
    ///
    /// # Errors
    ///
    /// When the folder cannot be read as sqlx would read it: the message says why.
    pub fn lint_migrations(app_dir: &Path, migrations_dir: &Path) -> Result<BuildLint, String> {
        let dir = MigrationsDir {
            path: migrations_dir.to_owned(),
            explicit: true,
        };
        // The lint reads the SQL, not the checksums: sqlx.toml's ignored-chars do not matter.
        let migrations = source::load(&dir, &std::collections::BTreeSet::new())
            .map_err(|e| e.to_string())?
            .migrations;
        let sources: Vec<LintSource> = migrations
            .iter()
            .filter(|m| m.kind.is_up())
            .map(|m| {
                let mut source = LintSource::from(m);
                if let Ok(relative) = source.path.strip_prefix(app_dir) {
                    source.path = relative.to_owned();
                }
                source
            })
            .collect();
        let outcome = lint::lint_sources(&sources, &RuleSet::default());
        let warnings = outcome
            .findings
            .iter()
            .map(output::human)
            .chain(outcome.notes.iter().map(output::note))
            .collect();
        Ok(BuildLint {
            files: outcome.files,
            warnings,
            ignored: outcome.ignored.len(),
        })
    }
}

/// Runs `slipway-release` with the process's arguments and environment and
/// returns the exit code documented in the README.
#[must_use]
pub fn main() -> std::process::ExitCode {
    install_crypto_provider();
    report_panics_as_internal_errors();
    let code = commands::dispatch(std::env::args_os());
    std::process::ExitCode::from(code.code())
}

/// Makes ring, the only TLS crypto provider compiled in, the process default. sqlx picks ring
/// itself; reqwest (`rustls-no-provider`, for S3 and Heroku's API) takes the process default,
/// so every place that builds a reqwest client calls this first.
pub(crate) fn install_crypto_provider() {
    // An error only means that a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
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
