#!/usr/bin/env bash
# Installs everything the tests and the demo need on a fresh Debian machine.
# Idempotent: each step checks before it installs.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"

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
  local dir out
  dir="$(mktemp -d)"
  # A sqlx.toml that names its own database-URL variable: only a sqlx-cli that reads sqlx.toml
  # names that variable when it finds no URL. `migrate info` always fails here (no URL), so
  # its exit status says nothing; its message does. (A test of the pipeline's status under
  # pipefail passed whatever grep found.) Without the feature it says "the `sqlx-toml`
  # feature was not enabled"; an older sqlx-cli asks for DATABASE_URL.
  printf '[common]\ndatabase-url-var = "SLIPWAY_SQLX_TOML_PROBE"\n' >"${dir}/sqlx.toml"
  out="$(cd "${dir}" && env -u DATABASE_URL -u SLIPWAY_SQLX_TOML_PROBE sqlx migrate info 2>&1 || true)"
  rm -rf "${dir}"
  grep -q "SLIPWAY_SQLX_TOML_PROBE" <<<"${out}"
}
if ! sqlx --version 2>/dev/null | grep -q "${SQLX_CLI_VERSION}" || ! sqlx_cli_reads_sqlx_toml; then
  log "installing sqlx-cli ${SQLX_CLI_VERSION} (postgres, rustls, sqlx-toml)"
  cargo install --locked sqlx-cli --version "${SQLX_CLI_VERSION}" --no-default-features --features postgres,rustls,sqlx-toml
fi

# diesel CLI 2.3, for the compatibility tests that run `diesel migration run/list` against
# slipway's `__diesel_schema_migrations` (and the benchmark). Its PostgreSQL backend, and the
# tests' own `diesel_migrations` harness, link libpq.
DIESEL_CLI_VERSION="2.3.14"
if ! dpkg -s libpq-dev >/dev/null 2>&1; then
  apt_install libpq-dev pkg-config
fi
if ! diesel --version 2>/dev/null | grep -q "${DIESEL_CLI_VERSION}"; then
  log "installing diesel_cli ${DIESEL_CLI_VERSION} (postgres)"
  cargo install --locked diesel_cli --version "${DIESEL_CLI_VERSION}" --no-default-features --features postgres
fi
