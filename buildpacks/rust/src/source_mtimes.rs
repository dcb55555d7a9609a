//! Gives the app's sources and the restored caches mtimes that tell cargo the truth.
//!
//! Cargo decides freshness by mtime (<https://github.com/rust-lang/cargo/issues/6529>): a unit
//! is stale when one of its inputs is newer than its outputs. Two things break that in a
//! buildpack:
//!
//! - `pack` and Heroku set every app file's mtime to 1980-01-01
//!   (<https://github.com/buildpacks/pack/issues/1072>), so a changed file looks *older* than
//!   its cached artifacts and is never recompiled;
//! - the lifecycle's restorer extracts cached layers from tar archives without their mtimes:
//!   every file gets the time it was written, in archive order, so a build script's output or
//!   a registry source extracted after the artifact built from it looks changed, and most of the
//!   dependency graph recompiles.
//!
//! So every build uses one clock, `now`: the restored target dir and Cargo home get `now - 1s`
//! (all equal, and cargo treats an input as stale only when it is strictly newer), unchanged
//! app files (by content hash, kept in a manifest in the target layer) get `now - 2s`, and
//! new or changed app files get `now`, so exactly they recompile.

use filetime::FileTime;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io;
use std::path::Path;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    /// The SHA-256 of each app file, by its path relative to the app dir.
    files: BTreeMap<String, String>,
}

/// How many files kept their mtime and how many were new or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MtimeReport {
    pub(crate) unchanged: usize,
    pub(crate) changed: usize,
}

/// The mtime restored cache files get: older than anything this build changes.
fn restored_time(now: FileTime) -> FileTime {
    FileTime::from_unix_time(now.unix_seconds() - 1, now.nanoseconds())
}

/// The mtime unchanged app files get: older than every restored artifact.
fn unchanged_time(now: FileTime) -> FileTime {
    FileTime::from_unix_time(now.unix_seconds() - 2, now.nanoseconds())
}

/// Stamps unchanged files in `app_dir` (same hash as in the manifest at `manifest_path`) as
/// older than the restored caches, and changed and new files with `now`; writes the updated
/// manifest.
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
        let mtime = if previous.files.get(&key) == Some(&sha256) {
            report.unchanged += 1;
            unchanged_time(now)
        } else {
            report.changed += 1;
            now
        };
        filetime::set_file_mtime(&path, mtime)?;
        next.files.insert(key, sha256);
    }
    let text = toml::to_string(&next).map_err(io::Error::other)?;
    std::fs::write(manifest_path, text)?;
    Ok(report)
}

/// Gives every file under each of `dirs` (the restored target dir and Cargo home) the same
/// mtime, just before `now`; returns how many files it touched.
pub(crate) fn settle_restored_mtimes(dirs: &[&Path], now: FileTime) -> io::Result<usize> {
    let restored = restored_time(now);
    let mut count = 0;
    let mut pending: Vec<std::path::PathBuf> = dirs.iter().map(|dir| dir.to_path_buf()).collect();
    while let Some(dir) = pending.pop() {
        if !dir.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                pending.push(entry.path());
            } else if file_type.is_file() {
                filetime::set_file_mtime(entry.path(), restored)?;
                count += 1;
            }
        }
    }
    Ok(count)
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

    fn mtime(path: &Path) -> FileTime {
        FileTime::from_last_modification_time(&fs::metadata(path).unwrap())
    }

    #[test]
    fn unchanged_files_are_older_than_the_caches_and_changed_files_newer() {
        let app = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let manifest = cache.path().join("manifest.toml");
        fs::create_dir(app.path().join("src")).unwrap();
        fs::write(app.path().join("src/main.rs"), "fn main() {}").unwrap();
        fs::write(app.path().join("Cargo.toml"), "[package]").unwrap();

        let first = FileTime::from_unix_time(1_000, 0);
        let report = stabilise_source_mtimes(app.path(), &manifest, first).unwrap();
        assert_eq!(
            report,
            MtimeReport {
                unchanged: 0,
                changed: 2
            }
        );
        assert_eq!(mtime(&app.path().join("Cargo.toml")), first);

        // The platform normalises mtimes again, and one file changes.
        let normalised = FileTime::from_unix_time(315_532_801, 0);
        fs::write(app.path().join("src/main.rs"), "fn main() { println!(); }").unwrap();
        for file in ["src/main.rs", "Cargo.toml"] {
            filetime::set_file_mtime(app.path().join(file), normalised).unwrap();
        }
        let target = cache.path().join("target/release/.fingerprint");
        fs::create_dir_all(&target).unwrap();
        fs::write(target.join("dep-info"), "").unwrap();

        let now = FileTime::from_unix_time(2_000, 5);
        let report = stabilise_source_mtimes(app.path(), &manifest, now).unwrap();
        assert_eq!(
            report,
            MtimeReport {
                unchanged: 1,
                changed: 1
            }
        );
        let settled = settle_restored_mtimes(&[&cache.path().join("target")], now).unwrap();
        assert_eq!(settled, 1);
        let artifact = mtime(&target.join("dep-info"));
        assert!(
            mtime(&app.path().join("Cargo.toml")) < artifact,
            "unchanged: fresh"
        );
        assert!(
            mtime(&app.path().join("src/main.rs")) > artifact,
            "changed: stale"
        );
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
