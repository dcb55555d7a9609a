#!/usr/bin/env bash
# Installs the real Cloud Native Buildpacks platform pieces the buildpack tests and the demo run:
#
# - buildpacks/lifecycle v0.21.17 (`lifecycle` with its phase links, and `launcher`), built with
#   `go` from the released module and the version set through -ldflags -X, for amd64 and
#   (with --arm64) for arm64. heroku/builder:24 ships 0.21.12; pack drives the same binaries.
# - crane (go-containerregistry) v0.21.9: `crane registry serve` is the local OCI registry,
#   `crane append`/`mutate`/`export`/`manifest` make the run image and read exported images.
# - syft (anchore/syft) v1.57.2, which writes the lifecycle's and the launcher's SBOMs beside
#   them (`lifecycle.sbom.{cdx,spdx,syft}.json`, `launcher.sbom.…`) as the lifecycle's Makefile
#   does for its release tarball: the exporter copies them from /cnb/lifecycle into the image,
#   and warns "Did not find SBOM …" for each one that is missing.
#
# Everything lands in $SLIPWAY_TOOLS_DIR (default /opt/slipway/tools, readable by the CNB user). Idempotent: a tool
# already built at its pinned version is not rebuilt. Prints the tools dir on stdout.
#
#   scripts/install-lifecycle.sh           # amd64 lifecycle (with its SBOMs) + crane + syft
#   scripts/install-lifecycle.sh --arm64   # also the arm64 lifecycle (for scripts/arm64-env.sh)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LIFECYCLE_VERSION="0.21.17"
CRANE_VERSION="0.21.9"
SYFT_VERSION="1.57.2"
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

install_syft() {
  local dest="$TOOLS/syft-${SYFT_VERSION}"
  [ -x "$dest/syft" ] && return 0
  log "building syft v${SYFT_VERSION}"
  mkdir -p "$dest"
  # The version as syft's release sets it: the SBOMs name the tool that wrote them.
  # The lifecycle only warns when its own SBOMs are missing, so neither does this script stop.
  GOBIN="$dest" GOFLAGS=-buildvcs=false go install -ldflags "-s -w -X main.version=${SYFT_VERSION}" \
    "github.com/anchore/syft/cmd/syft@v${SYFT_VERSION}" ||
    log "warning: could not build syft v${SYFT_VERSION} with go install (is the Go module proxy reachable?): the lifecycle's own SBOMs will be missing, and the exporter will warn about each"
}

# Writes the SBOMs of `lifecycle` and `launcher` in DIR beside them, with the lifecycle
# Makefile's syft command, unless all six are there. syft writes into a temp dir first, so a
# concurrent run never leaves a half-written SBOM in DIR.
write_sboms() {
  local dir="$1" component format missing=0 tmp
  for component in lifecycle launcher; do
    for format in syft spdx cdx; do
      [ -f "$dir/$component.sbom.$format.json" ] || missing=1
    done
  done
  [ "$missing" -eq 1 ] || return 0
  [ -x "$TOOLS/syft-${SYFT_VERSION}/syft" ] || return 0
  log "writing the SBOMs of the lifecycle and the launcher in $dir with syft"
  tmp="$(mktemp -d "$TOOLS/.sbom.XXXXXX")"
  # shellcheck disable=SC2064 # the temp dir is known now, and must go however the script ends
  trap "rm -rf '$tmp'" EXIT
  for component in lifecycle launcher; do
    # No update check: syft scans a local binary offline.
    SYFT_CHECK_FOR_APP_UPDATE=false "$TOOLS/syft-${SYFT_VERSION}/syft" -q "$dir/$component" \
      -o "json=$tmp/$component.sbom.syft.json" \
      -o "spdx-json=$tmp/$component.sbom.spdx.json" \
      -o "cyclonedx-json=$tmp/$component.sbom.cdx.json" ||
      {
        log "warning: syft could not write the SBOM of $dir/$component: the exporter will warn that it is missing"
        rm -rf "$tmp"
        return 0
      }
  done
  chmod 0644 "$tmp"/*.json
  mv -f "$tmp"/*.json "$dir/"
  rmdir "$tmp"
}

# Builds the lifecycle for GOARCH=$1 into $TOOLS/lifecycle-<version>-<arch>.
install_lifecycle() {
  local arch="$1" dest="$TOOLS/lifecycle-${LIFECYCLE_VERSION}-$1"
  if [ -x "$dest/lifecycle" ] && [ -x "$dest/launcher" ]; then
    write_sboms "$dest"
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
  write_sboms "$dest"
}

need_go
install_crane
install_syft
install_lifecycle amd64
if [ "${1:-}" = "--arm64" ]; then
  install_lifecycle arm64
fi
syft_version="$("$TOOLS/syft-${SYFT_VERSION}/syft" --version 2>/dev/null || echo "no syft")"
log "lifecycle $("$TOOLS/lifecycle-${LIFECYCLE_VERSION}-amd64/lifecycle" -version), crane $("$TOOLS/crane-${CRANE_VERSION}/crane" version), ${syft_version} in $TOOLS"
printf '%s\n' "$TOOLS"
