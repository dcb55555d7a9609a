//! The steps the commands share, one file per family, in the order of the
//! release flow (`run.rs`). Each step records one line (name, status,
//! duration, detail) in the report through a [`Step`], and returns a
//! [`Failure`] with the step's exit class when it fails.

mod backup;
mod checks;
mod command;
mod history;
mod migrate;
mod pgvector;
mod session;
mod source;

use std::time::Instant;

use crate::errors::Failure;
use crate::report::{Report, Status};

pub(crate) use backup::{
    Pending, backup_before_migrating, backup_database, backup_not_needed, take_backup,
};
pub(crate) use checks::checks;
pub(crate) use command::{run_migrate_command, skip_for_command};
pub(crate) use history::{check_history_schema, compare_history, read_history};
pub(crate) use migrate::migrate;
pub(crate) use pgvector::{pgvector_ensure, pgvector_pre};
pub(crate) use session::{connect, lock, unlock};
pub(crate) use source::load_migrations;

/// A step under way: its name and when it started. It records its own
/// outcome as one line of the report.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    name: &'static str,
    started: Instant,
}

impl Step {
    /// Starts the step `name` now.
    pub(crate) fn start(name: &'static str) -> Self {
        Self::started_at(name, Instant::now())
    }

    /// The step `name`, timed from `started` (an attempt that began earlier).
    pub(crate) fn started_at(name: &'static str, started: Instant) -> Self {
        Self { name, started }
    }

    /// Records the step as ended with `status` and `detail`.
    pub(crate) fn finish(self, report: &mut Report, status: Status, detail: &str) {
        report.step(self.name, status, self.started, detail);
    }

    /// Records the step as done, with `detail`.
    pub(crate) fn ok(self, report: &mut Report, detail: &str) {
        self.finish(report, Status::Ok, detail);
    }

    /// Records the step as failed (the line shows the failure's title) and
    /// passes the failure on.
    pub(crate) fn fail(self, report: &mut Report, error: impl Into<Failure>) -> Failure {
        let failure = error.into();
        report.step(self.name, Status::Failed, self.started, &failure.title);
        failure
    }
}

/// The result of a step's work: an error records the step as failed.
pub(crate) trait StepResult<T> {
    /// `Ok` as it is; an error becomes a [`Failure`], recorded as the
    /// outcome of `step`.
    fn or_fail(self, step: Step, report: &mut Report) -> Result<T, Failure>;
}

impl<T, E: Into<Failure>> StepResult<T> for Result<T, E> {
    fn or_fail(self, step: Step, report: &mut Report) -> Result<T, Failure> {
        self.map_err(|e| step.fail(report, e))
    }
}
