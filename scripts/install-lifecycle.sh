#!/usr/bin/env bash
# Installs the real Cloud Native Buildpacks platform pieces the buildpack tests and the demo run:
#
# - buildpacks/lifecycle v0.21.17 (`lifecycle` with its phase links, and `launcher`), built with
#   `go` from the released module and the version set through -ldflags -X, for amd64 and
#   (with --arm64) for arm64. heroku/builder:24 ships 0.21.12; pack drives the same binaries.
# - crane (go-containerregistry) v0.21.9: `crane registry serve` is the local OCI registry,
#   `crane append`/`mutate`/`export`/`manifest` make the run image and read exported images.
#
# Everything lands in $SLIPWAY_TOOLS_DIR (default /opt/slipway/tools, readable by the CNB user). Idempotent: a tool
# already built at its pinned version is not rebuilt. Prints the tools dir on stdout.
#
#   scripts/install-lifecycle.sh           # amd64 lifecycle + crane
#   scripts/install-lifecycle.sh --arm64   # also the arm64 lifecycle (for scripts/arm64-env.sh)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LIFECYCLE_VERSION="0.21.17"
CRANE_VERSION="0.21.9"
TOOLS="${SLIPWAY_TOOLS_DIR:-/opt/slipway/tools}"
PHASES=(analyzer detector restorer builder exporter)

need_go() {
  command -v go >/dev/null || die "Go is missing: install Go >= 1.26 (https://go.dev/doc/install, or Debian's golang-go from bookworm-backports) and run this again."
  local minor
  minor="$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')"
  [ "${minor:-0}" -ge 26 ] || die "Go $(go env GOVERSION) is too old: the lifecycle needs Go >= 1.26."
}

# go's module download, with a message that names the module when the proxy refuses it.
module_dir() {
  local module="$1" version="$2" json
  json="$(go mod download -json "${module}@${version}" 2>&1)" ||
    die "could not download ${module}@${version} from the Go module proxy ($(go env GOPROXY)): ${json}"
  printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

install_crane() {
  local dest="$TOOLS/crane-${CRANE_VERSION}"
  [ -x "$dest/crane" ] && return 0
  log "building crane v${CRANE_VERSION}"
  mkdir -p "$dest"
  GOBIN="$dest" GOFLAGS=-buildvcs=false go install \
    "github.com/google/go-containerregistry/cmd/crane@v${CRANE_VERSION}" ||
    die "could not build crane v${CRANE_VERSION} with go install (is the Go module proxy reachable?)"
}

# Builds the lifecycle for GOARCH=$1 into $TOOLS/lifecycle-<version>-<arch>.
install_lifecycle() {
  local arch="$1" dest="$TOOLS/lifecycle-${LIFECYCLE_VERSION}-$1"
  if [ -x "$dest/lifecycle" ] && [ -x "$dest/launcher" ]; then
    return 0
  fi
  log "building lifecycle v${LIFECYCLE_VERSION} for linux/${arch}"
  local source work
  source="$(module_dir github.com/buildpacks/lifecycle "v${LIFECYCLE_VERSION}")"
  [ -n "$source" ] || die "go mod download printed no source dir for the lifecycle"
  work="$(mktemp -d)"
  cp -r "$source/." "$work/"
  chmod -R u+w "$work"
  # The extender's kaniko dependency is not served by the module proxy: see kaniko_stub.go.
  cp "$scripts_dir/lifecycle/kaniko_stub.go" "$work/internal/extend/kaniko/dockerfile_applier.go"
  printf 'package kaniko\n' >"$work/internal/extend/kaniko/dockerfile_applier_linux.go"
  mkdir -p "$dest.partial"
  (
    cd "$work"
    CGO_ENABLED=0 GOOS=linux GOARCH="$arch" GOFLAGS=-buildvcs=false go build -trimpath \
      -ldflags "-s -w -X github.com/buildpacks/lifecycle/cmd.Version=${LIFECYCLE_VERSION}" \
      -o "$dest.partial/" ./cmd/lifecycle ./cmd/launcher
  ) || die "could not build the lifecycle for ${arch}"
  rm -rf "$work"
  for phase in "${PHASES[@]}"; do
    ln -sf lifecycle "$dest.partial/$phase"
  done
  rm -rf "$dest"
  mv "$dest.partial" "$dest"
}

need_go
install_crane
install_lifecycle amd64
if [ "${1:-}" = "--arm64" ]; then
  install_lifecycle arm64
fi
log "lifecycle $("$TOOLS/lifecycle-${LIFECYCLE_VERSION}-amd64/lifecycle" -version), crane $("$TOOLS/crane-${CRANE_VERSION}/crane" version) in $TOOLS"
printf '%s\n' "$TOOLS"
