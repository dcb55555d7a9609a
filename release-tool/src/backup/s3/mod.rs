//! The `s3://BUCKET/PREFIX` backup target: any S3-compatible store.
//!
//! `pg_dump -Fc` streams straight into a multipart upload (no local copy,
//! bounded memory). The upload is verified (size on the server and SHA-256 of
//! what was streamed) and described by a sidecar `<dump>.json`; a failed
//! upload is aborted so that no half object remains.

mod catalog;
mod error;
mod settings;
mod target;
mod upload;

use std::sync::Arc;

use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, Checksum};
use object_store::path::Path;
use object_store::{
    Attribute, AttributeValue, Attributes, GetOptions, ObjectStore, ObjectStoreExt,
    PutMultipartOptions, PutPayload, WriteMultipart,
};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncWrite, AsyncWriteExt};

pub(crate) use catalog::{DumpFacts, Sidecar};
use catalog::{ReadObject, check_against};
use error::ReadSidecarError;
pub(crate) use error::S3Error;
pub(crate) use settings::{
    DEFAULT_PART_SIZE, S3Env, S3Location, S3Settings, parse_bool, parse_endpoint, parse_part_size,
};
pub(crate) use target::S3Target;
use upload::Upload;

/// A slipway backup stored in S3, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredBackup {
    /// The dump's file name, which `restore` takes.
    pub(crate) name: String,
    /// The full `s3://bucket/key`.
    pub(crate) url: String,
    pub(crate) sidecar: Sidecar,
}

/// The backups of one S3 location.
pub(crate) struct S3Backups {
    store: Arc<AmazonS3>,
    location: S3Location,
    part_size: usize,
}

impl S3Backups {
    /// Builds the client; this sends nothing yet.
    pub(crate) fn new(location: S3Location, settings: &S3Settings) -> Result<Self, S3Error> {
        crate::redact::register_secret(settings.secret_access_key.expose());
        // object_store's reqwest client takes the process-wide provider.
        crate::http::install_crypto_provider();
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&location.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(settings.secret_access_key.expose())
            // The server checks each part against its SHA-256.
            .with_checksum_algorithm(Checksum::SHA256)
            .with_virtual_hosted_style_request(!settings.path_style);
        if let Some(token) = &settings.session_token {
            crate::redact::register_secret(token.expose());
            builder = builder.with_token(token.expose());
        }
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"));
        }
        let store = builder
            .build()
            .map_err(|e| S3Error::Client(e.to_string()))?;
        Ok(Self {
            store: Arc::new(store),
            location,
            part_size: settings.part_size,
        })
    }

    pub(crate) fn location(&self) -> &S3Location {
        &self.location
    }

    /// Starts a multipart upload for a new dump named `name`.
    pub(crate) async fn begin(&self, name: &str) -> Result<Upload, S3Error> {
        let path = self.path(name);
        let mut attributes = Attributes::new();
        attributes.insert(
            Attribute::ContentType,
            AttributeValue::from("application/vnd.postgresql.custom-dump"),
        );
        attributes.insert(
            Attribute::Metadata("made-by".into()),
            AttributeValue::from(catalog::MADE_BY),
        );
        let options = PutMultipartOptions {
            attributes,
            ..PutMultipartOptions::default()
        };
        let multipart = self
            .store
            .put_multipart_opts(&path, options)
            .await
            .map_err(|source| S3Error::Start {
                object: self.url(&path),
                source,
            })?;
        Ok(Upload::new(WriteMultipart::new_with_chunk_size(
            multipart,
            self.part_size,
        )))
    }

    /// Completes `upload`, verifies the object (its size on the server and
    /// the sidecar read back), and writes the sidecar. On a failed check the
    /// object is deleted, so only verified backups remain.
    pub(crate) async fn finish(
        &self,
        upload: Upload,
        name: &str,
        created_at: &str,
        facts: &DumpFacts,
    ) -> Result<StoredBackup, S3Error> {
        let streamed = upload.finish().await?;
        let path = self.path(name);
        let sidecar = Sidecar {
            made_by: catalog::MADE_BY.to_owned(),
            format: catalog::SIDECAR_FORMAT,
            name: name.to_owned(),
            created_at: created_at.to_owned(),
            size: streamed.size,
            sha256: streamed.sha256,
            facts: facts.clone(),
        };
        let sidecar_path = self.sidecar_path(name);
        if let Err(problem) = self.verify(&path, &sidecar_path, &sidecar).await {
            self.delete_quietly(&path).await;
            self.delete_quietly(&sidecar_path).await;
            return Err(S3Error::Verification {
                object: self.url(&path),
                problem,
            });
        }
        Ok(StoredBackup {
            name: name.to_owned(),
            url: self.url(&path),
            sidecar,
        })
    }

    /// Checks the stored size, then writes the sidecar and reads it back.
    async fn verify(
        &self,
        path: &Path,
        sidecar_path: &Path,
        sidecar: &Sidecar,
    ) -> Result<(), String> {
        let head = self
            .store
            .head(path)
            .await
            .map_err(|e| format!("HEAD failed: {e}"))?;
        if head.size != sidecar.size {
            return Err(format!(
                "the server holds {} bytes but {} were streamed",
                head.size, sidecar.size
            ));
        }
        let json = serde_json::to_vec_pretty(sidecar).map_err(|e| e.to_string())?;
        self.store
            .put(sidecar_path, PutPayload::from(json))
            .await
            .map_err(|e| format!("cannot write the sidecar: {e}"))?;
        let stored = self
            .read_sidecar(sidecar_path)
            .await
            .map_err(|e| format!("cannot read the sidecar back: {e}"))?;
        if &stored == sidecar {
            Ok(())
        } else {
            Err("the sidecar read back differs from the one written".to_owned())
        }
    }

    /// slipway's backups, oldest first. Objects without a matching name and
    /// slipway sidecar are ignored.
    pub(crate) async fn list(&self) -> Result<Vec<StoredBackup>, S3Error> {
        let folder = self.folder();
        let mut objects = self.store.list(Some(&folder));
        let mut names = Vec::new();
        let mut sidecars = std::collections::BTreeSet::new();
        while let Some(meta) = objects.next().await {
            let meta = meta.map_err(|source| S3Error::Request {
                object: self.url(&folder),
                source,
            })?;
            // Only direct children: a deeper key belongs to something else.
            let Some(file) = direct_child(&folder, &meta.location) else {
                continue;
            };
            if crate::backup::is_dump_name(&file) {
                names.push(file);
            } else if let Some(dump) = file.strip_suffix(catalog::SIDECAR_SUFFIX) {
                sidecars.insert(dump.to_owned());
            }
        }
        names.retain(|name| sidecars.contains(name));
        names.sort();
        let mut backups = Vec::with_capacity(names.len());
        for name in names {
            let path = self.path(&name);
            match self.read_sidecar(&self.sidecar_path(&name)).await {
                Ok(sidecar) if sidecar.is_slipway_for(&name) => backups.push(StoredBackup {
                    url: self.url(&path),
                    name,
                    sidecar,
                }),
                // A sidecar slipway did not write: not ours, leave it alone.
                Ok(_) | Err(ReadSidecarError::Parse(_)) => {}
                Err(ReadSidecarError::Request(source)) => {
                    return Err(S3Error::Request {
                        object: self.url(&path),
                        source,
                    });
                }
            }
        }
        Ok(backups)
    }

    /// Deletes the oldest of slipway's backups of `database` beyond `keep`.
    /// Returns the deleted ones.
    pub(crate) async fn prune(
        &self,
        keep: usize,
        database: &str,
    ) -> Result<Vec<StoredBackup>, S3Error> {
        let mut all = self.list().await?;
        // The sidecar records the database exactly; the name is for people.
        all.retain(|backup| backup.sidecar.facts.database == database);
        let excess = all.len().saturating_sub(keep);
        let doomed: Vec<StoredBackup> = all.into_iter().take(excess).collect();
        for backup in &doomed {
            // The dump first: a sidecar without its dump is ignored by `list`.
            for target in [self.path(&backup.name), self.sidecar_path(&backup.name)] {
                self.store
                    .delete(&target)
                    .await
                    .map_err(|source| S3Error::Request {
                        object: self.url(&target),
                        source,
                    })?;
            }
        }
        Ok(doomed)
    }

    /// Streams backup `name` into `writer` (`pg_restore`'s stdin). The object
    /// is read twice: first to check its size and SHA-256 against the sidecar
    /// (a restore must not start from a damaged or replaced archive, and
    /// `pg_restore` may commit before the stream ends), then, pinned to the
    /// same `ETag`, into `writer`, checked again. Returns the sidecar.
    pub(crate) async fn download_to(
        &self,
        name: &str,
        writer: &mut (impl AsyncWrite + Unpin),
    ) -> Result<Sidecar, S3Error> {
        let backup = self
            .list()
            .await?
            .into_iter()
            .find(|b| b.name == name)
            .ok_or_else(|| S3Error::UnknownBackup {
                name: name.to_owned(),
                location: self.location.to_string(),
            })?;
        let path = self.path(name);
        let checked = self
            .read_object(&path, None, None::<&mut tokio::io::Sink>)
            .await?;
        check_against(name, &checked, &backup.sidecar)?;
        let streamed = self
            .read_object(&path, checked.e_tag.clone(), Some(writer))
            .await?;
        check_against(name, &streamed, &backup.sidecar)?;
        Ok(backup.sidecar)
    }

    /// Reads the object at `path` (only if its `ETag` is still `if_match`, when
    /// given) into `writer`, if any, measuring its size and SHA-256.
    async fn read_object(
        &self,
        path: &Path,
        if_match: Option<String>,
        mut writer: Option<&mut (impl AsyncWrite + Unpin)>,
    ) -> Result<ReadObject, S3Error> {
        let request_failed = |source| S3Error::Request {
            object: self.url(path),
            source,
        };
        let options = GetOptions {
            if_match,
            ..GetOptions::default()
        };
        let result = self
            .store
            .get_opts(path, options)
            .await
            .map_err(request_failed)?;
        let e_tag = result.meta.e_tag.clone();
        let mut stream = result.into_stream();
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(request_failed)?;
            hasher.update(&chunk);
            size += chunk.len() as u64;
            if let Some(writer) = writer.as_mut() {
                writer
                    .write_all(&chunk)
                    .await
                    .map_err(|source| S3Error::WriteRestore { source })?;
            }
        }
        if let Some(writer) = writer.as_mut() {
            writer
                .flush()
                .await
                .map_err(|source| S3Error::WriteRestore { source })?;
        }
        Ok(ReadObject {
            size,
            sha256: hex::encode(hasher.finalize()),
            e_tag,
        })
    }

    async fn read_sidecar(&self, path: &Path) -> Result<Sidecar, ReadSidecarError> {
        let bytes = self
            .store
            .get(path)
            .await
            .map_err(ReadSidecarError::Request)?
            .bytes()
            .await
            .map_err(ReadSidecarError::Request)?;
        serde_json::from_slice(&bytes).map_err(ReadSidecarError::Parse)
    }

    /// Deletes the dump `name` and its sidecar after a stop signal arrived
    /// while its upload was completing; returns the error to report.
    pub(crate) async fn remove_after_interrupt(&self, name: &str, signal: &'static str) -> S3Error {
        let mut left = None;
        for path in [self.path(name), self.sidecar_path(name)] {
            match self.store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => left = Some(format!("{}: {error}", self.url(&path))),
            }
        }
        S3Error::InterruptedCompleting { signal, left }
    }

    async fn delete_quietly(&self, path: &Path) {
        // Best effort: the verification error is the one to report.
        let _ = self.store.delete(path).await;
    }

    /// `<prefix>`.
    fn folder(&self) -> Path {
        self.location
            .prefix
            .split('/')
            .filter(|p| !p.is_empty())
            .collect()
    }

    /// `<prefix>/<name>`.
    fn path(&self, name: &str) -> Path {
        self.folder().join(name)
    }

    /// `<prefix>/<name>.json`.
    fn sidecar_path(&self, name: &str) -> Path {
        self.path(&format!("{name}{}", catalog::SIDECAR_SUFFIX))
    }

    fn url(&self, path: &Path) -> String {
        format!("s3://{}/{path}", self.location.bucket)
    }
}

/// The file name of `location` when it sits directly in `folder`.
fn direct_child(folder: &Path, location: &Path) -> Option<String> {
    let mut rest = location.prefix_match(folder)?;
    let file = rest.next()?;
    if rest.next().is_some() {
        return None;
    }
    Some(file.as_ref().to_owned())
}
