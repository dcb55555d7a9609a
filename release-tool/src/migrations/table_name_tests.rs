//! Every message about a migration or the history names the history table
//! sqlx.toml configures (`table-name`), never `_sqlx_migrations` by default.

use super::Version;
use super::apply::{ApplyError, ServerError};
use super::errors::apply_failure;
use super::errors::plan_failure;
use super::history::HistoryTable;
use super::plan::{Mismatch, PlanError};
use super::sqlx::history::SqlxTable;
use crate::errors::Failure;

const TABLE: &str = "meta.\"History\"";

fn history() -> HistoryTable {
    HistoryTable::Sqlx(SqlxTable {
        name: TABLE.to_owned(),
        create_schemas: Vec::new(),
    })
}

fn server_error(code: &str) -> ServerError {
    ServerError {
        code: code.to_owned(),
        message: "boom".to_owned(),
        detail: None,
        hint: None,
        line: Some(1),
        column: Some(1),
        internal_query: None,
    }
}

fn lost() -> sqlx::Error {
    sqlx::Error::Protocol("the connection was lost".to_owned())
}

/// One of each `ApplyError`, and the server errors that change the fix.
fn every_apply_error() -> Vec<ApplyError> {
    let file = || "7_a.sql".to_owned();
    let mut errors = Vec::new();
    for no_tx in [false, true] {
        for code in ["42601", "55P03", "57014", "57P01"] {
            errors.push(ApplyError::Rejected {
                file: file(),
                version: Version::Number(7),
                no_tx,
                error: server_error(code),
            });
        }
    }
    errors.extend([
        ApplyError::Failed {
            file: file(),
            version: Version::Number(7),
            source: lost(),
        },
        ApplyError::BeginFailed {
            file: file(),
            version: Version::Number(7),
            source: lost(),
        },
        ApplyError::RecordRolledBack {
            file: file(),
            version: Version::Number(7),
            source: lost(),
        },
        ApplyError::CommitRejected {
            file: file(),
            version: Version::Number(7),
            error: server_error("23503"),
        },
        ApplyError::CommitUnknown {
            file: file(),
            version: Version::Number(7),
            source: lost(),
        },
        ApplyError::TimeNotStored {
            file: file(),
            version: Version::Number(7),
            source: lost(),
        },
        ApplyError::NotRecorded {
            file: file(),
            version: Version::Number(7),
            table: TABLE.to_owned(),
            description: "a".to_owned(),
            checksum: vec![1, 2],
            source: lost(),
        },
    ]);
    errors
}

fn every_plan_error() -> Vec<PlanError> {
    vec![
        PlanError::Dirty {
            version: Version::Number(7),
            description: "a".to_owned(),
        },
        PlanError::Drift(vec![Mismatch {
            version: Version::Number(7),
            file: "7_a.sql".to_owned(),
            applied_checksum: "aa".to_owned(),
            file_checksum: "bb".to_owned(),
            line_endings_only: true,
        }]),
        PlanError::Diverged {
            unknown_applied: Vec::new(),
            pending: vec![(Version::Number(8), "8_b.sql".to_owned())],
        },
    ]
}

fn text(failure: &Failure) -> String {
    format!("{}\n{}\n{}", failure.title, failure.cause, failure.fix)
}

#[test]
fn no_message_names_the_default_history_table_when_another_is_configured() {
    let failures = every_apply_error()
        .into_iter()
        .map(|e| apply_failure(e, &history()))
        .chain(
            every_plan_error()
                .into_iter()
                .map(|e| plan_failure(&e, TABLE)),
        );
    let mut naming_it = 0;
    for failure in failures {
        let text = text(&failure);
        assert!(!text.contains("_sqlx_migrations"), "{text}");
        naming_it += usize::from(text.contains(TABLE));
    }
    assert!(naming_it >= 12, "only {naming_it} messages name the table");
}

#[test]
fn the_commit_unknown_query_reads_the_configured_table() {
    let failure = apply_failure(
        ApplyError::CommitUnknown {
            file: "7_a.sql".to_owned(),
            version: Version::Number(7),
            source: lost(),
        },
        &history(),
    );
    assert_eq!(failure.class.code(), 12);
    assert!(
        failure
            .fix
            .contains("SELECT version FROM meta.\"History\" WHERE version = 7"),
        "{}",
        failure.fix
    );
}
