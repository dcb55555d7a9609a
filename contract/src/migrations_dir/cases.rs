// The settings-file cases both products must resolve alike. The contract's own tests, the
// buildpack's and the release tool's each `include!` this file and run every case through
// their own entry point, so the build and the release phase cannot drift apart again.

/// One app: its files and folders, the two variables, and the folder both must pick (relative
/// to the app, `None` for the default) or a fragment of the message both must refuse it with.
struct Case {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    dirs: &'static [&'static str],
    migrations_dir_var: Option<&'static str>,
    config_var: Option<&'static str>,
    expected: Result<Option<&'static str>, &'static str>,
}

const CASES: &[Case] = &[
    Case {
        name: "nothing set: the default folder",
        files: &[],
        dirs: &["migrations"],
        migrations_dir_var: None,
        config_var: None,
        expected: Ok(None),
    },
    Case {
        name: "slipway.toml",
        files: &[("slipway.toml", "migrations_dir = \"db/migrate\"\n")],
        dirs: &["db/migrate", "migrations"],
        migrations_dir_var: None,
        config_var: None,
        expected: Ok(Some("db/migrate")),
    },
    Case {
        name: "the variable wins over slipway.toml",
        files: &[("slipway.toml", "migrations_dir = \"db/migrate\"\n")],
        dirs: &["db/migrate", "sql"],
        migrations_dir_var: Some("./sql"),
        config_var: None,
        expected: Ok(Some("sql")),
    },
    Case {
        name: "sqlx.toml",
        files: &[("sqlx.toml", "[migrate]\nmigrations-dir = \"db/sqlx\"\n")],
        dirs: &["db/sqlx"],
        migrations_dir_var: None,
        config_var: None,
        expected: Ok(Some("db/sqlx")),
    },
    Case {
        name: "slipway.toml wins over sqlx.toml",
        files: &[
            ("sqlx.toml", "[migrate]\nmigrations-dir = \"db/sqlx\"\n"),
            ("slipway.toml", "migrations_dir = \"db/slipway\"\n"),
        ],
        dirs: &["db/sqlx", "db/slipway"],
        migrations_dir_var: None,
        config_var: None,
        expected: Ok(Some("db/slipway")),
    },
    Case {
        name: "SLIPWAY_CONFIG names the settings file; its folder is relative to it",
        files: &[("config/slipway.toml", "migrations_dir = \"../db/migrate\"\n")],
        dirs: &["db/migrate", "migrations"],
        migrations_dir_var: None,
        config_var: Some("config/slipway.toml"),
        expected: Ok(Some("db/migrate")),
    },
    Case {
        name: "SLIPWAY_CONFIG's file wins over slipway.toml at the root",
        files: &[
            ("slipway.toml", "migrations_dir = \"wrong\"\n"),
            ("config/release.toml", "lint = \"warn\"\nmigrations_dir = \"sql\"\n"),
        ],
        dirs: &["wrong", "config/sql"],
        migrations_dir_var: None,
        config_var: Some("config/release.toml"),
        expected: Ok(Some("config/sql")),
    },
    Case {
        name: "SLIPWAY_CONFIG's file without the key leaves sqlx.toml to decide",
        files: &[
            ("slipway.toml", "migrations_dir = \"wrong\"\n"),
            ("sqlx.toml", "[migrate]\nmigrations-dir = \"db/sqlx\"\n"),
            ("ops/slipway.toml", "lint = \"warn\"\n"),
        ],
        dirs: &["wrong", "db/sqlx"],
        migrations_dir_var: None,
        config_var: Some("ops/slipway.toml"),
        expected: Ok(Some("db/sqlx")),
    },
    Case {
        name: "SLIPWAY_CONFIG names a file that does not exist",
        files: &[],
        dirs: &["migrations"],
        migrations_dir_var: None,
        config_var: Some("config/none.toml"),
        expected: Err("config/none.toml"),
    },
    Case {
        name: "a setting names a folder that does not exist",
        files: &[("config/slipway.toml", "migrations_dir = \"none\"\n")],
        dirs: &["migrations"],
        migrations_dir_var: None,
        config_var: Some("config/slipway.toml"),
        expected: Err("config/none"),
    },
    Case {
        name: "a sqlx.toml sqlx refuses, even when the variable names the folder",
        files: &[("sqlx.toml", "[migrate]\nmigrations_dir = \"x\"\n")],
        dirs: &["sql"],
        migrations_dir_var: Some("sql"),
        config_var: None,
        expected: Err("sqlx.toml, line 2, key `migrate.migrations_dir`: unknown field"),
    },
    Case {
        name: "blank variables are unset",
        files: &[("slipway.toml", "migrations_dir = \"db/migrate\"\n")],
        dirs: &["db/migrate"],
        migrations_dir_var: Some(""),
        config_var: Some("  "),
        expected: Ok(Some("db/migrate")),
    },
    Case {
        name: "spaces and a newline around a variable's path are no part of it",
        files: &[("config/slipway.toml", "migrations_dir = \"../sql\"\n")],
        dirs: &["sql", "db/m"],
        migrations_dir_var: Some("db/m \n"),
        config_var: Some(" config/slipway.toml "),
        expected: Ok(Some("db/m")),
    },
    Case {
        name: "a settings file named with a trailing space",
        files: &[("config/slipway.toml", "migrations_dir = \"../sql\"\n")],
        dirs: &["sql"],
        migrations_dir_var: None,
        config_var: Some("config/slipway.toml "),
        expected: Ok(Some("sql")),
    },
    Case {
        name: "an empty folder in slipway.toml names no folder (not the app root)",
        files: &[("slipway.toml", "migrations_dir = \"\"\n")],
        dirs: &["migrations"],
        migrations_dir_var: None,
        config_var: None,
        expected: Err("is empty"),
    },
    Case {
        name: "an empty folder in sqlx.toml names no folder",
        files: &[("sqlx.toml", "[migrate]\nmigrations-dir = \" \"\n")],
        dirs: &["migrations"],
        migrations_dir_var: None,
        config_var: None,
        expected: Err("is empty"),
    },
    Case {
        name: "a folder setting that names a file",
        files: &[("slipway.toml", "migrations_dir = \"schema.sql\"\n"), ("schema.sql", "")],
        dirs: &["migrations"],
        migrations_dir_var: None,
        config_var: None,
        expected: Err("schema.sql is a file, not a folder"),
    },
];

/// A temporary app laid out as `case` says.
fn case_app(case: &Case) -> tempfile::TempDir {
    let app = tempfile::tempdir().unwrap();
    for dir in case.dirs {
        std::fs::create_dir_all(app.path().join(dir)).unwrap();
    }
    for (name, text) in case.files {
        let path = app.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    app
}

/// The folder `path` names, relative to `app` (`..` resolved, as the file system does).
// The release tool's test reads the folder from the binary's output instead.
#[allow(dead_code)]
fn folder_in(app: &tempfile::TempDir, path: &std::path::Path) -> std::path::PathBuf {
    let root = app.path().canonicalize().unwrap();
    path.canonicalize()
        .unwrap()
        .strip_prefix(root)
        .unwrap()
        .to_path_buf()
}
