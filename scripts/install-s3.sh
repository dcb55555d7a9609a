#!/usr/bin/env bash
# Installs the S3-compatible server the backup tests and the benchmark use:
# `s3s-fs` from crates.io (a Rust S3 server that stores objects as files,
# checks SigV4 signatures, and supports multipart uploads, aborts and listing).
#
# Idempotent: does nothing when the pinned version is already installed.
# 0.14.1 is the newest release whose rust-version (1.92) this machine's rustc meets.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

S3S_FS_VERSION="${S3S_FS_VERSION:-0.14.1}"

installed_version() {
  command -v s3s-fs >/dev/null 2>&1 || return 0
  s3s-fs --version 2>/dev/null | awk '{print $2}'
}

if [ "$(installed_version)" = "$S3S_FS_VERSION" ]; then
  log "s3s-fs ${S3S_FS_VERSION} already installed"
  exit 0
fi

log "installing s3s-fs ${S3S_FS_VERSION} (cargo install, a few minutes on 2 cores)"
cargo install --locked --quiet s3s-fs --version "$S3S_FS_VERSION" --features binary
log "installed: $(s3s-fs --version)"
