//! Streaming a dump into a multipart upload with bounded memory.
//!
//! Memory stays at most `(MAX_PARTS_IN_FLIGHT + 1) * part_size` plus one read
//! buffer, whatever the size of the dump: a part is only buffered once fewer
//! than `MAX_PARTS_IN_FLIGHT` uploads are running.

use object_store::WriteMultipart;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::S3Error;

/// Parts uploaded concurrently. Two keep the network busy while `pg_dump`,
/// which is CPU-bound, produces the next part.
pub(crate) const MAX_PARTS_IN_FLIGHT: usize = 2;
/// How much is read from `pg_dump` at a time.
const READ_BUFFER: usize = 256 * 1024;

/// What was streamed: byte count and SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Streamed {
    pub(crate) size: u64,
    pub(crate) sha256: String,
}

/// A multipart upload in progress. Nothing is visible in the bucket until
/// [`Upload::finish`] completes it; [`Upload::abort`] discards the parts.
pub(crate) struct Upload {
    writer: WriteMultipart,
    hasher: Sha256,
    size: u64,
}

impl Upload {
    pub(crate) fn new(writer: WriteMultipart) -> Self {
        Self {
            writer,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    /// Copies `reader` to the end into the upload, hashing as it goes, and
    /// also into `tee` (`pg_restore --list`) until the tee stops reading.
    pub(crate) async fn copy_from(
        &mut self,
        reader: &mut (impl AsyncRead + Unpin),
        tee: &mut Option<impl AsyncWrite + Unpin>,
    ) -> Result<(), S3Error> {
        let mut buffer = vec![0u8; READ_BUFFER];
        loop {
            let read = reader
                .read(&mut buffer)
                .await
                .map_err(|source| S3Error::ReadDump { source })?;
            if read == 0 {
                return Ok(());
            }
            let chunk = &buffer[..read];
            self.hasher.update(chunk);
            self.size += read as u64;
            // Back pressure: wait for a part upload to finish before buffering more.
            self.writer
                .wait_for_capacity(MAX_PARTS_IN_FLIGHT)
                .await
                .map_err(|source| S3Error::UploadPart { source })?;
            self.writer.write(chunk);
            if let Some(writer) = tee.as_mut()
                && writer.write_all(chunk).await.is_err()
            {
                // `pg_restore --list` exits once it has read the table of
                // contents; its verdict comes from its exit status.
                *tee = None;
            }
        }
    }

    /// Uploads the last part and completes the upload (`object_store` aborts it
    /// when completion fails). Returns what was streamed.
    pub(crate) async fn finish(self) -> Result<Streamed, S3Error> {
        let streamed = Streamed {
            size: self.size,
            sha256: hex::encode(self.hasher.finalize()),
        };
        self.writer
            .finish()
            .await
            .map_err(|source| S3Error::Complete { source })?;
        Ok(streamed)
    }

    /// Aborts the upload so that no object, and no part, remains.
    pub(crate) async fn abort(self) -> Result<(), S3Error> {
        self.writer
            .abort()
            .await
            .map_err(|source| S3Error::Abort { source })
    }
}
