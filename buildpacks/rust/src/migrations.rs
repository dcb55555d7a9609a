//! The app's migrations as the build sees them: the folder, found by the rule the release
//! phase uses (`slipway_contract::locate_migrations_dir`, with `SLIPWAY_CONFIG`); the files
//! sqlx ignores; and the build-time lint, the same squawk rules `slipway-release lint` runs,
//! without a database, printed as warnings. The lint never fails the build: the release phase
//! decides, with the live table sizes.

use std::path::Path;

use bullet_stream::global::print;
use bullet_stream::style;
use libcnb::Env;
use slipway_contract::{DirOrigin, Given, MigrationFiles, MigrationsDir, locate_migrations_dir};
use slipway_release::build_lint::lint_migrations;

use crate::errors::{self, RustBuildpackError};

/// Finds the migrations folder as the release phase will, from the config vars
/// `SLIPWAY_MIGRATIONS_DIR` and `SLIPWAY_CONFIG`, and says which setting chose it.
pub(crate) fn find_migrations_dir(
    app_dir: &Path,
    user_env: &Env,
) -> Result<MigrationsDir, RustBuildpackError> {
    let given = |var: &str| {
        user_env
            .get_string_lossy(var)
            .and_then(|value| Given::new(&value, var))
    };
    let found = locate_migrations_dir(
        app_dir,
        given("SLIPWAY_MIGRATIONS_DIR"),
        given("SLIPWAY_CONFIG").as_ref(),
    )
    .map_err(RustBuildpackError::MigrationsDir)?;
    if let Some(origin) = &found.origin {
        print::sub_bullet(format!(
            "Migrations: {} (from {})",
            style::value(shown_path(app_dir, &found.path)),
            origin_words(origin)
        ));
    }
    Ok(found)
}

/// The setting that chose the folder, as the build log names it.
pub(crate) fn origin_words(origin: &DirOrigin) -> String {
    match origin {
        DirOrigin::SettingsFile { path, .. } => format!("`migrations_dir` in {}", path.display()),
        other => origin_words_with_line(other),
    }
}

/// The setting that chose the folder, as an error names it: with the settings file's line.
pub(crate) fn origin_words_with_line(origin: &DirOrigin) -> String {
    match origin {
        DirOrigin::Given(var) => var.clone(),
        DirOrigin::SettingsFile { path, line } => {
            format!("`migrations_dir` in {}, line {line}", path.display())
        }
        DirOrigin::SqlxToml { path, line } => {
            format!("`migrations-dir` in {}, line {line}", path.display())
        }
    }
}

/// `path` relative to the app dir, for messages (`db/migrations/`).
pub(crate) fn shown_path(app_dir: &Path, path: &Path) -> String {
    format!("{}/", path.strip_prefix(app_dir).unwrap_or(path).display())
}

/// Names each file of the migrations folder that sqlx (and so the release phase) ignores
/// although it looks like a migration.
pub(crate) fn warn_about_ignored_files(files: &MigrationFiles) {
    for file in &files.ignored {
        print::warning(errors::ignored_migration_file(file));
    }
}

/// The setting that turns the lint off (also read by `slipway-release`).
const LINT_ENV: &str = "SLIPWAY_LINT";

/// Lints the app's migrations and prints each finding as a warning.
pub(crate) fn print_migration_lint(app_dir: &Path, migrations: &MigrationsDir, user_env: &Env) {
    if !migrations.path.is_dir() {
        print::sub_bullet("No migrations folder: nothing to lint");
        return;
    }
    let mode = user_env.get_string_lossy(LINT_ENV);
    if mode.as_deref().map(str::trim) == Some("off") {
        print::sub_bullet(format!("Skipped: {}", style::value("SLIPWAY_LINT=off")));
        return;
    }
    let rules = user_env.get_string_lossy("SLIPWAY_LINT_RULES");
    match lint_migrations(app_dir, migrations, rules.as_deref()) {
        Ok(lint) => {
            for warning in &lint.warnings {
                print::warning(warning);
            }
            let ignored = if lint.ignored == 0 {
                String::new()
            } else {
                format!(", {} ignored by squawk-ignore comments", lint.ignored)
            };
            print::sub_bullet(format!(
                "{} finding(s) in {} migration(s){ignored}. The release phase runs the same lint with the \
                 live table sizes and stops a release that would lock a big table ({}).",
                lint.warnings.len(),
                lint.files,
                style::value("slipway-release lint")
            ));
        }
        // The release phase reports the same problem as an error, with its fix.
        Err(problem) => print::warning(format!("The migrations could not be linted: {problem}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    include!("../../../contract/src/migrations_dir/cases.rs");

    /// The build resolves every shared settings-file case as the release tool does.
    #[test]
    fn every_shared_case_resolves_as_the_table_says() {
        for case in CASES {
            let app = case_app(case);
            let mut env = Env::new();
            if let Some(value) = case.migrations_dir_var {
                env.insert("SLIPWAY_MIGRATIONS_DIR", value);
            }
            if let Some(value) = case.config_var {
                env.insert("SLIPWAY_CONFIG", value);
            }
            match (find_migrations_dir(app.path(), &env), case.expected) {
                (Ok(found), Ok(expected)) => assert_eq!(
                    found.origin.map(|_| folder_in(&app, &found.path)),
                    expected.map(std::path::PathBuf::from),
                    "{}",
                    case.name
                ),
                (Err(RustBuildpackError::MigrationsDir(error)), Err(fragment)) => {
                    let message = errors::migrations_dir_problem(&error);
                    assert!(message.contains(fragment), "{}: {message}", case.name);
                }
                (found, expected) => panic!("{}: {found:?}, expected {expected:?}", case.name),
            }
        }
    }

    #[test]
    fn the_build_log_names_the_setting_as_before() {
        let sqlx = DirOrigin::SqlxToml {
            path: "sqlx.toml".into(),
            line: 2,
        };
        assert_eq!(origin_words(&sqlx), "`migrations-dir` in sqlx.toml, line 2");
        let file = DirOrigin::SettingsFile {
            path: "slipway.toml".into(),
            line: 1,
        };
        assert_eq!(origin_words(&file), "`migrations_dir` in slipway.toml");
    }
}
