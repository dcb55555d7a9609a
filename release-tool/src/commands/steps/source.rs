//! The `source` step: the migrations folder, read with sqlx's rules.

use serde_json::json;

use crate::config::Settings;
use crate::errors::Failure;
use crate::migrations::{self, Migration, source};
use crate::report::Report;

use super::{Step, StepResult as _};

/// Reads the migrations folder (sqlx's rules), warning about each file sqlx
/// ignores although it looks like a migration.
pub(crate) fn load_migrations(
    settings: &Settings,
    report: &mut Report,
) -> Result<Vec<Migration>, Failure> {
    let step = Step::start("source");
    let source::Source {
        migrations,
        ignored,
    } = source::load(&settings.migrations_dir, &settings.sqlx.ignored_chars)
        .or_fail(step, report)?;
    for file in &ignored {
        report.warn(&migrations::errors::ignored_file_warning(file));
    }
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
    let detail = if migrations.is_empty() && !settings.migrations_dir.path.exists() {
        format!(
            "no migrations folder at {}: nothing to migrate",
            settings.migrations_dir.path.display()
        )
    } else {
        format!(
            "{up} migration(s) in {}",
            settings.migrations_dir.path.display()
        )
    };
    step.ok(report, &detail);
    Ok(migrations)
}
