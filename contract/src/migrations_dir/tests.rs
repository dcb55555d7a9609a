use super::*;

include!("cases.rs");

fn given(value: Option<&str>, origin: &str) -> Option<Given> {
    value.and_then(|value| Given::new(value, origin))
}

/// What `locate_migrations_dir` makes of `case`: the folder relative to the app (`None` for
/// the default), or the message.
fn resolve(case: &Case) -> Result<Option<PathBuf>, String> {
    let app = case_app(case);
    let found = locate_migrations_dir(
        app.path(),
        given(case.migrations_dir_var, "SLIPWAY_MIGRATIONS_DIR"),
        given(case.config_var, "SLIPWAY_CONFIG").as_ref(),
    )
    .map_err(|error| error.to_string())?;
    Ok(found.origin.map(|_| folder_in(&app, &found.path)))
}

#[test]
fn every_shared_case_resolves_as_the_table_says() {
    for case in CASES {
        match (resolve(case), case.expected) {
            (Ok(found), Ok(expected)) => {
                assert_eq!(found, expected.map(PathBuf::from), "{}", case.name);
            }
            (Err(message), Err(fragment)) => {
                assert!(message.contains(fragment), "{}: {message}", case.name);
            }
            (found, expected) => panic!("{}: {found:?}, expected {expected:?}", case.name),
        }
    }
}

#[test]
fn the_origin_names_the_setting_file_and_line() {
    let case = Case {
        name: "origins",
        files: &[
            ("sqlx.toml", "\n[migrate]\nmigrations-dir = \"db/sqlx\"\n"),
            (
                "config/slipway.toml",
                "lint = \"warn\"\nmigrations_dir = \"m\"\n",
            ),
        ],
        dirs: &["db/sqlx", "config/m", "sql"],
        migrations_dir_var: None,
        config_var: None,
        expected: Ok(None),
    };
    let app = case_app(&case);
    let from_sqlx = locate_migrations_dir(app.path(), None, None).unwrap();
    assert_eq!(
        from_sqlx.origin.unwrap().to_string(),
        "sqlx.toml, line 3, key `migrate.migrations-dir`"
    );
    let config = given(Some("config/slipway.toml"), "SLIPWAY_CONFIG");
    let from_file = locate_migrations_dir(app.path(), None, config.as_ref()).unwrap();
    assert_eq!(
        from_file.origin.unwrap().to_string(),
        "config/slipway.toml, line 2, key `migrations_dir`"
    );
    let from_var = locate_migrations_dir(
        app.path(),
        given(Some("sql"), "flag --migrations"),
        config.as_ref(),
    )
    .unwrap();
    assert_eq!(from_var.origin.unwrap().to_string(), "flag --migrations");
    assert!(from_var.path.ends_with("sql"));
}

#[test]
fn a_missing_folder_or_a_bad_file_names_the_setting() {
    let case = Case {
        name: "bad",
        files: &[("slipway.toml", "lint = \"warn\"\nmigrations_dir = 3\n")],
        dirs: &[],
        migrations_dir_var: None,
        config_var: None,
        expected: Ok(None),
    };
    let app = case_app(&case);
    assert_eq!(
        locate_migrations_dir(app.path(), None, None)
            .unwrap_err()
            .to_string(),
        "slipway.toml, line 2: `migrations_dir` must be a string (a folder path), not an integer"
    );
    std::fs::write(
        app.path().join("slipway.toml"),
        "a = 1\nmigrations_dir = \n",
    )
    .unwrap();
    let error = locate_migrations_dir(app.path(), None, None).unwrap_err();
    assert!(
        error.to_string().starts_with("slipway.toml, line 2: "),
        "{error}"
    );
    std::fs::remove_file(app.path().join("slipway.toml")).unwrap();
    let missing = locate_migrations_dir(
        app.path(),
        given(Some("db/none"), "SLIPWAY_MIGRATIONS_DIR"),
        None,
    )
    .unwrap_err();
    assert_eq!(
        missing.to_string(),
        "SLIPWAY_MIGRATIONS_DIR: the migrations folder db/none does not exist"
    );
    // A missing default folder is no mistake: it means "no migrations".
    let default = locate_migrations_dir(app.path(), None, None).unwrap();
    assert!(!default.is_explicit());
}
