//! [`BackupTarget`] for `s3://BUCKET/PREFIX`.

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;

use super::catalog::DumpFacts;
use super::upload::Upload;
use super::{S3Backups, S3Env, S3Error, S3Location, S3Settings, StoredBackup};
use crate::backup::interrupt::{self, Termination};
use crate::backup::pg_tools::{self, PgTools, ToolSettings};
use crate::backup::{BackupError, BackupRecord, BackupTarget, Database};

/// Backups in an S3-compatible bucket.
pub(crate) struct S3Target {
    backups: S3Backups,
    /// Where `pg_dump` and `pg_restore` are, and how dumps are compressed.
    tools: ToolSettings,
    /// Versions of the migrations about to run, for the sidecar.
    pending_versions: Vec<crate::migrations::Version>,
}

impl S3Target {
    /// Builds the target for `location` from its settings.
    pub(crate) fn new(
        location: S3Location,
        env: &S3Env,
        tools: ToolSettings,
        pending_versions: Vec<crate::migrations::Version>,
    ) -> Result<Self, S3Error> {
        let settings = S3Settings::new(env)?;
        Ok(Self {
            backups: S3Backups::new(location, &settings)?,
            tools,
            pending_versions,
        })
    }

    /// [`BackupTarget::create`]; `termination` tells of a stop signal (one
    /// that came earlier is still reported, so none is missed between steps).
    async fn upload_backup(
        &self,
        db: &Database<'_>,
        name: &str,
        termination: &mut Termination,
    ) -> Result<BackupRecord, BackupError> {
        let mut tools = PgTools::locate(&self.tools)?;
        tools.check_versions(db.server_major).await?;
        tools.check_compression()?;
        let facts = DumpFacts {
            database: db.name.to_owned(),
            pending_versions: self.pending_versions.clone(),
            server_version: db.server_major,
            pg_dump_version: tools.pg_dump_version().await?,
        };
        let mut upload = self.backups.begin(name).await?;
        let entries = match stream_dump(&tools, db, &mut upload, termination).await {
            Ok(entries) => entries,
            Err(error) => {
                abort_quietly(upload).await;
                return Err(error);
            }
        };
        let created_at =
            humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        let finishing = self.backups.finish(upload, name, &created_at, &facts);
        tokio::pin!(finishing);
        let stored = tokio::select! {
            stored = &mut finishing => stored?,
            signal = termination.received() => {
                // Completing an upload cannot be called off halfway (the
                // upload's id goes with it): let it end, then delete whatever
                // it made, the object and its sidecar.
                let _ = finishing.await;
                return Err(self.backups.remove_after_interrupt(name, signal).await.into());
            }
        };
        Ok(Self::record(stored, Some(entries)))
    }

    fn record(backup: StoredBackup, verified_entries: Option<usize>) -> BackupRecord {
        BackupRecord {
            name: backup.name,
            location: backup.url,
            size_bytes: Some(backup.sidecar.size),
            verified_entries,
            created_at: Some(backup.sidecar.created_at),
            database: Some(backup.sidecar.facts.database),
            pending_versions: Some(backup.sidecar.facts.pending_versions),
        }
    }
}

#[async_trait]
impl BackupTarget for S3Target {
    fn describe(&self) -> String {
        self.backups.location().to_string()
    }

    async fn preflight(&self) -> Result<(), BackupError> {
        pg_tools::check_dump_settings(&self.tools).await
    }

    /// Streams `pg_dump -Fc` into a multipart upload while `pg_restore --list`
    /// reads the same bytes, then completes and verifies the upload. Any
    /// failure, and a stop signal at any point, aborts the upload or deletes
    /// the object, so no object remains.
    async fn create(&self, db: &Database<'_>, name: &str) -> Result<BackupRecord, BackupError> {
        let mut termination = Termination::listen();
        let outcome = self.upload_backup(db, name, &mut termination).await;
        interrupt::exit_on_later_termination();
        outcome
    }

    async fn list(&self) -> Result<Vec<BackupRecord>, BackupError> {
        Ok(self
            .backups
            .list()
            .await?
            .into_iter()
            .map(|backup| Self::record(backup, None))
            .collect())
    }

    /// Streams the object into `pg_restore` (no local copy), checking its
    /// size and SHA-256 against the sidecar on the way.
    async fn restore(&self, name: &str, db: &Database<'_>) -> Result<(), BackupError> {
        let mut tools = PgTools::locate(&self.tools)?;
        tools.check_versions(db.server_major).await?;
        let mut restore = tools.spawn_restore_from_stdin(db)?;
        let streamed = match restore.stdin.as_mut() {
            Some(stdin) => self.backups.download_to(name, stdin).await.map(|_| ()),
            None => Err(S3Error::Internal("pg_restore has no stdin".to_owned())),
        };
        if let Err(error) = streamed {
            // Killed before it could commit: its one transaction rolls back.
            restore.kill().await;
            return Err(error.into());
        }
        if let Some(mut stdin) = restore.stdin.take() {
            // Closing stdin tells pg_restore the archive is complete.
            let _ = stdin.shutdown().await;
        }
        restore.finish().await.map(|_| ())
    }

    async fn prune(&self, keep: usize, database: &str) -> Result<Vec<BackupRecord>, BackupError> {
        Ok(self
            .backups
            .prune(keep, database)
            .await?
            .into_iter()
            .map(|backup| Self::record(backup, None))
            .collect())
    }
}

/// Runs `pg_dump -Fc` into `upload` and `pg_restore --list`; returns the
/// number of entries the archive lists. The caller aborts the upload on error.
async fn stream_dump(
    tools: &PgTools,
    db: &Database<'_>,
    upload: &mut Upload,
    termination: &mut Termination,
) -> Result<usize, BackupError> {
    let mut dump = tools.spawn_dump(db)?;
    // Dropping `dump` on error kills pg_dump (`kill_on_drop`).
    let mut check = tools.spawn_list_from_stdin()?;
    // SIGTERM (a cancelled release) or Ctrl-C: abort the upload rather than
    // leave an incomplete one behind.
    let copied = tokio::select! {
        copied = upload.copy_from(&mut dump.stdout, &mut check.stdin) => copied,
        signal = termination.received() => Err(S3Error::Interrupted { signal }),
    };
    let dumped = dump.finish().await;
    let listed = check.finish_list().await;
    // A failed upload makes pg_dump die of SIGPIPE, so it is the cause to
    // report; when pg_dump fails by itself the stream just ends early.
    copied?;
    dumped?;
    listed
}

async fn abort_quietly(upload: Upload) {
    // The error that caused the abort is the one to report; an abort that
    // fails leaves an incomplete multipart upload, which is never an object.
    let _ = upload.abort().await;
}
