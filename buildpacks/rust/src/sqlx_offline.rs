//! sqlx's offline query data, and what a failed compile says about sqlx.
//!
//! sqlx's query macros check each query against a database at compile time, unless
//! `SQLX_OFFLINE=true` and the data `cargo sqlx prepare` wrote is there: `.sqlx/` (sqlx 0.7
//! and later) or `sqlx-data.json` (sqlx 0.5 and 0.6), at the crate root or the workspace root.
//! Heroku shows config vars to the build, so `DATABASE_URL` is set there but unreachable.

use std::path::{Path, PathBuf};

/// Offline data sqlx's macros read, in sqlx's two forms.
const OFFLINE_DATA: [(&str, bool); 2] = [(".sqlx", true), ("sqlx-data.json", false)];

/// The offline data in the app root and in each workspace member dir, as paths relative to
/// the app root (`.sqlx/`, `api/sqlx-data.json`), each listed once.
pub(crate) fn find_offline_data(app_dir: &Path, member_dirs: &[PathBuf]) -> Vec<String> {
    let mut found = Vec::new();
    let dirs = std::iter::once(app_dir).chain(member_dirs.iter().map(PathBuf::as_path));
    for dir in dirs {
        for (name, is_dir) in OFFLINE_DATA {
            let path = dir.join(name);
            let present = if is_dir {
                path.is_dir()
            } else {
                path.is_file()
            };
            if !present {
                continue;
            }
            let relative = path.strip_prefix(app_dir).unwrap_or(&path);
            let mut shown = relative.display().to_string();
            if is_dir {
                shown.push('/');
            }
            if !found.contains(&shown) {
                found.push(shown);
            }
        }
    }
    found
}

/// Why a failed compile failed, when sqlx's macros are the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SqlxFailure {
    /// The macros had neither a database nor offline data for a query.
    NeedsOfflineData,
    /// The macros tried the database in `DATABASE_URL` and could not use it.
    DatabaseUnreachable,
}

/// What sqlx's macros print when they want a database or offline data.
const NEEDS_OFFLINE_DATA: [&str; 4] = [
    "set `DATABASE_URL` to use query macros online",
    "SQLX_OFFLINE=true` but there is no cached data",
    "`SQLX_OFFLINE=true` but",
    "no cached data for this query",
];

/// What sqlx's `Error` prints when a connection to `DATABASE_URL` fails.
const DATABASE_ERRORS: [&str; 5] = [
    "error communicating with database",
    "error returned from database",
    "error occurred while attempting to establish a TLS connection",
    "pool timed out while waiting for an open connection",
    "error with configuration",
];

/// Reads a failed compile's output for a sqlx macro failure.
pub(crate) fn sqlx_failure(stderr: &str) -> Option<SqlxFailure> {
    if NEEDS_OFFLINE_DATA
        .iter()
        .any(|needle| stderr.contains(needle))
    {
        return Some(SqlxFailure::NeedsOfflineData);
    }
    // The error must come from sqlx's macros: the app's own code may print such words too.
    let from_sqlx_macro = stderr.contains("sqlx_macros") || stderr.contains("sqlx::query");
    (from_sqlx_macro && DATABASE_ERRORS.iter().any(|needle| stderr.contains(needle)))
        .then_some(SqlxFailure::DatabaseUnreachable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_both_forms_in_the_root_and_in_members() {
        let app = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(app.path().join("api/.sqlx")).unwrap();
        std::fs::create_dir_all(app.path().join("worker")).unwrap();
        std::fs::write(app.path().join("worker/sqlx-data.json"), "{}").unwrap();
        std::fs::write(app.path().join("sqlx-data.json"), "{}").unwrap();
        // A file named `.sqlx` is not sqlx's folder.
        std::fs::write(app.path().join("worker/.sqlx"), "").unwrap();
        let members = [
            app.path().to_path_buf(),
            app.path().join("api"),
            app.path().join("worker"),
        ];
        assert_eq!(
            find_offline_data(app.path(), &members),
            ["sqlx-data.json", "api/.sqlx/", "worker/sqlx-data.json"]
        );
        assert!(find_offline_data(&app.path().join("worker/none"), &[]).is_empty());
    }

    #[test]
    fn reads_sqlx_failures_from_compiler_output() {
        assert_eq!(
            sqlx_failure(
                "error: set `DATABASE_URL` to use query macros online, or run `cargo sqlx prepare`"
            ),
            Some(SqlxFailure::NeedsOfflineData)
        );
        // What sqlx 0.6's `query!` prints with an unreachable DATABASE_URL.
        let unreachable = "error: error communicating with database: Connection refused (os error 111)\n \
            --> src/main.rs:6:17\n  = note: this error originates in the macro \
            `$crate::sqlx_macros::expand_query` which comes from the expansion of the macro `sqlx::query`";
        assert_eq!(
            sqlx_failure(unreachable),
            Some(SqlxFailure::DatabaseUnreachable)
        );
        assert_eq!(
            sqlx_failure("thread 'main' panicked: error communicating with database"),
            None,
            "not from a sqlx macro"
        );
        assert_eq!(sqlx_failure("error[E0308]: mismatched types"), None);
    }
}
