//! The `source` step: the migrations folder, read with the rules of the app's
//! migration tool, and which tool that is and why.

use serde_json::json;
use slipway_contract::MigrationFormat;

use crate::config::Settings;
use crate::errors::Failure;
use crate::migrations::{self, Migration, source};
use crate::report::Report;

use super::{Step, StepResult as _};

/// Reads the migrations folder (the format's rules), warning about each file
/// the tool ignores or misreads although it looks like a migration.
pub(crate) fn load_migrations(
    settings: &Settings,
    report: &mut Report,
) -> Result<Vec<Migration>, Failure> {
    let step = Step::start("source");
    let format = settings.migrations_format;
    let reading = source::Reading {
        format,
        ignored_chars: &settings.sqlx.ignored_chars,
        unrecognized_sql_files: settings.sqlx.unrecognized_sql_files.as_ref(),
    };
    let source::Source {
        migrations,
        ignored,
        warnings,
    } = source::load(&settings.migrations_dir, reading).or_fail(step, report)?;
    for file in ignored.iter().filter(|file| file.is_warned()) {
        report.warn(&migrations::errors::ignored_file_warning(file));
    }
    for warning in &warnings {
        report.warn(warning);
    }
    report.set(
        "migrations_format",
        json!({ "format": format.name(), "why": settings.format_origin.to_string() }),
    );
    report.set(
        "ignored_files",
        json!(
            ignored
                .iter()
                .map(|f| json!({ "file": f.file_name, "rule": f.rule.name(), "why": f.rule.to_string() }))
                .collect::<Vec<_>>()
        ),
    );
    let up = migrations.iter().filter(|m| m.kind.is_up()).count();
    let why = &settings.format_origin;
    let detail = if format == MigrationFormat::Command {
        format!(
            "command format ({why}): the app's own migrator runs; there is no SQL to read, so lint \
             and the pending plan are skipped"
        )
    } else if migrations.is_empty() && !settings.migrations_dir.path.exists() {
        format!(
            "{} format ({why}); no migrations folder at {}: nothing to migrate",
            format.name(),
            settings.migrations_dir.path.display()
        )
    } else {
        format!(
            "{} format ({why}); {up} migration(s) in {}",
            format.name(),
            settings.migrations_dir.path.display()
        )
    };
    step.ok(report, &detail);
    Ok(migrations)
}
