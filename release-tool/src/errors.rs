//! The exit code of each class of failure, and the one place that renders
//! every failure for people (`Failure::render`, `Failure::to_json`). Each
//! module's own errors become a `Failure` (title, cause, fix) beside them, in
//! that module's `errors.rs`; what they share (`server_said`) is here.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::redact::redact;

/// The documented exit codes. Stable: scripts rely on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitClass {
    /// 0: everything succeeded.
    Ok,
    /// 1: a bug in slipway-release.
    Internal,
    /// 2: a usage or configuration mistake.
    Usage,
    /// 3: the database could not be reached.
    Connect,
    /// 4: the migration lock was not acquired in time.
    Lock,
    /// 5: the backup (or restore) failed; no migration ran.
    Backup,
    /// 6: drift: a recorded migration changed, or the history is unusable.
    Drift,
    /// 7: a migration failed; it was rolled back or never started (unless
    /// `-- no-transaction`: then whatever ran before the error stays).
    Migration,
    /// 8: an extension or schema check failed.
    Check,
    /// 9: lint found migrations that would stop the release; nothing changed.
    Lint,
    /// 10: a migration was applied and recorded, but storing its execution
    /// time failed; the migrations after it did not run.
    AppliedNotTimed,
    /// 11: a `-- no-transaction` migration ran, but recording it in
    /// `_sqlx_migrations` failed: applied, not recorded.
    AppliedNotRecorded,
    /// 12: the connection failed during a migration's COMMIT: it and its
    /// history row committed together or not at all.
    CommitUnknown,
    /// 13: a restore through Heroku's API started but did not finish: the
    /// database may be partly restored.
    RestoreIncomplete,
}

impl ExitClass {
    /// The process exit code.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            ExitClass::Ok => 0,
            ExitClass::Internal => 1,
            ExitClass::Usage => 2,
            ExitClass::Connect => 3,
            ExitClass::Lock => 4,
            ExitClass::Backup => 5,
            ExitClass::Drift => 6,
            ExitClass::Migration => 7,
            ExitClass::Check => 8,
            ExitClass::Lint => 9,
            ExitClass::AppliedNotTimed => 10,
            ExitClass::AppliedNotRecorded => 11,
            ExitClass::CommitUnknown => 12,
            ExitClass::RestoreIncomplete => 13,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ExitClass::Ok => "ok",
            ExitClass::Internal => "internal",
            ExitClass::Usage => "usage",
            ExitClass::Connect => "connect",
            ExitClass::Lock => "lock",
            ExitClass::Backup => "backup",
            ExitClass::Drift => "drift",
            ExitClass::Migration => "migration",
            ExitClass::Check => "check",
            ExitClass::Lint => "lint",
            ExitClass::AppliedNotTimed => "applied_not_timed",
            ExitClass::AppliedNotRecorded => "applied_not_recorded",
            ExitClass::CommitUnknown => "commit_unknown",
            ExitClass::RestoreIncomplete => "restore_incomplete",
        }
    }
}

/// A failure, ready to print: what happened, why, and what to do.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) class: ExitClass,
    pub(crate) title: String,
    pub(crate) cause: String,
    pub(crate) fix: String,
    /// Structured facts for the JSON document.
    pub(crate) details: Value,
}

impl Failure {
    pub(crate) fn new(
        class: ExitClass,
        title: impl Into<String>,
        cause: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            class,
            title: title.into(),
            cause: cause.into(),
            fix: fix.into(),
            details: Value::Null,
        }
    }

    pub(crate) fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// A bug in slipway-release rather than a problem with the user's setup.
    pub(crate) fn internal(cause: impl Into<String>) -> Self {
        Self::new(
            ExitClass::Internal,
            "internal error in slipway-release",
            cause,
            "This is a bug in slipway-release, not in your app or settings. Please report it with this output.",
        )
    }

    /// The text printed on stderr.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        if self.class == ExitClass::Internal {
            let _ = writeln!(
                out,
                "\nslipway-release: INTERNAL ERROR (a bug, please report it)"
            );
        } else {
            let _ = writeln!(out, "\nslipway-release: error: {}", self.title);
        }
        let _ = writeln!(out, "  cause: {}", indent(&self.cause));
        let _ = writeln!(out, "  fix:   {}", indent(&self.fix));
        let _ = write!(
            out,
            "  exit code {} ({})",
            self.class.code(),
            self.class.name()
        );
        redact(&out)
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({
            "class": self.class.name(),
            "exit_code": self.class.code(),
            "title": self.title,
            "cause": self.cause,
            "fix": self.fix,
            "details": self.details,
        })
    }
}

fn indent(text: &str) -> String {
    text.replace('\n', "\n         ")
}

/// `--format github` with a command other than `lint`.
pub(crate) fn github_format_not_for(command: &str) -> Failure {
    Failure::new(
        ExitClass::Usage,
        "`--format github` is only for `lint`",
        format!("`{command}` prints steps, not annotations"),
        "Use `--format human` or `--format json` here, and `slipway-release lint --format github` \
         in a pull-request workflow.",
    )
}

/// A sqlx error for people. An error from the server reads as its message,
/// SQLSTATE, detail and hint: sqlx's own text appends the line of the
/// PostgreSQL *source file* that raised it ("... at line 334"), which is
/// about the server's C code, not about anything the user wrote.
pub(crate) fn server_said(error: &sqlx::Error) -> String {
    let Some(server) = from_the_server(error) else {
        return error.to_string();
    };
    let mut text = format!(
        "the server said: {} (SQLSTATE {})",
        server.message(),
        server.code()
    );
    for (label, value) in [("detail", server.detail()), ("hint", server.hint())] {
        if let Some(value) = value {
            let _ = write!(text, "; {label}: {value}");
        }
    }
    text
}

/// A sqlx error for a message: an error from the server as `ERROR 42P01:
/// message`, without the line of the PostgreSQL *source file* that raised it,
/// which sqlx's `Display` appends ("... at line 3099") and which is about the
/// server's C code, not about anything the user wrote; any other error as it
/// reads. Every message that shows a sqlx error goes through this (or
/// [`server_said`]).
pub(crate) fn db_error(error: &sqlx::Error) -> String {
    let Some(server) = from_the_server(error) else {
        return error.to_string();
    };
    format!(
        "{} {}: {}",
        severity_label(server.severity()),
        server.code(),
        server.message()
    )
}

/// The server's error, when `error` is one PostgreSQL sent.
fn from_the_server(error: &sqlx::Error) -> Option<&sqlx::postgres::PgDatabaseError> {
    error
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>())
}

fn severity_label(severity: sqlx::postgres::PgSeverity) -> &'static str {
    use sqlx::postgres::PgSeverity;
    match severity {
        PgSeverity::Panic => "PANIC",
        PgSeverity::Fatal => "FATAL",
        PgSeverity::Error => "ERROR",
        PgSeverity::Warning => "WARNING",
        PgSeverity::Notice => "NOTICE",
        PgSeverity::Debug => "DEBUG",
        PgSeverity::Info => "INFO",
        PgSeverity::Log => "LOG",
    }
}

/// An error and its sources, `a: b: c`, skipping a source whose text the
/// previous message already holds (the detail, such as a refused TLS
/// certificate, is often deep in the chain).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    for cause in std::iter::successors(Some(error), |e| e.source()).skip(1) {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error with an optional source, for chains.
    #[derive(Debug)]
    struct Link(&'static str, Option<Box<Link>>);

    impl std::fmt::Display for Link {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Link {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn error_chain_joins_the_sources_and_skips_what_is_already_said() {
        let deep = Link("invalid peer certificate", None);
        let said = Link(
            "tcp connect error: invalid peer certificate",
            Some(Box::new(deep)),
        );
        let top = Link("error sending request", Some(Box::new(said)));
        assert_eq!(
            error_chain(&top),
            "error sending request: tcp connect error: invalid peer certificate"
        );
        assert_eq!(error_chain(&Link("alone", None)), "alone");
    }
}
