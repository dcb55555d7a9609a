//! Compares the migrations folder with the history and decides what `run`
//! will do. Pure: no database access, so every rule is unit-tested.
//!
//! The rules follow sqlx's `Migrator::run_direct`, with one deliberate
//! difference for Heroku rollbacks:
//! - a failed (`success = false`) row makes the history unusable (sqlx: `Dirty`);
//! - an applied up-migration whose file's checksum differs is drift (sqlx:
//!   `VersionMismatch`);
//! - applied migrations missing from the folder mean the code is older than the
//!   database, which is what a Heroku rollback or a config-var change on an old
//!   release looks like. sqlx fails (`VersionMissing`); slipway warns and
//!   applies nothing. If the folder *also* has pending migrations, the two
//!   histories have diverged and slipway refuses;
//! - every up-migration (simple or `.up.sql`) not in the history is pending,
//!   in version order, even if older than the newest applied one (as sqlx).

use std::collections::{BTreeSet, HashMap};

use super::history::Applied;
use super::sqlx::source::checksum;
use super::{Migration, Version};

/// What `run` will do.
#[derive(Debug, Default)]
pub(crate) struct Plan<'a> {
    pub(crate) pending: Vec<&'a Migration>,
    /// Applied migrations the folder does not have (a rollback release).
    pub(crate) unknown_applied: Vec<Applied>,
    pub(crate) applied_count: usize,
}

/// An applied migration whose file changed.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Mismatch {
    pub(crate) version: Version,
    pub(crate) file: String,
    pub(crate) applied_checksum: String,
    pub(crate) file_checksum: String,
    /// The file matches the applied checksum once its line endings are converted.
    pub(crate) line_endings_only: bool,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanError {
    #[error("migration {version} ({description}) is recorded as failed (success = false)")]
    Dirty {
        version: Version,
        description: String,
    },
    #[error("{} applied migration(s) changed since they ran", .0.len())]
    Drift(Vec<Mismatch>),
    #[error(
        "the database has migrations the code does not, and the code has migrations the database does not"
    )]
    Diverged {
        unknown_applied: Vec<Applied>,
        pending: Vec<(Version, String)>,
    },
}

/// What a history with versions the folder lacks allows, by the tool's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// sqlx: a rollback release may apply nothing (sqlx fails with `VersionMissing`).
    BlocksPending,
    /// Diesel: `pending_migrations` ignores the versions it does not know, so
    /// an app that pruned or squashed old migration folders keeps releasing.
    Ignored,
}

/// Compares the migrations folder with the history table: decides what to
/// apply, or why nothing may be applied.
pub(crate) fn compare<'a>(
    migrations: &'a [Migration],
    applied: &[Applied],
    unknown: Unknown,
) -> Result<Plan<'a>, PlanError> {
    if let Some(dirty) = applied.iter().find(|row| !row.success) {
        return Err(PlanError::Dirty {
            version: dirty.version.clone(),
            description: dirty.description.clone(),
        });
    }
    let by_version: HashMap<&Version, &Applied> =
        applied.iter().map(|row| (&row.version, row)).collect();
    let up: Vec<&Migration> = migrations.iter().filter(|m| m.kind.is_up()).collect();

    // Diesel keeps no checksums: its rows have none to compare.
    let mismatches: Vec<Mismatch> = up
        .iter()
        .filter_map(|m| by_version.get(&m.version).map(|row| (m, row)))
        .filter_map(|(m, row)| row.checksum.as_ref().map(|sum| (m, sum)))
        .filter(|(m, sum)| m.checksum != **sum)
        .map(|(m, sum)| mismatch(m, sum))
        .collect();
    if !mismatches.is_empty() {
        return Err(PlanError::Drift(mismatches));
    }

    // sqlx's `validate_applied_migrations` looks for the version among all
    // resolved migrations, down ones included.
    let unknown_applied: Vec<Applied> = applied
        .iter()
        .filter(|row| !migrations.iter().any(|m| m.version == row.version))
        .cloned()
        .collect();
    let pending: Vec<&Migration> = up
        .into_iter()
        .filter(|m| !by_version.contains_key(&m.version))
        .collect();

    if unknown == Unknown::BlocksPending && !unknown_applied.is_empty() && !pending.is_empty() {
        return Err(PlanError::Diverged {
            unknown_applied,
            pending: pending
                .iter()
                .map(|m| (m.version.clone(), m.file_name()))
                .collect(),
        });
    }
    Ok(Plan {
        pending,
        unknown_applied,
        applied_count: applied.len(),
    })
}

fn mismatch(migration: &Migration, applied_checksum: &[u8]) -> Mismatch {
    Mismatch {
        version: migration.version.clone(),
        file: migration.file_name(),
        applied_checksum: hex::encode(applied_checksum),
        file_checksum: hex::encode(&migration.checksum),
        line_endings_only: differs_only_in_line_endings(&migration.sql, applied_checksum),
    }
}

/// Whether converting the file's line endings (CRLF to LF or LF to CRLF)
/// gives the applied checksum: the usual `core.autocrlf` accident.
// Without `ignored-chars`: with `\r` ignored, line endings cannot cause drift.
fn differs_only_in_line_endings(sql: &str, applied_checksum: &[u8]) -> bool {
    let lf = sql.replace("\r\n", "\n");
    let crlf = lf.replace('\n', "\r\n");
    let none = BTreeSet::new();
    checksum(&lf, &none) == applied_checksum || checksum(&crlf, &none) == applied_checksum
}

#[cfg(test)]
mod tests {
    use super::super::source::Kind;
    use super::*;
    use std::path::PathBuf;

    fn migration(version: i64, kind: Kind, sql: &str) -> Migration {
        Migration {
            version: Version::Number(version),
            description: format!("m{version}"),
            kind,
            sql: sql.to_owned(),
            checksum: checksum(sql, &BTreeSet::new()),
            no_tx: false,
            path: PathBuf::from(format!("{version}_m{version}.sql")),
            name: format!("{version}_m{version}.sql"),
            refusal: None,
            marker: crate::migrations::source::NoTxMarker::SqlxComment,
        }
    }

    fn applied(version: i64, sql: &str) -> Applied {
        Applied {
            version: Version::Number(version),
            description: format!("m{version}"),
            success: true,
            checksum: Some(checksum(sql, &BTreeSet::new())),
        }
    }

    fn diesel(version: &str, sql: &str) -> Migration {
        Migration {
            version: Version::Text(version.to_owned()),
            checksum: Vec::new(),
            name: format!("{version}_m/up.sql"),
            ..migration(0, Kind::Simple, sql)
        }
    }

    fn diesel_row(version: &str) -> Applied {
        Applied {
            version: Version::Text(version.to_owned()),
            description: String::new(),
            success: true,
            checksum: None,
        }
    }

    #[test]
    fn diesel_versions_match_as_text_and_have_no_checksums() {
        let ms = vec![
            diesel("00000000000000", "a"),
            diesel("20240101000000", "edited since it ran"),
            diesel("202401020000000000", "c"),
        ];
        let plan = compare(
            &ms,
            &[diesel_row("00000000000000"), diesel_row("20240101000000")],
            Unknown::Ignored,
        )
        .unwrap();
        let pending: Vec<String> = plan.pending.iter().map(|m| m.version.to_string()).collect();
        assert_eq!(pending, ["202401020000000000"]);
        // Versions the folder lacks do not stop pending ones, as in Diesel.
        let plan = compare(&ms[2..], &[diesel_row("1")], Unknown::Ignored).unwrap();
        assert_eq!(plan.pending.len(), 1);
        assert_eq!(plan.unknown_applied.len(), 1);
        // A database ahead of the code: a rollback, as for sqlx.
        let plan = compare(
            &ms[..1],
            &[diesel_row("00000000000000"), diesel_row("1")],
            Unknown::Ignored,
        )
        .unwrap();
        assert_eq!(plan.unknown_applied.len(), 1);
    }

    #[test]
    fn pending_are_unapplied_up_migrations_in_order() {
        let ms = vec![
            migration(1, Kind::Simple, "a"),
            migration(2, Kind::ReversibleUp, "b"),
            migration(2, Kind::ReversibleDown, "b-down"),
            migration(3, Kind::Simple, "c"),
        ];
        let plan = compare(
            &ms,
            &[applied(1, "a"), applied(3, "c")],
            Unknown::BlocksPending,
        )
        .unwrap();
        let pending: Vec<_> = plan
            .pending
            .iter()
            .map(|m| (m.version.clone(), m.kind))
            .collect();
        assert_eq!(pending, vec![(Version::Number(2), Kind::ReversibleUp)]);
        assert!(plan.unknown_applied.is_empty());
    }

    #[test]
    fn a_database_ahead_of_the_code_is_a_rollback_not_an_error() {
        let ms = vec![migration(1, Kind::Simple, "a")];
        let plan = compare(
            &ms,
            &[applied(1, "a"), applied(2, "b")],
            Unknown::BlocksPending,
        )
        .unwrap();
        assert!(plan.pending.is_empty());
        assert_eq!(plan.unknown_applied.len(), 1);
        assert_eq!(plan.unknown_applied[0].version, Version::Number(2));
    }

    #[test]
    fn unknown_applied_plus_pending_is_divergence() {
        let ms = vec![
            migration(1, Kind::Simple, "a"),
            migration(3, Kind::Simple, "c"),
        ];
        let err = compare(
            &ms,
            &[applied(1, "a"), applied(2, "b")],
            Unknown::BlocksPending,
        )
        .unwrap_err();
        assert!(matches!(err, PlanError::Diverged { .. }));
    }

    #[test]
    fn changed_files_are_drift_and_line_endings_are_recognised() {
        let ms = vec![
            migration(1, Kind::Simple, "SELECT 1;\r\nSELECT 2;\r\n"),
            migration(2, Kind::Simple, "SELECT 3;"),
        ];
        let err = compare(
            &ms,
            &[
                applied(1, "SELECT 1;\nSELECT 2;\n"),
                applied(2, "SELECT 4;"),
            ],
            Unknown::BlocksPending,
        )
        .unwrap_err();
        let PlanError::Drift(mismatches) = err else {
            panic!("expected drift, got {err:?}")
        };
        assert_eq!(mismatches.len(), 2);
        assert!(mismatches[0].line_endings_only);
        assert!(!mismatches[1].line_endings_only);
        assert_eq!(
            mismatches[1].file_checksum,
            hex::encode(checksum("SELECT 3;", &BTreeSet::new()))
        );
        assert_eq!(
            mismatches[1].applied_checksum,
            hex::encode(checksum("SELECT 4;", &BTreeSet::new()))
        );
    }

    #[test]
    fn a_failed_row_makes_the_history_unusable() {
        let ms = vec![migration(1, Kind::Simple, "a")];
        let mut row = applied(1, "a");
        row.success = false;
        assert!(matches!(
            compare(&ms, &[row], Unknown::BlocksPending),
            Err(PlanError::Dirty {
                version: Version::Number(1),
                ..
            })
        ));
    }
}
