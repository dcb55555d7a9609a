//! Where the app's migrations are, found with the release tool's precedence, so the build
//! wires `release` and scans for pgvector in the folder the release phase will migrate from:
//! `SLIPWAY_MIGRATIONS_DIR` (a config var, seen by the build and the release alike), then
//! `migrations_dir` in `slipway.toml` (relative to that file), then `migrations/`.

use crate::toolchain_file::line_of;
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
}

/// The release tool's config file, at the app root.
const CONFIG_FILE: &str = "slipway.toml";

/// Finds the migrations folder in `app_dir`; `env_value` is `SLIPWAY_MIGRATIONS_DIR`.
pub(crate) fn locate_migrations_dir(
    app_dir: &Path,
    env_value: Option<&str>,
) -> Result<MigrationsDir, MigrationsDirError> {
    let configured = match env_value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => Some((value.to_string(), "SLIPWAY_MIGRATIONS_DIR".to_string())),
        None => read_config_file(app_dir)?,
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
