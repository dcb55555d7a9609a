use super::*;

fn app(entries: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in entries {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn locate(
    app: &tempfile::TempDir,
    format: Option<&str>,
) -> Result<LocatedMigrations, MigrationsDirError> {
    locate_migrations(
        app.path(),
        MigrationSettings {
            format: format.and_then(|f| Given::new(f, "SLIPWAY_MIGRATIONS_FORMAT")),
            ..MigrationSettings::default()
        },
    )
}

#[test]
fn sqlx_files_are_sqlx() {
    let app = app(&[("migrations/1_a.sql", "SELECT 1;")]);
    let found = locate(&app, None).unwrap();
    assert_eq!(found.format, MigrationFormat::Sqlx);
    assert_eq!(found.format_origin, FormatOrigin::Default);
}

#[test]
fn a_folder_of_up_sql_folders_is_diesel() {
    let app = app(&[
        ("migrations/2024-01-01-000000_b/up.sql", "SELECT 1;"),
        (
            "migrations/00000000000000_diesel_initial_setup/up.sql",
            "SELECT 1;",
        ),
        ("migrations/.keep", ""),
    ]);
    let found = locate(&app, None).unwrap();
    assert_eq!(found.format, MigrationFormat::Diesel);
    assert_eq!(
        found.format_origin.to_string(),
        "the folder holds Diesel migrations, e.g. 00000000000000_diesel_initial_setup/up.sql"
    );
}

#[test]
fn diesel_toml_makes_diesel_and_names_the_folder() {
    let app = app(&[
        (
            "diesel.toml",
            "[print_schema]\nfile = \"src/schema.rs\"\n\n[migrations_directory]\ndir = \"db/migrations\"\n",
        ),
        ("db/migrations/1_a/up.sql", "SELECT 1;"),
        // sqlx.toml is not Diesel's: its folder is not read.
        ("sqlx.toml", "[migrate]\nmigrations-dir = \"nope\"\n"),
    ]);
    let found = locate(&app, None).unwrap();
    assert_eq!(found.format, MigrationFormat::Diesel);
    assert_eq!(found.format_origin, FormatOrigin::DieselToml);
    assert_eq!(found.dir.path, app.path().join("db/migrations"));
    assert_eq!(
        found.dir.origin.unwrap().to_string(),
        "diesel.toml, line 5, key `migrations_directory.dir`"
    );
}

#[test]
fn a_diesel_toml_without_a_folder_means_migrations() {
    let app = app(&[
        ("diesel.toml", "[print_schema]\nfile = \"src/schema.rs\"\n"),
        ("migrations/1_a/up.sql", "SELECT 1;"),
    ]);
    let found = locate(&app, None).unwrap();
    assert_eq!(found.format, MigrationFormat::Diesel);
    assert_eq!(found.dir.path, app.path().join("./migrations"));
    assert!(found.dir.origin.is_none());
}

#[test]
fn a_diesel_app_without_its_folder_is_refused_as_diesel_refuses_it() {
    let app = app(&[("diesel.toml", "[print_schema]\nfile = \"src/schema.rs\"\n")]);
    let err = locate(&app, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the migrations format is diesel (diesel.toml at the app root), but there is no migrations folder at migrations (diesel: \"Unable to find migrations directory\")"
    );
}

#[test]
fn a_folder_of_the_other_formats_migrations_is_refused() {
    // A diesel.toml kept for print_schema beside sqlx files.
    let app = app(&[
        ("diesel.toml", "[print_schema]\nfile = \"src/schema.rs\"\n"),
        ("migrations/20240101000000_init.sql", "SELECT 1;"),
    ]);
    let err = locate(&app, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the migrations format is diesel (diesel.toml at the app root), but the migrations folder migrations holds sqlx migrations (e.g. 20240101000000_init.sql) and no diesel ones: they would never run"
    );
    assert_eq!(
        locate(&app, Some("sqlx")).unwrap().format,
        MigrationFormat::Sqlx
    );
    let app = app_diesel_only();
    assert!(matches!(
        locate(&app, Some("sqlx")),
        Err(MigrationsDirError::OtherFormatsFolder {
            other: "Diesel",
            ..
        })
    ));
}

fn app_diesel_only() -> tempfile::TempDir {
    app(&[("migrations/1_a/up.sql", "SELECT 1;")])
}

#[test]
fn diesels_own_variables_name_its_folder_and_config_file() {
    let app = app(&[
        (
            "diesel.toml",
            "[migrations_directory]\ndir = \"from_toml\"\n",
        ),
        ("from_toml/1_a/up.sql", "SELECT 1;"),
        ("from_env/1_a/up.sql", "SELECT 1;"),
        (
            "config/other.toml",
            "[migrations_directory]\ndir = \"../from_other\"\n",
        ),
        ("from_other/1_a/up.sql", "SELECT 1;"),
    ]);
    let with = |dir: Option<&str>, config: Option<&str>| {
        locate_migrations(
            app.path(),
            MigrationSettings {
                diesel_migration_directory: dir.and_then(|d| Given::new(d, "MIGRATION_DIRECTORY")),
                diesel_config_file: config.and_then(|c| Given::new(c, "DIESEL_CONFIG_FILE")),
                ..MigrationSettings::default()
            },
        )
        .map(|found| found.dir.path)
    };
    assert_eq!(with(None, None).unwrap(), app.path().join("from_toml"));
    assert_eq!(
        with(Some("from_env"), None).unwrap(),
        app.path().join("from_env")
    );
    assert_eq!(
        with(None, Some("config/other.toml")).unwrap(),
        app.path().join("config/../from_other")
    );
    assert!(matches!(
        with(None, Some("config/missing.toml")),
        Err(MigrationsDirError::SettingsFileUnreadable { .. })
    ));
}

#[test]
fn slipways_own_settings_come_before_diesel_toml() {
    let app = app(&[
        (
            "diesel.toml",
            "[migrations_directory]\ndir = \"db/migrations\"\n",
        ),
        ("slipway.toml", "migrations_dir = \"other\"\n"),
        ("other/1_a/up.sql", "SELECT 1;"),
    ]);
    let found = locate(&app, None).unwrap();
    assert_eq!(found.dir.path, app.path().join("other"));
}

#[test]
fn a_bad_diesel_toml_names_its_line() {
    let app = app(&[("diesel.toml", "[migrations_directory]\ndir = 3\n")]);
    let err = locate(&app, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "diesel.toml, line 2: `migrations_directory.dir` must be a string (a folder path), not an integer"
    );
    let app = app_bad_toml();
    assert!(matches!(
        locate(&app, None),
        Err(MigrationsDirError::DieselTomlInvalid { line: 2, .. })
    ));
}

fn app_bad_toml() -> tempfile::TempDir {
    app(&[("diesel.toml", "[migrations_directory]\ndir = \n")])
}

#[test]
fn the_setting_wins_and_is_checked() {
    let app = app(&[("diesel.toml", ""), ("migrations/1_a.sql", "SELECT 1;")]);
    let found = locate(&app, Some("SQLx")).unwrap();
    assert_eq!(found.format, MigrationFormat::Sqlx);
    assert_eq!(
        found.format_origin.to_string(),
        "set by SLIPWAY_MIGRATIONS_FORMAT"
    );
    let err = locate(&app, Some("flyway")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "SLIPWAY_MIGRATIONS_FORMAT: `flyway` is not a migrations format; use sqlx, diesel or command"
    );
}

#[test]
fn the_settings_file_can_name_the_format() {
    let app = app(&[
        ("slipway.toml", "# app\nmigrations_format = \"command\"\n"),
        ("migrations/1_a/up.sql", "SELECT 1;"),
    ]);
    let found = locate(&app, None).unwrap();
    assert_eq!(found.format, MigrationFormat::Command);
    assert_eq!(
        found.format_origin.to_string(),
        "set by slipway.toml, line 2, key `migrations_format`"
    );
    let app = app_with_format("3");
    assert!(matches!(
        locate(&app, None),
        Err(MigrationsDirError::SettingsFileInvalid { line: 1, .. })
    ));
    let app = app_with_format("\"liquibase\"");
    assert!(matches!(
        locate(&app, None),
        Err(MigrationsDirError::UnknownFormat { .. })
    ));
}

fn app_with_format(value: &str) -> tempfile::TempDir {
    app(&[("slipway.toml", &format!("migrations_format = {value}\n"))])
}

#[test]
fn a_mixed_folder_is_refused_naming_one_of_each() {
    let app = app(&[
        ("migrations/1_a.sql", "SELECT 1;"),
        ("migrations/2_b/up.sql", "SELECT 1;"),
    ]);
    for format in [None, Some("sqlx"), Some("diesel")] {
        let err = locate(&app, format).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the migrations folder migrations holds both sqlx migration files (e.g. 1_a.sql) and Diesel migration folders (e.g. 2_b/up.sql)",
            "{format:?}"
        );
    }
    assert_eq!(
        locate(&app, Some("command")).unwrap().format,
        MigrationFormat::Command
    );
}

#[test]
fn a_migrate_command_means_the_command_format() {
    let app = app(&[("migrations/1_a/up.sql", "SELECT 1;")]);
    let found = locate_migrations(
        app.path(),
        MigrationSettings {
            migrate_command: Given::new("migration up", "SLIPWAY_MIGRATE_COMMAND"),
            ..MigrationSettings::default()
        },
    )
    .unwrap();
    assert_eq!(found.format, MigrationFormat::Command);
    assert_eq!(
        found.format_origin.to_string(),
        "a migrate command is set by SLIPWAY_MIGRATE_COMMAND"
    );
    let app = app_with_command();
    assert_eq!(locate(&app, None).unwrap().format, MigrationFormat::Command);
    // A named format wins (the release tool then refuses the pair).
    assert_eq!(
        locate(&app, Some("sqlx")).unwrap().format,
        MigrationFormat::Sqlx
    );
}

fn app_with_command() -> tempfile::TempDir {
    app(&[("slipway.toml", "migrate_command = \"migration up\"\n")])
}

#[test]
fn diesels_own_variables_make_an_app_diesel() {
    let app = app(&[
        ("db/migrations/1_a/up.sql", "SELECT 1;"),
        ("db/other.toml", ""),
    ]);
    let found = locate_migrations(
        app.path(),
        MigrationSettings {
            diesel_migration_directory: Given::new("db/migrations", "MIGRATION_DIRECTORY"),
            ..MigrationSettings::default()
        },
    )
    .unwrap();
    assert_eq!(found.format, MigrationFormat::Diesel);
    assert_eq!(
        found.format_origin.to_string(),
        "diesel CLI's MIGRATION_DIRECTORY is set"
    );
    let found = locate_migrations(
        app.path(),
        MigrationSettings {
            diesel_migration_directory: Given::new("db/migrations", "MIGRATION_DIRECTORY"),
            diesel_config_file: Given::new("db/other.toml", "DIESEL_CONFIG_FILE"),
            ..MigrationSettings::default()
        },
    )
    .unwrap();
    assert_eq!(
        found.format_origin.to_string(),
        "diesel CLI's DIESEL_CONFIG_FILE is set"
    );
}
