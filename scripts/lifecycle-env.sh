#!/usr/bin/env bash
# The real-lifecycle platform's shared pieces: the pinned tools, a local OCI registry, and a
# Heroku-like run image pushed to it.
#
#   scripts/lifecycle-env.sh start [amd64|arm64]   # prints KEY=VALUE lines on stdout:
#       SLIPWAY_LIFECYCLE_DIR  the lifecycle (phase links + launcher) for that arch
#       SLIPWAY_CRANE          crane
#       SLIPWAY_REGISTRY       the registry, 127.0.0.1:<port> (plain http on loopback)
#       SLIPWAY_RUN_IMAGE      the run image in it, for that arch
#   scripts/lifecycle-env.sh build-root ARCH DIR   # the build image's root filesystem in DIR
#   scripts/lifecycle-env.sh stop                  # stops the registry and deletes its data
#
# The registry is `crane registry serve`, started once per machine in $SLIPWAY_REGISTRY_DIR
# (default /tmp/slipway-registry) and reused; `start` is idempotent and safe to call
# concurrently. It keeps manifests in memory, so the run image is pushed again whenever the
# registry was restarted.
#
# The run image is a minimal Debian 12 root filesystem made by debootstrap (minbase, with
# ca-certificates, libc and postgresql-client, as heroku/heroku:24 has pg_dump), with a
# non-root `heroku` user (1000:1000) and the io.buildpacks.base.* labels. Its tarball is cached in
# $SLIPWAY_TOOLS_DIR/rootfs, so debootstrap runs once per machine and arch.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TOOLS="${SLIPWAY_TOOLS_DIR:-/opt/slipway/tools}"
REGISTRY_DIR="${SLIPWAY_REGISTRY_DIR:-/tmp/slipway-registry}"
SUITE=bookworm
DISTRO_VERSION=12
CNB_UID=1000
CNB_GID=1000

registry_running() {
  [ -f "$REGISTRY_DIR/port" ] && [ -f "$REGISTRY_DIR/pid" ] &&
    kill -0 "$(cat "$REGISTRY_DIR/pid")" 2>/dev/null &&
    curl -fsS -o /dev/null "http://127.0.0.1:$(cat "$REGISTRY_DIR/port")/v2/"
}

start_registry() {
  registry_running && return 0
  mkdir -p "$REGISTRY_DIR/blobs"
  local port
  port="$(free_port)"
  log "starting crane registry serve on 127.0.0.1:$port (blobs in $REGISTRY_DIR/blobs)"
  # fd 9 is the lock: the registry must not inherit it, or it would hold the lock forever.
  nohup "$CRANE" registry serve --address "127.0.0.1:$port" --disk "$REGISTRY_DIR/blobs" \
    >"$REGISTRY_DIR/registry.log" 2>&1 9>&- &
  echo $! >"$REGISTRY_DIR/pid"
  echo "$port" >"$REGISTRY_DIR/port"
  for _ in $(seq 1 100); do
    registry_running && return 0
    sleep 0.1
  done
  die "the registry did not start; see $REGISTRY_DIR/registry.log"
}

# Debian's name for a CNB arch, and back.
debian_arch() { case "$1" in amd64) echo amd64 ;; arm64) echo arm64 ;; *) die "unknown arch $1" ;; esac; }

ensure_debootstrap() {
  command -v debootstrap >/dev/null && return 0
  log "installing debootstrap"
  apt_install debootstrap
}

# Where the tarball of a root filesystem of KIND for ARCH is kept.
rootfs_tar() { printf '%s\n' "$TOOLS/rootfs/$1-$SUITE-$2.tar"; }

# Makes the tarball of a root filesystem of KIND for ARCH unless it is there: `run` (the run
# image: libc, ca-certificates, pg_dump) or `build` (the build image: also gcc and libc6-dev, the
# linker rustc needs, as heroku/builder:24 has). Under the rootfs lock, so that two builds or
# starts at once neither run debootstrap twice nor write the same tarball.
ensure_rootfs_tar() {
  mkdir -p "$TOOLS/rootfs"
  with_lock "$TOOLS/rootfs/.lock" make_rootfs_tar "$@"
}

make_rootfs_tar() {
  local kind="$1" arch="$2" tar include dir
  tar="$(rootfs_tar "$kind" "$arch")"
  [ -f "$tar" ] && return 0
  case "$kind" in
  run) include=ca-certificates,postgresql-client ;;
  build) include=ca-certificates,gcc,libc6-dev ;;
  esac
  ensure_debootstrap
  dir="$(mktemp -d)"
  log "debootstrap $SUITE ($arch) for the $kind image (minutes under qemu for a foreign arch, once)"
  "$scripts_dir/lifecycle/debootstrap.sh" "$arch" "$dir" "$include"
  add_cnb_user "$dir"
  # The tarball's `./` entry becomes the image's `/`: mktemp made it 0700.
  chmod 0755 "$dir"
  tar -C "$dir" --numeric-owner -cf "$tar.partial" .
  mv "$tar.partial" "$tar"
  rm -rf "$dir"
}

# heroku/heroku:24 runs as a non-root `heroku` user; so does this image.
add_cnb_user() {
  local dir="$1"
  grep -q '^heroku:' "$dir/etc/group" || echo "heroku:x:$CNB_GID:" >>"$dir/etc/group"
  grep -q '^heroku:' "$dir/etc/passwd" ||
    echo "heroku:x:$CNB_UID:$CNB_GID::/home/heroku:/bin/bash" >>"$dir/etc/passwd"
  mkdir -p "$dir/home/heroku"
  chown "$CNB_UID:$CNB_GID" "$dir/home/heroku"
}

push_run_image() {
  local arch="$1" ref="$2"
  "$CRANE" manifest "$ref" >/dev/null 2>&1 && return 0
  ensure_rootfs_tar run "$arch"
  local tar
  tar="$(rootfs_tar run "$arch")"
  log "pushing the run image $ref"
  "$CRANE" append --platform "linux/$arch" -f "$tar" -t "$ref" >/dev/null
  "$CRANE" mutate "$ref" --set-platform "linux/$arch" \
    -l io.buildpacks.base.distro.name=debian \
    -l "io.buildpacks.base.distro.version=$DISTRO_VERSION" \
    -l io.buildpacks.base.maintainer=slipway \
    -e PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    -u "$CNB_UID:$CNB_GID" -t "$ref" >/dev/null
}

# Starts the registry unless it runs, and pushes the run image for ARCH unless the registry has
# it. Under the registry lock: `start` is called by test processes at once.
start_registry_with_run_image() {
  start_registry
  push_run_image "$1" "127.0.0.1:$(cat "$REGISTRY_DIR/port")/slipway/run:$SUITE-$1"
}

case "${1:-}" in
start)
  arch="${2:-amd64}"
  debian_arch "$arch" >/dev/null
  flag=""
  [ "$arch" = arm64 ] && flag=--arm64
  "$scripts_dir/install-lifecycle.sh" $flag >/dev/null
  CRANE="$(ls "$TOOLS"/crane-*/crane | head -n1)"
  LIFECYCLE_DIR="$(ls -d "$TOOLS"/lifecycle-*-"$arch" | head -n1)"
  mkdir -p "$REGISTRY_DIR"
  with_lock "$REGISTRY_DIR/lock" start_registry_with_run_image "$arch"
  REGISTRY="127.0.0.1:$(cat "$REGISTRY_DIR/port")"
  printf 'SLIPWAY_LIFECYCLE_DIR=%s\nSLIPWAY_CRANE=%s\nSLIPWAY_REGISTRY=%s\nSLIPWAY_RUN_IMAGE=%s\n' \
    "$LIFECYCLE_DIR" "$CRANE" "$REGISTRY" "$REGISTRY/slipway/run:$SUITE-$arch"
  ;;
build-root)
  # The build image's root filesystem for ARCH, extracted into DIR (replaced if it exists),
  # with the host's resolv.conf and CA bundle so the build can download the toolchain.
  arch="${2:?usage: $0 build-root ARCH DIR}" dir="${3:?usage: $0 build-root ARCH DIR}"
  debian_arch "$arch" >/dev/null
  ensure_rootfs_tar build "$arch"
  tar="$(rootfs_tar build "$arch")"
  rm -rf "$dir"
  mkdir -p "$dir"
  tar -C "$dir" --numeric-owner -xf "$tar"
  cp -L /etc/resolv.conf "$dir/etc/resolv.conf"
  # The host may reach the internet through a TLS-inspecting proxy whose CA only the host's
  # trust store has; a build image on such a network is given the same store.
  cp -L /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
  printf '%s\n' "$dir"
  ;;
stop)
  if [ -f "$REGISTRY_DIR/pid" ]; then
    kill "$(cat "$REGISTRY_DIR/pid")" 2>/dev/null || true
  fi
  rm -rf "$REGISTRY_DIR"
  log "registry stopped"
  ;;
*)
  echo "usage: $0 start [amd64|arm64] | build-root amd64|arm64 DIR | stop" >&2
  exit 2
  ;;
esac
