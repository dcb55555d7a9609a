use super::*;
use indoc::indoc;

fn parse(text: &str) -> Result<SqlxToml, SqlxTomlError> {
    parse_sqlx_toml(PathBuf::from("sqlx.toml"), text)
}

#[test]
fn reads_the_migrate_keys_with_their_lines() {
    let file = parse(indoc! {r#"
        [common]
        database-url-var = "APP_DATABASE_URL"

        [migrate]
        table-name = "app._migrations"
        migrations-dir = "db/migrations"
        ignored-chars = ["\r", "\r"]
        create-schemas = ["b", "app", "b"]
        unrecognized-sql-files = "ignore"

        [migrate.defaults]
        migration-type = "reversible"
    "#})
    .unwrap();
    let migrate = file.migrate;
    assert_eq!(
        migrate.table_name,
        Some(Located {
            value: "app._migrations".to_owned(),
            line: 5
        })
    );
    assert_eq!(migrate.migrations_dir.unwrap().line, 6);
    assert_eq!(migrate.ignored_chars, BTreeSet::from(['\r']));
    assert_eq!(migrate.create_schemas, ["app", "b"]);
    assert_eq!(
        migrate.unrecognized_sql_files,
        Some(Located {
            value: UnrecognizedSqlFiles::Ignore,
            line: 9
        })
    );
}

#[test]
fn an_empty_file_is_the_default() {
    assert_eq!(parse("").unwrap().migrate, SqlxMigrate::default());
}

#[test]
fn mistakes_name_the_line_and_key() {
    let cases = [
        (
            "[migrate]\nunrecognized-sql-files = \"Warn\"\n",
            2,
            "migrate.unrecognized-sql-files",
            "unknown variant `Warn`",
        ),
        (
            "[migrate]\ntable_name = \"x\"\n",
            2,
            "migrate.table_name",
            "unknown field `table_name`",
        ),
        (
            "[migrate]\nignored-chars = [\"\\r\\n\"]\n",
            2,
            "migrate.ignored-chars",
            "expected a character",
        ),
        (
            "[migrate]\ntable-name = 3\n",
            2,
            "migrate.table-name",
            "invalid type: integer",
        ),
        (
            "[migrate]\ntable-name = \"a b\"\n",
            2,
            "migrate.table-name",
            "not a name sqlx can use",
        ),
        (
            "[migrate]\ntable-name = \"a.b.c.d\"\n",
            2,
            "migrate.table-name",
            "4 dot-separated parts",
        ),
        (
            "[migrate]\ncreate-schemas = [\"a.b\"]\n",
            2,
            "migrate.create-schemas",
            "(a schema name)",
        ),
        (
            "[migrate.defaults]\nmigration-type = \"up\"\n",
            2,
            "migrate.defaults.migration-type",
            "unknown variant `up`",
        ),
        (
            "\n[migrations]\n",
            2,
            "migrations",
            "unknown field `migrations`",
        ),
    ];
    for (text, line, key, problem) in cases {
        match parse(text) {
            Err(SqlxTomlError::Invalid {
                line: l,
                key: k,
                problem: p,
                ..
            }) => {
                assert_eq!((l, k.as_deref()), (line, Some(key)), "{text}: {p}");
                assert!(p.contains(problem), "{text}: {p}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn quoted_and_qualified_names_are_accepted() {
    for name in [
        "_sqlx_migrations",
        "app.history",
        "\"My Schema\".\"My \"\"T\"\"\"",
        "db.s.t",
        "café$1",
    ] {
        assert_eq!(check_name(name, 3), Ok(()), "{name}");
    }
    for name in ["", "a.", ".a", "\"\"", "\"open", "a;drop", "1a", "a b"] {
        assert!(check_name(name, 3).is_err(), "{name}");
    }
}
