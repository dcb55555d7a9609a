//! sqlx's file rules over folders of names, and the duplicate versions sqlx
//! would only find mid-run.

use super::*;

fn folder(files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in files {
        std::fs::write(dir.path().join(name), "SELECT 1;").unwrap();
    }
    dir
}

#[test]
fn names_types_and_descriptions_follow_sqlx() {
    let dir = folder(&[
        "20240101000000_create_users.sql",
        "2_add_posts.up.sql",
        "2_add_posts.down.sql",
        "3_a.sql.sql",
        "README.md",
    ]);
    std::fs::create_dir(dir.path().join("4_folder.sql")).unwrap();
    let found = list_migration_files(dir.path()).unwrap();
    let summary: Vec<_> = found
        .migrations
        .iter()
        .map(|m| (m.version, m.description.as_str(), m.kind))
        .collect();
    assert_eq!(
        summary,
        vec![
            (2, "add posts", MigrationKind::ReversibleUp),
            (2, "add posts", MigrationKind::ReversibleDown),
            (3, "a", MigrationKind::Simple),
            (20_240_101_000_000, "create users", MigrationKind::Simple),
        ]
    );
    assert_eq!(found.ignored, Vec::new());
}

#[test]
fn look_alikes_are_listed_with_the_rule_they_break() {
    let dir = folder(&[
        "1_ok.sql",
        "20240102000000-create-users.sql",
        "20240103000000_create_posts.sq",
        "4_upper.SQL",
        "notes.sql",
        "README.md",
        ".gitkeep",
    ]);
    let found = list_migration_files(dir.path()).unwrap();
    assert_eq!(found.migrations.len(), 1);
    let ignored: Vec<_> = found
        .ignored
        .iter()
        .map(|i| (i.file_name.as_str(), i.rule))
        .collect();
    assert_eq!(
        ignored,
        vec![
            ("20240102000000-create-users.sql", IgnoredRule::NoUnderscore),
            ("20240103000000_create_posts.sq", IgnoredRule::NotDotSql),
            ("4_upper.SQL", IgnoredRule::NotDotSql),
            ("notes.sql", IgnoredRule::NoUnderscore),
        ]
    );
}

#[test]
fn a_bad_version_rejects_the_folder() {
    let dir = folder(&["v1_a.sql"]);
    assert!(matches!(
        list_migration_files(dir.path()),
        Err(FilesError::BadVersion { .. })
    ));
}

#[test]
fn two_migrations_of_one_version_reject_the_folder() {
    let duplicates: &[&[&str]] = &[
        &["1_a.sql", "1_a.up.sql"],
        &["1_a.sql", "1_b.up.sql"],
        &["1_a.sql", "01_b.sql"],
        &["1_a.up.sql", "001_b.up.sql", "1_a.down.sql"],
        &["2_x.sql", "7_a.up.sql", "7_a.down.sql", "+7_c.sql"],
        &["-3_a.sql", "-03_b.up.sql"],
    ];
    for names in duplicates {
        let dir = folder(names);
        let error = list_migration_files(dir.path()).unwrap_err();
        let FilesError::DuplicateVersion { first, second, .. } = &error else {
            panic!("{names:?}: {error:?}");
        };
        let named = [first, second].map(|p| p.file_name().unwrap().to_string_lossy().into_owned());
        assert!(
            named.iter().all(|n| names.contains(&n.as_str())) && named[0] != named[1],
            "{names:?}: {error}"
        );
        assert!(error.to_string().contains(&named[0]) && error.to_string().contains(&named[1]));
    }
}

#[test]
fn two_down_migrations_of_one_version_are_left_to_sqlx_migrate_revert() {
    // `sqlx migrate run` runs this folder; only `revert` reads down files.
    let dir = folder(&["1_a.up.sql", "1_a.down.sql", "1_b.down.sql"]);
    assert_eq!(
        list_migration_files(dir.path()).unwrap().migrations.len(),
        3
    );
}

#[test]
fn a_reversible_pair_and_other_versions_are_no_duplicates() {
    let dir = folder(&[
        "1_a.up.sql",
        "1_a.down.sql",
        "2_a.sql",
        "3_a.down.sql",
        "10_a.sql",
    ]);
    assert_eq!(
        list_migration_files(dir.path()).unwrap().migrations.len(),
        5
    );
}

#[test]
fn a_missing_folder_holds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let found = list_migration_files(&dir.path().join("migrations")).unwrap();
    assert_eq!(found, MigrationFiles::default());
}
