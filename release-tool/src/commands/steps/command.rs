//! The `migrate` step of the `command` format: the app's own migrator (a
//! `SeaORM` `migration up`, refinery, an app's `migrate` subcommand) runs as
//! `sh -c COMMAND`, as Heroku runs a Procfile line, while slipway holds the
//! lock, after the backup and before the checks. It gets the database slipway
//! migrates as `DATABASE_URL` (and as the variable sqlx.toml's
//! `database-url-var` names, when that is another), whatever slipway was
//! given it by, as a URL every driver reads alike. Its output is passed on line by line, through the redaction
//! every line of slipway's goes through; the last lines are kept for the
//! failure. A non-zero exit is exit 7, with what it said. A stop signal
//! (SIGTERM, SIGINT) is passed on to it, and slipway waits for it to end
//! (killing it 20 s later) before it stops. If slipway itself is killed with
//! SIGKILL, nothing can pass that on (it is not catchable, and the workspace
//! forbids the `unsafe` a parent-death signal needs): the command runs on
//! without the lock. Heroku stops a release dyno's processes together.

use std::collections::VecDeque;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde_json::json;
use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncReadExt as _, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::backup::interrupt::Termination;
use crate::config::Settings;
use crate::errors::{ExitClass, Failure};
use crate::redact::redact;
use crate::report::{Report, Status, eprintln_redacted};

use super::Step;

/// How many of the command's last lines a failure quotes.
const TAIL_LINES: usize = 40;
/// How much of each of them it quotes.
const TAIL_LINE_CHARS: usize = 2000;
/// The longest line passed on whole; of a longer one, only the head.
const MAX_LINE_BYTES: usize = 64 * 1024;
/// How much of a cut line's end is never shown: longer than any secret slipway holds.
const SECRET_MARGIN: usize = 4 * 1024;
/// How long output is still read after the command exited.
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);
/// A timer that does not go off.
const NEVER: Duration = Duration::from_hours(24 * 365);
/// How long a command may take to end after a stop signal before it is killed.
const KILL_AFTER: Duration = Duration::from_secs(20);

/// The `plan` and `lint` lines of the `command` format: skipped, and why.
pub(crate) fn skip_for_command(report: &mut Report) {
    let now = Instant::now();
    report.step(
        "plan",
        Status::Skipped,
        now,
        "command format: the app's migrator decides what is pending",
    );
    report.step(
        "lint",
        Status::Skipped,
        now,
        "command format: there is no SQL to lint",
    );
    report.set("pending", json!(null));
}

/// Runs the migrate command (the `command` format's migrate step).
pub(crate) async fn run_migrate_command(
    settings: &Settings,
    report: &mut Report,
) -> Result<(), Failure> {
    let step = Step::start("migrate");
    let (Some(command), Ok(database)) = (&settings.migrate_command, settings.database()) else {
        return Err(step.fail(
            report,
            Failure::internal("the command format was resolved without a command or a URL"),
        ));
    };
    let url = database.for_other_tools().map_err(|problem| {
        step.fail(
            report,
            Failure::new(
                ExitClass::Usage,
                "the database URL cannot be handed to the migrate command",
                problem.to_owned(),
                "Give certificates in the URL as file paths (sslrootcert=/path), as libpq reads them.",
            ),
        )
    })?;
    crate::redact::register_url_secrets(&url);
    report.note(&format!(
        "running the migrate command (`{}`)",
        program_of(command)
    ));
    let mut process = Command::new("sh");
    // libpq reads these before its defaults but after a URL's own parts (PGHOSTADDR, PGSERVICE
    // even over them): the command's driver must reach exactly the database in its URL.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            process.env_remove(name);
        }
    }
    process
        .arg("-c")
        .arg(command)
        .env("DATABASE_URL", &url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so that a stop signal reaches everything it started
        // (`sh`, the migrator, what that runs) and only once, from slipway.
        .process_group(0)
        .kill_on_drop(true);
    if settings.database_url_var != "DATABASE_URL" {
        process.env(&settings.database_url_var, &url);
    }
    let started = Instant::now();
    let child = process.spawn().map_err(|error| {
        step.fail(
            report,
            Failure::new(
                ExitClass::Migration,
                "the migrate command did not start",
                format!("sh -c {command}: {error}"),
                "Check that `sh` is on PATH. No migration ran.",
            ),
        )
    })?;
    let ended = supervise(child).await;
    let took = started.elapsed();
    report.set(
        "command",
        json!({
            "command": program_of(command),
            "exit_code": ended.status.as_ref().ok().and_then(ExitStatus::code),
            "signal": ended.signal,
            "duration_ms": u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        }),
    );
    match (&ended.status, ended.signal) {
        (Ok(status), None) if status.success() => {
            report.step_took(
                "migrate",
                Status::Ok,
                took,
                &format!("`{command}` exited 0"),
            );
            report.set("applied", json!(null));
            Ok(())
        }
        _ => Err(step.fail(report, command_failed(command, &ended))),
    }
}

/// How the command ended, and what it said last.
struct Ended {
    status: std::io::Result<ExitStatus>,
    /// The stop signal slipway received (and passed on) while it ran.
    signal: Option<&'static str>,
    tail: VecDeque<String>,
}

/// Passes the child's output on and waits for it. It ends when the child
/// does, not when its pipes close: a process it left in the background may
/// hold them open for ever, so what is still coming is read for
/// [`DRAIN_AFTER_EXIT`] more, then left. A stop signal is passed on to its
/// process group (each one slipway gets); if it is still running
/// [`KILL_AFTER`] after the first, its group is killed.
async fn supervise(mut child: Child) -> Ended {
    let (lines, mut received) = mpsc::channel::<String>(1024);
    if let Some(stdout) = child.stdout.take() {
        tokio::spawn(forward(stdout, lines.clone()));
    }
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(forward(stderr, lines.clone()));
    }
    drop(lines);
    let mut termination = Termination::listen();
    let mut tail = VecDeque::with_capacity(TAIL_LINES);
    let mut signal = None;
    let kill_at = tokio::time::sleep(NEVER);
    tokio::pin!(kill_at);
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            Some(line) = received.recv() => keep_line(&mut tail, &line),
            name = termination.received() => {
                if signal.is_none() {
                    kill_at.as_mut().reset(tokio::time::Instant::now() + KILL_AFTER);
                }
                signal.get_or_insert(name);
                eprintln_redacted(&format!(
                    "slipway-release | {name} received: passing it on to the migrate command and waiting for it to end"
                ));
                signal_group(&child, if name == "SIGINT" { Signal::SIGINT } else { Signal::SIGTERM });
            }
            () = &mut kill_at => {
                eprintln_redacted(&format!(
                    "slipway-release | the migrate command did not end within {}s of the signal: killing it",
                    KILL_AFTER.as_secs()
                ));
                signal_group(&child, Signal::SIGKILL);
                kill_at.as_mut().reset(tokio::time::Instant::now() + NEVER);
            }
        }
    };
    let drained = tokio::time::timeout(DRAIN_AFTER_EXIT, async {
        while let Some(line) = received.recv().await {
            keep_line(&mut tail, &line);
        }
    });
    let _ = drained.await;
    Ended {
        status,
        signal,
        tail,
    }
}

/// Prints one line of the command's output and keeps it in the tail.
fn keep_line(tail: &mut VecDeque<String>, line: &str) {
    eprintln_redacted(&format!("slipway-release |   > {line}"));
    if tail.len() == TAIL_LINES {
        tail.pop_front();
    }
    // Redacted whole before it is cut, so that no cut leaves a secret's head behind.
    tail.push_back(shortened(&redact(line), TAIL_LINE_CHARS));
}

/// `line` cut to `max` characters, saying so.
fn shortened(line: &str, max: usize) -> String {
    match line.char_indices().nth(max) {
        Some((end, _)) => format!("{} [... cut]", &line[..end]),
        None => line.to_owned(),
    }
}

/// Sends every line `reader` gives (lossy UTF-8) to `lines`. A line longer
/// than [`MAX_LINE_BYTES`] is not held whole (progress bars, binary output):
/// its first piece is redacted whole and passed on without its last
/// [`SECRET_MARGIN`] bytes (where a secret cut by the piece's end could
/// start), and the rest of the line is read and dropped.
async fn forward(reader: impl AsyncRead + Unpin, lines: mpsc::Sender<String>) {
    let mut reader = BufReader::new(reader);
    let mut buffer = Vec::new();
    let limit = u64::try_from(MAX_LINE_BYTES).unwrap_or(u64::MAX);
    let mut dropping = false;
    loop {
        buffer.clear();
        let read = match (&mut reader)
            .take(limit)
            .read_until(b'\n', &mut buffer)
            .await
        {
            Ok(0) | Err(_) => return,
            Ok(read) => read,
        };
        let whole = buffer.ends_with(b"\n");
        let line = if dropping {
            dropping = !whole;
            continue;
        } else if whole || read < MAX_LINE_BYTES {
            String::from_utf8_lossy(&buffer)
                .trim_end_matches(['\n', '\r'])
                .to_owned()
        } else {
            dropping = true;
            head_of_long_line(&buffer)
        };
        if lines.send(line).await.is_err() {
            return;
        }
    }
}

/// The part of a cut line's first piece that can be shown: redacted whole, then without its
/// last [`SECRET_MARGIN`] bytes.
fn head_of_long_line(piece: &[u8]) -> String {
    let redacted = redact(&String::from_utf8_lossy(piece));
    let mut end = redacted.len().saturating_sub(SECRET_MARGIN);
    while !redacted.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{} [... the rest of this long line is not shown]",
        &redacted[..end]
    )
}

/// Sends the child's process group `signal`.
fn signal_group(child: &Child, signal: Signal) {
    // `process_group(0)` made the child's pid its group's id.
    let Some(group) = child.id().and_then(|pid| i32::try_from(pid).ok()) else {
        return;
    };
    let _ = killpg(Pid::from_raw(group), signal);
}

/// The command's first word, which is how output names it: the rest may hold a
/// secret (`--password=...`) that no rule could tell from an argument.
fn program_of(command: &str) -> String {
    let mut words = command.split_whitespace();
    let first = words.next().unwrap_or_default();
    if words.next().is_some() {
        format!("{first} ...")
    } else {
        first.to_owned()
    }
}

/// The failure of a command that exited non-zero, was killed, or was stopped.
fn command_failed(command: &str, ended: &Ended) -> Failure {
    let how = match (&ended.status, ended.signal) {
        (_, Some(signal)) => format!("it was stopped: slipway received {signal} and passed it on"),
        (Ok(status), None) => match (
            status.code(),
            std::os::unix::process::ExitStatusExt::signal(status),
        ) {
            (Some(code), _) => format!("it exited with status {code}"),
            (None, Some(signal)) => format!("it was killed by signal {signal}"),
            (None, None) => "it ended without a status".to_owned(),
        },
        (Err(error), None) => format!("waiting for it failed: {error}"),
    };
    let mut cause = format!(
        "the migrate command (`{}`) failed: {how}",
        program_of(command)
    );
    if ended.tail.is_empty() {
        cause.push_str(" (it printed nothing)");
    } else {
        cause.push_str("; its last lines:");
        for line in &ended.tail {
            cause.push_str("\n  > ");
            cause.push_str(line);
        }
    }
    Failure::new(
        ExitClass::Migration,
        "the migrate command failed",
        cause,
        "slipway cannot tell what the command changed before it stopped: check its output above \
         and its own history table. The backup taken before it is the way back \
         (`slipway-release restore`). Fix the migration and release again.",
    )
}
