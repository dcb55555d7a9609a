//! The lint as the buildpack runs it at build time: no database, slipway's default session
//! timeouts, every up-migration of the folder the release phase will migrate from.

use std::collections::BTreeSet;
use std::path::Path;

use slipway_contract::LocatedMigrations;

use super::{RuleChoice, RuleSet, lint_sources, output, up_sources};
use crate::migrations::source;

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

/// Lints the up-migrations of `migrations` (read by their format's rules: sqlx files, Diesel
/// `up.sql`; nothing for the `command` format), naming files relative to `app_dir`; `rules` is
/// `SLIPWAY_LINT_RULES`, when set.
///
/// # Errors
///
/// When the folder cannot be read as its tool would read it, or `rules` names no squawk rule:
/// the message says why.
pub fn lint_migrations(
    app_dir: &Path,
    migrations: &LocatedMigrations,
    rules: Option<&str>,
) -> Result<BuildLint, String> {
    let choice = match rules {
        Some(text) => {
            RuleChoice::parse(text).map_err(|problem| format!("SLIPWAY_LINT_RULES: {problem}"))?
        }
        None => RuleChoice::default(),
    };
    // The lint reads the SQL, not the checksums: sqlx.toml's ignored-chars do not matter. Its
    // unrecognized-sql-files does not either: the buildpack's own listing applies it.
    let reading = source::Reading {
        format: migrations.format,
        ignored_chars: &BTreeSet::new(),
        unrecognized_sql_files: None,
    };
    let migrations = source::load(&migrations.dir, reading)
        .map_err(|e| e.to_string())?
        .migrations;
    let mut sources = up_sources(&migrations);
    for source in &mut sources {
        if let Ok(relative) = source.path.strip_prefix(app_dir) {
            source.path = relative.to_owned();
        }
    }
    let outcome = lint_sources(&sources, &RuleSet::with_default_timeouts(&choice));
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
