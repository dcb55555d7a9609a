//! An object as read, checked against what its sidecar recorded.

use super::{S3Error, Sidecar};

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
