//! Every message a person reads when something goes wrong, and the exit code
//! of each class of failure. Module errors carry facts; this file turns them
//! into a title, the cause and the fix.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::backup::{BackupError, HerokuError, S3Error};
use crate::checks::{CheckError, InvalidIndex};
use crate::db::ConnectError;
use crate::lint::output::show_bytes;
use crate::lint::{LintError, Mode as LintMode};
use crate::lock::LockError;
use crate::migrations::apply::{ApplyError, ServerError};
use crate::migrations::blockers::Blocker;
use crate::migrations::history::Applied;
use crate::migrations::leftovers::Cleanup;
use crate::migrations::plan::PlanError;
use crate::migrations::retry::Next;
use crate::migrations::source::SourceError;
use crate::pgvector::{PgvectorError, show};
use crate::redact::redact;
use slipway_pgvector_scan::{FilesError, IgnoredFile};

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

    fn with_details(mut self, details: Value) -> Self {
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
                        show_bytes(max_size)
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

impl From<SourceError> for Failure {
    fn from(error: SourceError) -> Self {
        let fix = match &error {
            SourceError::Files(FilesError::BadVersion { .. }) => {
                "Name migration files <VERSION>_<DESCRIPTION>.sql with an integer VERSION, as `sqlx migrate add` does \
                 (e.g. 20240101120000_create_users.sql)."
            }
            SourceError::DuplicateVersion { .. } => {
                "Give each migration its own version: rename one of the two files (if the other was already \
                 applied somewhere, keep that one's name)."
            }
            SourceError::Files(
                FilesError::Unreadable { .. } | FilesError::UnreadableEntry { .. },
            )
            | SourceError::UnreadableFile { .. } => {
                "Make the migrations folder and its files readable, and the files UTF-8 text."
            }
            SourceError::Files(FilesError::NotUtf8Name { .. }) => {
                "Rename the file with a UTF-8 name (the description is stored in _sqlx_migrations), \
                 e.g. 20240101120000_create_users.sql."
            }
            SourceError::NotUtf8 { .. } => {
                "Save the file as UTF-8 (PostgreSQL and sqlx read migrations as UTF-8 text); the first \
                 byte that is not UTF-8 is on the line named above."
            }
        };
        Failure::new(
            ExitClass::Usage,
            "the migrations folder cannot be used",
            error.to_string(),
            fix,
        )
    }
}

impl From<ConnectError> for Failure {
    fn from(error: ConnectError) -> Self {
        let class = ExitClass::Connect;
        let cause = error.to_string();
        match error {
            ConnectError::Url(_) => Failure::new(
                ExitClass::Usage,
                "the database URL is invalid",
                cause,
                "Set DATABASE_URL to postgres://USER:PASSWORD@HOST:PORT/DATABASE.",
            ),
            ConnectError::Timeout { .. } => Failure::new(
                class,
                "the database did not answer in time",
                cause,
                "Check that the host and port in DATABASE_URL are right and reachable from here. \
                 Raise --connect-timeout / SLIPWAY_CONNECT_TIMEOUT if the server is just slow.",
            ),
            ConnectError::Failed { source, .. } => Failure::new(
                class,
                if tls_refused(&source) {
                    "the server's TLS certificate was not accepted"
                } else {
                    "cannot connect to the database"
                },
                cause,
                connect_fix(&source),
            ),
            ConnectError::Setup { .. } => Failure::new(
                class,
                "the database session could not be set up",
                cause,
                "Check that the database user may run SET and read current_setting().",
            ),
        }
    }
}

/// A sqlx error for people. An error from the server reads as its message,
/// SQLSTATE, detail and hint: sqlx's own text appends the line of the
/// PostgreSQL *source file* that raised it ("... at line 334"), which is
/// about the server's C code, not about anything the user wrote.
pub(crate) fn server_said(error: &sqlx::Error) -> String {
    let Some(server) = error
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>())
    else {
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

/// Whether the TLS handshake refused the server's certificate. sqlx reports
/// rustls' verdict as an I/O error ("invalid peer certificate: ..."), not as
/// `Error::Tls`, so the text is all there is to go on.
fn tls_refused(source: &sqlx::Error) -> bool {
    matches!(source, sqlx::Error::Io(e) if e.to_string().contains("peer certificate"))
}

fn connect_fix(source: &sqlx::Error) -> &'static str {
    if tls_refused(source) {
        return "With sslmode=verify-full the server's certificate must be signed by the CA in sslrootcert \
                and issued for the host name in DATABASE_URL (connect by that name, not by an IP address it \
                does not list); verify-ca checks only the CA, as require does when sslrootcert is set. Fix \
                sslrootcert or the host, or use sslmode=require to encrypt without verifying (Heroku's default).";
    }
    match source {
        sqlx::Error::Tls(_) => {
            "The TLS handshake failed. Check sslmode in DATABASE_URL; with sslmode=verify-ca or verify-full, \
             set sslrootcert to the CA that signed the server's certificate."
        }
        sqlx::Error::Database(_) => {
            "The server refused the login. Check the user, password and database name in DATABASE_URL \
             (on Heroku, run `heroku config:get DATABASE_URL`)."
        }
        _ => {
            "Check that the host and port in DATABASE_URL are right, the server is running, and it accepts \
              connections from here."
        }
    }
}

impl From<LockError> for Failure {
    fn from(error: LockError) -> Self {
        match &error {
            LockError::Timeout { holder, .. } => {
                let who = holder.as_ref().map_or_else(
                    || "The holder released it before it could be identified.".to_owned(),
                    |h| {
                        format!(
                            "It is held by PostgreSQL backend pid {} (application_name {:?}, state {}, connected since {}).",
                            h.pid,
                            h.application_name.as_deref().unwrap_or(""),
                            h.state.as_deref().unwrap_or("unknown"),
                            h.backend_start.as_deref().unwrap_or("unknown"),
                        )
                    },
                );
                let pid = holder.as_ref().map(|h| h.pid);
                Failure::new(
                    ExitClass::Lock,
                    "the migration lock is held by someone else",
                    format!("{error}. {who}"),
                    "Another release or an app running sqlx::migrate!() is migrating this database. Wait for it \
                     and release again, or raise --lock-wait / SLIPWAY_LOCK_WAIT. If that session is stuck, end \
                     it with SELECT pg_terminate_backend(PID).",
                )
                .with_details(json!({ "holder": holder, "holder_pid": pid }))
            }
            LockError::Database(_) => Failure::new(
                ExitClass::Lock,
                "taking the migration lock failed",
                error.to_string(),
                "Check that the database user may call pg_try_advisory_lock().",
            ),
        }
    }
}

/// The history table could not be read.
pub(crate) fn history_unreadable(table: &str, source: &sqlx::Error) -> Failure {
    Failure::new(
        ExitClass::Drift,
        "the migration history cannot be read",
        format!("reading the history table {table} failed: {source}"),
        format!(
            "{table} must be the table sqlx creates (version, description, installed_on, success, \
             checksum, execution_time). Check its owner and privileges, and that no other table of that name \
             comes first on the search_path (`table-name` in sqlx.toml names another table)."
        ),
    )
}

/// The warning for a rollback release: what slipway does, and what an app
/// that migrates at boot must do to start on this database.
pub(crate) fn rollback_warning(unknown_applied: &[Applied]) -> String {
    let listed: Vec<String> = unknown_applied
        .iter()
        .map(|a| format!("{} ({})", a.version, a.description))
        .collect();
    format!(
        "the database has {} migration(s) this code does not know: {}. This is a rollback (or a config \
         change on an older release): nothing will be applied or reverted, and the checks still run. \
         An app that also runs sqlx::migrate!().run() at boot will fail to start on this database: sqlx's \
         Migrator refuses it with VersionMissing. Let it accept a newer database: \
         `let mut migrator = sqlx::migrate!(); migrator.set_ignore_missing(true); migrator.run(&pool).await?;`.",
        listed.len(),
        listed.join(", ")
    )
}

/// The warning for a file sqlx ignores although it looks like a migration.
pub(crate) fn ignored_file_warning(file: &IgnoredFile) -> String {
    format!(
        "{} is not a migration for sqlx, which ignores it: {}. Rename it <VERSION>_<DESCRIPTION>.sql \
         (as `sqlx migrate add` does) if it is one, or move it out of the migrations folder.",
        file.file_name, file.rule
    )
}

impl From<PlanError> for Failure {
    fn from(error: PlanError) -> Self {
        let class = ExitClass::Drift;
        match error {
            PlanError::Dirty { version, ref description } => Failure::new(
                class,
                "the migration history is unusable",
                format!("{error}: a migration was left half-applied ({version} {description})"),
                format!(
                    "Check what migration {version} changed and undo or finish it by hand, then \
                     DELETE FROM _sqlx_migrations WHERE version = {version} (or the `table-name` of sqlx.toml; \
                     sqlx refuses this state too)."
                ),
            )
            .with_details(json!({ "dirty_version": version })),
            PlanError::Drift(ref mismatches) => {
                let mut cause = format!("{error}:");
                let mut crlf = false;
                for m in mismatches {
                    let _ = write!(
                        cause,
                        "\n{} (version {})\n  checksum in _sqlx_migrations: {}\n  checksum of the file now:     {}",
                        m.file, m.version, m.applied_checksum, m.file_checksum
                    );
                    if m.line_endings_only {
                        crlf = true;
                        cause.push_str("\n  the file differs only in line endings (CRLF vs LF)");
                    }
                }
                let mut fix = "An applied migration must never change: restore the file to what was applied \
                               (git log -p on it), and put new changes in a new migration."
                    .to_owned();
                if crlf {
                    fix.push_str(
                        " Line endings changed: check git's core.autocrlf and add `*.sql -text` (or `eol=lf`) \
                         to .gitattributes so the file keeps the bytes it was applied with.",
                    );
                } else {
                    fix.push_str(" If the file only changed in whitespace or line endings, check .gitattributes and core.autocrlf.");
                }
                Failure::new(class, "applied migrations changed (drift)", cause, fix)
                    .with_details(json!({ "drift": mismatches }))
            }
            PlanError::Diverged {
                ref unknown_applied,
                ref pending,
            } => {
                let unknown: Vec<String> = unknown_applied
                    .iter()
                    .map(|a| format!("{} ({})", a.version, a.description))
                    .collect();
                let pending_names: Vec<String> = pending.iter().map(|(v, f)| format!("{v} ({f})")).collect();
                Failure::new(
                    class,
                    "the code and the database have diverged",
                    format!(
                        "{error}.\n  only in the database: {}\n  only in the code:     {}",
                        unknown.join(", "),
                        pending_names.join(", ")
                    ),
                    "This happens when two branches each added migrations. Deploy code that contains every \
                     migration the database has (merge the branches), then release again.",
                )
                .with_details(json!({ "unknown_applied": unknown_applied, "pending": pending }))
            }
        }
    }
}

impl From<PgvectorError> for Failure {
    fn from(error: PgvectorError) -> Self {
        let class = ExitClass::Check;
        match &error {
            PgvectorError::NotAvailable => Failure::new(
                class,
                "pgvector is not available on this server",
                "the `vector` extension is wanted, but pg_available_extensions has no `vector`",
                "Use a PostgreSQL server with pgvector (Heroku Postgres has it), or set SLIPWAY_PGVECTOR=off if \
                 the app does not use it.",
            ),
            PgvectorError::TooOld {
                installed,
                available,
                required,
                why,
            } => Failure::new(
                class,
                "pgvector is too old",
                format!(
                    "pgvector {required} is required{}; installed: {}; available on the server: {}",
                    why.as_ref().map(|w| format!(" ({w})")).unwrap_or_default(),
                    show(installed.as_ref()),
                    show(available.as_ref())
                ),
                "The server cannot provide that version, so nothing was changed. Upgrade the server's pgvector \
                 (on Heroku, upgrade the Postgres plan or version), or lower SLIPWAY_PGVECTOR_MIN_VERSION if the \
                 migrations do not need it.",
            )
            .with_details(json!({
                "installed": installed.map(|v| v.to_string()),
                "available": available.map(|v| v.to_string()),
                "required": required.to_string(),
            })),
            PgvectorError::Sql { action, source } => {
                // The server's hint says who may: "Must be superuser to create
                // this extension" (pgvector is not marked trusted), or the
                // CREATE privilege on the database where it is.
                let who = server_hint(source).map_or_else(
                    || "a user allowed to (a superuser, or the database owner where the extension is trusted)".to_owned(),
                    |hint| format!("a user allowed to: the server says \"{hint}\""),
                );
                Failure::new(
                    class,
                    "the `vector` extension could not be set up",
                    error.to_string(),
                    format!(
                        "Run `{action}` as {who}. On Heroku the default credential can. Or ask your database \
                         administrator to run it; nothing was migrated."
                    ),
                )
            }
            PgvectorError::BadVersion { .. } => Failure::new(
                class,
                "the server reports an unreadable pgvector version",
                error.to_string(),
                "Check pg_available_extensions for `vector`; a custom build may need a standard version string.",
            ),
        }
    }
}

impl From<BackupError> for Failure {
    fn from(error: BackupError) -> Self {
        let cause = error.to_string();
        let backup =
            |title: &str, fix: &str| Failure::new(ExitClass::Backup, title, cause.clone(), fix);
        match &error {
            BackupError::NotConfiguredOnDyno => backup(
                "no backup target is configured",
                "Migrations are pending and the database has data, but a dyno's filesystem is thrown away after \
                 the release, so a local backup would be lost. Configure one of: (1) Heroku PGBackups: set \
                 HEROKU_API_KEY (and enable dyno metadata or set SLIPWAY_HEROKU_APP); (2) S3: set \
                 SLIPWAY_BACKUP=s3://BUCKET/PREFIX (or SLIPWAY_BACKUP_S3_BUCKET) with AWS_ACCESS_KEY_ID, \
                 AWS_SECRET_ACCESS_KEY and AWS_REGION; (3) no backup: SLIPWAY_BACKUP=none. Nothing was migrated.",
            ),
            BackupError::Disabled => Failure::new(
                ExitClass::Usage,
                "backups are turned off",
                cause.clone(),
                "Set SLIPWAY_BACKUP (or --backup) to a target such as file:./backups.",
            ),
            BackupError::Interrupted { .. } => backup(
                "the backup was interrupted",
                "slipway-release was asked to stop (a cancelled release or a stopping dyno) and removed the \
                 partial backup. Nothing was migrated; release again.",
            ),
            BackupError::ToolMissing { .. } => backup(
                "pg_dump / pg_restore not found",
                "Install the PostgreSQL client tools (Debian: postgresql-client), at least the server's major \
                 version, or point SLIPWAY_PG_BIN_DIR at their folder. Nothing was migrated.",
            ),
            BackupError::ToolTooOld { .. } => backup(
                "pg_dump / pg_restore are older than the server",
                "Install client tools of at least the server's major version (Debian: postgresql-client-N from \
                 apt.postgresql.org), or point SLIPWAY_PG_BIN_DIR at them. Nothing was migrated.",
            ),
            BackupError::ToolVersionUnreadable { .. } => backup(
                "cannot tell the version of pg_dump / pg_restore",
                "Check that SLIPWAY_PG_BIN_DIR or PATH leads to the real PostgreSQL client tools.",
            ),
            BackupError::ToolFailed { .. } => backup(
                "the backup tool failed",
                "Read the tool's message above. Nothing was migrated; the database is as it was.",
            ),
            BackupError::Io { .. } => backup(
                "the backup could not be written or read",
                "Check that the backup folder exists or can be created, is writable, and has free space. \
                 Nothing was migrated.",
            ),
            BackupError::Database { .. } => backup(
                "deciding on the backup failed",
                "Check that the database user may read pg_class and pg_namespace. Nothing was migrated.",
            ),
            BackupError::S3(e) => s3_failure(e, &cause),
            BackupError::Heroku(e) => heroku_failure(e, &cause),
            BackupError::NotFound { .. } | BackupError::NoBackups { .. } => Failure::new(
                ExitClass::Usage,
                "no such backup",
                cause.clone(),
                "List the backups with `slipway-release backup --list` and pass one of the names (or `latest`).",
            ),
        }
    }
}

/// An S3 target failure: a config mistake (exit 2), a bug (exit 1), or a
/// failed backup or restore (exit 5).
fn s3_failure(error: &S3Error, cause: &str) -> Failure {
    let backup = |title: &str, fix: &str| Failure::new(ExitClass::Backup, title, cause, fix);
    match error {
        S3Error::InvalidSetting { .. } => Failure::new(
            ExitClass::Usage,
            "an S3 backup setting is invalid",
            cause,
            "Fix the variable named above (see the README's backup settings).",
        ),
        S3Error::Internal(_) => Failure::internal(cause),
        S3Error::MissingCredentials { .. } => backup(
            "S3 credentials are missing",
            "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Nothing was migrated.",
        ),
        S3Error::Verification { .. } | S3Error::Corrupt { .. } => backup(
            "the S3 backup did not verify",
            "The object was not trusted (and a new one was deleted). Retry; if it persists, check the store's \
             integrity. Nothing was migrated.",
        ),
        S3Error::UnknownBackup { .. } => Failure::new(
            ExitClass::Usage,
            "no such backup",
            cause,
            "List the backups with `slipway-release backups` and pass one of the names (or `latest`).",
        ),
        _ => backup(
            "the S3 backup failed",
            "Read the cause above. Any partial upload was aborted, so no half object remains. Nothing was migrated.",
        ),
    }
}

/// A Heroku PGBackups failure: a config mistake (exit 2), a bug (exit 1),
/// or a failed backup or restore (exit 5).
fn heroku_failure(error: &HerokuError, cause: &str) -> Failure {
    let backup = |title: &str, fix: &str| Failure::new(ExitClass::Backup, title, cause, fix);
    match error {
        HerokuError::InvalidSetting { .. } => Failure::new(
            ExitClass::Usage,
            "a Heroku backup setting is invalid",
            cause,
            "Fix the variable named above (see the README's backup settings).",
        ),
        HerokuError::RestoreNotRequested { command } => Failure::new(
            ExitClass::Usage,
            "nothing was restored",
            cause,
            format!("Run `{command}`, or repeat this command with --yes-use-heroku-restore."),
        ),
        HerokuError::UnknownBackup { .. } | HerokuError::UnusableBackup { .. } => Failure::new(
            ExitClass::Usage,
            "no such backup",
            cause,
            "List the backups with `slipway-release backups` and pass the name of a finished one.",
        ),
        HerokuError::Internal(_) => Failure::internal(cause),
        HerokuError::MissingApiKey | HerokuError::MissingApp | HerokuError::Unauthorized { .. } => {
            backup(
                "Heroku PGBackups cannot be used",
                "Read the cause above. Nothing was migrated.",
            )
        }
        _ => backup(
            "the Heroku PGBackups capture failed",
            "Read the cause above. Nothing was migrated; the database is as it was.",
        ),
    }
}

/// Adds to a failed `-- no-transaction` migration's message what became of
/// the INVALID indexes it left (dropped, or not, and why) and those that were
/// there before it (left alone).
pub(crate) fn with_leftover_indexes(mut failure: Failure, cleanup: &Cleanup) -> Failure {
    let list = |indexes: &mut dyn Iterator<Item = &InvalidIndex>| {
        indexes
            .map(InvalidIndex::describe)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !cleanup.dropped.is_empty() {
        let _ = write!(
            failure.fix,
            " slipway dropped the INVALID index(es) it left behind (DROP INDEX CONCURRENTLY), so that the next \
             release can run it again: {}.",
            list(&mut cleanup.dropped.iter())
        );
    }
    for not_dropped in &cleanup.not_dropped {
        let _ = write!(
            failure.fix,
            " It also left the INVALID index {}, which slipway could not drop ({}): run {}; before releasing again.",
            not_dropped.index.describe(),
            not_dropped.error,
            not_dropped.index.drop_statement()
        );
    }
    if !cleanup.left.is_empty() {
        let whose = if cleanup.known_before {
            "existed before this migration, so slipway left them alone"
        } else {
            "may or may not be this migration's (the indexes before it could not be read), so slipway left them alone"
        };
        let _ = write!(
            failure.fix,
            " INVALID indexes that {whose}: {}; the checks report them until they are dropped \
             (DROP INDEX CONCURRENTLY).",
            list(&mut cleanup.left.iter())
        );
    }
    if let Value::Object(details) = &mut failure.details {
        details.insert("dropped_indexes".to_owned(), json!(cleanup.dropped));
        details.insert("indexes_not_dropped".to_owned(), json!(cleanup.not_dropped));
        details.insert("invalid_indexes".to_owned(), json!(cleanup.left));
    }
    failure
}

/// The line of the cleanup after a failed `-- no-transaction` migration.
pub(crate) fn cleanup_line(file: &str, cleanup: &Cleanup) -> String {
    let mut line = String::new();
    if !cleanup.dropped.is_empty() {
        let names: Vec<String> = cleanup.dropped.iter().map(InvalidIndex::describe).collect();
        let _ = write!(
            line,
            "dropped the INVALID index(es) {file} left: {} (DROP INDEX CONCURRENTLY); the next release can run it again",
            names.join(", ")
        );
    }
    for not_dropped in &cleanup.not_dropped {
        if !line.is_empty() {
            line.push_str("; ");
        }
        let _ = write!(
            line,
            "could not drop {} left by {file}: {}",
            not_dropped.index.describe(),
            not_dropped.error
        );
    }
    line
}

/// Adds to a migration that hit `lock_timeout` the sessions holding locks on
/// the tables it names, and the line of the statement that waited.
pub(crate) fn with_lock_blockers(mut failure: Failure, blockers: &[Blocker]) -> Failure {
    let Some(first) = blockers.first() else {
        return failure;
    };
    if let (Some(line), Some(statement)) = (first.line, &first.statement) {
        let _ = write!(
            failure.cause,
            "\n  waiting statement: line {line}: {statement}"
        );
    }
    for b in blockers {
        let _ = write!(
            failure.cause,
            "\n  blocked by: pid {} (application_name {:?}, state {}) holding {} on {}",
            b.pid, b.application_name, b.state, b.mode, b.table
        );
    }
    let _ = write!(
        failure.fix,
        " Wait for that session or end it (SELECT pg_terminate_backend(PID)), then release again."
    );
    if let Value::Object(details) = &mut failure.details {
        details.insert("blocked_by".to_owned(), json!(blockers));
    }
    failure
}

/// One line per retried attempt of a migration that hit `lock_timeout`:
/// what blocked it and when the next attempt comes (as the lock step names
/// the holder of the migration lock).
pub(crate) fn lock_retry_line(
    file: &str,
    retry: u32,
    of: u32,
    pause: std::time::Duration,
    blockers: &[Blocker],
) -> String {
    let by = if blockers.is_empty() {
        "no session holds a lock on its tables any more".to_owned()
    } else {
        blockers
            .iter()
            .map(|b| {
                format!(
                    "pid {} (application_name {:?}, state {}) holding {} on {}",
                    b.pid, b.application_name, b.state, b.mode, b.table
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    format!(
        "{file} waited longer than lock_timeout and was rolled back; blocked by {by}; retry {retry} of {of} in {}",
        humantime::format_duration(pause)
    )
}

/// Adds to a migration that kept hitting `lock_timeout` how retrying ended.
pub(crate) fn with_lock_retries(
    mut failure: Failure,
    retries_done: u32,
    stopped: &Next,
) -> Failure {
    let why = match stopped {
        Next::OutOfTime => format!(
            "slipway retried it {retries_done} time(s) and stopped: another attempt would not end within the \
             lock wait (--lock-wait / SLIPWAY_LOCK_WAIT)."
        ),
        Next::RetriesUsedUp if retries_done == 0 => {
            "Retries are off (--lock-retries / SLIPWAY_LOCK_RETRIES is 0).".to_owned()
        }
        Next::Fail => {
            "slipway does not retry a -- no-transaction migration: it may have done part of its \
                       work before the error."
                .to_owned()
        }
        Next::RetriesUsedUp | Next::RetryAfter(_) => format!(
            "slipway retried it {retries_done} time(s) (--lock-retries / SLIPWAY_LOCK_RETRIES), each rolled back."
        ),
    };
    let _ = write!(failure.fix, " {why}");
    if let Value::Object(details) = &mut failure.details {
        details.insert("lock_retries".to_owned(), json!(retries_done));
    }
    failure
}

/// The server's HINT, when the error came from PostgreSQL with one.
fn server_hint(source: &sqlx::Error) -> Option<String> {
    source
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>())
        .and_then(sqlx::postgres::PgDatabaseError::hint)
        .map(str::to_owned)
}

/// A restore failed after it was confirmed. The fix says what the database
/// holds now, which depends on where the restore stopped.
pub(crate) fn restore_failed(error: BackupError) -> Failure {
    if let BackupError::Heroku(HerokuError::RestoreUnfinished {
        backup,
        transfer,
        app,
        ..
    }) = &error
    {
        return heroku_restore_unfinished(&error, backup, transfer.as_deref(), app);
    }
    let unchanged = match &error {
        BackupError::ToolFailed { .. } => {
            "Nothing was committed: slipway checks the archive with pg_restore --list first, then restores \
             it in one transaction (--single-transaction --exit-on-error), which any failure rolls back. The \
             database is as it was before the restore."
        }
        BackupError::S3(_) => {
            "pg_restore was stopped before it had the whole archive, and it runs in one transaction, so it \
             committed nothing: the database is as it was before the restore."
        }
        BackupError::Heroku(_) => {
            "Heroku's restore was never started: the database is as it was before the restore."
        }
        _ => "pg_restore never ran: the database is as it was before the restore.",
    };
    let mut failure = Failure::from(error);
    if failure.class == ExitClass::Backup {
        "the restore failed".clone_into(&mut failure.title);
        failure.fix = format!("{unchanged} Read the cause above, fix it, and restore again.");
    }
    failure
}

/// A Heroku API restore that was asked for and did not finish.
fn heroku_restore_unfinished(
    error: &BackupError,
    backup: &str,
    transfer: Option<&str>,
    app: &str,
) -> Failure {
    let check = transfer.map_or_else(
        || format!("`heroku pg:backups --app {app}` shows whether a restore of {backup} started"),
        |t| format!("`heroku pg:backups:info {t} --app {app}` shows how far it got (one that timed out may still be running: wait for it)"),
    );
    Failure::new(
        ExitClass::RestoreIncomplete,
        "the Heroku restore did not finish",
        error.to_string(),
        format!(
            "Heroku's restore is not one transaction: it drops and recreates objects as it goes, so the database \
             may now hold part of {backup} and part of what was there before. {check}. Then restore again, which \
             replaces every object in the backup."
        ),
    )
    .with_details(json!({ "backup": backup, "transfer": transfer, "database_state": "maybe_partly_restored" }))
}

/// `restore` without `--confirm`, or with the wrong name.
pub(crate) fn restore_not_confirmed(given: Option<&str>, database: &str) -> Failure {
    let cause = match given {
        None => {
            format!("restoring replaces data in database {database:?}, and --confirm was not given")
        }
        Some(given) => format!(
            "--confirm {given:?} does not match the database being restored into, {database:?}"
        ),
    };
    Failure::new(
        ExitClass::Usage,
        "restore not confirmed",
        cause,
        format!("If you mean to overwrite it, add --confirm {database}"),
    )
}

impl From<ApplyError> for Failure {
    fn from(error: ApplyError) -> Self {
        let class = ExitClass::Migration;
        match error {
            ApplyError::Rejected {
                ref file,
                version,
                no_tx,
                error: ref server,
            } => {
                let at = match (server.line, server.column) {
                    (Some(line), Some(column)) => format!(" at line {line}, column {column}"),
                    _ => String::new(),
                };
                let mut cause = format!("{file}{at}: ERROR {}: {}", server.code, server.message);
                for (label, value) in [
                    ("detail", &server.detail),
                    ("hint", &server.hint),
                    ("inside", &server.internal_query),
                ] {
                    if let Some(value) = value {
                        let _ = write!(cause, "\n  {label}: {value}");
                    }
                }
                let mut fix = if no_tx {
                    format!(
                        "{file} runs without a transaction (-- no-transaction), so it may be partially applied: \
                         whatever it did before the error stays. It is not recorded in _sqlx_migrations. Inspect \
                         what its statements before the error created or changed, undo or finish that by hand, fix \
                         the file and release again."
                    )
                } else {
                    format!(
                        "The migration was rolled back and _sqlx_migrations is unchanged. Fix {file} (it was never \
                         applied, so editing it is safe) and release again."
                    )
                };
                match server.code.as_str() {
                    "55P03" => fix.push_str(" It waited longer than lock_timeout for a lock: another session holds one on that table; raise --lock-timeout / SLIPWAY_LOCK_TIMEOUT or --lock-retries / SLIPWAY_LOCK_RETRIES, or release when traffic is low."),
                    "57014" => fix.push_str(" It ran longer than statement_timeout: raise --statement-timeout / SLIPWAY_STATEMENT_TIMEOUT (the release phase has a one-hour limit)."),
                    // Operator intervention: the server shut down or restarted
                    // under the migration (a failover, maintenance); the file
                    // is not at fault (found by tests/faults.rs).
                    code if code.starts_with("57P") => {
                        fix = format!(
                            "The server shut down or restarted while {file} ran (maintenance or a failover), so \
                             the file is not at fault. {} Release again once the server accepts connections.",
                            if no_tx {
                                "It ran without a transaction and may be partially applied: check what it changed."
                            } else {
                                "The migration was rolled back and _sqlx_migrations is unchanged."
                            }
                        );
                    }
                    _ => {}
                }
                Failure::new(class, format!("migration {version} failed"), cause, fix).with_details(
                    json!({
                        "file": file,
                        "version": version,
                        "no_transaction": no_tx,
                        "server_error": server,
                        "database_state": if no_tx { "maybe_partly_applied" } else { "not_applied" },
                    }),
                )
            }
            ApplyError::Failed {
                ref file, version, ..
            } => Failure::new(
                class,
                format!("migration {version} failed"),
                error.to_string(),
                format!(
                    "Check the connection to the database, then release again; {file} was not recorded as applied."
                ),
            ),
            other => bookkeeping_failure(other),
        }
    }
}

/// The failures around a migration's script: starting its transaction,
/// recording it, committing it, timing it. Each says what the database
/// holds now, and has its own exit code when that is not "nothing changed".
fn bookkeeping_failure(error: ApplyError) -> Failure {
    let cause = error.to_string();
    let writable = "Check that the database user may INSERT and UPDATE _sqlx_migrations, and that no \
                    trigger, rule or read-only setting rejects it";
    match error {
        ApplyError::BeginFailed { file, version, .. } => Failure::new(
            ExitClass::Migration,
            format!("migration {version} did not start"),
            cause,
            format!(
                "Nothing of {file} ran and _sqlx_migrations is unchanged: the database is as the migrations \
                 before it left it. Check the connection to the database (a dropped connection, a restarting \
                 server), then release again."
            ),
        )
        .with_details(state_details(&file, version, "not_applied")),
        ApplyError::RecordRolledBack { file, version, .. } => Failure::new(
            ExitClass::Migration,
            format!("recording migration {version} failed"),
            cause,
            format!(
                "{file} and its _sqlx_migrations row are one transaction, so both were rolled back: {file} is \
                 not applied and _sqlx_migrations is unchanged. {writable}, then release again."
            ),
        )
        .with_details(state_details(&file, version, "not_applied")),
        ApplyError::CommitRejected {
            file,
            version,
            error: server,
        } => commit_rejected(&file, version, &server),
        ApplyError::CommitUnknown { file, version, .. } => Failure::new(
            ExitClass::CommitUnknown,
            format!("the COMMIT of migration {version} was interrupted"),
            cause,
            format!(
                "The server may or may not have committed {file}. It and its _sqlx_migrations row are one \
                 transaction, so either both are in the database or neither: \
                 SELECT version FROM _sqlx_migrations WHERE version = {version} tells which. Releasing again is \
                 safe either way: it applies {file} only if the commit did not happen. Check the server first \
                 (a restart, a failover, a terminated session)."
            ),
        )
        .with_details(state_details(&file, version, "unknown")),
        ApplyError::TimeNotStored { file, version, .. } => Failure::new(
            ExitClass::AppliedNotTimed,
            format!("migration {version} is applied, but storing its execution time failed"),
            cause,
            format!(
                "{file} is applied and recorded in _sqlx_migrations (committed), with execution_time -1 \
                 instead of its duration; sqlx does not read that column. The migrations after it did not run. \
                 {writable}, then release again: it continues after {file}."
            ),
        )
        .with_details(state_details(&file, version, "applied_and_recorded")),
        ApplyError::NotRecorded {
            file,
            version,
            table,
            description,
            checksum,
            ..
        } => Failure::new(
            ExitClass::AppliedNotRecorded,
            format!("migration {version} ran, but it is not recorded"),
            cause,
            format!(
                "{file} runs without a transaction (-- no-transaction): its changes are in the database, but \
                 {table} has no row for it, so the next release (or sqlx::migrate!()) would run it \
                 again. {writable}. Then either record it by hand with the row sqlx would have written: \
                 INSERT INTO {table} (version, description, success, checksum, execution_time) \
                 VALUES ({version}, '{}', TRUE, '\\x{}', -1); \
                 or make sure {file} can run twice (IF NOT EXISTS), and release again.",
                description.replace('\'', "''"),
                hex::encode(checksum)
            ),
        )
        .with_details(state_details(&file, version, "applied_not_recorded")),
        ApplyError::Rejected { .. } | ApplyError::Failed { .. } => {
            Failure::internal(format!("unexpected migration failure: {cause}"))
        }
    }
}

/// The server refused a migration's COMMIT: it rolled back.
fn commit_rejected(file: &str, version: i64, server: &ServerError) -> Failure {
    let mut cause = format!(
        "{file}: COMMIT failed: ERROR {}: {}",
        server.code, server.message
    );
    for (label, value) in [("detail", &server.detail), ("hint", &server.hint)] {
        if let Some(value) = value {
            let _ = write!(cause, "\n  {label}: {value}");
        }
    }
    let mut details = state_details(file, version, "not_applied");
    if let Value::Object(map) = &mut details {
        map.insert("server_error".to_owned(), json!(server));
    }
    Failure::new(
        ExitClass::Migration,
        format!("migration {version} failed at COMMIT"),
        cause,
        format!(
            "The server refused to commit (a deferred constraint or constraint trigger, or a \
             serialization failure), so {file} was rolled back with its _sqlx_migrations row: nothing \
             of it is applied. Fix {file} (it was never applied, so editing it is safe) or the data it \
             checks, and release again."
        ),
    )
    .with_details(details)
}

/// The JSON details of a migration failure: which file, and what the
/// database holds of it now.
fn state_details(file: &str, version: i64, state: &str) -> Value {
    json!({ "file": file, "version": version, "database_state": state })
}

impl From<CheckError> for Failure {
    fn from(error: CheckError) -> Self {
        let class = ExitClass::Check;
        let cause = error.to_string();
        match error {
            CheckError::ExtensionMissing => Failure::new(
                class,
                "the `vector` extension is missing",
                format!("{cause} after the release, though the app needs it"),
                "A migration may have dropped it. Create it again (CREATE EXTENSION vector) in a new migration.",
            ),
            CheckError::BelowMinimum { .. } => Failure::new(
                class,
                "pgvector is below the required version",
                cause,
                "Run ALTER EXTENSION vector UPDATE as the database owner, or lower SLIPWAY_PGVECTOR_MIN_VERSION.",
            ),
            CheckError::WrongDistance { .. } | CheckError::SmokeFailed(_) => Failure::new(
                class,
                "the pgvector smoke query failed",
                cause,
                "The extension is installed but does not work: check the server's pgvector installation \
                 (its shared library and version).",
            ),
            CheckError::InvalidIndexes(ref indexes) => {
                let names: Vec<String> = indexes
                    .iter()
                    .map(|i| format!("{}.{} (on {})", i.schema, i.index, i.table))
                    .collect();
                let drops: Vec<String> = indexes
                    .iter()
                    .map(|i| format!("DROP INDEX CONCURRENTLY \"{}\".\"{}\";", i.schema, i.index))
                    .collect();
                Failure::new(
                    class,
                    "INVALID indexes found",
                    format!("{cause}: {}", names.join(", ")),
                    format!(
                        "A CREATE INDEX CONCURRENTLY (or REINDEX CONCURRENTLY) failed and left them behind; \
                         PostgreSQL does not use them for queries but still updates them. Drop them ({}) and \
                         create them again in a new migration.",
                        drops.join(" ")
                    ),
                )
                .with_details(json!({ "invalid_indexes": indexes }))
            }
            CheckError::Pgvector(inner) => Failure::from(inner),
            CheckError::Database(_) => Failure::new(
                class,
                "the checks could not read the catalog",
                cause,
                "Check that the database user may read pg_index, pg_class and pg_extension.",
            ),
        }
    }
}
