//! `file:DIR`: archives in a local folder. The archive is written to a
//! temporary file in the folder, verified with `pg_restore --list`, and only
//! then renamed to its name, so a failed backup never looks like a good one.

use std::collections::BTreeSet;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::interrupt::{self, Termination};
use super::pg_tools::{self, PgTools, ToolSettings};
use super::{BackupError, BackupRecord, BackupTarget, Database};

/// The name of a backup being written (`tempfile` appends random letters).
const PARTIAL_PREFIX: &str = ".slipway-partial-";
/// What follows a dump's name in the name of its manifest.
const MANIFEST_SUFFIX: &str = ".json";
/// The `made_by` of every manifest slipway writes.
const MADE_BY: &str = "slipway-release";

/// `<dump>.json` beside each dump: the database it is a backup of, exactly.
// The dump's name holds only a file-name-safe form of the database, which two
// databases can share (`rv.coll`, `rv-coll`): retention and `restore latest`
// read the database from here.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    made_by: String,
    /// The dump's file name.
    name: String,
    database: String,
}

pub(crate) struct FileTarget {
    dir: PathBuf,
    /// Where `pg_dump` and `pg_restore` are, and how dumps are compressed.
    tools: ToolSettings,
}

impl FileTarget {
    pub(crate) fn new(dir: PathBuf, tools: ToolSettings) -> Self {
        Self { dir, tools }
    }

    fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
        let path = path.to_owned();
        move |source| BackupError::Io {
            action,
            path,
            source,
        }
    }

    /// Creates the folder and any missing parents, each readable only by us
    /// (0700): dumps hold all the data. A folder that already exists keeps
    /// its mode: it may be shared (`file:/tmp`, sticky 1777) and is not ours
    /// to restrict; the dumps in it are 0600 whatever the folder's mode.
    fn ensure_dir(&self) -> Result<(), BackupError> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(Self::io("creating the backup folder", &self.dir))
    }

    /// A name in the folder, or a path to an archive.
    fn locate(&self, name: &str) -> Result<PathBuf, BackupError> {
        let in_dir = self.dir.join(name);
        if !name.contains('/') && in_dir.is_file() {
            return Ok(in_dir);
        }
        let as_path = PathBuf::from(name);
        if as_path.is_file() {
            return Ok(as_path);
        }
        Err(BackupError::NotFound {
            name: name.to_owned(),
            target: self.describe(),
        })
    }

    /// `name`, or when it is taken (two backups within one millisecond) the
    /// first free name a millisecond later, and so on: the name still parses
    /// back to its database and sorts by time. (Older versions appended `-2`,
    /// `-3`...; [`legacy_sequence`] reads those.)
    fn free_path(&self, name: &str) -> PathBuf {
        let mut candidate = name.to_owned();
        while self.dir.join(&candidate).exists() {
            match super::later_name(&candidate) {
                Some(later) => candidate = later,
                None => break,
            }
        }
        self.dir.join(candidate)
    }

    /// [`BackupTarget::create`], without the signal handling.
    async fn write_backup(
        &self,
        db: &Database<'_>,
        name: &str,
    ) -> Result<BackupRecord, BackupError> {
        let mut tools = PgTools::locate(&self.tools)?;
        tools.check_versions(db.server_major).await?;
        tools.check_compression()?;
        self.ensure_dir()?;
        self.remove_stale_partials()?;
        let partial = self.locked_partial()?;
        let mut dump = tools.spawn_dump(db)?;
        let mut out = tokio::fs::File::from_std(
            partial
                .reopen()
                .map_err(Self::io("opening", partial.path()))?,
        );
        let copied = tokio::io::copy(&mut dump.stdout, &mut out).await;
        if let Err(source) = copied {
            // A failed write (a full disk) is the cause: pg_dump only dies of
            // the closed pipe (SIGPIPE) because of it. Dropping `dump` kills it.
            drop(dump);
            return Err(Self::io("writing", partial.path())(source));
        }
        dump.finish().await?;
        out.sync_all()
            .await
            .map_err(Self::io("syncing", partial.path()))?;
        let entries = tools.list_archive(partial.path()).await?;
        let path = self.free_path(name);
        partial
            .persist_noclobber(&path)
            .map_err(|e| BackupError::Io {
                action: "naming the backup",
                path: path.clone(),
                source: e.error,
            })?;
        // After the dump has its name, which no other backup can then take: a
        // crash in between leaves a dump without a manifest, which is only
        // read by a name no other database can share.
        self.write_manifest(&path, db.name)?;
        Ok(Self::record(&path, Some(entries)))
    }

    /// Writes the manifest of the dump at `dump` (atomically: a temporary
    /// file renamed over any stale one).
    fn write_manifest(&self, dump: &Path, database: &str) -> Result<(), BackupError> {
        let manifest = Manifest {
            made_by: MADE_BY.to_owned(),
            name: file_name(dump),
            database: database.to_owned(),
        };
        let path = manifest_path(dump);
        let text = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Io {
            action: "writing the manifest",
            path: path.clone(),
            source: e.into(),
        })?;
        // Locked, so that another release's sweep of stale partial files
        // leaves it alone.
        let mut file = self.locked_partial()?;
        std::io::Write::write_all(&mut file, &text)
            .and_then(|()| file.as_file().sync_all())
            .map_err(Self::io("writing", &path))?;
        file.persist(&path).map_err(|e| BackupError::Io {
            action: "naming the manifest",
            path: path.clone(),
            source: e.error,
        })?;
        Ok(())
    }

    /// A new `.slipway-partial-*` file in the folder, locked (`flock`) for as
    /// long as it is open, so that [`FileTarget::remove_stale_partials`] in
    /// another process never takes it for one a crash left behind.
    fn locked_partial(&self) -> Result<tempfile::NamedTempFile, BackupError> {
        loop {
            let partial = tempfile::Builder::new()
                .prefix(PARTIAL_PREFIX)
                .tempfile_in(&self.dir)
                .map_err(Self::io("creating a file in", &self.dir))?;
            partial
                .as_file()
                .lock()
                .map_err(Self::io("locking", partial.path()))?;
            // Another process may have removed the file between its creation
            // and the lock (it was not locked yet): then make another.
            let ours = partial.as_file().metadata().map(|m| m.ino()).ok();
            let there = std::fs::metadata(partial.path()).map(|m| m.ino()).ok();
            if ours.is_some() && ours == there {
                return Ok(partial);
            }
        }
    }

    /// Removes the `.slipway-partial-*` files that no running backup holds: a
    /// crash (SIGKILL, a lost dyno) leaves its partial file behind, unlocked.
    fn remove_stale_partials(&self) -> Result<(), BackupError> {
        let entries = std::fs::read_dir(&self.dir).map_err(Self::io("reading", &self.dir))?;
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let is_partial = entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(PARTIAL_PREFIX));
            if !is_partial {
                continue;
            }
            let Ok(file) = std::fs::File::open(&path) else {
                continue;
            };
            // Locked: a backup is writing it right now.
            if file.try_lock().is_ok() {
                std::fs::remove_file(&path)
                    .map_err(Self::io("removing the stale partial backup", &path))?;
            }
        }
        Ok(())
    }

    fn record(path: &Path, verified_entries: Option<usize>) -> BackupRecord {
        let name = file_name(path);
        BackupRecord {
            database: recorded_database(path, &name),
            created_at: super::backup_time(&name),
            name,
            location: path.display().to_string(),
            size_bytes: std::fs::metadata(path).ok().map(|m| m.len()),
            verified_entries,
            pending_versions: None,
        }
    }
}

#[async_trait]
impl BackupTarget for FileTarget {
    fn describe(&self) -> String {
        format!("file:{}", self.dir.display())
    }

    async fn preflight(&self) -> Result<(), BackupError> {
        pg_tools::check_dump_settings(&self.tools).await
    }

    /// Writes the archive to a locked `.slipway-partial-*` file, verifies it
    /// and names it. A stop signal removes the partial file (dropping it
    /// deletes it, and kills `pg_dump`); stale ones a crash left are removed
    /// first.
    async fn create(&self, db: &Database<'_>, name: &str) -> Result<BackupRecord, BackupError> {
        let mut termination = Termination::listen();
        let outcome = tokio::select! {
            created = self.write_backup(db, name) => created,
            signal = termination.received() => Err(BackupError::Interrupted { signal }),
        };
        interrupt::exit_on_later_termination();
        outcome
    }

    async fn list(&self) -> Result<Vec<BackupRecord>, BackupError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(Self::io("reading", &self.dir)(source)),
        };
        let paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.file_name()
                    .is_some_and(|n| super::is_dump_name(&n.to_string_lossy()))
            })
            .collect();
        let mut records: Vec<BackupRecord> =
            paths.iter().map(|path| Self::record(path, None)).collect();
        attribute_by_archive(&self.tools, &paths, &mut records).await;
        let names: BTreeSet<String> = records.iter().map(|r| r.name.clone()).collect();
        let names: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        // By time: an older version's `-2` comes right after its first name
        // (by bytes it would sort before it: `-` < `.`).
        records.sort_by_cached_key(|record| {
            super::legacy_sequence(&record.name, &names).unwrap_or_else(|| (record.name.clone(), 1))
        });
        Ok(records)
    }

    async fn restore(&self, name: &str, db: &Database<'_>) -> Result<(), BackupError> {
        let path = self.locate(name)?;
        let mut tools = PgTools::locate(&self.tools)?;
        tools.check_versions(db.server_major).await?;
        tools.list_archive(&path).await?;
        tools.restore_archive(&path, db).await
    }

    async fn prune(&self, keep: usize, database: &str) -> Result<Vec<BackupRecord>, BackupError> {
        let all = self.list().await?;
        let names: BTreeSet<&str> = all.iter().map(|r| r.name.as_str()).collect();
        let mine: Vec<&BackupRecord> = all
            .iter()
            .filter(|record| record.is_of(database, &names))
            .collect();
        let excess = mine.len().saturating_sub(keep);
        let mut deleted = Vec::new();
        for record in mine.iter().take(excess) {
            let path = self.dir.join(&record.name);
            std::fs::remove_file(&path).map_err(Self::io("deleting the old backup", &path))?;
            remove_manifest(&path)?;
            deleted.push((*record).clone());
        }
        self.keep_legacy_names_readable(&mine[excess..], &names)?;
        Ok(deleted)
    }
}

impl FileTarget {
    /// An older version's `…-2.dump` is only read as this database's while
    /// its first name is there: when pruning deleted the first, the oldest
    /// kept one takes the first's name (same time stamp, same database).
    fn keep_legacy_names_readable(
        &self,
        kept: &[&BackupRecord],
        listed: &BTreeSet<&str>,
    ) -> Result<(), BackupError> {
        let mut renamed = BTreeSet::new();
        // Only an older version's dump (no manifest) has a `-N` name; one
        // with a manifest is never renamed away from it.
        for record in kept.iter().filter(|record| record.database.is_none()) {
            let Some((first, _)) = super::legacy_sequence(&record.name, listed) else {
                continue;
            };
            let first_path = self.dir.join(&first);
            if renamed.contains(&first) || first_path.exists() {
                continue;
            }
            let path = self.dir.join(&record.name);
            std::fs::rename(&path, &first_path).map_err(Self::io("renaming the backup", &path))?;
            renamed.insert(first);
        }
        Ok(())
    }
}

/// Gives a dump without a manifest (an older version's, or one a crash left
/// before its manifest was written) the database its archive's header names:
/// `pg_dump` wrote it there, exactly, unlike the file-name-safe form in the
/// dump's name. A dump whose header cannot be read keeps none.
async fn attribute_by_archive(
    tools: &ToolSettings,
    paths: &[PathBuf],
    records: &mut [BackupRecord],
) {
    if records.iter().all(|record| record.database.is_some()) {
        return;
    }
    let Ok(tools) = PgTools::locate(tools) else {
        return;
    };
    for (path, record) in paths.iter().zip(records.iter_mut()) {
        if record.database.is_none() {
            record.database = tools.archive_database(path).await.ok().flatten();
        }
    }
}

/// The file name of `path`, as text.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// Where the manifest of the dump at `dump` is.
fn manifest_path(dump: &Path) -> PathBuf {
    let mut name = dump.as_os_str().to_owned();
    name.push(MANIFEST_SUFFIX);
    PathBuf::from(name)
}

/// The database the manifest of dump `name` at `path` records, if it has a
/// manifest slipway wrote for it.
fn recorded_database(path: &Path, name: &str) -> Option<String> {
    let text = std::fs::read(manifest_path(path)).ok()?;
    let manifest: Manifest = serde_json::from_slice(&text).ok()?;
    (manifest.made_by == MADE_BY && manifest.name == name).then_some(manifest.database)
}

/// Removes the manifest of the dump at `dump`, if it has one.
fn remove_manifest(dump: &Path) -> Result<(), BackupError> {
    let path = manifest_path(dump);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(BackupError::Io {
            action: "deleting the manifest",
            path,
            source: e,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn a_taken_name_moves_a_millisecond_later_and_stays_this_databases() {
        let dir = tempfile::tempdir().unwrap();
        let target = FileTarget::new(dir.path().to_owned(), ToolSettings::default());
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let name = super::super::backup_name("app", t);
        std::fs::write(dir.path().join(&name), b"first").unwrap();
        std::fs::write(
            dir.path().join(super::super::backup_name(
                "app",
                t + Duration::from_millis(1),
            )),
            b"second",
        )
        .unwrap();
        let free = target.free_path(&name);
        assert_eq!(
            free,
            dir.path().join(super::super::backup_name(
                "app",
                t + Duration::from_millis(2)
            ))
        );
        let free = free.file_name().unwrap().to_string_lossy().into_owned();
        assert!(free > name);
    }
}
