#!/usr/bin/env bash
# The demo: build the pgvector app with the slipway/rust buildpack through the local CNB
# platform, release it against a throwaway PostgreSQL with pgvector, start `web`, and print a
# nearest-neighbour answer.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root_dir="$PWD"

log() { printf '\n[demo] %s\n' "$*" >&2; }

work="$(mktemp -d)"
web_pid=""
database=""
admin_url=""
cleanup() {
  if [ -n "$web_pid" ]; then kill "$web_pid" 2>/dev/null || true; wait "$web_pid" 2>/dev/null || true; fi
  if [ -n "$database" ]; then psql "$admin_url" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

log "1/6 installing what the demo needs"
./scripts/install-deps.sh

log "2/6 packaging the buildpack (cargo libcnb package)"
packaged="$root_dir/target/slipway-demo-packaged"
(cd buildpacks/rust && cargo libcnb package --target x86_64-unknown-linux-gnu --package-dir "$packaged")
buildpack="$packaged/x86_64-unknown-linux-gnu/debug/slipway_rust"
cargo build -q -p slipway-cnb-local
platform="$root_dir/target/debug/slipway-cnb-local"

log "3/6 building test-fixtures/apps/pgvector-app with slipway/rust"
image="$work/image"
"$platform" build --buildpack "$buildpack" --app test-fixtures/apps/pgvector-app --root "$image"

log "4/6 starting the throwaway PostgreSQL with pgvector and creating a fresh database"
admin_url="$(./scripts/dev-postgres.sh start)"
database="slipway_demo_$$"
psql "$admin_url" -qc "CREATE DATABASE $database"
database_url="${admin_url%/*}/$database"

log "5/6 running the release process: slipway-release run"
"$platform" run --root "$image" --process release --env "DATABASE_URL=$database_url"

log "6/6 starting web and asking for the nearest neighbours of document 1"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$platform" run --root "$image" --process web --env "DATABASE_URL=$database_url" --env "PORT=$port" &
web_pid=$!
for _ in $(seq 1 50); do
  if answer="$(curl -fsS "http://127.0.0.1:$port/documents/1/neighbours?limit=2" 2>/dev/null)"; then
    break
  fi
  sleep 0.2
done
[ -n "${answer:-}" ] || { echo "[demo] web did not answer" >&2; exit 1; }
printf '\nGET /documents/1 -> %s\n' "$(curl -fsS "http://127.0.0.1:$port/documents/1")"
printf 'GET /documents/1/neighbours?limit=2 -> %s\n\n' "$answer"
log "done"
