//! `slipway.toml`: read, checked for unknown keys, and each value kept with
//! the line it is on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use slipway_contract::Given;
use toml::Spanned;

use super::setting::About;
use super::table::{self, file_keys};
use super::{ConfigError, Origin, Raw};
use slipway_contract::text::line_of;

/// The key the file must not hold (a password would get committed).
pub(super) const REFUSED_KEY: &str = "database_url";

/// The settings file, loaded, with the path and text needed to name lines.
pub(super) struct LoadedFile {
    path: PathBuf,
    text: String,
    /// Each key's value, with its position so that a bad one can be reported
    /// with its line.
    values: BTreeMap<String, Spanned<toml::Value>>,
}

impl LoadedFile {
    /// The value `key` has in the file, as text with its origin.
    pub(super) fn raw(&self, key: &'static str) -> Result<Raw, ConfigError> {
        let Some(value) = self.values.get(key) else {
            return Ok(None);
        };
        let origin = Origin::File {
            path: self.path.clone(),
            line: line_of(&self.text, value.span().start),
            key,
        };
        match value.get_ref() {
            toml::Value::String(text) => Ok(Some((text.clone(), origin))),
            toml::Value::Integer(number) => Ok(Some((number.to_string(), origin))),
            other => Err(ConfigError::InvalidValue {
                origin,
                value: other.to_string(),
                problem: format!(
                    "expected a string or a number, found {}",
                    slipway_contract::text::a_toml_type(other)
                ),
                expected: "a quoted string such as \"5m\"",
            }),
        }
    }

    /// The setting's value in the file, if the file may set it.
    pub(super) fn setting(&self, about: &About) -> Result<Raw, ConfigError> {
        let Some(key) = about.file_key else {
            return Ok(None);
        };
        self.raw(key).map_err(|error| match error {
            // A value of the wrong type is not registered as a secret: not echoed at all.
            ConfigError::InvalidValue {
                origin,
                problem,
                expected,
                ..
            } if about.secret.is_some() => ConfigError::InvalidValue {
                origin,
                value: "(not shown: it may hold a secret)".to_owned(),
                problem,
                expected,
            },
            other => other,
        })
    }
}

/// Reads `slipway.toml` (or the file named by `--config`, already trimmed by the shared
/// rule that also finds the migrations folder in it). A missing default file is fine; a
/// missing explicit one is an error.
pub(super) fn load(explicit: Option<&Given>) -> Result<Option<LoadedFile>, ConfigError> {
    let (path, required) = match explicit {
        Some(given) => (PathBuf::from(given.value()), true),
        None => (PathBuf::from((table::CONFIG_FILE.default)()), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => return Ok(None),
        Err(source) => return Err(ConfigError::FileUnreadable { path, source }),
    };
    parse(path, text).map(Some)
}

/// Parses a settings file's text, naming the line of a syntax error or an
/// unknown key.
fn parse(path: PathBuf, text: String) -> Result<LoadedFile, ConfigError> {
    reject_unknown_keys(&path, &text)?;
    let values = toml::from_str(&text).map_err(|e| ConfigError::FileInvalid {
        line: e.span().map_or(1, |span| line_of(&text, span.start)),
        message: e.message().trim().to_owned(),
        path: path.clone(),
    })?;
    register_secrets(&values);
    Ok(LoadedFile { path, text, values })
}

/// Registers the credentials in the file's secret-bearing settings (a
/// `backup = "s3://KEY:SECRET@..."`) before anything can print them: a
/// message about another setting, or this one's refusal, may quote them.
fn register_secrets(values: &BTreeMap<String, Spanned<toml::Value>>) {
    for about in table::ALL.iter().map(|setting| setting.about()) {
        if let (Some(register), Some(key)) = (about.secret, about.file_key)
            && let Some(toml::Value::String(value)) = values.get(key).map(Spanned::get_ref)
        {
            register(value);
        }
    }
}

/// Fails on the first key (in file order) that `slipway.toml` does not
/// accept, naming its line and the nearest accepted key. Syntax errors are
/// left to the parse that follows, which names their line.
fn reject_unknown_keys(path: &Path, text: &str) -> Result<(), ConfigError> {
    let Ok(table) = toml::de::DeTable::parse(text) else {
        return Ok(());
    };
    let mut unknown: Vec<(usize, String)> = table
        .get_ref()
        .keys()
        .filter(|key| {
            let name: &str = key.get_ref();
            name != REFUSED_KEY && !file_keys().any(|known| known == name)
        })
        .map(|key| (key.span().start, key.get_ref().to_string()))
        .collect();
    unknown.sort();
    match unknown.into_iter().next() {
        None => Ok(()),
        Some((offset, key)) => Err(ConfigError::UnknownKey {
            path: path.to_owned(),
            line: line_of(text, offset),
            suggestion: nearest_key(&key),
            key,
        }),
    }
}

/// The accepted key closest to `key`, when it is close enough to be a typo
/// (`lock_wiat`, `migrations-dir`, `migrations`).
fn nearest_key(key: &str) -> Option<&'static str> {
    let typed = key.to_ascii_lowercase().replace('-', "_");
    file_keys()
        .map(|known| (edit_distance(&typed, known), known))
        .filter(|(distance, known)| {
            *distance <= (known.len() / 3).max(2)
                || (typed.len() >= 4 && (known.starts_with(&typed) || typed.starts_with(known)))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

/// Levenshtein distance between `a` and `b`, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// Parses `slipway.toml` text and every value in it with the parser its
/// setting declares, touching no file or folder (the config fuzz target).
pub(crate) fn parse_file_text(text: &str) -> Result<(), ConfigError> {
    let loaded = parse(
        PathBuf::from((table::CONFIG_FILE.default)()),
        text.to_owned(),
    )?;
    loaded.raw(REFUSED_KEY)?;
    for setting in &table::ALL {
        let about = setting.about();
        if let Some((value, origin)) = loaded.setting(about)? {
            setting
                .check(&value)
                .map_err(|problem| ConfigError::InvalidValue {
                    origin,
                    value,
                    problem,
                    expected: about.expected,
                })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_key_names_its_line_and_the_nearest_accepted_key() {
        let error = |text: &str| parse_file_text(text).unwrap_err().to_string();
        assert_eq!(
            error("lock_wait = \"2m\"\n\n lock_wiat = \"3m\"\n"),
            "slipway.toml, line 3: unknown key `lock_wiat`; did you mean `lock_wait`?"
        );
        for typo in [
            "migrations-dir",
            "migration_dir",
            "migrations",
            "MIGRATIONS_DIR",
        ] {
            assert!(
                error(&format!("{typo} = \"db\"")).ends_with("did you mean `migrations_dir`?"),
                "{typo}"
            );
        }
        assert_eq!(
            error("colour = \"blue\""),
            "slipway.toml, line 1: unknown key `colour`"
        );
        // database_url is not an unknown key (`resolve` refuses it with its
        // own message), and it is never suggested.
        assert!(parse_file_text("database_url = \"x\"").is_ok());
        assert!(!error("database_ur = \"x\"").contains("database_url"));
    }

    #[test]
    fn a_secret_bearing_key_of_the_wrong_type_is_not_echoed() {
        for text in [
            "backup = [\"s3://AKIAXYZ:wJalrXUtnFEMI K7MDENG@bucket/p\"]",
            "backup = { a = \"s3://AKIAXYZ:wJalrXUtnFEMI@bucket/p\" }",
        ] {
            let message = parse_file_text(text).unwrap_err().to_string();
            assert!(
                !message.contains("AKIAXYZ") && !message.contains("wJalr"),
                "{message}"
            );
            assert!(message.contains("key `backup`"), "{message}");
        }
    }

    #[test]
    fn every_declared_key_is_checked_with_its_parser() {
        for key in file_keys() {
            let message =
                parse_file_text(&format!("\n{key} = \"-not valid-\"\n")).map_err(|e| e.to_string());
            if key == "migrations_dir" || key == "migrate_command" {
                // Its folder is checked where it is resolved, not here; any text is a command.
                assert_eq!(message, Ok(()));
            } else {
                let message = message.unwrap_err();
                assert!(
                    message.starts_with(&format!("slipway.toml, line 2, key `{key}`: invalid")),
                    "{message}"
                );
            }
        }
    }
}
