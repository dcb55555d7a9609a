//! The `vector` extension before migrating: decide whether it is wanted and
//! which minimum version applies, then create or update it when needed and
//! possible. The rules for *which* features need *which* version live in the
//! shared `slipway-contract` crate, which the buildpack uses too.

use std::fmt;
use std::str::FromStr;

use slipway_contract::{VectorUsage, Version, scan_sql};
use sqlx::PgConnection;

use crate::migrations::Migration;

mod errors;

/// `SLIPWAY_PGVECTOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Mode {
    Off,
    Auto,
    Required,
}

impl Mode {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "off" => Ok(Mode::Off),
            "auto" => Ok(Mode::Auto),
            "required" => Ok(Mode::Required),
            _ => Err("not a pgvector mode".to_owned()),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Auto => "auto",
            Mode::Required => "required",
        }
    }
}

/// Whether the extension is wanted, the minimum version, and why.
#[derive(Debug, Clone)]
pub(crate) struct Requirement {
    pub(crate) wanted: bool,
    pub(crate) why: String,
    pub(crate) minimum: Option<Version>,
    pub(crate) minimum_why: Option<String>,
}

/// What the server offers and has.
#[derive(Debug, Clone, Default)]
pub(crate) struct ServerState {
    /// `default_version` in `pg_available_extensions`: what CREATE or UPDATE installs.
    pub(crate) available: Option<Version>,
    pub(crate) installed: Option<Version>,
    /// The schema the extension lives in, to qualify its type and operators.
    pub(crate) schema: Option<String>,
}

/// What to do to the extension before migrating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    Nothing,
    Create {
        version: Version,
    },
    Update {
        from: Version,
        to: Version,
    },
    /// A pending migration creates the extension itself (`file`, 1-based `line`).
    LeftToMigration {
        file: String,
        line: usize,
    },
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Nothing => f.write_str("nothing to do"),
            Action::Create { version } => write!(f, "CREATE EXTENSION vector (version {version})"),
            Action::Update { from, to } => {
                write!(f, "ALTER EXTENSION vector UPDATE ({from} -> {to})")
            }
            Action::LeftToMigration { file, line } => {
                write!(f, "CREATE EXTENSION left to {file}:{line}")
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum PgvectorError {
    #[error("the server does not offer the `vector` extension")]
    NotAvailable,
    #[error("pgvector {required} is required, but installed is {}, available is {}",
        show(.installed.as_ref()), show(.available.as_ref()))]
    TooOld {
        installed: Option<Version>,
        available: Option<Version>,
        required: Version,
        why: Option<String>,
    },
    #[error("{action} failed: {}", crate::errors::db_error(source))]
    Sql { action: String, source: sqlx::Error },
    #[error("the server reports pgvector version {text:?}, which is not X.Y.Z")]
    BadVersion { text: String },
}

/// `none` for a missing version, for messages.
pub(crate) fn show(version: Option<&Version>) -> String {
    version.map_or_else(|| "none".to_owned(), ToString::to_string)
}

/// The pgvector usage in the up-migrations (down migrations never run on release).
pub(crate) fn usage<'a>(migrations: impl IntoIterator<Item = &'a Migration>) -> VectorUsage {
    let findings = migrations
        .into_iter()
        .filter(|m| m.kind.is_up())
        .flat_map(|m| scan_sql(&m.file_name(), &m.sql).findings)
        .collect();
    VectorUsage { findings }
}

/// Whether the extension is wanted and at which minimum. In `auto` it is
/// wanted when the migrations use it, it is installed already, or a minimum
/// version was configured (the buildpack sets one when the app uses pgvector).
pub(crate) fn requirement(
    mode: Mode,
    configured_minimum: Option<&Version>,
    usage: &VectorUsage,
    installed: bool,
) -> Requirement {
    let (wanted, why) = match mode {
        Mode::Off => (false, "SLIPWAY_PGVECTOR=off".to_owned()),
        Mode::Required => (true, "SLIPWAY_PGVECTOR=required".to_owned()),
        Mode::Auto => match usage.findings.first() {
            Some(finding) => (
                true,
                format!(
                    "the migrations use it ({}:{}, {})",
                    finding.file, finding.line, finding.feature
                ),
            ),
            None if installed => (true, "it is installed".to_owned()),
            None if configured_minimum.is_some() => {
                (true, "a minimum version is configured".to_owned())
            }
            None => (
                false,
                "the migrations do not use it and it is not installed".to_owned(),
            ),
        },
    };
    let (minimum, minimum_why) = match configured_minimum {
        Some(version) => (
            Some(*version),
            Some("SLIPWAY_PGVECTOR_MIN_VERSION".to_owned()),
        ),
        None => (
            usage.minimum_version(),
            usage
                .minimum_reason()
                .map(|f| format!("{} at {}:{}", f.feature, f.file, f.line)),
        ),
    };
    Requirement {
        wanted,
        why,
        minimum,
        minimum_why,
    }
}

/// Decides what to do to reach `requirement` from `state`. `ALTER EXTENSION
/// vector UPDATE` installs the server's default version, so an update is only
/// possible when that version is new enough.
pub(crate) fn decide(
    requirement: &Requirement,
    state: &ServerState,
) -> Result<Action, PgvectorError> {
    if !requirement.wanted {
        return Ok(Action::Nothing);
    }
    let enough = |version: &Version| {
        requirement
            .minimum
            .as_ref()
            .is_none_or(|min| version >= min)
    };
    let too_old = |required: &Version| PgvectorError::TooOld {
        installed: state.installed,
        available: state.available,
        required: *required,
        why: requirement.minimum_why.clone(),
    };
    match (&state.installed, &state.available) {
        (Some(installed), _) if enough(installed) => Ok(Action::Nothing),
        (Some(installed), Some(available)) if enough(available) && available > installed => {
            Ok(Action::Update {
                from: *installed,
                to: *available,
            })
        }
        (None, Some(available)) if enough(available) => Ok(Action::Create {
            version: *available,
        }),
        (None, None) => Err(PgvectorError::NotAvailable),
        // Unreachable without a minimum: `enough` is then always true.
        _ => Err(requirement
            .minimum
            .as_ref()
            .map_or(PgvectorError::NotAvailable, too_old)),
    }
}

/// Reads what the server offers and has.
pub(crate) async fn server_state(conn: &mut PgConnection) -> Result<ServerState, PgvectorError> {
    let row: Option<(Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT a.default_version, a.installed_version, n.nspname::text
           FROM pg_available_extensions a
           LEFT JOIN pg_extension e ON e.extname = a.name
           LEFT JOIN pg_namespace n ON n.oid = e.extnamespace
          WHERE a.name = 'vector'",
    )
    .fetch_optional(conn)
    .await
    .map_err(|source| PgvectorError::Sql {
        action: "reading pg_available_extensions".to_owned(),
        source,
    })?;
    let Some((available, installed, schema)) = row else {
        return Ok(ServerState::default());
    };
    Ok(ServerState {
        available: available.as_deref().map(parse_version).transpose()?,
        installed: installed.as_deref().map(parse_version).transpose()?,
        schema,
    })
}

fn parse_version(text: &str) -> Result<Version, PgvectorError> {
    Version::from_str(text).map_err(|_| PgvectorError::BadVersion {
        text: text.to_owned(),
    })
}

/// Carries out `action`.
pub(crate) async fn carry_out(
    conn: &mut PgConnection,
    action: &Action,
) -> Result<(), PgvectorError> {
    let sql = match action {
        Action::Nothing | Action::LeftToMigration { .. } => return Ok(()),
        Action::Create { .. } => "CREATE EXTENSION IF NOT EXISTS vector",
        Action::Update { .. } => "ALTER EXTENSION vector UPDATE",
    };
    sqlx::raw_sql(sql)
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(|source| PgvectorError::Sql {
            action: sql.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use slipway_contract::{Feature, Finding};

    fn v(text: &str) -> Version {
        Version::from_str(text).unwrap()
    }

    fn wanted(minimum: Option<&str>) -> Requirement {
        Requirement {
            wanted: true,
            why: "test".to_owned(),
            minimum: minimum.map(v),
            minimum_why: None,
        }
    }

    fn state(installed: Option<&str>, available: Option<&str>) -> ServerState {
        ServerState {
            available: available.map(v),
            installed: installed.map(v),
            schema: installed.map(|_| "public".to_owned()),
        }
    }

    #[test]
    fn creates_a_missing_extension_when_the_default_is_new_enough() {
        let action = decide(&wanted(Some("0.5.0")), &state(None, Some("0.8.0"))).unwrap();
        assert_eq!(
            action,
            Action::Create {
                version: v("0.8.0")
            }
        );
    }

    #[test]
    fn updates_an_old_extension_only_when_the_server_offers_enough() {
        let action = decide(&wanted(Some("0.7.0")), &state(Some("0.5.1"), Some("0.8.0"))).unwrap();
        assert_eq!(
            action,
            Action::Update {
                from: v("0.5.1"),
                to: v("0.8.0")
            }
        );

        let err = decide(&wanted(Some("0.8.0")), &state(Some("0.5.1"), Some("0.7.4"))).unwrap_err();
        let PgvectorError::TooOld {
            installed,
            available,
            required,
            ..
        } = err
        else {
            panic!("expected TooOld, got {err:?}")
        };
        assert_eq!(
            (installed, available, required),
            (Some(v("0.5.1")), Some(v("0.7.4")), v("0.8.0"))
        );
    }

    #[test]
    fn leaves_a_new_enough_extension_alone() {
        assert_eq!(
            decide(&wanted(Some("0.5.0")), &state(Some("0.5.0"), Some("0.8.0"))).unwrap(),
            Action::Nothing
        );
        assert_eq!(
            decide(&wanted(None), &state(Some("0.4.0"), Some("0.8.0"))).unwrap(),
            Action::Nothing
        );
    }

    #[test]
    fn fails_when_the_server_does_not_offer_it_or_too_old() {
        assert!(matches!(
            decide(&wanted(None), &state(None, None)),
            Err(PgvectorError::NotAvailable)
        ));
        assert!(matches!(
            decide(&wanted(Some("0.9.0")), &state(None, Some("0.8.0"))),
            Err(PgvectorError::TooOld {
                installed: None,
                ..
            })
        ));
    }

    #[test]
    fn not_wanted_means_nothing_even_without_the_extension() {
        let mut requirement = wanted(Some("0.8.0"));
        requirement.wanted = false;
        assert_eq!(
            decide(&requirement, &state(None, None)).unwrap(),
            Action::Nothing
        );
    }

    #[test]
    fn auto_wants_it_when_used_installed_or_configured() {
        let none = VectorUsage { findings: vec![] };
        let hnsw = VectorUsage {
            findings: vec![Finding {
                file: "1_a.sql".to_owned(),
                line: 3,
                feature: Feature::Hnsw,
            }],
        };
        assert!(!requirement(Mode::Auto, None, &none, false).wanted);
        assert!(requirement(Mode::Auto, None, &none, true).wanted);
        assert!(requirement(Mode::Auto, Some(&v("0.7.0")), &none, false).wanted);
        let derived = requirement(Mode::Auto, None, &hnsw, false);
        assert!(derived.wanted);
        assert_eq!(derived.minimum, Some(v("0.5.0")));
        assert!(derived.minimum_why.unwrap().contains("1_a.sql:3"));
        assert_eq!(
            requirement(Mode::Auto, Some(&v("0.8.0")), &hnsw, false).minimum,
            Some(v("0.8.0"))
        );
        assert!(!requirement(Mode::Off, None, &hnsw, true).wanted);
        assert!(requirement(Mode::Required, None, &none, false).wanted);
    }
}
