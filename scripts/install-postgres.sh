#!/usr/bin/env bash
# Installs PostgreSQL 15 and builds pgvector 0.8 from Debian's source package.
#
# Idempotent: does nothing when `vector.control` is already installed.
# Only a *deb-src* entry for trixie is added: a trixie `deb` entry would let apt
# upgrade libc and gcc on this bookworm machine.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_MAJOR="${PG_MAJOR:-15}"
PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

pgvector_installed() {
  [ -x "$PG_CONFIG" ] && [ -f "$("$PG_CONFIG" --sharedir)/extension/vector.control" ]
}

install_server() {
  if [ ! -x "/usr/lib/postgresql/${PG_MAJOR}/bin/postgres" ] || ! command -v pg_dump >/dev/null; then
    log "installing postgresql-${PG_MAJOR}"
    apt_install "postgresql-${PG_MAJOR}" "postgresql-client-${PG_MAJOR}" openssl
  fi
  command -v openssl >/dev/null || apt_install openssl
}

add_trixie_deb_src() {
  local list=/etc/apt/sources.list.d/slipway-trixie-src.sources
  [ -f "$list" ] && return 0
  log "adding a deb-src (source only) entry for Debian trixie"
  $SUDO tee "$list" >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt_updated=0
}

build_pgvector() {
  add_trixie_deb_src
  apt_install "postgresql-server-dev-${PG_MAJOR}" build-essential dpkg-dev
  local work
  work="$(mktemp -d)"
  log "building pgvector from source in $work"
  (
    cd "$work"
    apt-get source -qq pgvector >/dev/null 2>&1
    cd pgvector-*/
    make -s PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >/dev/null
    $SUDO make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
  )
  rm -rf "$work"
}

install_server
if pgvector_installed; then
  log "pgvector already installed for PostgreSQL ${PG_MAJOR}"
else
  build_pgvector
  pgvector_installed || { log "pgvector did not install"; exit 1; }
  log "pgvector installed: $(grep default_version "$("$PG_CONFIG" --sharedir)/extension/vector.control")"
fi
