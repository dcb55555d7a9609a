//! What can go wrong with the `s3` target.

use crate::errors::error_chain;

/// Everything that can go wrong with the `s3` target. `backup/errors.rs` maps them:
/// `UnknownBackup` are usage mistakes (exit 2),
/// `Internal` a bug in slipway (exit 1), the rest a failed backup or restore
/// (exit 5).
#[derive(Debug, thiserror::Error)]
pub(crate) enum S3Error {
    #[error(
        "the S3 backup target needs {missing}\n\
         Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_REGION, or SLIPWAY_BACKUP_S3_ENDPOINT for a non-AWS store)"
    )]
    MissingCredentials { missing: &'static str },
    #[error("cannot set up the S3 client: {0}")]
    Client(String),
    #[error("cannot start the upload to {object}: {}{}", error_chain(source), HINT)]
    Start {
        object: String,
        source: object_store::Error,
    },
    #[error("interrupted by {signal}: the upload was aborted, so no object remains")]
    Interrupted { signal: &'static str },
    #[error(
        "interrupted by {signal} while the upload was completing: {}",
        left.as_deref().map_or_else(
            || "the object was deleted, so no backup remains".to_owned(),
            |problem| format!("deleting the object failed ({problem}); delete it by hand"),
        )
    )]
    InterruptedCompleting {
        signal: &'static str,
        left: Option<String>,
    },
    #[error("cannot read pg_dump's output: {source}")]
    ReadDump { source: std::io::Error },
    #[error("a part of the upload failed: {}{}", error_chain(source), HINT)]
    UploadPart { source: object_store::Error },
    #[error("cannot complete the upload: {}{}", error_chain(source), HINT)]
    Complete { source: object_store::Error },
    #[error(
        "cannot abort the upload (an incomplete multipart upload may remain; a bucket lifecycle rule AbortIncompleteMultipartUpload cleans those): {source}"
    )]
    Abort { source: object_store::Error },
    #[error("the uploaded {object} failed verification: {problem}; it was deleted")]
    Verification { object: String, problem: String },
    #[error("S3 request on {object} failed: {}{}", error_chain(source), HINT)]
    Request {
        object: String,
        source: object_store::Error,
    },
    #[error(
        "there is no slipway backup named {name} in {location} (list them with `slipway-release backups`)"
    )]
    UnknownBackup { name: String, location: String },
    #[error("backup {name} does not match its sidecar: {problem}")]
    Corrupt { name: String, problem: String },
    #[error("cannot write the backup to pg_restore: {source}")]
    WriteRestore { source: std::io::Error },
    #[error("internal error in slipway-release's S3 client (a bug, please report it): {0}")]
    Internal(String),
}

/// Appended to S3 request failures: the usual causes.
const HINT: &str = "\nCheck AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_REGION, that the bucket exists, and SLIPWAY_BACKUP_S3_ENDPOINT for non-AWS stores";

/// Why a sidecar could not be read.
#[derive(Debug, thiserror::Error)]
pub(super) enum ReadSidecarError {
    #[error("{0}")]
    Request(object_store::Error),
    #[error("not a slipway sidecar: {0}")]
    Parse(serde_json::Error),
}
