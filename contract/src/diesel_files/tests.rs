use super::*;

fn folder(entries: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in entries {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn versions(dir: &tempfile::TempDir) -> Vec<(String, String)> {
    list_diesel_migrations(dir.path())
        .unwrap()
        .into_iter()
        .map(|m| (m.version, m.name))
        .collect()
}

#[test]
fn versions_drop_dashes_and_sort_as_strings() {
    let dir = folder(&[
        ("00000000000000_diesel_initial_setup/up.sql", "SELECT 1;"),
        ("2024-01-02-000000_dashed/up.sql", "SELECT 1;"),
        ("2024-01-03-000000-0000_generated/up.sql", "SELECT 1;"),
        ("20240101000000_plain/up.sql", "SELECT 1;"),
        ("20240104000000_later/up.sql", "SELECT 1;"),
        ("9_short/up.sql", "SELECT 1;"),
        ("nounderscore/up.sql", "SELECT 1;"),
    ]);
    assert_eq!(
        versions(&dir),
        [
            ("00000000000000", "00000000000000_diesel_initial_setup"),
            ("20240101000000", "20240101000000_plain"),
            ("20240102000000", "2024-01-02-000000_dashed"),
            ("202401030000000000", "2024-01-03-000000-0000_generated"),
            ("20240104000000", "20240104000000_later"),
            ("9", "9_short"),
            ("nounderscore", "nounderscore"),
        ]
        .map(|(v, n)| (v.to_owned(), n.to_owned()))
    );
}

#[test]
fn files_and_dot_entries_are_skipped() {
    let dir = folder(&[
        ("README.md", "notes"),
        (".keep", ""),
        (".hidden/up.sql", "SELECT 1;"),
        ("1_a/up.sql", "SELECT 1;"),
        ("1_a/down.sql", "SELECT 1;"),
    ]);
    assert_eq!(versions(&dir), [("1".to_owned(), "1_a".to_owned())]);
}

#[test]
fn a_folder_without_up_sql_refuses_the_whole_set() {
    for broken in ["2_b/down.sql", "2_b/notes.txt"] {
        let dir = folder(&[("1_a/up.sql", "SELECT 1;"), (broken, "x")]);
        let err = list_diesel_migrations(dir.path()).unwrap_err();
        assert!(matches!(err, DieselFilesError::NoUpSql { .. }), "{err}");
        assert!(err.to_string().contains("2_b"), "{err}");
    }
    let dir = folder(&[("1_a/up.sql", "SELECT 1;")]);
    std::fs::create_dir(dir.path().join("2_empty")).unwrap();
    assert!(matches!(
        list_diesel_migrations(dir.path()),
        Err(DieselFilesError::NoUpSql { .. })
    ));
    // A folder named up.sql is no file.
    let dir = folder(&[("1_a/up.sql/x", "SELECT 1;")]);
    assert!(matches!(
        list_diesel_migrations(dir.path()),
        Err(DieselFilesError::NoUpSql { .. })
    ));
}

#[test]
fn a_symlink_to_a_migration_folder_counts() {
    let dir = folder(&[("elsewhere/up.sql", "SELECT 1;"), ("m/README", "x")]);
    let migrations = dir.path().join("m");
    std::fs::remove_file(migrations.join("README")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("elsewhere"), migrations.join("1_linked")).unwrap();
    assert_eq!(
        list_diesel_migrations(&migrations).unwrap()[0].version,
        "1".to_owned()
    );
}

#[test]
fn two_forms_of_one_version_are_refused() {
    let dir = folder(&[
        ("2024-01-01-000000_first/up.sql", "SELECT 1;"),
        ("20240101000000_second/up.sql", "SELECT 1;"),
    ]);
    let err = list_diesel_migrations(dir.path()).unwrap_err();
    let DieselFilesError::DuplicateVersion { version, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(version, "20240101000000");
}

#[test]
fn versions_diesel_cannot_record_are_refused() {
    let dir = folder(&[("_x/up.sql", "SELECT 1;")]);
    assert!(matches!(
        list_diesel_migrations(dir.path()),
        Err(DieselFilesError::EmptyVersion { .. })
    ));
    let long = format!("{}_x/up.sql", "1".repeat(51));
    let dir = folder(&[(long.as_str(), "SELECT 1;")]);
    assert!(matches!(
        list_diesel_migrations(dir.path()),
        Err(DieselFilesError::VersionTooLong { .. })
    ));
    let fifty = format!("{}_x/up.sql", "1".repeat(50));
    let dir = folder(&[(fifty.as_str(), "SELECT 1;")]);
    assert_eq!(list_diesel_migrations(dir.path()).unwrap().len(), 1);
}

#[test]
fn a_missing_folder_holds_nothing() {
    assert!(
        list_diesel_migrations(Path::new("/nonexistent/slipway"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn metadata_is_read_as_diesel_reads_it() {
    let cases = [
        ("run_in_transaction = false\n", false, None),
        ("run_in_transaction = true\n", true, None),
        ("foo = 1\nrun_in_transaction = false\n", false, None),
        ("", false, Some("no key")),
        ("foo = 1\n", false, Some("no key")),
        ("run_in_transaction = \"false\"\n", true, Some("invalid")),
        ("run_in_transaction = \n", true, Some("invalid")),
        ("# ok\nrun_in_transaction = 0\n", true, Some("invalid")),
    ];
    for (text, in_tx, problem) in cases {
        let read = parse_diesel_metadata(text);
        assert_eq!(read.run_in_transaction, in_tx, "{text:?}");
        let kind = read.problem.as_ref().map(|p| match p {
            MetadataProblem::Invalid { .. } => "invalid",
            MetadataProblem::NoKey => "no key",
        });
        assert_eq!(kind, problem, "{text:?}");
    }
    let read = parse_diesel_metadata("# ok\nrun_in_transaction = 0\n");
    assert!(matches!(
        read.problem,
        Some(MetadataProblem::Invalid { line: 2, .. })
    ));
}

#[test]
fn a_missing_metadata_file_means_a_transaction() {
    let dir = folder(&[("1_a/up.sql", "SELECT 1;")]);
    let m = &list_diesel_migrations(dir.path()).unwrap()[0];
    assert_eq!(
        read_diesel_metadata(m).unwrap(),
        DieselMetadata {
            run_in_transaction: true,
            problem: None
        }
    );
}
