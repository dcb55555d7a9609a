//! `sqlx.toml`, as sqlx 0.9.1 reads it (`sqlx-core/src/config/`, feature
//! `sqlx-toml`): sqlx-cli reads it from the current directory, and
//! `sqlx::migrate!()` from the crate root. The `[migrate]` keys change where
//! the migrations are, how their checksums are computed and which table holds
//! the history, so the release tool and the buildpack read them too.
//!
//! The structs below mirror sqlx's `Config` field for field, with the same
//! serde attributes, so a file sqlx rejects is rejected here (an unknown key
//! anywhere, a wrong type, an unknown enum value). The release tool's tests
//! compare the two parsers on the same files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::text::line_of;

/// The file's name; sqlx looks for it in the current directory (sqlx-cli) or
/// the crate root (`migrate!()`).
pub const SQLX_TOML: &str = "sqlx.toml";

/// sqlx's default history table.
pub const DEFAULT_TABLE_NAME: &str = "_sqlx_migrations";

/// A value and the 1-based line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Its line in the file.
    pub line: usize,
}

/// What `sqlx.toml` says about migrations (`[migrate]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlxMigrate {
    /// `table-name`: the history table, possibly schema-qualified and quoted.
    pub table_name: Option<Located<String>>,
    /// `migrations-dir`: relative to the folder that holds `sqlx.toml`.
    pub migrations_dir: Option<Located<String>>,
    /// `ignored-chars`: characters left out of every migration's checksum.
    pub ignored_chars: BTreeSet<char>,
    /// `create-schemas`: created (if missing) before the history table, in this order.
    pub create_schemas: Vec<String>,
    /// `unrecognized-sql-files` (sqlx 0.9.1): what to do with a `.sql` file whose name is not
    /// `<VERSION>_<DESCRIPTION>.sql`. `None` when the file does not set it.
    pub unrecognized_sql_files: Option<Located<UnrecognizedSqlFiles>>,
}

/// sqlx 0.9.1's `[migrate] unrecognized-sql-files`: what to do with a `.sql` file in the
/// migrations folder whose name is not `<VERSION>_<DESCRIPTION>.sql`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnrecognizedSqlFiles {
    /// sqlx refuses the folder, naming the file.
    Error,
    /// sqlx skips the file with a warning.
    Warn,
    /// sqlx skips the file without a word.
    Ignore,
}

impl UnrecognizedSqlFiles {
    /// The value as `sqlx.toml` writes it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Ignore => "ignore",
        }
    }
}

/// A `sqlx.toml` that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlxToml {
    /// The file.
    pub path: PathBuf,
    /// Its `[migrate]` table.
    pub migrate: SqlxMigrate,
    /// `[common] database-url-var`: the environment variable sqlx-cli reads
    /// the database URL from instead of `DATABASE_URL`.
    pub database_url_var: Option<Located<String>>,
}

/// A `sqlx.toml` that sqlx would not accept.
#[derive(Debug, thiserror::Error)]
pub enum SqlxTomlError {
    /// The file exists but cannot be read as UTF-8 text.
    #[error("cannot read {}: {source}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not what sqlx accepts.
    #[error("{}", located(path, *line, key.as_deref(), problem))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// The dotted key, when it can be told (`migrate.table-name`).
        key: Option<String>,
        /// What is wrong.
        problem: String,
    },
}

fn located(path: &Path, line: usize, key: Option<&str>, problem: &str) -> String {
    match key {
        Some(key) => format!("{}, line {line}, key `{key}`: {problem}", path.display()),
        None => format!("{}, line {line}: {problem}", path.display()),
    }
}

/// Reads `dir/sqlx.toml`, or `None` when there is none.
///
/// # Errors
///
/// The file exists but cannot be read, or sqlx would reject it.
pub fn read_sqlx_toml(dir: &Path) -> Result<Option<SqlxToml>, SqlxTomlError> {
    let path = dir.join(SQLX_TOML);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(SqlxTomlError::Unreadable { path, source }),
    };
    parse_sqlx_toml(path, &text).map(Some)
}

/// Parses the text of a `sqlx.toml` found at `path`.
///
/// # Errors
///
/// sqlx would reject the text, or a name in `[migrate]` is not one
/// PostgreSQL can use.
pub fn parse_sqlx_toml(path: PathBuf, text: &str) -> Result<SqlxToml, SqlxTomlError> {
    let file: File = toml::from_str(text).map_err(|error| {
        let offset = error.span().map_or(0, |span| span.start);
        SqlxTomlError::Invalid {
            line: line_of(text, offset),
            key: key_at(text, offset),
            problem: error.message().trim().to_owned(),
            path: path.clone(),
        }
    })?;
    let migrate = &file.migrate;
    let invalid = |spanned_start: usize, key: &str, problem: String| SqlxTomlError::Invalid {
        path: path.clone(),
        line: line_of(text, spanned_start),
        key: Some(key.to_owned()),
        problem,
    };
    if let Some(name) = &migrate.table_name {
        check_name(name.get_ref(), 3)
            .map_err(|problem| invalid(name.span().start, "migrate.table-name", problem))?;
    }
    let mut create_schemas = Vec::new();
    for schema in &migrate.create_schemas {
        check_name(schema.get_ref(), 1)
            .map_err(|problem| invalid(schema.span().start, "migrate.create-schemas", problem))?;
        create_schemas.push(schema.get_ref().clone());
    }
    // sqlx keeps them in a `BTreeSet`: sorted, each once.
    create_schemas.sort();
    create_schemas.dedup();
    let locate = |value: &Spanned<String>| Located {
        value: value.get_ref().clone(),
        line: line_of(text, value.span().start),
    };
    Ok(SqlxToml {
        migrate: SqlxMigrate {
            table_name: migrate.table_name.as_ref().map(locate),
            migrations_dir: migrate.migrations_dir.as_ref().map(locate),
            ignored_chars: migrate.ignored_chars.clone(),
            create_schemas,
            unrecognized_sql_files: migrate
                .unrecognized_sql_files
                .as_ref()
                .map(|value| Located {
                    value: *value.get_ref(),
                    line: line_of(text, value.span().start),
                }),
        },
        database_url_var: file.common.database_url_var.as_ref().map(locate),
        path,
    })
}

/// Checks that `name` is a PostgreSQL name of at most `parts` dot-separated
/// identifiers, each plain (`foo`) or double-quoted (`"My Table"`). sqlx
/// pastes the name into its SQL as it is, so anything else would fail there,
/// or run more than the name.
fn check_name(name: &str, parts: usize) -> Result<(), String> {
    let mut count = 0;
    let mut rest = name;
    loop {
        count += 1;
        rest = identifier(rest)
            .map_err(|problem| format!("`{name}` is not a name sqlx can use: {problem}"))?;
        match rest.strip_prefix('.') {
            Some(after) => rest = after,
            None if rest.is_empty() => break,
            None => {
                return Err(format!(
                    "`{name}` is not a name sqlx can use: unexpected `{rest}` (quote a name that has spaces or \
                     other characters, as in \"\\\"My Table\\\"\")"
                ));
            }
        }
    }
    if count > parts {
        return Err(format!(
            "`{name}` has {count} dot-separated parts; at most {parts} {}",
            if parts == 1 {
                "(a schema name)"
            } else {
                "(schema.table)"
            }
        ));
    }
    Ok(())
}

/// Consumes one identifier at the start of `text`; returns the rest.
fn identifier(text: &str) -> Result<&str, String> {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut chars = quoted.char_indices();
        while let Some((index, c)) = chars.next() {
            if c != '"' {
                continue;
            }
            if quoted[index + 1..].starts_with('"') {
                chars.next();
                continue;
            }
            if index == 0 {
                return Err("an empty quoted identifier".to_owned());
            }
            return Ok(&quoted[index + 1..]);
        }
        return Err("a `\"` is not closed".to_owned());
    }
    let end = text
        .char_indices()
        .find(|&(index, c)| {
            let allowed =
                c == '_' || c.is_alphabetic() || (index > 0 && (c.is_ascii_digit() || c == '$'));
            !allowed
        })
        .map_or(text.len(), |(index, _)| index);
    if end == 0 {
        return Err("an empty part, or one that starts with neither a letter nor `_`".to_owned());
    }
    Ok(&text[end..])
}

/// The dotted key on the line of `offset` (`migrate.table-name`), from the
/// table header above it and the key before `=`; `None` when the line holds
/// neither.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("").trim();
    if let Some(header) = table_header(line) {
        return Some(header);
    }
    let key = line
        .split_once('=')
        .map(|(key, _)| key.trim().trim_matches('"'))?;
    let table = text[..start]
        .lines()
        .rev()
        .find_map(|l| table_header(l.trim()));
    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key.to_owned(),
    })
}

/// `migrate` for `[migrate]`, `a.b` for `[[a.b]]`.
fn table_header(line: &str) -> Option<String> {
    let inner = line.strip_prefix('[')?.split(']').next()?;
    Some(inner.trim_start_matches('[').trim().to_owned())
}

// sqlx-core 0.9 `config/mod.rs` and its sub-modules, with the same serde attributes. The
// fields the tools do not use are read only so that what sqlx rejects is rejected.

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
#[allow(dead_code)]
struct File {
    common: Common,
    drivers: Drivers,
    macros: Macros,
    migrate: Migrate,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
#[allow(dead_code)]
struct Common {
    database_url_var: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
#[allow(dead_code)]
struct Drivers {
    mysql: NoFields,
    postgres: NoFields,
    sqlite: Sqlite,
    // `#[serde(transparent)]` over `BTreeMap<String, toml::Table>`.
    external: BTreeMap<String, toml::Table>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
struct NoFields {}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
#[allow(dead_code)]
struct Sqlite {
    unsafe_load_extensions: Vec<SqliteExtension>,
}

#[derive(Deserialize)]
#[serde(untagged, deny_unknown_fields)]
#[allow(dead_code)]
enum SqliteExtension {
    Path(String),
    PathWithEntrypoint { path: String, entrypoint: String },
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
#[allow(dead_code)]
struct Macros {
    preferred_crates: PreferredCrates,
    type_overrides: BTreeMap<String, String>,
    table_overrides: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
#[allow(dead_code)]
struct PreferredCrates {
    date_time: DateTimeCrate,
    numeric: NumericCrate,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "snake_case")]
enum DateTimeCrate {
    #[default]
    Inferred,
    Chrono,
    Time,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "snake_case")]
enum NumericCrate {
    #[default]
    Inferred,
    #[serde(rename = "bigdecimal")]
    BigDecimal,
    RustDecimal,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
#[allow(dead_code)]
struct Migrate {
    // sqlx: `BTreeSet<Box<str>>`; a list keeps each name's position for messages.
    create_schemas: Vec<Spanned<String>>,
    table_name: Option<Spanned<String>>,
    migrations_dir: Option<Spanned<String>>,
    ignored_chars: BTreeSet<char>,
    defaults: MigrationDefaults,
    // sqlx 0.9.1.
    unrecognized_sql_files: Option<Spanned<UnrecognizedSqlFiles>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "kebab-case")]
#[allow(dead_code)]
struct MigrationDefaults {
    migration_type: DefaultMigrationType,
    migration_versioning: DefaultVersioning,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "snake_case")]
enum DefaultMigrationType {
    #[default]
    Inferred,
    Simple,
    Reversible,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "snake_case")]
enum DefaultVersioning {
    #[default]
    Inferred,
    Timestamp,
    Sequential,
}

#[cfg(test)]
mod tests;
