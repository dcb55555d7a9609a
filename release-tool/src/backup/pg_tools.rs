//! `pg_dump` and `pg_restore`: finding them, checking their version against
//! the server's, and running them. Every backup target that stores a
//! `pg_dump -Fc` archive goes through here.
//!
//! The password goes to the tools in `PGPASSWORD`, never on the command line,
//! where any user of the machine could read it from the process list.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::task::JoinHandle;

use super::{BackupError, Database};
use crate::redact;

/// The two tools, located.
#[derive(Debug, Clone)]
pub(crate) struct PgTools {
    pg_dump: PathBuf,
    pg_restore: PathBuf,
    compression: Compression,
    /// `pg_dump`'s major version, once [`PgTools::check_versions`] has read it.
    pg_dump_major: Option<u32>,
}

/// Where slipway finds `pg_dump` and `pg_restore`, and how dumps are compressed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ToolSettings {
    /// `SLIPWAY_PG_BIN_DIR`; `PATH` when unset.
    pub(crate) bin_dir: Option<PathBuf>,
    /// `SLIPWAY_BACKUP_COMPRESSION`.
    pub(crate) compression: Compression,
}

/// Whether a dump with `settings` could start: the compression asked for is one the installed
/// `pg_dump` writes. Only `lz4` and `zstd` depend on its version, so only they look for it:
/// `plan` says what `run` would refuse.
pub(crate) async fn check_dump_settings(settings: &ToolSettings) -> Result<(), BackupError> {
    if matches!(
        settings.compression,
        Compression::Lz4(_) | Compression::Zstd(_)
    ) {
        let pg_dump = find("pg_dump", settings.bin_dir.as_deref())?;
        let major = major_version("pg_dump", &pg_dump).await?;
        settings.compression.pg_dump_arg(major)?;
    }
    Ok(())
}

/// `SLIPWAY_BACKUP_COMPRESSION`: how `pg_dump -Fc` compresses the archive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Compression {
    /// gzip level 1 (see [`Compression::AUTO`]).
    #[default]
    Auto,
    /// gzip at a level from 0 (none) to 9; `pg_dump`'s own default is 6.
    Gzip(u32),
    /// lz4 (`pg_dump` 16 and later), at its default level or the one given.
    Lz4(Option<u32>),
    /// zstd (`pg_dump` 16 and later), at its default level or the one given.
    Zstd(Option<u32>),
}

impl Compression {
    /// What `auto` is. Measured with `benchmarks/s3-backup.sh` on a 211 MB pgvector database
    /// (`pg_dump` 15): gzip level 6, `pg_dump`'s default, took 32 s for a 167 MB archive; level 1
    /// took 6.1 s for 184 MB (1.10 times the size); no compression 3.5 s for 392 MB. Vector
    /// data (float arrays) barely compresses, so zlib's higher levels cost time for little.
    pub(crate) const AUTO: Self = Self::Gzip(1);

    /// Parses `auto`, `none`, `gzip`, `gzip:LEVEL` (0 to 9), `lz4`, `lz4:LEVEL` (1 to 12),
    /// `zstd` or `zstd:LEVEL` (1 to 22), in any case.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_ascii_lowercase();
        let (method, level) = match text.split_once(':') {
            Some((method, level)) => (method, Some(level.trim())),
            None => (text.as_str(), None),
        };
        let level = |range: std::ops::RangeInclusive<u32>| -> Result<Option<u32>, String> {
            let Some(level) = level else { return Ok(None) };
            match level.parse::<u32>() {
                Ok(n) if range.contains(&n) => Ok(Some(n)),
                _ => Err(format!(
                    "the {method} level must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                )),
            }
        };
        match method.trim() {
            "auto" if level(0..=0)?.is_none() => Ok(Self::Auto),
            "none" if level(0..=0)?.is_none() => Ok(Self::Gzip(0)),
            "gzip" => Ok(Self::Gzip(level(0..=9)?.unwrap_or(6))),
            "lz4" => Ok(Self::Lz4(level(1..=12)?)),
            "zstd" => Ok(Self::Zstd(level(1..=22)?)),
            _ => Err("not a compression".to_owned()),
        }
    }

    /// The `--compress` argument for a `pg_dump` of major version `pg_dump_major`, or why
    /// that `pg_dump` cannot compress so.
    fn pg_dump_arg(self, pg_dump_major: u32) -> Result<String, BackupError> {
        let (method, level) = match self {
            Self::Auto => return Self::AUTO.pg_dump_arg(pg_dump_major),
            // A bare level is gzip's for every pg_dump since 8.x.
            Self::Gzip(level) => return Ok(format!("--compress={level}")),
            Self::Lz4(level) => ("lz4", level),
            Self::Zstd(level) => ("zstd", level),
        };
        // lz4 and zstd archives came with pg_dump 16.
        if pg_dump_major < 16 {
            return Err(BackupError::CompressionUnsupported {
                method,
                pg_dump_major,
            });
        }
        Ok(match level {
            Some(level) => format!("--compress={method}:{level}"),
            None => format!("--compress={method}"),
        })
    }
}

/// A running `pg_dump -Fc`, whose archive is read from `stdout`.
pub(crate) struct RunningDump {
    child: Child,
    pub(crate) stdout: ChildStdout,
    stderr: JoinHandle<String>,
}

/// A running `pg_restore` that reads an archive from `stdin` (a streamed
/// backup); close `stdin` when the archive is written, then `finish`.
pub(crate) struct RunningRestore {
    child: Child,
    pub(crate) stdin: Option<ChildStdin>,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

/// The options of every restore: the objects in the archive are dropped and
/// recreated (`--clean --if-exists`), owners and grants are not restored
/// (roles differ between databases), and any error rolls the whole restore back.
const RESTORE_OPTIONS: [&str; 7] = [
    "--clean",
    "--if-exists",
    "--no-owner",
    "--no-privileges",
    "--single-transaction",
    "--exit-on-error",
    "--no-password",
];

/// `pg_restore` restores into a database only when given `--dbname`; an
/// empty one makes libpq read every parameter from the environment
/// [`libpq_command`] sets, so nothing of the URL is on the command line.
const TO_THE_DATABASE: &str = "--dbname=";

impl PgTools {
    /// Refuses, before a dump starts, a compression the `pg_dump` that
    /// [`PgTools::check_versions`] read cannot write. Restores read every
    /// compression, so only a dump asks.
    pub(crate) fn check_compression(&self) -> Result<(), BackupError> {
        self.compress_arg().map(drop)
    }

    /// `pg_dump`'s `--compress` argument. Every dump follows `check_versions`, which read the
    /// version; unknown, only the gzip levels every `pg_dump` writes are given.
    fn compress_arg(&self) -> Result<String, BackupError> {
        self.compression
            .pg_dump_arg(self.pg_dump_major.unwrap_or(0))
    }

    /// Finds `pg_dump` and `pg_restore` where `settings` says (`SLIPWAY_PG_BIN_DIR`), or on
    /// `PATH`.
    pub(crate) fn locate(settings: &ToolSettings) -> Result<Self, BackupError> {
        let bin_dir = settings.bin_dir.as_deref();
        Ok(Self {
            pg_dump: find("pg_dump", bin_dir)?,
            pg_restore: find("pg_restore", bin_dir)?,
            compression: settings.compression,
            pg_dump_major: None,
        })
    }

    /// Refuses tools older than the server: an older `pg_dump` cannot dump a
    /// newer server, and an older `pg_restore` cannot read its archives.
    pub(crate) async fn check_versions(&mut self, server_major: u32) -> Result<(), BackupError> {
        for (tool, path) in [("pg_dump", &self.pg_dump), ("pg_restore", &self.pg_restore)] {
            let tool_major = major_version(tool, path).await?;
            if tool_major < server_major {
                return Err(BackupError::ToolTooOld {
                    tool,
                    tool_major,
                    server_major,
                });
            }
            if tool == "pg_dump" {
                self.pg_dump_major = Some(tool_major);
            }
        }
        Ok(())
    }

    /// Starts `pg_dump -Fc` of `db`; the caller reads the archive from
    /// `stdout` and then calls [`RunningDump::finish`].
    pub(crate) fn spawn_dump(&self, db: &Database<'_>) -> Result<RunningDump, BackupError> {
        let mut command = libpq_command(&self.pg_dump, db)?;
        command
            .arg("--format=custom")
            .arg("--no-password")
            .stdout(Stdio::piped());
        command.arg(self.compress_arg()?);
        // pg_dump takes an ACCESS SHARE lock on every table and, without this,
        // waits forever behind a session holding an exclusive one: the release
        // phase would hang until Heroku kills it an hour later. pg_dump sets
        // its own `lock_timeout = 0`, so PGOPTIONS cannot bound it.
        if !db.lock_timeout.is_zero() {
            command.arg(format!(
                "--lock-wait-timeout={}",
                db.lock_timeout.as_millis()
            ));
        }
        let mut child = spawn(command, "pg_dump", &self.pg_dump)?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(io_error(
                "reading the output of",
                &self.pg_dump,
                "pipes were not set up",
            ));
        };
        Ok(RunningDump {
            child,
            stdout,
            stderr: tokio::spawn(read_all(stderr)),
        })
    }

    /// Verifies an archive with `pg_restore --list` and returns how many
    /// entries its table of contents has.
    pub(crate) async fn list_archive(&self, archive: &Path) -> Result<usize, BackupError> {
        let entries = self
            .table_of_contents(archive)
            .await?
            .lines()
            .filter(|line| !line.starts_with(';') && !line.trim().is_empty())
            .count();
        if entries == 0 {
            return Err(BackupError::ToolFailed {
                tool: "pg_restore",
                status: "exit status 0".to_owned(),
                stderr: format!("the archive {} lists no entries", archive.display()),
            });
        }
        Ok(entries)
    }

    /// Restores `archive` into `db` in one transaction: the objects in the
    /// archive are dropped and recreated (`--clean --if-exists`), owners and
    /// grants are not restored (roles differ between databases), and any
    /// error rolls the whole restore back.
    pub(crate) async fn restore_archive(
        &self,
        archive: &Path,
        db: &Database<'_>,
    ) -> Result<(), BackupError> {
        let mut command = libpq_command(&self.pg_restore, db)?;
        command
            .args(RESTORE_OPTIONS)
            .arg(TO_THE_DATABASE)
            .arg(archive)
            .stdout(Stdio::null());
        run(command, "pg_restore", &self.pg_restore)
            .await
            .map(|_| ())
    }
}

impl PgTools {
    /// `pg_restore --list` of an archive: its header and table of contents.
    async fn table_of_contents(&self, archive: &Path) -> Result<String, BackupError> {
        let mut command = Command::new(&self.pg_restore);
        command.arg("--list").arg(archive).stdout(Stdio::piped());
        let output = run(command, "pg_restore", &self.pg_restore).await?;
        Ok(String::from_utf8_lossy(&output).into_owned())
    }

    /// The database an archive was dumped from, exactly as `pg_dump` wrote it
    /// in the archive's header (`;     dbname: NAME`).
    pub(crate) async fn archive_database(
        &self,
        archive: &Path,
    ) -> Result<Option<String>, BackupError> {
        Ok(self
            .table_of_contents(archive)
            .await?
            .lines()
            .find_map(|line| {
                line.strip_prefix(';')?
                    .trim_start()
                    .strip_prefix("dbname: ")
                    .map(str::to_owned)
            }))
    }

    /// `pg_dump --version`, e.g. `pg_dump (PostgreSQL) 15.20`, for backup metadata.
    pub(crate) async fn pg_dump_version(&self) -> Result<String, BackupError> {
        let mut command = Command::new(&self.pg_dump);
        command.arg("--version").stdout(Stdio::piped());
        let output = run(command, "pg_dump", &self.pg_dump).await?;
        Ok(String::from_utf8_lossy(&output).trim().to_owned())
    }

    /// Starts `pg_restore --list` on an archive written to its stdin: it
    /// verifies a streamed archive without a local copy.
    pub(crate) fn spawn_list_from_stdin(&self) -> Result<RunningRestore, BackupError> {
        let mut command = Command::new(&self.pg_restore);
        command
            .arg("--list")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        RunningRestore::spawn(command, &self.pg_restore)
    }

    /// Starts a restore into `db` of an archive written to its stdin, with the
    /// same options as [`PgTools::restore_archive`].
    pub(crate) fn spawn_restore_from_stdin(
        &self,
        db: &Database<'_>,
    ) -> Result<RunningRestore, BackupError> {
        let mut command = libpq_command(&self.pg_restore, db)?;
        command
            .args(RESTORE_OPTIONS)
            .arg(TO_THE_DATABASE)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        RunningRestore::spawn(command, &self.pg_restore)
    }
}

impl RunningRestore {
    fn spawn(command: Command, path: &Path) -> Result<Self, BackupError> {
        let mut child = spawn(command, "pg_restore", path)?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(io_error("talking to", path, "pipes were not set up"));
        };
        Ok(Self {
            child,
            stdin: Some(stdin),
            stdout: tokio::spawn(read_all(stdout)),
            stderr: tokio::spawn(read_all(stderr)),
        })
    }

    /// Closes stdin, waits for `pg_restore` to exit, and returns its stdout,
    /// or fails with its stderr.
    pub(crate) async fn finish(mut self) -> Result<String, BackupError> {
        drop(self.stdin.take());
        let status = self.child.wait().await.map_err(|source| BackupError::Io {
            action: "waiting for",
            path: PathBuf::from("pg_restore"),
            source,
        })?;
        let stdout = self.stdout.await.unwrap_or_default();
        let stderr = self.stderr.await.unwrap_or_default();
        if status.success() {
            return Ok(stdout);
        }
        Err(BackupError::ToolFailed {
            tool: "pg_restore",
            status: status.to_string(),
            stderr: redact::redact(stderr.trim()),
        })
    }

    /// Kills `pg_restore` (a restore then rolls back: it runs in one transaction).
    pub(crate) async fn kill(mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill().await;
    }

    /// [`RunningRestore::finish`] for `pg_restore --list`: the number of
    /// entries in the archive's table of contents, which must not be zero.
    pub(crate) async fn finish_list(self) -> Result<usize, BackupError> {
        let listing = self.finish().await?;
        let entries = count_entries(&listing);
        if entries == 0 {
            return Err(BackupError::ToolFailed {
                tool: "pg_restore",
                status: "exit status 0".to_owned(),
                stderr: "the streamed archive lists no entries".to_owned(),
            });
        }
        Ok(entries)
    }
}

/// The entries in a `pg_restore --list` listing (comments and blank lines aside).
fn count_entries(listing: &str) -> usize {
    listing
        .lines()
        .filter(|line| !line.starts_with(';') && !line.trim().is_empty())
        .count()
}

impl RunningDump {
    /// Waits for `pg_dump` to exit and fails with its stderr if it did not succeed.
    pub(crate) async fn finish(self) -> Result<(), BackupError> {
        let Self {
            mut child,
            stdout,
            stderr,
        } = self;
        // When the reader stopped early (a failed upload or write), pg_dump
        // would block on a full pipe forever: closing it makes pg_dump fail.
        drop(stdout);
        let status = child.wait().await.map_err(|source| BackupError::Io {
            action: "waiting for",
            path: PathBuf::from("pg_dump"),
            source,
        })?;
        let stderr = stderr.await.unwrap_or_default();
        if status.success() {
            return Ok(());
        }
        Err(BackupError::ToolFailed {
            tool: "pg_dump",
            status: status.to_string(),
            stderr: redact::redact(stderr.trim()),
        })
    }
}

fn find(tool: &'static str, bin_dir: Option<&Path>) -> Result<PathBuf, BackupError> {
    let (dirs, searched): (Vec<PathBuf>, String) = if let Some(dir) = bin_dir {
        (
            vec![dir.to_owned()],
            format!("SLIPWAY_PG_BIN_DIR={}", dir.display()),
        )
    } else {
        let path = std::env::var_os("PATH").unwrap_or_default();
        (std::env::split_paths(&path).collect(), "PATH".to_owned())
    };
    dirs.into_iter()
        .map(|dir| dir.join(tool))
        .find(|candidate| candidate.is_file())
        .ok_or(BackupError::ToolMissing { tool, searched })
}

/// The major version a tool reports, e.g. 15 for `pg_dump (PostgreSQL) 15.4`.
async fn major_version(tool: &'static str, path: &Path) -> Result<u32, BackupError> {
    let mut command = Command::new(path);
    command
        .arg("--version")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = run(command, tool, path).await?;
    let text = String::from_utf8_lossy(&output).trim().to_owned();
    parse_major(&text).ok_or(BackupError::ToolVersionUnreadable { tool, output: text })
}

/// Parses the major version from `--version` output.
pub(crate) fn parse_major(text: &str) -> Option<u32> {
    let after = text.split_once(')').map_or(text, |(_, rest)| rest);
    let number = after.split_whitespace().next()?;
    number.split('.').next()?.parse().ok()
}

fn spawn(mut command: Command, tool: &'static str, path: &Path) -> Result<Child, BackupError> {
    command.spawn().map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            BackupError::ToolMissing {
                tool,
                searched: path.display().to_string(),
            }
        } else {
            BackupError::Io {
                action: "starting",
                path: path.to_owned(),
                source,
            }
        }
    })
}

/// Runs a command to completion; returns its stdout, or fails with its stderr.
async fn run(
    mut command: Command,
    tool: &'static str,
    path: &Path,
) -> Result<Vec<u8>, BackupError> {
    command.stderr(Stdio::piped());
    let child = spawn(command, tool, path)?;
    let output = child
        .wait_with_output()
        .await
        .map_err(|source| BackupError::Io {
            action: "running",
            path: path.to_owned(),
            source,
        })?;
    if output.status.success() {
        return Ok(output.stdout);
    }
    Err(BackupError::ToolFailed {
        tool,
        status: output.status.to_string(),
        stderr: redact::redact(String::from_utf8_lossy(&output.stderr).trim()),
    })
}

async fn read_all(mut pipe: impl tokio::io::AsyncRead + Unpin) -> String {
    let mut text = String::new();
    let _ = pipe.read_to_string(&mut text).await;
    text
}

fn io_error(action: &'static str, path: &Path, message: &str) -> BackupError {
    BackupError::Io {
        action,
        path: path.to_owned(),
        source: std::io::Error::other(message.to_owned()),
    }
}

// How slipway starts a libpq tool: the connection settings sqlx uses go in its environment,
// never on its command line, and no `PG*` variable of our own environment reaches it.

/// Variables of ours a libpq tool may read: where the password file is, as
/// sqlx reads it too when the URL has no password.
const INHERITED: [&str; 1] = ["PGPASSFILE"];

/// A command for a libpq tool that connects exactly where sqlx connects.
// libpq reads a `PGSERVICE` (whose values beat the other variables), a
// `PGDATABASE` or a `PGSSLMODE` of ours as readily as the ones we set: only
// the parameters sqlx connected with may reach the tool.
fn libpq_command(program: &Path, db: &Database<'_>) -> Result<Command, BackupError> {
    let parameters = db
        .url
        .libpq_environment()
        .map_err(|reason| BackupError::UnsupportedConnection(reason.to_owned()))?;
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("PG") && !INHERITED.contains(&name.as_ref()) {
            command.env_remove(name.as_ref());
        }
    }
    command
        .envs(parameters.iter().map(|(k, v)| (k, v)))
        .env("PGCONNECT_TIMEOUT", connect_timeout(db.connect_timeout))
        .env("PGAPPNAME", "slipway-release")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    Ok(command)
}

/// `PGCONNECT_TIMEOUT` for `timeout`: whole seconds, at least libpq's
/// minimum of 2; `0` stays `0`, which libpq reads as no limit, as slipway does.
fn connect_timeout(timeout: std::time::Duration) -> String {
    if timeout.is_zero() {
        return "0".to_owned();
    }
    timeout.as_secs().max(2).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressions_parse_and_become_pg_dump_arguments() {
        let arg = |text: &str, major: u32| {
            Compression::parse(text)
                .unwrap()
                .pg_dump_arg(major)
                .map_err(|e| e.to_string())
        };
        assert_eq!(Compression::parse(" AUTO "), Ok(Compression::Auto));
        assert_eq!(arg("auto", 15).unwrap(), "--compress=1");
        assert_eq!(arg("none", 15).unwrap(), "--compress=0");
        assert_eq!(arg("gzip", 15).unwrap(), "--compress=6");
        assert_eq!(arg("gzip:9", 17).unwrap(), "--compress=9");
        assert_eq!(arg("zstd", 16).unwrap(), "--compress=zstd");
        assert_eq!(arg("lz4:3", 17).unwrap(), "--compress=lz4:3");
        let refused = arg("zstd:3", 15).unwrap_err();
        assert!(
            refused.contains("pg_dump 15 cannot write zstd"),
            "{refused}"
        );
        for bad in [
            "gzip:10", "gzip:x", "zstd:0", "lz4:13", "auto:1", "brotli", "",
        ] {
            assert!(Compression::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_connect_timeout_of_zero_is_no_limit_for_libpq_too() {
        use std::time::Duration;
        assert_eq!(super::connect_timeout(Duration::ZERO), "0");
        assert_eq!(super::connect_timeout(Duration::from_millis(500)), "2");
        assert_eq!(super::connect_timeout(Duration::from_secs(30)), "30");
    }

    #[test]
    fn parses_majors_from_real_version_lines() {
        assert_eq!(
            parse_major("pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"),
            Some(15)
        );
        assert_eq!(parse_major("pg_restore (PostgreSQL) 17.2"), Some(17));
        assert_eq!(parse_major("pg_dump (PostgreSQL) 9.6.24"), Some(9));
        assert_eq!(parse_major("no version here"), None);
    }
}
