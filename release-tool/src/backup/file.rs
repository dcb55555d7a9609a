//! `file:DIR`: archives in a local folder. The archive is written to a
//! temporary file in the folder, verified with `pg_restore --list`, and only
//! then renamed to its name, so a failed backup never looks like a good one.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::pg_tools::PgTools;
use super::{BackupError, BackupRecord, BackupTarget, Database};

pub(crate) struct FileTarget {
    dir: PathBuf,
}

impl FileTarget {
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
        let path = path.to_owned();
        move |source| BackupError::Io {
            action,
            path,
            source,
        }
    }

    /// Creates the folder, readable only by us: dumps hold all the data.
    fn ensure_dir(&self) -> Result<(), BackupError> {
        std::fs::create_dir_all(&self.dir)
            .map_err(Self::io("creating the backup folder", &self.dir))?;
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))
            .map_err(Self::io("restricting the backup folder", &self.dir))
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

    /// A name not taken yet (two backups within one second get `-2`, `-3`...).
    fn free_path(&self, name: &str) -> PathBuf {
        let stem = name.trim_end_matches(".dump");
        std::iter::once(self.dir.join(name))
            .chain((2..u32::MAX).map(|n| self.dir.join(format!("{stem}-{n}.dump"))))
            .find(|candidate| !candidate.exists())
            .unwrap_or_else(|| self.dir.join(name))
    }

    fn record(path: &Path, verified_entries: Option<usize>) -> BackupRecord {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        BackupRecord {
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

    async fn create(&self, db: &Database<'_>, name: &str) -> Result<BackupRecord, BackupError> {
        let tools = PgTools::locate()?;
        tools.check_versions(db.server_major).await?;
        self.ensure_dir()?;
        let partial = tempfile::Builder::new()
            .prefix(".slipway-partial-")
            .tempfile_in(&self.dir)
            .map_err(Self::io("creating a file in", &self.dir))?;
        let mut dump = tools.spawn_dump(db)?;
        let mut out = tokio::fs::File::from_std(
            partial
                .reopen()
                .map_err(Self::io("opening", partial.path()))?,
        );
        let copied = tokio::io::copy(&mut dump.stdout, &mut out).await;
        dump.finish().await?;
        copied.map_err(Self::io("writing", partial.path()))?;
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
        Ok(Self::record(&path, Some(entries)))
    }

    async fn list(&self) -> Result<Vec<BackupRecord>, BackupError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(Self::io("reading", &self.dir)(source)),
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .is_some_and(|n| {
                        n.starts_with("slipway-")
                            && Path::new(&n).extension().is_some_and(|e| e == "dump")
                    })
            })
            .collect();
        paths.sort();
        Ok(paths.iter().map(|path| Self::record(path, None)).collect())
    }

    async fn restore(&self, name: &str, db: &Database<'_>) -> Result<(), BackupError> {
        let path = self.locate(name)?;
        let tools = PgTools::locate()?;
        tools.check_versions(db.server_major).await?;
        tools.list_archive(&path).await?;
        tools.restore_archive(&path, db).await
    }

    async fn prune(&self, keep: usize, database: &str) -> Result<Vec<BackupRecord>, BackupError> {
        let mut all = self.list().await?;
        all.retain(|record| super::is_backup_of(&record.name, database));
        let excess = all.len().saturating_sub(keep);
        let mut deleted = Vec::new();
        for record in all.into_iter().take(excess) {
            let path = self.dir.join(&record.name);
            std::fs::remove_file(&path).map_err(Self::io("deleting the old backup", &path))?;
            deleted.push(record);
        }
        Ok(deleted)
    }
}
