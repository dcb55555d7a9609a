#!/usr/bin/env bash
# The demo: build test-fixtures/apps/pgvector-app with the slipway/rust buildpack through the
# real CNB lifecycle (analyzer, detector, restorer, builder, exporter, as pack and Heroku run
# them), export the image to a local OCI registry, run its `release` process against a
# throwaway PostgreSQL with pgvector, start `web` from the image, and print a
# nearest-neighbour answer.
#
#   ./scripts/demo.sh           # reuses the build cache in target/slipway-demo (warm: ~1 min)
#   ./scripts/demo.sh --clean   # deletes that cache first (cold: toolchain + dependencies)
#
# It leaves PostgreSQL (scripts/dev-postgres.sh stop) and the registry
# (scripts/lifecycle-env.sh stop) running for the next run, and says so at the end.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"
demo_dir="$repo_root/target/slipway-demo"

clean_option "$demo_dir" "$@"

started=$SECONDS
step_started=$SECONDS
step_name=""
# A blank line first: each step's header stands apart from the output above it.
log() { printf '\n[%s] %s\n' "$log_name" "$*" >&2; }
step() {
  finish_step
  step_name="$1"
  step_started=$SECONDS
  log "$1"
}
finish_step() {
  if [ -n "$step_name" ]; then
    printf '[%s] (%ss) %s\n' "$log_name" "$((SECONDS - step_started))" "$step_name" >&2
  fi
}

web_pid=""
database=""
admin_url=""
cleanup() {
  if [ -n "$web_pid" ]; then kill -- -"$web_pid" 2>/dev/null || true; wait "$web_pid" 2>/dev/null || true; fi
  if [ -n "$database" ]; then psql "$admin_url" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

step "1/6 installing what the demo needs (PostgreSQL + pgvector, libcnb-cargo, the CNB lifecycle, crane)"
./scripts/install-postgres.sh
./scripts/install-buildpack-tools.sh
./scripts/install-lifecycle.sh >/dev/null
lifecycle_env="$(./scripts/lifecycle-env.sh start amd64)"
export_key_values "$lifecycle_env"

step "2/6 packaging the buildpack (cargo libcnb package) and the lifecycle harness"
packaged="$demo_dir/packaged"
(cd buildpacks/rust && cargo libcnb package --no-cross-compile-assistance --target x86_64-unknown-linux-gnu --package-dir "$packaged")
buildpack="$packaged/x86_64-unknown-linux-gnu/debug/slipway_rust"
platform="$(lifecycle_harness)"

step "3/6 building test-fixtures/apps/pgvector-app with slipway/rust (cache: $demo_dir/build/cache)"
build_root="$demo_dir/build"
"$platform" build --buildpack "$buildpack" --app test-fixtures/apps/pgvector-app --root "$build_root"

step "4/6 starting the throwaway PostgreSQL with pgvector and creating a fresh database"
admin_url="$(./scripts/dev-postgres.sh start)"
database="slipway_demo_$$"
psql "$admin_url" -qc "CREATE DATABASE $database"
database_url="${admin_url%/*}/$database"

step "5/6 running the image's release process (slipway-release run)"
"$platform" run --root "$build_root" --process release --env "DATABASE_URL=$database_url"

step "6/6 starting the image's web process and asking for the nearest neighbours of document 1"
port="$(free_port)"
# Its own process group: the web process in the chroot is killed with the harness.
setsid "$platform" run --root "$build_root" --process web --env "DATABASE_URL=$database_url" --env "PORT=$port" &
web_pid=$!
for _ in $(seq 1 100); do
  if answer="$(curl -fsS "http://127.0.0.1:$port/documents/1/neighbours?limit=2" 2>/dev/null)"; then
    break
  fi
  sleep 0.2
done
[ -n "${answer:-}" ] || { echo "[demo] web did not answer" >&2; exit 1; }
printf '\nGET /documents/1 -> %s\n' "$(curl -fsS "http://127.0.0.1:$port/documents/1")"
printf 'GET /documents/1/neighbours?limit=2 -> %s\n\n' "$answer"
finish_step
step_name=""
log "done in $((SECONDS - started))s. Still running for the next run: PostgreSQL (stop it with scripts/dev-postgres.sh stop) and the image registry (scripts/lifecycle-env.sh stop). The build cache is in $demo_dir (./scripts/demo.sh --clean starts cold)."
