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
    let found = list_migration_files(dir.path(), None).unwrap();
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
    let found = list_migration_files(dir.path(), None).unwrap();
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
        list_migration_files(dir.path(), None),
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
        let error = list_migration_files(dir.path(), None).unwrap_err();
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
        list_migration_files(dir.path(), None)
            .unwrap()
            .migrations
            .len(),
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
        list_migration_files(dir.path(), None)
            .unwrap()
            .migrations
            .len(),
        5
    );
}

#[test]
fn a_missing_folder_holds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let found = list_migration_files(&dir.path().join("migrations"), None).unwrap();
    assert_eq!(found, MigrationFiles::default());
}

/// sqlx 0.9.1's `unrecognized-sql-files` at line 3 of sqlx.toml.
fn setting(value: UnrecognizedSqlFiles) -> Located<UnrecognizedSqlFiles> {
    Located { value, line: 3 }
}

#[test]
fn unrecognized_sql_files_governs_only_dot_sql_names_without_an_underscore() {
    let names = [
        "1_ok.sql",
        "schema.sql",
        "20240102000000-create-users.sql",
        "NOTES.SQL",
        "20240103000000_create_posts.sq",
        "README.md",
    ];
    let listed = |value| {
        let dir = folder(&names);
        list_migration_files(dir.path(), Some(&setting(value))).map(|found| {
            let ignored: Vec<String> = found.ignored.into_iter().map(|f| f.file_name).collect();
            (found.migrations.len(), ignored)
        })
    };
    let all_look_alikes = vec![
        "20240102000000-create-users.sql".to_owned(),
        "20240103000000_create_posts.sq".to_owned(),
        "NOTES.SQL".to_owned(),
        "schema.sql".to_owned(),
    ];
    // Unset and `warn` keep every look-alike for a warning.
    let dir = folder(&names);
    let unset = list_migration_files(dir.path(), None).unwrap();
    let unset: Vec<String> = unset.ignored.into_iter().map(|f| f.file_name).collect();
    assert_eq!(unset, all_look_alikes);
    assert_eq!(
        listed(UnrecognizedSqlFiles::Warn).unwrap(),
        (1, all_look_alikes.clone())
    );
    // `ignore` silences the two lower-case `.sql` names, as sqlx skips them without a word; the
    // others are no concern of the setting (sqlx ignores them whatever it says). All stay listed.
    assert_eq!(
        listed(UnrecognizedSqlFiles::Ignore).unwrap(),
        (1, all_look_alikes.clone())
    );
    let dir = folder(&names);
    let ignore = setting(UnrecognizedSqlFiles::Ignore);
    let found = list_migration_files(dir.path(), Some(&ignore)).unwrap();
    let warned: Vec<&str> = found
        .ignored
        .iter()
        .filter(|f| f.is_warned())
        .map(|f| f.file_name.as_str())
        .collect();
    assert_eq!(warned, ["20240103000000_create_posts.sq", "NOTES.SQL"]);
    // The note about sqlx 0.9.1 is for a governed file sqlx.toml says nothing about.
    let notes = |found: &MigrationFiles| -> Vec<bool> {
        found
            .ignored
            .iter()
            .map(|f| !f.unrecognized_sql_note().is_empty())
            .collect()
    };
    assert_eq!(notes(&found), [false, false, false, false]);
    let dir = folder(&names);
    let unset = list_migration_files(dir.path(), None).unwrap();
    assert_eq!(notes(&unset), [true, false, false, true]);
    let dir = folder(&names);
    let warn =
        list_migration_files(dir.path(), Some(&setting(UnrecognizedSqlFiles::Warn))).unwrap();
    assert_eq!(notes(&warn), [false, false, false, false]);
    // `error` refuses the folder, naming the first such file by name and the setting's line.
    let error = listed(UnrecognizedSqlFiles::Error).unwrap_err();
    let FilesError::UnrecognizedSqlFile { path, setting_line } = &error else {
        panic!("{error:?}");
    };
    assert!(
        path.ends_with("20240102000000-create-users.sql"),
        "{path:?}"
    );
    assert_eq!(*setting_line, 3);
    assert!(
        error
            .to_string()
            .contains("sqlx.toml (line 3) sets `unrecognized-sql-files = \"error\"`"),
        "{error}"
    );
}

#[test]
fn unrecognized_sql_files_error_passes_a_folder_without_such_files() {
    let dir = folder(&["1_ok.sql", "NOTES.SQL", "2_b.sq", "README.md"]);
    let found =
        list_migration_files(dir.path(), Some(&setting(UnrecognizedSqlFiles::Error))).unwrap();
    assert_eq!(found.migrations.len(), 1);
    assert_eq!(found.ignored.len(), 2);
}
