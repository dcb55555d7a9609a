//! `slipway-release lint`, and the `lint` step that `plan` and `run` take
//! after `plan` and before `backup`, so that a release that fails lint takes
//! no backup and changes nothing.
//!
//! With a database the command lints only the pending migrations and gives
//! each finding its table's live size; without one (no `DATABASE_URL`, or
//! `--offline`) it lints every up-migration, or the files it is given.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::json;
use slipway_contract::MigrationFormat;

use crate::config::Settings;
use crate::db::Session;
use crate::errors::Failure;
use crate::lint::{self, LintError, LintSettings, LintSource, Mode, Outcome, RuleSet, output};
use crate::migrations::Migration;
use crate::report::{Report, Status};

use super::steps::{self, Step, StepResult as _};

/// The `lint` command.
pub(crate) async fn lint(
    settings: &Settings,
    report: &mut Report,
    files: &[PathBuf],
    offline: bool,
) -> Result<(), Failure> {
    let connect = !offline && settings.database_url.is_some();
    if files.is_empty() && settings.migrations_format == MigrationFormat::Command {
        let _ = steps::load_migrations(settings, report)?;
        report.step(
            "lint",
            Status::Skipped,
            Instant::now(),
            "command format: there is no SQL to lint (name files to lint them)",
        );
        return Ok(());
    }
    let (sources, mut session) = if files.is_empty() {
        let migrations = steps::load_migrations(settings, report)?;
        if connect {
            let mut session = steps::connect(settings, report).await?;
            let applied = steps::read_history(&mut session.conn, &settings.history, report).await?;
            let plan = steps::compare_history(&migrations, &applied, &settings.history, report)?;
            (sources_of(plan.pending.iter().copied()), Some(session))
        } else {
            (lint::up_sources(&migrations), None)
        }
    } else {
        let source_step = Step::start("source");
        let sources = files
            .iter()
            .map(|path| lint::read_source(path, settings.migrations_format))
            .collect::<Result<Vec<_>, _>>()
            .or_fail(source_step, report)?;
        source_step.ok(report, &format!("{} file(s) named", sources.len()));
        let session = if connect {
            Some(steps::connect(settings, report).await?)
        } else {
            None
        };
        (sources, session)
    };
    step(session.as_mut(), settings, &sources, report).await
}

/// The `lint` step of `plan` and `run`, on the pending migrations.
pub(crate) async fn pending(
    session: &mut Session,
    settings: &Settings,
    pending: &[&Migration],
    report: &mut Report,
) -> Result<(), Failure> {
    if settings.lint.mode == Mode::Off {
        report.step("lint", Status::Skipped, Instant::now(), "SLIPWAY_LINT=off");
        return Ok(());
    }
    let sources = sources_of(pending.iter().copied());
    step(Some(session), settings, &sources, report).await
}

fn sources_of<'a>(migrations: impl Iterator<Item = &'a Migration>) -> Vec<LintSource> {
    migrations.map(LintSource::from).collect()
}

/// Lints `sources`, reads their tables' sizes when connected, prints every
/// finding, and fails (exit 9) when one would stop the release.
async fn step(
    session: Option<&mut Session>,
    settings: &Settings,
    sources: &[LintSource],
    report: &mut Report,
) -> Result<(), Failure> {
    let lint_step = Step::start("lint");
    let pg_version = session
        .as_ref()
        .and_then(|s| lint::squawk::pg_version(&s.server_version));
    let rules = RuleSet::new(
        settings.lock_timeout,
        settings.statement_timeout,
        pg_version,
        &settings.lint.rules,
    );
    let mut outcome = lint::lint_sources(sources, &rules);
    let connected = session.is_some();
    if let Some(session) = session {
        lint::facts::attach(&mut session.conn, &mut outcome, settings.lock_wait)
            .await
            .or_fail(lint_step, report)?;
    }
    print_outcome(&outcome, &settings.lint, report);
    let failing = outcome.failing(&settings.lint);
    let detail = summary(&outcome, failing.len(), connected);
    if failing.is_empty() {
        let status = if outcome.findings.is_empty() {
            Status::Ok
        } else {
            Status::Warning
        };
        lint_step.finish(report, status, &detail);
        return Ok(());
    }
    let error = LintError::Failed {
        failing: failing.iter().map(|f| output::headline(f)).collect(),
        mode: settings.lint.mode,
        max_size: settings.lint.blocking_max_size,
    };
    Err(lint_step.fail(report, error))
}

/// Prints the findings, the ignored ones and the notes, and lists them in the JSON.
fn print_outcome(outcome: &Outcome, settings: &LintSettings, report: &mut Report) {
    for finding in &outcome.findings {
        report.warn(&output::human(finding));
        report.annotate(&output::github(finding, finding.fails(settings)));
    }
    for note in &outcome.notes {
        report.warn(&output::note(note));
        report.annotate(&output::github_note(note));
    }
    for ignored in &outcome.ignored {
        report.note(&output::ignored(ignored));
    }
    report.set(
        "lint",
        json!({
            "mode": settings.mode.name(),
            "blocking_max_size": settings.blocking_max_size,
            "files": outcome.files,
            "findings": outcome.findings.iter().map(|f| output::to_json(f, settings)).collect::<Vec<_>>(),
            "ignored": outcome.ignored.iter().map(|f| output::to_json(f, settings)).collect::<Vec<_>>(),
            "notes": outcome.notes.iter().map(output::note).collect::<Vec<_>>(),
        }),
    );
}

/// The step's one-line summary.
fn summary(outcome: &Outcome, failing: usize, connected: bool) -> String {
    let sizes = if connected {
        "with live table sizes"
    } else {
        "without a database (no table sizes)"
    };
    let mut detail = format!(
        "{} finding(s) in {} migration(s), {sizes}",
        outcome.findings.len(),
        outcome.files
    );
    if !outcome.ignored.is_empty() {
        let _ = write!(detail, ", {} ignored", outcome.ignored.len());
    }
    if failing > 0 {
        let _ = write!(detail, "; {failing} stop the release");
    }
    detail
}
