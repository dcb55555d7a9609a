//! What the migrations tell a person when something goes wrong: the folder and the history
//! table when they cannot be used, and a failed migration (its title, cause and fix, what the
//! database holds of it now, and what became of its locks and indexes).

use std::fmt::Write as _;

use serde_json::{Value, json};
use slipway_contract::{DieselFilesError, FilesError, IgnoredFile};

use crate::db::indexes::InvalidIndex;
use crate::errors::{ExitClass, Failure};
use crate::migrations::Version;
use crate::migrations::apply::{ApplyError, ServerError};
use crate::migrations::blockers::Blocker;
use crate::migrations::history::{Applied, HistoryTable};
use crate::migrations::leftovers::Cleanup;
use crate::migrations::plan::PlanError;
use crate::migrations::retry::Next;
use crate::migrations::source::SourceError;

impl From<SourceError> for Failure {
    fn from(error: SourceError) -> Self {
        let fix = match &error {
            SourceError::Files(FilesError::BadVersion { .. }) => {
                "Name migration files <VERSION>_<DESCRIPTION>.sql with an integer VERSION, as `sqlx migrate add` does \
                 (e.g. 20240101120000_create_users.sql)."
            }
            SourceError::Files(FilesError::DuplicateVersion { .. }) => {
                "Give each migration its own version: rename one of the two files (if the other was already \
                 applied somewhere, keep that one's name), e.g. with the next free version. A version holds one \
                 <VERSION>_<DESCRIPTION>.sql, or one .up.sql with its .down.sql."
            }
            SourceError::Files(
                FilesError::Unreadable { .. } | FilesError::UnreadableEntry { .. },
            )
            | SourceError::UnreadableFile { .. } => {
                "Make the migrations folder and its files readable, and the files UTF-8 text."
            }
            SourceError::Files(FilesError::UnrecognizedSqlFile { .. }) => {
                "Name it <VERSION>_<DESCRIPTION>.sql (as `sqlx migrate add` does) if it is a migration, or \
                 move it out of the migrations folder if it is not; or, to keep other SQL scripts there, set \
                 `unrecognized-sql-files = \"warn\"` (or \"ignore\") under [migrate] in sqlx.toml."
            }
            SourceError::Files(FilesError::NotUtf8Name { .. }) => {
                "Rename the file with a UTF-8 name (the description is stored in the history table), \
                 e.g. 20240101120000_create_users.sql."
            }
            SourceError::NotUtf8 { .. } => {
                "Save the file as UTF-8 (PostgreSQL, sqlx and Diesel read migrations as UTF-8 text); the \
                 first byte that is not UTF-8 is on the line named above."
            }
            SourceError::Diesel(error) => diesel_folder_fix(error),
        };
        Failure::new(
            ExitClass::Usage,
            "the migrations folder cannot be used",
            error.to_string(),
            fix,
        )
    }
}

/// How to fix a Diesel migrations folder slipway (and Diesel) cannot use.
fn diesel_folder_fix(error: &DieselFilesError) -> &'static str {
    match error {
        DieselFilesError::NoUpSql { .. } => {
            "Every folder in a Diesel migrations folder is a migration and must hold up.sql (as \
             `diesel migration generate` writes it): add it, or move the folder out (names starting \
             with `.` are skipped)."
        }
        DieselFilesError::DuplicateVersion { .. } => {
            "Give each migration its own version (the folder name before the first `_`, without \
             `-`): rename one of the two folders (if the other was already applied somewhere, keep that \
             one's name)."
        }
        DieselFilesError::EmptyVersion { .. } | DieselFilesError::VersionTooLong { .. } => {
            "Name migration folders <VERSION>_<NAME> with a version of 1 to 50 characters, as \
             `diesel migration generate` does (e.g. 2024-01-01-120000-0000_create_users)."
        }
        DieselFilesError::NotUtf8Name { .. } => "Rename the folder with a UTF-8 name.",
        DieselFilesError::Unreadable { .. } | DieselFilesError::UnreadableEntry { .. } => {
            "Make the migrations folder and its files readable."
        }
    }
}

/// Pending migrations the app's tool would refuse or misrun: nothing changed.
pub(crate) fn refused_migrations(refusals: &[&str]) -> Failure {
    Failure::new(
        ExitClass::Usage,
        "pending migrations cannot be run as they are",
        refusals.join("\n"),
        "Fix the files named above and release again; nothing was changed.",
    )
}

/// The history table could not be read.
pub(crate) fn history_unreadable(history: &HistoryTable, source: &sqlx::Error) -> Failure {
    let table = history.name();
    let columns = match history {
        HistoryTable::Sqlx(_) => {
            "the table sqlx creates (version, description, installed_on, success, checksum, execution_time)"
        }
        HistoryTable::Diesel => "the table Diesel creates (version, run_on)",
    };
    let named = match history {
        HistoryTable::Sqlx(_) => " (`table-name` in sqlx.toml names another table)",
        HistoryTable::Diesel => "",
    };
    Failure::new(
        ExitClass::Drift,
        "the migration history cannot be read",
        format!(
            "reading the history table {table} failed: {}",
            crate::errors::db_error(source)
        ),
        format!(
            "{table} must be {columns}. Check its owner and privileges, and that no other table of \
             that name comes first on the search_path{named}."
        ),
    )
}

/// The history table's schema does not exist and `create-schemas` does not
/// list it: sqlx (`CREATE TABLE`) and slipway would fail on it (3F000).
pub(crate) fn history_schema_missing(table: &str, schema: &str) -> Failure {
    // As a SQL name in a TOML string: quoted when folding would change it.
    let simple = schema
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let name = if simple {
        schema.to_owned()
    } else {
        format!("\"{}\"", schema.replace('"', "\"\""))
    };
    Failure::new(
        ExitClass::Usage,
        "the history table's schema does not exist",
        format!(
            "sqlx.toml sets `table-name = {table:?}`, but the database has no schema {schema:?}, and \
             `create-schemas` does not list it"
        ),
        format!(
            "Add it to `create-schemas` in sqlx.toml's [migrate] table (`create-schemas = [{name:?}]`): \
             slipway and sqlx's Migrator then create it before the history table. Or create the schema \
             once yourself, or set a `table-name` in an existing schema."
        ),
    )
}

/// A schema of `create-schemas` could not be created (before any migration ran).
pub(crate) fn schema_not_created(source: &sqlx::Error) -> Failure {
    Failure::new(
        ExitClass::Migration,
        "a schema of create-schemas cannot be created",
        format!(
            "CREATE SCHEMA IF NOT EXISTS failed: {}",
            crate::errors::db_error(source)
        ),
        "No migration ran. Let the database user create schemas (GRANT CREATE ON DATABASE), or create \
         the schema once as its owner; sqlx's Migrator runs the same statement on every run.",
    )
}

/// The warning for a rollback release: what slipway does, and what an app
/// that migrates at boot must do to start on this database.
pub(crate) fn rollback_warning(
    unknown_applied: &[Applied],
    history: &HistoryTable,
    pending: usize,
) -> String {
    let listed: Vec<String> = unknown_applied.iter().map(applied_words).collect();
    if pending > 0 {
        // Only Diesel's rule lets a plan have both (sqlx's is divergence, exit 6).
        return format!(
            "the database has {} migration(s) this code does not know: {}. Diesel ignores versions \
             it does not know (old migration folders pruned or squashed, or a rollback), so the {pending} \
             pending one(s) are applied, as `diesel migration run` would.",
            listed.len(),
            listed.join(", ")
        );
    }
    let boot = match history {
        HistoryTable::Sqlx(_) => {
            "An app that also runs sqlx::migrate!().run() at boot will fail to start on this database: sqlx's \
             Migrator refuses it with VersionMissing. Let it accept a newer database: \
             `let mut migrator = sqlx::migrate!(); migrator.set_ignore_missing(true); migrator.run(&pool).await?;`."
        }
        HistoryTable::Diesel => {
            "Diesel ignores versions it does not know, so an app that runs run_pending_migrations at boot \
             starts on this database."
        }
    };
    format!(
        "the database has {} migration(s) this code does not know: {}. This is a rollback (or a config \
         change on an older release): nothing will be applied or reverted, and the checks still run. {boot}",
        listed.len(),
        listed.join(", ")
    )
}

/// An applied migration in a list: its version, and sqlx's description.
fn applied_words(applied: &Applied) -> String {
    if applied.description.is_empty() {
        applied.version.to_string()
    } else {
        format!("{} ({})", applied.version, applied.description)
    }
}

/// The warning for a file sqlx ignores although it looks like a migration.
pub(crate) fn ignored_file_warning(file: &IgnoredFile) -> String {
    format!(
        "{} is not a migration for sqlx, which ignores it: {}. Rename it <VERSION>_<DESCRIPTION>.sql \
         (as `sqlx migrate add` does) if it is one, or move it out of the migrations folder.{}",
        file.file_name,
        file.rule,
        file.unrecognized_sql_note()
    )
}

/// A history that does not fit the folder, for people; `table` is the
/// history table as the messages name it.
pub(crate) fn plan_failure(error: &PlanError, table: &str) -> Failure {
    {
        let class = ExitClass::Drift;
        match error {
            PlanError::Dirty {
                version,
                description,
            } => Failure::new(
                class,
                "the migration history is unusable",
                format!("{error}: a migration was left half-applied ({version} {description})"),
                format!(
                    "Check what migration {version} changed and undo or finish it by hand, then \
                     DELETE FROM {table} WHERE version = {version} (sqlx refuses this state too)."
                ),
            )
            .with_details(json!({ "dirty_version": version })),
            PlanError::Drift(mismatches) => {
                let mut cause = format!("{error}:");
                let mut crlf = false;
                for m in mismatches {
                    let _ = write!(
                        cause,
                        "\n{} (version {})\n  checksum in {table}: {}\n  checksum of the file now:     {}",
                        m.file, m.version, m.applied_checksum, m.file_checksum
                    );
                    if m.line_endings_only {
                        crlf = true;
                        cause.push_str("\n  the file differs only in line endings (CRLF vs LF)");
                    }
                }
                let mut fix =
                    "An applied migration must never change: restore the file to what was applied \
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
                unknown_applied,
                pending,
            } => {
                let unknown: Vec<String> = unknown_applied.iter().map(applied_words).collect();
                let pending_names: Vec<String> =
                    pending.iter().map(|(v, f)| format!("{v} ({f})")).collect();
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

/// A failed migration for people; `table` is the history table, as the
/// messages name it (`table-name` in sqlx.toml, else `_sqlx_migrations`).
pub(crate) fn apply_failure(error: ApplyError, history: &HistoryTable) -> Failure {
    let table = history.name();
    let no_tx_words = no_transaction_words(history);
    {
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
                        "{file} runs without a transaction ({no_tx_words}), so it may be partially applied: \
                         whatever it did before the error stays. It is not recorded in {table}. Inspect \
                         what its statements before the error created or changed, undo or finish that by hand, fix \
                         the file and release again."
                    )
                } else {
                    format!(
                        "The migration was rolled back and {table} is unchanged. Fix {file} (it was never \
                         applied, so editing it is safe) and release again."
                    )
                };
                match server.code.as_str() {
                    "55P03" => fix.push_str(" It waited longer than lock_timeout for a lock: another session holds one on that table; raise --lock-timeout / SLIPWAY_LOCK_TIMEOUT or --lock-retries / SLIPWAY_LOCK_RETRIES, or release when traffic is low."),
                    "25001" => {
                        fix = format!(
                            "Nothing of {file} stayed and {table} is unchanged: PostgreSQL runs a file of several \
                             statements as one implicit transaction (rolled back whole), and refuses CONCURRENTLY \
                             (and VACUUM) inside it even when the migration has no transaction of its own. Keep each \
                             such statement alone in its own migration, and release again."
                        );
                    }
                    "57014" => fix.push_str(" It ran longer than statement_timeout: raise --statement-timeout / SLIPWAY_STATEMENT_TIMEOUT (the release phase has a one-hour limit)."),
                    // Operator intervention: the server shut down or restarted
                    // under the migration (a failover, maintenance); the file
                    // is not at fault (found by tests/faults.rs).
                    code if code.starts_with("57P") => {
                        let state = if no_tx {
                            "It ran without a transaction and may be partially applied: check what it changed."
                                .to_owned()
                        } else {
                            format!("The migration was rolled back and {table} is unchanged.")
                        };
                        fix = format!(
                            "The server shut down or restarted while {file} ran (maintenance or a failover), so \
                             the file is not at fault. {state} Release again once the server accepts connections."
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
                ref file,
                ref version,
                ..
            } => Failure::new(
                class,
                format!("migration {version} failed"),
                error.to_string(),
                format!(
                    "Check the connection to the database, then release again; {file} was not recorded as applied."
                ),
            ),
            other => bookkeeping_failure(other, history),
        }
    }
}

/// The failures around a migration's script: starting its transaction,
/// recording it, committing it, timing it. Each says what the database
/// holds now, and has its own exit code when that is not "nothing changed".
fn bookkeeping_failure(error: ApplyError, history: &HistoryTable) -> Failure {
    let table = history.name();
    let cause = error.to_string();
    let writable = format!(
        "Check that the database user may INSERT and UPDATE {table}, and that no trigger, rule or \
         read-only setting rejects it"
    );
    match error {
        ApplyError::BeginFailed { file, version, .. } => Failure::new(
            ExitClass::Migration,
            format!("migration {version} did not start"),
            cause,
            format!(
                "Nothing of {file} ran and {table} is unchanged: the database is as the migrations \
                 before it left it. Check the connection to the database (a dropped connection, a restarting \
                 server), then release again."
            ),
        )
        .with_details(state_details(&file, &version, "not_applied")),
        ApplyError::RecordRolledBack { file, version, .. } => Failure::new(
            ExitClass::Migration,
            format!("recording migration {version} failed"),
            cause,
            format!(
                "{file} and its {table} row are one transaction, so both were rolled back: {file} is \
                 not applied and {table} is unchanged. {writable}, then release again."
            ),
        )
        .with_details(state_details(&file, &version, "not_applied")),
        ApplyError::CommitRejected {
            file,
            version,
            error: server,
        } => commit_rejected(&file, &version, &server, table),
        ApplyError::CommitUnknown { file, version, .. } => Failure::new(
            ExitClass::CommitUnknown,
            format!("the COMMIT of migration {version} was interrupted"),
            cause,
            format!(
                "The server may or may not have committed {file}. It and its {table} row are one \
                 transaction, so either both are in the database or neither: \
                 SELECT version FROM {table} WHERE version = {} tells which. Releasing again is \
                 safe either way: it applies {file} only if the commit did not happen. Check the server first \
                 (a restart, a failover, a terminated session).",
                version.sql_literal()
            ),
        )
        .with_details(state_details(&file, &version, "unknown")),
        ApplyError::TimeNotStored { file, version, .. } => Failure::new(
            ExitClass::AppliedNotTimed,
            format!("migration {version} is applied, but storing its execution time failed"),
            cause,
            format!(
                "{file} is applied and recorded in {table} (committed), with execution_time -1 \
                 instead of its duration; sqlx does not read that column. The migrations after it did not run. \
                 {writable}, then release again: it continues after {file}."
            ),
        )
        .with_details(state_details(&file, &version, "applied_and_recorded")),
        ApplyError::NotRecorded {
            file,
            version,
            description,
            checksum,
            ..
        } => Failure::new(
            ExitClass::AppliedNotRecorded,
            format!("migration {version} ran, but it is not recorded"),
            cause,
            format!(
                "{file} runs without a transaction ({}): its changes are in the database, but \
                 {table} has no row for it, so the next release (or the app's own migrator) would run it \
                 again. {writable}. Then either record it by hand with the row {} would have written: \
                 {} \
                 or make sure {file} can run twice (IF NOT EXISTS), and release again.",
                no_transaction_words(history),
                tool_name(history),
                record_by_hand(history, &version, &description, &checksum),
            ),
        )
        .with_details(state_details(&file, &version, "applied_not_recorded")),
        ApplyError::Rejected { .. } | ApplyError::Failed { .. } => {
            Failure::internal(format!("unexpected migration failure: {cause}"))
        }
    }
}

/// The server refused a migration's COMMIT: it rolled back.
fn commit_rejected(file: &str, version: &Version, server: &ServerError, table: &str) -> Failure {
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
             serialization failure), so {file} was rolled back with its {table} row: nothing \
             of it is applied. Fix {file} (it was never applied, so editing it is safe) or the data it \
             checks, and release again."
        ),
    )
    .with_details(details)
}

/// The JSON details of a migration failure: which file, and what the
/// database holds of it now.
fn state_details(file: &str, version: &Version, state: &str) -> Value {
    json!({ "file": file, "version": version, "database_state": state })
}

/// How the format says a migration runs without a transaction.
pub(crate) fn no_transaction_words(history: &HistoryTable) -> &'static str {
    match history {
        HistoryTable::Sqlx(_) => "-- no-transaction",
        HistoryTable::Diesel => "run_in_transaction = false in its metadata.toml",
    }
}

/// The migration tool, as messages name it.
fn tool_name(history: &HistoryTable) -> &'static str {
    match history {
        HistoryTable::Sqlx(_) => "sqlx",
        HistoryTable::Diesel => "Diesel",
    }
}

/// The statement that records a migration by hand, as its tool would have.
fn record_by_hand(
    history: &HistoryTable,
    version: &Version,
    description: &str,
    checksum: &[u8],
) -> String {
    let table = history.name();
    match history {
        HistoryTable::Sqlx(_) => format!(
            "INSERT INTO {table} (version, description, success, checksum, execution_time) \
             VALUES ({}, '{}', TRUE, '\\x{}', -1);",
            version.sql_literal(),
            description.replace('\'', "''"),
            hex::encode(checksum)
        ),
        HistoryTable::Diesel => format!(
            "INSERT INTO {table} (version) VALUES ({});",
            version.sql_literal()
        ),
    }
}
