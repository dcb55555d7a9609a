#!/usr/bin/env bash
# Installs what packaging and testing the buildpack needs: libcnb-cargo (`cargo libcnb`),
# pinned to the libcnb version the buildpack uses. (psql comes with scripts/install-postgres.sh.)
# Idempotent: each step checks before it installs.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LIBCNB_CARGO_VERSION="0.30.4"

if cargo libcnb --version 2>/dev/null | grep -q "${LIBCNB_CARGO_VERSION}"; then
  log "libcnb-cargo ${LIBCNB_CARGO_VERSION} already installed"
else
  log "installing libcnb-cargo ${LIBCNB_CARGO_VERSION}"
  cargo install libcnb-cargo --version "${LIBCNB_CARGO_VERSION}" --locked
fi

# The local platform builds for the host's glibc target; make sure rustup knows it.
if command -v rustup >/dev/null && ! rustup target list --installed | grep -q '^x86_64-unknown-linux-gnu$'; then
  if [ "$(uname -m)" = "x86_64" ]; then
    rustup target add x86_64-unknown-linux-gnu
  fi
fi

# The demo talks to the web process with curl.
if ! command -v curl >/dev/null; then
  log "installing curl"
  apt_install curl
fi
