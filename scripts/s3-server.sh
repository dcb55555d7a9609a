#!/usr/bin/env bash
# Starts (or reuses) a throwaway S3-compatible server (s3s-fs) for tests and the
# benchmark.
#
#   scripts/s3-server.sh start         # prints the endpoint URL on stdout
#   scripts/s3-server.sh url           # prints the endpoint of the running server
#   scripts/s3-server.sh bucket NAME   # creates a bucket (idempotent)
#   scripts/s3-server.sh stop          # stops it and deletes its data
#
# The server lives in $SLIPWAY_S3_DIR (default /tmp/slipway-s3), listens on
# 127.0.0.1 only, on a free port, and rejects any request that is not signed
# with the test credentials below (so a bad-credentials test is real).
# `start` is idempotent and safe to call concurrently.
#
# Test credentials (not secrets: they only open this throwaway server):
#   AWS_ACCESS_KEY_ID=slipway-test-access-key
#   AWS_SECRET_ACCESS_KEY=slipway-test-secret-key
# A server of a test's own (its own SLIPWAY_S3_DIR) may be started with others:
# SLIPWAY_S3_ACCESS_KEY and SLIPWAY_S3_SECRET_KEY (the secrets tests use
# secret keys of 2, 8 and 40 characters).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="${SLIPWAY_S3_DIR:-/tmp/slipway-s3}"
DATA="$DIR/data"
ACCESS_KEY="${SLIPWAY_S3_ACCESS_KEY:-slipway-test-access-key}"
SECRET_KEY="${SLIPWAY_S3_SECRET_KEY:-slipway-test-secret-key}"
url() { printf 'http://127.0.0.1:%s\n' "$(cat "$DIR/port")"; }

listening() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(0.5)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PY
}

running() {
  [ -f "$DIR/port" ] && [ -f "$DIR/pid" ] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null \
    && listening "$(cat "$DIR/port")"
}

start() {
  "$scripts_dir/install-s3.sh"
  mkdir -p "$DIR"
  with_lock "$DIR.lock" start_server
}

# Under the lock: concurrent `start`s find one server, or start one.
start_server() {
  if running; then url; return 0; fi
  mkdir -p "$DATA"
  local port
  port="$(free_port)"
  printf '%s\n' "$port" > "$DIR/port"
  # s3s-fs resolves object paths against its working directory: it works in its own folder, not
  # in the caller's, which may be deleted while the server lives (a test's temp dir, a worktree).
  # This runs in with_lock's subshell, so the script's own directory is unchanged.
  cd "$DIR"
  # setsid: the server must outlive the shell (and the test) that started it.
  setsid s3s-fs --host 127.0.0.1 --port "$port" \
    --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" "$DATA" \
    >"$DIR/server.log" 2>&1 9>&- < /dev/null &
  printf '%s\n' "$!" > "$DIR/pid"
  for _ in $(seq 1 100); do
    if listening "$port"; then
      log "s3s-fs on port $port, data in $DATA"
      url
      return 0
    fi
    sleep 0.1
  done
  log "s3s-fs did not start; its log:"
  cat "$DIR/server.log" >&2
  exit 1
}

bucket() {
  local name="${1:?usage: $0 bucket NAME}"
  # s3s-fs keeps one directory per bucket under its root.
  mkdir -p "$DATA/$name"
}

stop() {
  if [ -f "$DIR/pid" ]; then
    kill "$(cat "$DIR/pid")" 2>/dev/null || true
  fi
  rm -rf "$DIR" "$DIR.lock"
}

case "${1:-start}" in
  start) start ;;
  url) running && url ;;
  bucket) shift; bucket "$@" ;;
  stop) stop ;;
  *) echo "usage: $0 start|url|bucket NAME|stop" >&2; exit 2 ;;
esac
