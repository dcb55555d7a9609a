#!/usr/bin/env bash
# The test command: installs what the tests need, starts the throwaway
# PostgreSQL with pgvector, and runs the whole workspace's tests with nextest.
#
# Extra arguments go to `cargo nextest run` (for example a test-name filter).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"

./scripts/install-deps.sh
SLIPWAY_TEST_DATABASE_URL="$(./scripts/dev-postgres.sh start)"
export SLIPWAY_TEST_DATABASE_URL
export SLIPWAY_PG_DIR="${SLIPWAY_PG_DIR:-/tmp/slipway-pg}"
# The real CNB lifecycle, crane, the local registry and the run image (SLIPWAY_LIFECYCLE_DIR,
# SLIPWAY_CRANE, SLIPWAY_REGISTRY, SLIPWAY_RUN_IMAGE) for the buildpack tests.
lifecycle_env="$(./scripts/lifecycle-env.sh start amd64)"
export_key_values "$lifecycle_env"

cargo nextest run --workspace --no-fail-fast "$@"
