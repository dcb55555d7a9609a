//! Copying the app source into the platform's app dir.

use filetime::FileTime;
use std::fs;
use std::io;
use std::path::Path;

/// 1980-01-01T00:00:01Z, the mtime `pack` gives every app file.
///
/// `pack` (and Heroku's build) normalise app source mtimes so that images are reproducible;
/// see <https://github.com/buildpacks/pack/issues/1072>. A buildpack that relies on mtimes
/// (cargo's freshness check does) must cope with this, so the local platform reproduces it.
pub const NORMALISED_MTIME_UNIX: i64 = 315_532_801;

/// Copies `source` into `dest` (which must not exist), skipping `target/` and `.git/` at the
/// top level, and sets every copied file's and directory's mtime to [`NORMALISED_MTIME_UNIX`].
///
/// # Errors
///
/// Any I/O error while reading the source or writing the copy.
pub fn copy_app(source: &Path, dest: &Path) -> io::Result<()> {
    copy_dir(source, dest, true)
}

fn copy_dir(source: &Path, dest: &Path, top_level: bool) -> io::Result<()> {
    fs::create_dir_all(dest)?;
    for entry in fs::read_dir(source)? {
        let entry = entry?;
        let name = entry.file_name();
        if top_level && (name == "target" || name == ".git") {
            continue;
        }
        let from = entry.path();
        let to = dest.join(&name);
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            copy_dir(&from, &to, false)?;
        } else if file_type.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&from)?, &to)?;
            continue;
        } else {
            fs::copy(&from, &to)?;
        }
        normalise_mtime(&to)?;
    }
    normalise_mtime(dest)
}

fn normalise_mtime(path: &Path) -> io::Result<()> {
    let time = FileTime::from_unix_time(NORMALISED_MTIME_UNIX, 0);
    filetime::set_file_times(path, time, time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_files_with_normalised_mtimes_and_skips_target() {
        let source = tempfile::tempdir().unwrap();
        fs::create_dir_all(source.path().join("src")).unwrap();
        fs::write(source.path().join("src/main.rs"), "fn main() {}").unwrap();
        fs::create_dir_all(source.path().join("target/debug")).unwrap();
        fs::write(source.path().join("target/debug/x"), "x").unwrap();
        let dest = tempfile::tempdir().unwrap();
        let app = dest.path().join("workspace");

        copy_app(source.path(), &app).unwrap();

        assert_eq!(
            fs::read_to_string(app.join("src/main.rs")).unwrap(),
            "fn main() {}"
        );
        assert!(!app.join("target").exists());
        let mtime =
            FileTime::from_last_modification_time(&fs::metadata(app.join("src/main.rs")).unwrap());
        assert_eq!(mtime.unix_seconds(), NORMALISED_MTIME_UNIX);
    }
}
