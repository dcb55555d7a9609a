//! What slipway stores next to each dump, and how it recognises its own
//! objects: a key `<prefix>/slipway-<UTC time>-<database>.dump` and a
//! sidecar `<that key>.json` written by slipway-release after verification.
//! Objects that match neither are never listed, pruned or restored.

use serde::{Deserialize, Serialize};

use super::S3Error;

/// The `made_by` value of every sidecar slipway writes.
pub(crate) const MADE_BY: &str = "slipway-release";
/// The sidecar format this version writes and reads.
pub(crate) const SIDECAR_FORMAT: u32 = 1;
pub(crate) const SIDECAR_SUFFIX: &str = ".json";

/// Facts about a dump that are known before it is streamed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DumpFacts {
    pub(crate) database: String,
    /// Versions of the migrations pending when the backup was taken.
    pub(crate) pending_versions: Vec<crate::migrations::Version>,
    /// The server's major version.
    pub(crate) server_version: u32,
    /// `pg_dump --version`.
    pub(crate) pg_dump_version: String,
}

/// The sidecar object: the dump's facts plus what was measured while streaming.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Sidecar {
    pub(crate) made_by: String,
    pub(crate) format: u32,
    /// The dump's file name (the last segment of its key).
    pub(crate) name: String,
    /// RFC 3339, UTC.
    pub(crate) created_at: String,
    pub(crate) size: u64,
    pub(crate) sha256: String,
    #[serde(flatten)]
    pub(crate) facts: DumpFacts,
}

impl Sidecar {
    /// Whether this sidecar was written by slipway for the dump `name`.
    pub(crate) fn is_slipway_for(&self, name: &str) -> bool {
        self.made_by == MADE_BY && self.format == SIDECAR_FORMAT && self.name == name
    }
}

/// What reading an object measured.
pub(super) struct ReadObject {
    pub(super) size: u64,
    pub(super) sha256: String,
    pub(super) e_tag: Option<String>,
}

/// Fails unless what was read is what the sidecar recorded.
pub(super) fn check_against(
    name: &str,
    read: &ReadObject,
    sidecar: &Sidecar,
) -> Result<(), S3Error> {
    if read.size == sidecar.size && read.sha256 == sidecar.sha256 {
        return Ok(());
    }
    Err(S3Error::Corrupt {
        name: name.to_owned(),
        problem: format!(
            "read {} bytes with sha256 {}, the sidecar says {} bytes with sha256 {}",
            read.size, read.sha256, sidecar.size, sidecar.sha256
        ),
    })
}
