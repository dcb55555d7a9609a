#!/usr/bin/env bash
# Time to lint 200 migrations with `slipway-release lint`, without a database (--offline) and
# with one (the live table sizes of every finding's table are read), against the goal of
# under 1 s for 200. Builds the release binary, generates 200 realistic migrations (tables,
# indexes with and without CONCURRENTLY, column changes, constraints, renames, backfills) over
# 20 tables that hold data, and prints the median of 5 runs of each.
#
#   benchmarks/lint.sh
#
# Uses the project's throwaway PostgreSQL (scripts/dev-postgres.sh). A benchmark, not a test:
# it prints numbers only.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$repo_root"
log_name=lint-bench
work="$(mktemp -d /tmp/slipway-lint-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

log "building slipway-release (release profile)"
cargo build --release --locked -q -p slipway-release
bin="${CARGO_TARGET_DIR:-target}/release/slipway-release"

log "generating 200 migrations in $work/migrations"
python3 - "$work/migrations" <<'PY'
import os, sys
out = sys.argv[1]
os.makedirs(out)
shapes = [
    "CREATE INDEX t{t}_c{n}_idx ON t{t} (c{c});",
    "-- no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t{t}_c{n}_cidx ON t{t} (c{c});",
    "ALTER TABLE t{t} ADD COLUMN extra{n} text;",
    "ALTER TABLE t{t} ADD COLUMN flag{n} boolean NOT NULL DEFAULT false;",
    "ALTER TABLE t{t} ALTER COLUMN c{c} TYPE text;",
    "ALTER TABLE t{t} ADD CONSTRAINT t{t}_c{c}_check{n} CHECK (c{c} IS NOT NULL) NOT VALID;",
    "ALTER TABLE t{t} ADD CONSTRAINT t{t}_fk{n} FOREIGN KEY (c{c}) REFERENCES t{u} (id);",
    "UPDATE t{t} SET c{c} = 'x' WHERE c{c} IS NULL;\nALTER TABLE t{t} ALTER COLUMN c{c} SET NOT NULL;",
    "ALTER TABLE t{t} RENAME COLUMN c{c} TO c{c}_renamed{n};",
    "CREATE TABLE new{n} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, t{t}_id bigint, note text);\n"
    "CREATE INDEX new{n}_t{t}_idx ON new{n} (t{t}_id);",
]
for n in range(200):
    body = shapes[n % len(shapes)].format(t=n % 20, u=(n + 1) % 20, c=n % 3, n=n)
    with open(os.path.join(out, f"{20240101000000 + n * 100}_change_{n}.sql"), "w") as f:
        f.write(f"-- Generated change {n}.\n{body}\n")
PY

log "starting PostgreSQL and creating 20 tables with data"
admin_url="$(./scripts/dev-postgres.sh start)"
db="slipway_lint_bench_$$"
psql -q "$admin_url" -c "CREATE DATABASE $db"
trap 'psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
db_url="${admin_url%/*}/$db"
for t in $(seq 0 19); do
  echo "CREATE TABLE t$t (id bigint PRIMARY KEY, c0 text, c1 text, c2 text);
        INSERT INTO t$t SELECT g, 'a' || g, 'b' || g, 'c' || g FROM generate_series(1, 5000) g;
        ANALYZE t$t;"
done | psql -q "$db_url"

# Prints the median wall time, in seconds, of 5 runs of the command.
median() {
  python3 - "$@" <<'PY'
import statistics, subprocess, sys, time
times = []
for _ in range(5):
    started = time.perf_counter()
    done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append(time.perf_counter() - started)
    if done.returncode not in (0, 9):
        sys.exit(f"exit {done.returncode}: {' '.join(sys.argv[1:])}")
print(f"{statistics.median(times):.3f}")
PY
}

offline="$(median env -u DATABASE_URL "$bin" lint --offline --migrations "$work/migrations" --format json)"
online="$(median env DATABASE_URL="$db_url" "$bin" lint --migrations "$work/migrations" --format json)"
findings="$(DATABASE_URL="$db_url" "$bin" lint --migrations "$work/migrations" --format json 2>/dev/null |
  python3 -c 'import json,sys; d=json.load(sys.stdin)["lint"]; print(len(d["findings"]), d["files"])')"

printf '\nlint of 200 migrations (median of 5 runs; %s findings in %s files)\n' ${findings}
printf '  without a database: %6.3f s  (goal < 1 s: %s; %.2fx of the goal)\n' "$offline" \
  "$(python3 -c "print('met' if $offline < 1 else 'NOT met')")" "$offline"
printf '  with a database:    %6.3f s  (goal < 1 s: %s; %.2fx of the goal)\n' "$online" \
  "$(python3 -c "print('met' if $online < 1 else 'NOT met')")" "$online"
