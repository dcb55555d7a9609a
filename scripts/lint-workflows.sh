#!/usr/bin/env bash
# Checks .github/workflows with actionlint (v1.7.7, built with `go install` into
# $SLIPWAY_TOOLS_DIR/actionlint). Exits non-zero on any finding.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"
ACTIONLINT_VERSION="1.7.7"
dest="${SLIPWAY_TOOLS_DIR:-/opt/slipway/tools}/actionlint-${ACTIONLINT_VERSION}"
if [ ! -x "$dest/actionlint" ]; then
  log "building actionlint v${ACTIONLINT_VERSION}"
  mkdir -p "$dest"
  GOBIN="$dest" GOFLAGS=-buildvcs=false go install "github.com/rhysd/actionlint/cmd/actionlint@v${ACTIONLINT_VERSION}"
fi
"$dest/actionlint" .github/workflows/*.yml
log "$(ls .github/workflows/*.yml | tr '\n' ' '): no findings"
