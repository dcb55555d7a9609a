#!/usr/bin/env bash
# Benchmark: how long does `slipway-release run` take to apply a Diesel migrations folder,
# against diesel CLI's own `diesel migration run` on the same folder? Each side migrates a
# fresh database, side by side in one run.
#
#   benchmarks/diesel.sh               # prints both medians, their spread and the ratio
#
# It builds slipway-release (release profile), starts the throwaway PostgreSQL
# (scripts/dev-postgres.sh), generates MIGRATIONS (default 300) Diesel migration folders in
# the forms Diesel writes (a table, an index, seed rows, and every tenth one with
# `run_in_transaction = false` and `CREATE INDEX CONCURRENTLY`), then times each side RUNS
# times (default 3), alternating which goes first, each on a new database, and prints the medians with their
# spread (min-max). slipway runs its whole release flow (config, lock, plan, lint, pgvector,
# checks) with `--backup none`, since diesel takes none. The databases have
# `synchronous_commit = off` (both sides alike), so that commit fsyncs do not drown the tools'
# own time. Target (issue 21): the ratio slipway / diesel <= 1.0.
#
# Settings: RUNS, MIGRATIONS, DIESEL (the diesel CLI; default: on PATH or ~/.cargo/bin).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$repo_root"

RUNS="${RUNS:-3}"
MIGRATIONS="${MIGRATIONS:-300}"
DIESEL="${DIESEL:-$(command -v diesel || echo "${CARGO_HOME:-$HOME/.cargo}/bin/diesel")}"
log_name=bench

[ -x "$DIESEL" ] || die "no diesel CLI at $DIESEL: run scripts/install-deps.sh"

log "building slipway-release (release profile)"
cargo build --release -q -p slipway-release
BIN="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/slipway-release"

ADMIN_URL="$(./scripts/dev-postgres.sh start)"
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" "$@"; }

APP="$(mktemp -d)"
trap 'rm -rf "$APP"' EXIT

generate() {
  log "generating $MIGRATIONS Diesel migrations"
  mkdir -p "$APP/migrations"
  local i dir
  for i in $(seq 1 "$MIGRATIONS"); do
    # diesel migration generate's form: YYYY-MM-DD-HHMMSS-XXXX_name.
    dir="$APP/migrations/2024-01-01-$(printf '%06d' "$i")-0000_step_$i"
    mkdir -p "$dir"
    if [ $((i % 10)) -eq 0 ]; then
      printf 'run_in_transaction = false\n' >"$dir/metadata.toml"
      printf 'CREATE INDEX CONCURRENTLY IF NOT EXISTS t%d_title ON t%d (title);\n' \
        "$((i - 1))" "$((i - 1))" >"$dir/up.sql"
    else
      cat >"$dir/up.sql" <<SQL
CREATE TABLE t$i (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT now()
);
CREATE INDEX t${i}_created_at ON t$i (created_at);
INSERT INTO t$i (title) SELECT 'row ' || g FROM generate_series(1, 20) AS g;
SQL
    fi
    printf 'DROP TABLE IF EXISTS t%d;\n' "$i" >"$dir/down.sql"
  done
}

# Both sides commit once per migration; on a small VM the fsync of each commit varies more
# than the tools' own work, so the benchmark databases do not wait for it (the same for both).
# Creating and dropping a database writes much; a CHECKPOINT first keeps that out of the timing.
fresh_db() {
  psql_admin -c "drop database if exists $1 with (force)" -c "create database $1" \
    -c "alter database $1 set synchronous_commit = off" -c "checkpoint" >/dev/null
  echo "${ADMIN_URL%/*}/$1"
}

now() { date +%s.%N; }

time_slipway() {
  local url started
  url="$(fresh_db slipway_bench_diesel_slipway)"
  started="$(now)"
  (cd "$APP" && DATABASE_URL="$url" "$BIN" run --backup none >/dev/null 2>"$APP/slipway.log") ||
    { cat "$APP/slipway.log" >&2; die "slipway-release run failed"; }
  python3 -c "print($(now) - $started)"
  [ "$(psql -X -At "$url" -c 'select count(*) from __diesel_schema_migrations')" = "$MIGRATIONS" ] ||
    die "slipway did not apply $MIGRATIONS migrations"
}

time_diesel() {
  local url started
  url="$(fresh_db slipway_bench_diesel_cli)"
  started="$(now)"
  (cd "$APP" && DATABASE_URL="$url" "$DIESEL" migration run >/dev/null 2>"$APP/diesel.log") ||
    { cat "$APP/diesel.log" >&2; die "diesel migration run failed"; }
  python3 -c "print($(now) - $started)"
  [ "$(psql -X -At "$url" -c 'select count(*) from __diesel_schema_migrations')" = "$MIGRATIONS" ] ||
    die "diesel did not apply $MIGRATIONS migrations"
}

generate
slipway_times=()
diesel_times=()
# ABBA order: on a shared VM the runs drift (later ones slower or faster), and always timing
# one side second would hand it the drift.
for run in $(seq 1 "$RUNS"); do
  log "run $run of $RUNS"
  if [ $((run % 2)) -eq 1 ]; then
    diesel_times+=("$(time_diesel)")
    slipway_times+=("$(time_slipway)")
  else
    slipway_times+=("$(time_slipway)")
    diesel_times+=("$(time_diesel)")
  fi
done

python3 - "$MIGRATIONS" "${slipway_times[*]}" "${diesel_times[*]}" <<'PY'
import statistics, sys
count = sys.argv[1]
slipway = [float(t) for t in sys.argv[2].split()]
diesel = [float(t) for t in sys.argv[3].split()]
def show(times):
    return f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f})"
print(f"{count} Diesel migrations on a fresh database, {len(slipway)} runs each:")
print(f"  slipway-release run --backup none : {show(slipway)}")
print(f"  diesel migration run              : {show(diesel)}")
ratio = statistics.median(slipway) / statistics.median(diesel)
print(f"  ratio slipway / diesel (median)   : {ratio:.2f}  (goal <= 1.0: {'met' if ratio <= 1.0 else 'NOT met'})")
PY
