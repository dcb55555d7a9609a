//! The build-time migration lint: the same squawk rules `slipway-release lint`
//! runs, without a database, printed as warnings. It never fails the build:
//! the release phase decides, with the live table sizes.

use std::path::Path;

use bullet_stream::global::print;
use bullet_stream::style;
use libcnb::Env;
use slipway_release::build_lint::lint_migrations;

/// The setting that turns the lint off (also read by `slipway-release`).
const LINT_ENV: &str = "SLIPWAY_LINT";

/// Lints the app's migrations and prints each finding as a warning.
pub(crate) fn print_migration_lint(app_dir: &Path, migrations_dir: &Path, user_env: &Env) {
    if !migrations_dir.is_dir() {
        print::sub_bullet("No migrations folder: nothing to lint");
        return;
    }
    let mode = user_env.get_string_lossy(LINT_ENV);
    if mode.as_deref().map(str::trim) == Some("off") {
        print::sub_bullet(format!("Skipped: {}", style::value("SLIPWAY_LINT=off")));
        return;
    }
    match lint_migrations(app_dir, migrations_dir) {
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
