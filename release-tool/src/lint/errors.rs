//! What a failed lint tells a person: its title, cause and fix.

use serde_json::json;

use crate::errors::{ExitClass, Failure};
use crate::lint::{LintError, Mode as LintMode};
use crate::redact::redact;
use slipway_contract::text::human_bytes;

impl From<LintError> for Failure {
    fn from(error: LintError) -> Self {
        let cause = error.to_string();
        match error {
            LintError::Unreadable(_) => Failure::new(
                ExitClass::Usage,
                "a file to lint cannot be read",
                cause,
                "Name readable UTF-8 .sql files (a line that is not UTF-8 is named above), or give no \
                 files to lint the migrations folder.",
            ),
            LintError::Facts(_) => Failure::new(
                ExitClass::Connect,
                "cannot read the tables' sizes",
                redact(&cause),
                "Check that the database is reachable and that the role can read pg_class, then run again. \
                 Nothing was changed.",
            ),
            LintError::TableLocked { .. } => Failure::new(
                ExitClass::Lock,
                "a table the migrations change is locked by another session",
                cause,
                "A blocking statement is only judged by the table's real size, and reading it waits for \
                 the lock, as the migration itself would. Find the session (`SELECT pid, query FROM \
                 pg_stat_activity JOIN pg_locks USING (pid) WHERE NOT granted OR mode = \
                 'AccessExclusiveLock'`), let it finish, and release again, or raise SLIPWAY_LOCK_WAIT. \
                 Nothing was changed.",
            ),
            LintError::Failed {
                failing,
                mode,
                max_size,
            } => {
                let why = match mode {
                    LintMode::Error => {
                        "SLIPWAY_LINT=error: every finding stops the release".to_owned()
                    }
                    LintMode::Warn | LintMode::Off => format!(
                        "these statements hold their lock while they scan or rewrite a table larger than \
                         SLIPWAY_LINT_BLOCKING_MAX_SIZE ({}), while the old dynos keep serving",
                        human_bytes(max_size)
                    ),
                };
                Failure::new(
                    ExitClass::Lint,
                    "unsafe migrations: the release stops before the backup, and nothing was changed",
                    format!("{why}:\n{}", failing.join("\n")),
                    "Rewrite each statement with the safe pattern printed above it. If you accept the risk \
                     (e.g. during a maintenance window), put `-- squawk-ignore <rule>` on the line before \
                     the statement, raise SLIPWAY_LINT_BLOCKING_MAX_SIZE, or set SLIPWAY_LINT=warn/off \
                     for this release.",
                )
                .with_details(json!({ "failing": failing }))
            }
        }
    }
}
