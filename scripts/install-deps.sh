#!/usr/bin/env bash
# Installs everything the tests and the demo need on a fresh Debian machine.
# Idempotent: each step checks before it installs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[install-deps] %s\n' "$*" >&2; }

./scripts/install-postgres.sh
./scripts/install-buildpack-tools.sh
# The real CNB lifecycle and crane, which the buildpack tests and the demo build with.
./scripts/install-lifecycle.sh >/dev/null
./scripts/install-s3.sh

if ! cargo nextest --version >/dev/null 2>&1; then
  log "installing cargo-nextest"
  cargo install --locked cargo-nextest
fi

# sqlx-cli 0.9, for the compatibility tests that run `sqlx migrate run` against slipway's history.
SQLX_CLI_VERSION="0.9.0"
if ! sqlx --version 2>/dev/null | grep -q "${SQLX_CLI_VERSION}"; then
  log "installing sqlx-cli ${SQLX_CLI_VERSION} (postgres, rustls)"
  cargo install --locked sqlx-cli --version "${SQLX_CLI_VERSION}" --no-default-features --features postgres,rustls
fi
