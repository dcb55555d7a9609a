//! What a reader of release-tool/src, and of the workspace, meets: one name per
//! thing, one copy of each shared rule (issue 12). Each
//! test reads the source and names what breaks the rule.

// An integration test crate sees every dev-dependency; this one needs none.
#![allow(unused_crate_dependencies, clippy::unwrap_used)]

#[path = "support/sources.rs"]
mod support_sources;

use std::path::Path;

use support_sources::{read_sources, workspace_sources};

/// Every `.rs` file under release-tool/src with its text, sorted by path,
/// as paths relative to src.
fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = read_sources(&src, &src);
    assert!(
        files.len() > 20,
        "too few sources found in {}",
        src.display()
    );
    files
}

/// The files (and how often) whose text contains `needle`.
fn files_containing(needle: &str) -> Vec<(String, usize)> {
    sources()
        .into_iter()
        .filter_map(|(name, text)| {
            let count = text.matches(needle).count();
            (count > 0).then_some((name, count))
        })
        .collect()
}

#[test]
fn one_function_formats_an_error_with_its_source_chain() {
    let walkers = files_containing(".source()");
    assert_eq!(
        walkers,
        [("errors.rs".to_owned(), 1)],
        "walk an error's sources only in errors::error_chain"
    );
}

#[test]
fn the_list_the_backups_fix_is_written_once_and_names_backups() {
    assert_eq!(
        files_containing("List the backups with"),
        [("backup/errors.rs".to_owned(), 1)],
        "one fix text for \"no such backup\""
    );
    assert_eq!(
        files_containing("`slipway-release backup --list` and pass"),
        []
    );
}

#[test]
fn no_two_functions_are_called_plan() {
    let plans: Vec<(String, usize)> = ["fn plan(", "fn plan<"]
        .into_iter()
        .flat_map(files_containing)
        .collect();
    assert_eq!(
        plans,
        [],
        "name each plan for what it does (compare, compare_history, preview_release)"
    );
}

#[test]
fn a_step_records_its_own_outcome() {
    let repeated: Vec<(String, usize)> = ["failed(report,", "steps::failed(", "fn failed("]
        .into_iter()
        .flat_map(files_containing)
        .collect();
    assert_eq!(repeated, [], "use steps::Step (start, ok, fail, or_fail)");
}

#[test]
fn errors_rs_holds_no_module_s_failures() {
    // Each module's `From<ModuleError> for Failure` sits beside that error.
    // `From<ConfigError>` is the last to leave (with the settings table).
    let (_, errors) = sources()
        .into_iter()
        .find(|(name, _)| name == "errors.rs")
        .unwrap();
    let impls: Vec<&str> = errors
        .lines()
        .filter(|line| line.starts_with("impl From<") && !line.contains("ConfigError"))
        .collect();
    assert_eq!(impls, Vec::<&str>::new());
}

#[test]
fn one_rule_numbers_lines_in_the_whole_workspace() {
    let mut found: Vec<String> = workspace_sources()
        .into_iter()
        .filter(|(_, text)| {
            [
                "fn line_of(",
                "fn line_and_column(",
                "matches('\\n').count()",
            ]
            .iter()
            .any(|needle| text.contains(needle))
        })
        .map(|(name, _)| name)
        .collect();
    found.sort();
    assert_eq!(
        found,
        ["pgvector-scan/src/text.rs"],
        "number lines only with slipway_pgvector_scan::text"
    );
}

/// sqlx's `Display` of a server error ends with the line of the PostgreSQL
/// *C source* that raised it ("schema \"meta\" does not exist at line 3099"),
/// which the README promises to hide (issue 22). Every error variant that
/// holds a `sqlx::Error` shows it through `errors::db_error` (or
/// `errors::server_said`), never with `{0}`, `{source}` or `transparent`.
#[test]
fn every_error_shows_a_sqlx_error_without_the_servers_source_line() {
    let mut found = Vec::new();
    let mut checked = 0;
    for (name, text) in sources() {
        for chunk in text.split("#[error(").skip(1) {
            let attribute = chunk.split(")]").next().unwrap();
            let rest = &chunk[attribute.len()..];
            let variant = rest
                .split("\n    #[")
                .next()
                .unwrap()
                .split("\n}")
                .next()
                .unwrap();
            if !variant.contains("sqlx::Error") {
                continue;
            }
            checked += 1;
            if !(attribute.contains("db_error(") || attribute.contains("server_said(")) {
                found.push(format!("{name}: #[error({attribute})]"));
            }
        }
    }
    assert!(checked >= 10, "only {checked} variants hold a sqlx::Error");
    assert_eq!(
        found,
        Vec::<String>::new(),
        "show sqlx errors with errors::db_error"
    );
}
