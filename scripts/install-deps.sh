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

# sqlx-cli 0.9, for the compatibility tests that run `sqlx migrate run` against slipway's history,
# with `sqlx-toml` (a default feature of sqlx-cli) so that it reads sqlx.toml as users' installs do.
SQLX_CLI_VERSION="0.9.0"
sqlx_cli_reads_sqlx_toml() {
  local dir
  dir="$(mktemp -d)"
  : >"${dir}/sqlx.toml"
  # Without the feature sqlx-cli refuses any sqlx.toml; with it, it only misses a database URL.
  ! (cd "${dir}" && env -u DATABASE_URL sqlx migrate info 2>&1) | grep -q "sqlx-toml. feature was not enabled"
  local found=$?
  rm -rf "${dir}"
  return "${found}"
}
if ! sqlx --version 2>/dev/null | grep -q "${SQLX_CLI_VERSION}" || ! sqlx_cli_reads_sqlx_toml; then
  log "installing sqlx-cli ${SQLX_CLI_VERSION} (postgres, rustls, sqlx-toml)"
  cargo install --locked sqlx-cli --version "${SQLX_CLI_VERSION}" --no-default-features --features postgres,rustls,sqlx-toml
fi
