#!/usr/bin/env bash
# Checks .github/workflows with actionlint (v1.7.7, built with `go install` into
# $SLIPWAY_TOOLS_DIR/actionlint). Exits non-zero on any finding.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ACTIONLINT_VERSION="1.7.7"
dest="${SLIPWAY_TOOLS_DIR:-/opt/slipway/tools}/actionlint-${ACTIONLINT_VERSION}"
if [ ! -x "$dest/actionlint" ]; then
  printf '[lint-workflows] building actionlint v%s\n' "$ACTIONLINT_VERSION" >&2
  mkdir -p "$dest"
  GOBIN="$dest" GOFLAGS=-buildvcs=false go install "github.com/rhysd/actionlint/cmd/actionlint@v${ACTIONLINT_VERSION}"
fi
"$dest/actionlint" .github/workflows/*.yml
printf '[lint-workflows] %s: no findings\n' "$(ls .github/workflows/*.yml | tr '\n' ' ')" >&2
