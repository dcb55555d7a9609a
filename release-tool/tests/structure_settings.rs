//! The shape of the source a reader meets: leaf modules that import nothing
//! from the crate, and one duration parser.

#![allow(unused_crate_dependencies, clippy::unwrap_used)]

use std::path::Path;

#[path = "support/sources.rs"]
mod support_sources;

use support_sources::workspace_sources;

fn source(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(path)).unwrap()
}

/// The text before the file's unit tests.
fn code(path: &str) -> String {
    let text = source(path);
    text.split("#[cfg(test)]").next().unwrap().to_owned()
}

#[test]
fn leaf_modules_import_nothing_from_the_crate() {
    for leaf in ["format.rs", "text.rs", "migrations_dir.rs", "duration.rs"] {
        let code = code(leaf);
        for reach in ["crate::", "super::"] {
            assert!(
                !code.contains(reach),
                "{leaf} uses {reach}: it must stay a leaf"
            );
        }
    }
}

#[test]
fn settings_and_migrations_do_not_reach_into_each_other() {
    assert!(!source("migrations/source.rs").contains("crate::config"));
    for file in ["mod.rs", "table.rs", "file.rs", "args.rs", "errors.rs"] {
        let text = source(&format!("config/{file}"));
        assert!(!text.contains("crate::report"), "config/{file}");
        assert!(!text.contains("crate::cli"), "config/{file}");
    }
    assert!(!source("errors.rs").contains("ConfigError"));
}

#[test]
fn one_duration_parser() {
    let found: Vec<String> = workspace_sources()
        .into_iter()
        .filter(|(_, text)| text.contains("humantime::parse_duration"))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(found, ["release-tool/src/duration.rs"]);
}
