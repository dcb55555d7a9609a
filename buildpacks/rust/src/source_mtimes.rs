//! Gives app source files stable mtimes across builds, so a cached target dir stays valid.
//!
//! `pack` and Heroku set every app file's mtime to 1980-01-01
//! (<https://github.com/buildpacks/pack/issues/1072>). Cargo decides freshness by mtime
//! (<https://github.com/rust-lang/cargo/issues/6529>), so with a cached target dir a changed
//! file would look *older* than its artifacts and never be recompiled. This module keeps a
//! manifest of each file's content hash and the mtime it was given: unchanged files get their
//! previous mtime back (nothing recompiles), changed and new files get the current time (they
//! recompile).

use filetime::FileTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io;
use std::path::Path;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    files: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    sha256: String,
    mtime_seconds: i64,
    mtime_nanos: u32,
}

/// How many files kept their mtime and how many were new or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MtimeReport {
    pub(crate) unchanged: usize,
    pub(crate) changed: usize,
}

/// Restores the mtimes of unchanged files in `app_dir` from the manifest at `manifest_path`,
/// stamps changed and new files with `now`, and writes the updated manifest.
///
/// A missing or unreadable manifest counts as empty: every file is then new.
pub(crate) fn stabilise_source_mtimes(
    app_dir: &Path,
    manifest_path: &Path,
    now: FileTime,
) -> io::Result<MtimeReport> {
    let previous = read_manifest(manifest_path);
    let mut next = Manifest::default();
    let mut report = MtimeReport {
        unchanged: 0,
        changed: 0,
    };
    for relative in list_source_files(app_dir)? {
        let path = app_dir.join(&relative);
        let sha256 = hex::encode(Sha256::digest(std::fs::read(&path)?));
        let key = relative.to_string_lossy().into_owned();
        let entry = match previous.files.get(&key) {
            Some(old) if old.sha256 == sha256 => {
                report.unchanged += 1;
                old.clone()
            }
            _ => {
                report.changed += 1;
                Entry {
                    sha256,
                    mtime_seconds: now.unix_seconds(),
                    mtime_nanos: now.nanoseconds(),
                }
            }
        };
        let mtime = FileTime::from_unix_time(entry.mtime_seconds, entry.mtime_nanos);
        filetime::set_file_mtime(&path, mtime)?;
        next.files.insert(key, entry);
    }
    let text = toml::to_string(&next).map_err(io::Error::other)?;
    std::fs::write(manifest_path, text)?;
    Ok(report)
}

fn read_manifest(path: &Path) -> Manifest {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| toml::from_str(&text).ok())
        .unwrap_or_default()
}

/// Every regular file under `app_dir`, relative to it, except `target/` and `.git/`.
fn list_source_files(app_dir: &Path) -> io::Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![std::path::PathBuf::new()];
    while let Some(relative_dir) = pending.pop() {
        for entry in std::fs::read_dir(app_dir.join(&relative_dir))? {
            let entry = entry?;
            let relative = relative_dir.join(entry.file_name());
            let file_type = entry.file_type()?;
            let top_level_skip = relative_dir.as_os_str().is_empty()
                && (entry.file_name() == "target" || entry.file_name() == ".git");
            if file_type.is_dir() && !top_level_skip {
                pending.push(relative);
            } else if file_type.is_file() {
                files.push(relative);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn mtime(path: &Path) -> i64 {
        FileTime::from_last_modification_time(&fs::metadata(path).unwrap()).unix_seconds()
    }

    #[test]
    fn unchanged_files_get_their_old_mtime_and_changed_files_the_new_one() {
        let app = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let manifest = cache.path().join("manifest.toml");
        fs::create_dir(app.path().join("src")).unwrap();
        fs::write(app.path().join("src/main.rs"), "fn main() {}").unwrap();
        fs::write(app.path().join("Cargo.toml"), "[package]").unwrap();

        let first =
            stabilise_source_mtimes(app.path(), &manifest, FileTime::from_unix_time(1_000, 0))
                .unwrap();
        assert_eq!(
            first,
            MtimeReport {
                unchanged: 0,
                changed: 2
            }
        );

        // The platform normalises mtimes again, and one file changes.
        let normalised = FileTime::from_unix_time(315_532_801, 0);
        for file in ["src/main.rs", "Cargo.toml"] {
            filetime::set_file_mtime(app.path().join(file), normalised).unwrap();
        }
        fs::write(app.path().join("src/main.rs"), "fn main() { println!(); }").unwrap();
        filetime::set_file_mtime(app.path().join("src/main.rs"), normalised).unwrap();

        let second =
            stabilise_source_mtimes(app.path(), &manifest, FileTime::from_unix_time(2_000, 0))
                .unwrap();
        assert_eq!(
            second,
            MtimeReport {
                unchanged: 1,
                changed: 1
            }
        );
        assert_eq!(mtime(&app.path().join("Cargo.toml")), 1_000);
        assert_eq!(mtime(&app.path().join("src/main.rs")), 2_000);
    }

    #[test]
    fn target_and_git_are_not_sources() {
        let app = tempfile::tempdir().unwrap();
        fs::create_dir_all(app.path().join("target/release")).unwrap();
        fs::create_dir_all(app.path().join(".git")).unwrap();
        fs::write(app.path().join("target/release/app"), "bin").unwrap();
        fs::write(app.path().join(".git/HEAD"), "ref").unwrap();
        fs::write(app.path().join("Cargo.toml"), "[package]").unwrap();
        let files = list_source_files(app.path()).unwrap();
        assert_eq!(files, [std::path::PathBuf::from("Cargo.toml")]);
    }
}
