//! Where the app's migrations are, found with the release tool's precedence, so the build
//! wires `release` and scans for pgvector in the folder the release phase will migrate from:
//! `SLIPWAY_MIGRATIONS_DIR` (a config var, seen by the build and the release alike), then
//! `migrations_dir` in `slipway.toml` (relative to that file), then `migrations-dir` in
//! `sqlx.toml` (read with the release tool's parser, `slipway_pgvector_scan::read_sqlx_toml`),
//! then `migrations/`.

use slipway_pgvector_scan::text::line_of;
use slipway_pgvector_scan::{SQLX_TOML, SqlxTomlError, read_sqlx_toml};
use std::path::{Path, PathBuf};

/// The migrations folder and which setting chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MigrationsDir {
    pub(crate) path: PathBuf,
    /// `None` for the default `migrations/`, which may be absent.
    pub(crate) origin: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum MigrationsDirError {
    #[error("{file}, line {line}: {problem}")]
    BadFile {
        file: String,
        line: usize,
        problem: String,
    },
    #[error("{origin} is `{value}`, but {} is not a folder in the app", path.display())]
    Missing {
        origin: String,
        value: String,
        path: PathBuf,
    },
    /// `sqlx.toml` is one sqlx (and the release phase) would refuse.
    #[error("{0}")]
    SqlxToml(String),
}

/// The release tool's config file, at the app root.
const CONFIG_FILE: &str = "slipway.toml";

/// Finds the migrations folder in `app_dir`; `env_value` is `SLIPWAY_MIGRATIONS_DIR`.
pub(crate) fn locate_migrations_dir(
    app_dir: &Path,
    env_value: Option<&str>,
) -> Result<MigrationsDir, MigrationsDirError> {
    // Read even when another setting wins: the release phase refuses a bad sqlx.toml, so the
    // build should too.
    let sqlx_dir = read_sqlx_migrations_dir(app_dir)?;
    let configured = match env_value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => Some((value.to_string(), "SLIPWAY_MIGRATIONS_DIR".to_string())),
        None => read_config_file(app_dir)?.or(sqlx_dir),
    };
    let Some((value, origin)) = configured else {
        return Ok(MigrationsDir {
            path: app_dir.join("migrations"),
            origin: None,
        });
    };
    // At release time the app dir is the working directory, so both forms are relative to it.
    let path = app_dir.join(value.trim_start_matches("./"));
    if !path.is_dir() {
        return Err(MigrationsDirError::Missing {
            origin,
            value,
            path: path.strip_prefix(app_dir).unwrap_or(&path).to_path_buf(),
        });
    }
    Ok(MigrationsDir {
        path,
        origin: Some(origin),
    })
}

/// `[migrate] migrations-dir` from `sqlx.toml`, if the file sets it.
fn read_sqlx_migrations_dir(
    app_dir: &Path,
) -> Result<Option<(String, String)>, MigrationsDirError> {
    let file = read_sqlx_toml(app_dir).map_err(|error| {
        MigrationsDirError::SqlxToml(match error {
            SqlxTomlError::Invalid {
                line, key, problem, ..
            } => match key {
                Some(key) => format!("{SQLX_TOML}, line {line}, key `{key}`: {problem}"),
                None => format!("{SQLX_TOML}, line {line}: {problem}"),
            },
            SqlxTomlError::Unreadable { source, .. } => {
                format!("{SQLX_TOML} cannot be read: {source}")
            }
        })
    })?;
    Ok(file
        .and_then(|file| file.migrate.migrations_dir)
        .map(|dir| {
            (
                dir.value,
                format!("`migrations-dir` in {SQLX_TOML}, line {}", dir.line),
            )
        }))
}

/// The one key of the release tool's `slipway.toml` the build needs; the release tool checks
/// the others.
#[derive(Debug, serde::Deserialize)]
struct ConfigFile {
    migrations_dir: Option<toml::Spanned<toml::Value>>,
}

/// `migrations_dir` from `slipway.toml`, if the file sets it.
fn read_config_file(app_dir: &Path) -> Result<Option<(String, String)>, MigrationsDirError> {
    let Ok(text) = std::fs::read_to_string(app_dir.join(CONFIG_FILE)) else {
        return Ok(None);
    };
    let bad = |offset: usize, problem: String| MigrationsDirError::BadFile {
        file: CONFIG_FILE.to_string(),
        line: line_of(&text, offset),
        problem,
    };
    let file: ConfigFile = toml::from_str(&text).map_err(|error| {
        let offset = error.span().map_or(0, |span| span.start);
        bad(offset, error.message().to_string())
    })?;
    let Some(value) = file.migrations_dir else {
        return Ok(None);
    };
    match value.get_ref() {
        toml::Value::String(path) => Ok(Some((
            path.clone(),
            format!("`migrations_dir` in {CONFIG_FILE}"),
        ))),
        other => Err(bad(
            value.span().start,
            format!(
                "`migrations_dir` must be a string (a folder path), not a {}",
                other.type_str()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(files: &[(&str, &str)], dirs: &[&str]) -> tempfile::TempDir {
        let app = tempfile::tempdir().unwrap();
        for dir in dirs {
            std::fs::create_dir_all(app.path().join(dir)).unwrap();
        }
        for (name, text) in files {
            std::fs::write(app.path().join(name), text).unwrap();
        }
        app
    }

    #[test]
    fn the_variable_wins_over_the_file_and_the_file_over_the_default() {
        let app = app(
            &[("slipway.toml", "migrations_dir = \"db/migrate\"\n")],
            &["db/migrate", "sql"],
        );
        let from_env = locate_migrations_dir(app.path(), Some("./sql")).unwrap();
        assert_eq!(from_env.path, app.path().join("sql"));
        assert_eq!(from_env.origin.as_deref(), Some("SLIPWAY_MIGRATIONS_DIR"));
        let from_file = locate_migrations_dir(app.path(), None).unwrap();
        assert_eq!(from_file.path, app.path().join("db/migrate"));
        assert_eq!(
            from_file.origin.as_deref(),
            Some("`migrations_dir` in slipway.toml")
        );
        let default = locate_migrations_dir(&app.path().join("sql"), None).unwrap();
        assert_eq!(default.origin, None);
    }

    #[test]
    fn sqlx_toml_comes_after_slipway_toml_and_before_the_default() {
        let app = app(
            &[("sqlx.toml", "[migrate]\nmigrations-dir = \"db/sqlx\"\n")],
            &["db/sqlx", "db/slipway"],
        );
        let from_sqlx = locate_migrations_dir(app.path(), None).unwrap();
        assert_eq!(from_sqlx.path, app.path().join("db/sqlx"));
        assert_eq!(
            from_sqlx.origin.as_deref(),
            Some("`migrations-dir` in sqlx.toml, line 2")
        );
        std::fs::write(
            app.path().join("slipway.toml"),
            "migrations_dir = \"db/slipway\"\n",
        )
        .unwrap();
        let from_slipway = locate_migrations_dir(app.path(), None).unwrap();
        assert_eq!(from_slipway.path, app.path().join("db/slipway"));
        let missing = self::app(
            &[("sqlx.toml", "[migrate]\nmigrations-dir = \"db/none\"\n")],
            &[],
        );
        assert_eq!(
            locate_migrations_dir(missing.path(), None)
                .unwrap_err()
                .to_string(),
            "`migrations-dir` in sqlx.toml, line 2 is `db/none`, but db/none is not a folder in the app"
        );
    }

    #[test]
    fn a_sqlx_toml_sqlx_refuses_fails_the_build_even_when_not_needed() {
        let app = app(
            &[("sqlx.toml", "[migrate]\nmigrations_dir = \"x\"\n")],
            &["sql"],
        );
        let error = locate_migrations_dir(app.path(), Some("sql")).unwrap_err();
        assert!(
            error.to_string().starts_with(
                "sqlx.toml, line 2, key `migrate.migrations_dir`: unknown field `migrations_dir`"
            ),
            "{error}"
        );
    }

    #[test]
    fn a_missing_folder_or_a_bad_file_names_the_setting() {
        let app = app(
            &[("slipway.toml", "lint = \"warn\"\nmigrations_dir = 3\n")],
            &[],
        );
        assert_eq!(
            locate_migrations_dir(app.path(), None)
                .unwrap_err()
                .to_string(),
            "slipway.toml, line 2: `migrations_dir` must be a string (a folder path), not a integer"
        );
        assert_eq!(
            locate_migrations_dir(app.path(), Some("db/none"))
                .unwrap_err()
                .to_string(),
            "SLIPWAY_MIGRATIONS_DIR is `db/none`, but db/none is not a folder in the app"
        );
        let broken = self::app(&[("slipway.toml", "a = 1\nmigrations_dir = \n")], &[]);
        let error = locate_migrations_dir(broken.path(), None).unwrap_err();
        assert!(
            error.to_string().starts_with("slipway.toml, line 2: "),
            "{error}"
        );
    }
}
