//! The subcommands. `run.rs` is the release flow; `steps.rs` holds the steps
//! the commands share, each recording one line in the report.

mod backup;
mod check;
mod lint;
mod plan;
mod restore;
mod run;
mod steps;

use std::ffi::OsString;
use std::time::Instant;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};
use crate::config::{self, Settings};
use crate::errors::{self, ExitClass, Failure};
use crate::redact;
use crate::report::Format;
use crate::report::{Report, Status, eprintln_redacted};

/// Parses the command line and runs the command; returns the exit class.
pub(crate) fn dispatch(args: impl IntoIterator<Item = OsString>) -> ExitClass {
    let args: Vec<OsString> = args.into_iter().collect();
    register_secrets_early(&args);
    let started = Instant::now();
    let matches = match Cli::command().try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(error) => return usage_error(&error),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    let name = command_name(&cli.command);
    let settings = match config::resolve(&cli.settings) {
        Ok(settings) => settings,
        Err(error) => {
            let json = cli
                .settings
                .raw(&config::FORMAT.about)
                .is_some_and(|(f, _)| f.trim().eq_ignore_ascii_case("json"));
            let mut report = Report::new(name, if json { Format::Json } else { Format::Human });
            report.step("config", Status::Failed, started, &error.to_string());
            return report.finish(&Err(Failure::from(error)));
        }
    };
    let mut report = Report::new(name, settings.format);
    if settings.format == Format::Github && name != "lint" {
        return report.finish(&Err(errors::github_format_not_for(name)));
    }
    report.step("config", Status::Ok, started, &describe_settings(&settings));
    report.set(
        "sqlx_toml",
        settings.sqlx.file.as_ref().map_or(serde_json::Value::Null, |file| {
            serde_json::json!({
                "file": file.display().to_string(),
                "table_name": settings.sqlx.history.name,
                "create_schemas": settings.sqlx.history.create_schemas,
                "ignored_chars": settings.sqlx.ignored_chars.iter().map(char::to_string).collect::<Vec<_>>(),
                "unrecognized_sql_files": settings.sqlx.unrecognized_sql_files.as_ref().map(|setting| setting.value.name()),
            })
        }),
    );
    let outcome = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run_command(cli.command, &settings, &mut report)),
        Err(e) => Err(Failure::internal(format!(
            "cannot start the async runtime: {e}"
        ))),
    };
    report.finish(&outcome)
}

async fn run_command(
    command: Command,
    settings: &Settings,
    report: &mut Report,
) -> Result<(), Failure> {
    match command {
        Command::Run => run::run(settings, report).await,
        Command::Plan => plan::preview_release(settings, report).await,
        Command::Check => check::check(settings, report).await,
        Command::Lint { files, offline } => lint::lint(settings, report, &files, offline).await,
        Command::Backup { list } => backup::backup(settings, report, list).await,
        Command::Backups => backup::backup(settings, report, true).await,
        Command::Restore {
            name,
            confirm,
            yes_use_heroku_restore,
        } => {
            restore::restore(
                settings,
                report,
                &name,
                confirm.as_deref(),
                yes_use_heroku_restore,
            )
            .await
        }
    }
}

fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Run => "run",
        Command::Plan => "plan",
        Command::Check => "check",
        Command::Lint { .. } => "lint",
        Command::Backup { .. } => "backup",
        Command::Backups => "backups",
        Command::Restore { .. } => "restore",
    }
}

/// Help and version go to stdout with exit 0; anything else is a usage error.
fn usage_error(error: &clap::Error) -> ExitClass {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        // A closed stdout (`--help | head`) is no failure.
        let _ = std::io::Write::write_fmt(&mut std::io::stdout(), format_args!("{error}"));
        return ExitClass::Ok;
    }
    eprintln_redacted(&error.render().to_string());
    ExitClass::Usage
}

/// Registers every secret the process was given, before anything prints:
/// clap may echo an argument back before the config step has parsed the URL,
/// and a setting's error may quote another's value. Arguments may hold URLs
/// (`--database-url`, `--backup s3://KEY:SECRET@...`); the environment holds
/// `DATABASE_URL`, `PGPASSWORD` (which sqlx and libpq use when the URL has no
/// password) and the backup targets' credentials.
fn register_secrets_early(args: &[OsString]) {
    for arg in args {
        redact::register_url_secrets(&arg.to_string_lossy());
    }
    if let Some(password) = std::env::var_os("PGPASSWORD") {
        redact::register_secret(&password.to_string_lossy());
    }
    // DATABASE_URL and the backup targets' credentials, as the settings table declares them.
    config::register_environment_secrets();
}

fn describe_settings(settings: &Settings) -> String {
    if let Some(command) = &settings.migrate_command {
        return format!(
            "command `{command}`, pgvector {}, lock wait {}, statement_timeout {}",
            settings.pgvector.name(),
            show_timeout(settings.lock_wait),
            show_timeout(settings.statement_timeout),
        );
    }
    format!(
        "{} migrations {}, pgvector {}, lock wait {}, lock_timeout {}, statement_timeout {}, lint {}{}",
        settings.migrations_format.name(),
        settings.migrations_dir.path.display(),
        settings.pgvector.name(),
        show_timeout(settings.lock_wait),
        show_timeout(settings.lock_timeout),
        show_timeout(settings.statement_timeout),
        settings.lint.mode.name(),
        if settings.migrations_format == slipway_contract::MigrationFormat::Sqlx {
            describe_sqlx_toml(&settings.sqlx)
        } else {
            String::new()
        },
    )
}

/// `; sqlx.toml: history table app.migrations, ignored-chars ["\r"]`, or
/// nothing without a `sqlx.toml`.
fn describe_sqlx_toml(sqlx: &config::SqlxSettings) -> String {
    let Some(file) = &sqlx.file else {
        return String::new();
    };
    let mut parts = vec![format!("history table {}", sqlx.history.name)];
    if !sqlx.ignored_chars.is_empty() {
        let chars: Vec<String> = sqlx
            .ignored_chars
            .iter()
            .map(|c| format!("\"{}\"", c.escape_debug()))
            .collect();
        parts.push(format!("ignored-chars [{}]", chars.join(", ")));
    }
    if !sqlx.history.create_schemas.is_empty() {
        parts.push(format!(
            "create-schemas {}",
            sqlx.history.create_schemas.join(", ")
        ));
    }
    format!("; {}: {}", file.display(), parts.join(", "))
}

/// A timeout setting for people: `0` reads as what it means.
fn show_timeout(timeout: std::time::Duration) -> String {
    if timeout.is_zero() {
        "no limit".to_owned()
    } else {
        humantime::format_duration(timeout).to_string()
    }
}
