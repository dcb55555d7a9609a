#!/usr/bin/env bash
# Starts (or reuses) a throwaway PostgreSQL with pgvector for tests and the demo.
#
#   scripts/dev-postgres.sh start   # prints the superuser URL on stdout
#   scripts/dev-postgres.sh url     # prints the URL of the running server
#   scripts/dev-postgres.sh stop    # stops it and deletes its data
#   scripts/dev-postgres.sh restart # restarts it (fault tests; use your own
#                                   # SLIPWAY_PG_DIR, never the shared cluster)
#
# The cluster lives in $SLIPWAY_PG_DIR (default /tmp/slipway-pg). It listens on
# 127.0.0.1 only, on a free port, with trust auth for the `postgres` superuser
# and TLS on (a throwaway CA and a server certificate for `localhost`, kept in
# $SLIPWAY_PG_DIR/tls). `start` is idempotent and safe to call concurrently.
#
# For the TLS and secrets tests, a second cluster (its own SLIPWAY_PG_DIR) can
# be made differently when it is first initialised:
#   SLIPWAY_PG_TLS=ca (default) | self-signed (a certificate no CA signed) | off
#   SLIPWAY_PG_PASSWORD_AUTH=1  every role but `postgres` logs in with a
#                               scram-sha-256 password over TCP
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_MAJOR="${PG_MAJOR:-15}"
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
DIR="${SLIPWAY_PG_DIR:-/tmp/slipway-pg}"
DATA="$DIR/data"
TLS="$DIR/tls"

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

url() { printf 'postgres://postgres@127.0.0.1:%s/postgres\n' "$(cat "$DIR/port")"; }

running() {
  [ -f "$DIR/port" ] && as_postgres "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$(cat "$DIR/port")"
}

make_certificates() {
  mkdir -p "$TLS"
  if [ "${SLIPWAY_PG_TLS:-ca}" = self-signed ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost" \
      -addext "subjectAltName=DNS:localhost" \
      -keyout "$TLS/server.key" -out "$TLS/server.crt" 2>/dev/null
    chmod 600 "$TLS/server.key"
    return
  fi
  (
    cd "$TLS"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=slipway test CA" \
      -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
      -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=DNS:localhost\n' > san.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -days 3650 -extfile san.ext -out server.crt 2>/dev/null
    chmod 600 server.key ca.key
  )
}

init_cluster() {
  log "initialising a cluster in $DATA"
  mkdir -p "$DIR"
  make_certificates
  chown -R postgres: "$DIR" 2>/dev/null || true
  as_postgres "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  cat >> "$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DIR'
max_connections = 300
ssl = $([ "${SLIPWAY_PG_TLS:-ca}" = off ] && echo off || echo on)
ssl_cert_file = '$TLS/server.crt'
ssl_key_file = '$TLS/server.key'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  if [ "${SLIPWAY_PG_PASSWORD_AUTH:-0}" = 1 ]; then
    # First match wins: the superuser keeps trust, every other role needs its password
    # (over TCP and over the unix socket).
    { printf 'host all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n'
      printf 'local all postgres trust\nlocal all all scram-sha-256\n'
      cat "$DATA/pg_hba.conf"; } > "$DATA/pg_hba.conf.new"
    mv "$DATA/pg_hba.conf.new" "$DATA/pg_hba.conf"
    chown postgres: "$DATA/pg_hba.conf" 2>/dev/null || true
  fi
}

start() {
  "$scripts_dir/install-postgres.sh"
  mkdir -p "$DIR"
  with_lock "$DIR.lock" start_server
}

# Under the lock: concurrent `start`s find one server, or start one.
start_server() {
  if running; then url; return 0; fi
  [ -f "$DATA/PG_VERSION" ] || init_cluster
  free_port > "$DIR/port"
  chown postgres: "$DIR/port" 2>/dev/null || true
  as_postgres "$PG_BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w \
    -o "-p $(cat "$DIR/port")" start >/dev/null 9>&-
  log "PostgreSQL ${PG_MAJOR} with pgvector on port $(cat "$DIR/port")"
  url
}

stop() {
  if [ -f "$DATA/PG_VERSION" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$DATA" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DIR" "$DIR.lock"
}

# `-m fast` ends every session with an error, as a managed server's restart or
# failover does; SLIPWAY_PG_RESTART_MODE=immediate simulates a crash.
restart() {
  running || { log "no server running in $DIR"; exit 1; }
  as_postgres "$PG_BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w \
    -m "${SLIPWAY_PG_RESTART_MODE:-fast}" restart >/dev/null
}

case "${1:-start}" in
  start) start ;;
  url) running && url ;;
  stop) stop ;;
  restart) restart ;;
  *) echo "usage: $0 start|url|stop|restart" >&2; exit 2 ;;
esac
