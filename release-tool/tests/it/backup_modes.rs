//! The `file:DIR` target's permissions, and old backups it cannot prune
//! (issue 22): folders slipway creates are 0700, folders that exist keep
//! their mode (a shared sticky `/tmp` must stay 1777), dumps are 0600; a
//! prune that fails after a good backup is a warning, not a failed release.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::{
    TestDb, all_output, app_with_migrations, db_with_data, dumps_in, json, slipway,
};

/// The permission bits of `path` (with setuid/setgid/sticky).
fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// `slipway-release backup` in `cwd` to `file:DIR`, expecting success.
fn backup_to(db: &TestDb, cwd: &Path, dir: &Path) {
    let out = slipway(cwd, &db.url)
        .env("SLIPWAY_BACKUP", format!("file:{}", dir.display()))
        .arg("backup")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
}

#[test]
fn an_existing_folder_keeps_its_mode_and_every_dump_is_0600() {
    let db = db_with_data();
    for mode in [0o1777, 0o755, 0o750, 0o700, 0o2770] {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("shared");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
        backup_to(&db, base.path(), &dir);
        backup_to(&db, base.path(), &dir);
        assert_eq!(mode_of(&dir), mode, "the folder's mode {mode:o} changed");
        let dumps = dumps_in(&dir);
        assert_eq!(dumps.len(), 2, "{dumps:?}");
        for dump in dumps {
            assert_eq!(mode_of(&dump), 0o600, "{}", dump.display());
        }
    }
}

#[test]
fn folders_slipway_creates_are_0700_parents_included() {
    let db = db_with_data();
    let base = tempfile::tempdir().unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = base.path().join("a/b/backups");
    backup_to(&db, base.path(), &dir);
    for created in ["a", "a/b", "a/b/backups"] {
        assert_eq!(mode_of(&base.path().join(created)), 0o700, "{created}");
    }
    assert_eq!(mode_of(base.path()), 0o755, "a parent that existed changed");
    let dumps = dumps_in(&dir);
    assert_eq!(dumps.len(), 1);
    assert_eq!(mode_of(&dumps[0]), 0o600);
}

#[test]
fn a_prune_that_fails_after_a_good_backup_is_a_warning_and_the_release_goes_on() {
    let db = db_with_data();
    let app = app_with_migrations(&[("1_items.sql", "CREATE TABLE items (id int);\n")]);
    let dir = app.path().join("backups");
    backup_to(&db, app.path(), &dir);
    // The old backup becomes something remove_file cannot delete, even as
    // root: a non-empty folder with a backup's name.
    let old = dumps_in(&dir).pop().unwrap();
    std::fs::remove_file(&old).unwrap();
    std::fs::create_dir(&old).unwrap();
    std::fs::write(old.join("keep"), b"x").unwrap();

    let out = slipway(app.path(), &db.url)
        .env("SLIPWAY_BACKUP", format!("file:{}", dir.display()))
        .env("SLIPWAY_BACKUP_KEEP", "1")
        .args(["run", "--format", "json"])
        .output()
        .unwrap();
    let all = all_output(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert_eq!(db.applied_versions(), vec![1], "{all}");
    let doc = json(&out);
    assert_eq!(doc["backup"]["taken"], true, "{doc:#}");
    let error = doc["prune_error"].as_str().unwrap();
    assert!(error.contains("pruning old backups"), "{error}");
    assert!(error.contains(&old.display().to_string()), "{error}");
    assert!(
        doc["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("pruning old backups")),
        "{doc:#}"
    );
    assert_eq!(doc["pruned_backups"], serde_json::json!([]));
    assert!(
        all.contains("WARNING: the backup was taken, but pruning old backups"),
        "{all}"
    );
    // The new backup is there, next to the one that could not be deleted.
    assert!(dumps_in(&dir).iter().any(|p| *p != old && p.is_file()));
}
