#!/usr/bin/env bash
# The test command: installs what the tests need, starts the throwaway
# PostgreSQL with pgvector, and runs the whole workspace's tests with nextest.
#
# Extra arguments go to `cargo nextest run` (for example a test-name filter).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/install-deps.sh
SLIPWAY_TEST_DATABASE_URL="$(./scripts/dev-postgres.sh start)"
export SLIPWAY_TEST_DATABASE_URL
export SLIPWAY_PG_DIR="${SLIPWAY_PG_DIR:-/tmp/slipway-pg}"

cargo nextest run --workspace --no-fail-fast "$@"
