//! The `checks` step: the extension works and no index is INVALID.

use std::fmt::Write as _;

use serde_json::json;
use sqlx::PgConnection;

use crate::checks;
use crate::errors::Failure;
use crate::pgvector::Requirement;
use crate::report::Report;

use super::{Step, StepResult as _};

/// The extension and schema checks.
pub(crate) async fn checks(
    conn: &mut PgConnection,
    requirement: &Requirement,
    report: &mut Report,
) -> Result<(), Failure> {
    let step = Step::start("checks");
    let summary = checks::run(conn, requirement).await.or_fail(step, report)?;
    report.set("checks", json!(summary));
    let mut detail = match (&summary.pgvector_version, summary.smoke_distance) {
        (Some(version), Some(distance)) => {
            format!("pgvector {version}, smoke query distance {distance:.6}, no INVALID indexes")
        }
        _ => "no INVALID indexes (pgvector not wanted)".to_owned(),
    };
    if !summary.indexes_being_built.is_empty() {
        let _ = write!(
            detail,
            "; being built by another session (INVALID until done, not counted): {}",
            summary.indexes_being_built.join(", ")
        );
    }
    step.ok(report, &detail);
    Ok(())
}
