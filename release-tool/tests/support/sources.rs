//! The workspace's Rust sources, for the tests that read the code itself
//! (structure, settings structure, module graph). A file of its own: those
//! tests need none of the database support.

#![allow(dead_code, clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

/// The workspace root (the folder above release-tool).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`, sorted.
pub(crate) fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Every `.rs` file under `dir` with its text, named relative to `base`.
pub(crate) fn read_sources(base: &Path, dir: &Path) -> Vec<(String, String)> {
    rust_files(dir)
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let text = fs::read_to_string(&path).unwrap();
            (name, text)
        })
        .collect()
}

/// The Rust sources of the workspace's crates: the release tool, the crate it
/// shares with the buildpack, the buildpack and the lifecycle harness; named
/// from the workspace root.
pub(crate) fn workspace_sources() -> Vec<(String, String)> {
    let root = workspace_root();
    [
        "release-tool/src",
        "pgvector-scan/src",
        "buildpacks/rust/src",
        "lifecycle-harness/src",
    ]
    .iter()
    .flat_map(|dir| read_sources(&root, &root.join(dir)))
    .collect()
}
