//! The shape of the source a reader meets: leaf modules that import nothing
//! from the crate, one duration parser, and settings files a reader can take
//! in (about 400 lines at most).

#![allow(unused_crate_dependencies, clippy::unwrap_used)]

use std::path::Path;

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
    fn walk(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if std::fs::read_to_string(&path)
                .unwrap()
                .contains("humantime::parse_duration")
            {
                found.push(path.display().to_string());
            }
        }
    }
    let mut found = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].ends_with("src/duration.rs"), "{found:?}");
}

#[test]
fn the_settings_files_stay_short() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        assert!(lines <= 400, "{}: {lines} lines", path.display());
    }
    for file in ["cli.rs", "format.rs", "text.rs", "duration.rs"] {
        let lines = source(file).lines().count();
        assert!(lines <= 400, "{file}: {lines} lines");
    }
}
