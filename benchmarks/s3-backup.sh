#!/usr/bin/env bash
# Benchmark: how much slower is `slipway-release backup` to an S3-compatible
# store than a plain `pg_dump -Fc` to a local file?
#
#   benchmarks/s3-backup.sh            # prints the timings and the ratio
#
# It builds slipway-release (release profile), starts the throwaway PostgreSQL
# (scripts/dev-postgres.sh) and S3 server (scripts/s3-server.sh), fills a
# database of about 200 MB with vector data (once; it is kept between runs),
# then times each side RUNS times (default 3), alternating, and compares the
# medians. Target: ratio <= 1.15.
#
# Settings: RUNS, BENCH_DB_MB (default 200), BENCH_PART_SIZE (default 16MiB).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$repo_root"

RUNS="${RUNS:-3}"
BENCH_DB_MB="${BENCH_DB_MB:-200}"
BENCH_PART_SIZE="${BENCH_PART_SIZE:-16MiB}"
DB=slipway_bench
BUCKET=slipway-bench

log_name=bench

log "building slipway-release (release profile)"
cargo build --release -q -p slipway-release
BIN="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/slipway-release"

ADMIN_URL="$(./scripts/dev-postgres.sh start)"
ENDPOINT="$(./scripts/s3-server.sh start)"
./scripts/s3-server.sh bucket "$BUCKET"
DB_URL="${ADMIN_URL%/*}/$DB"

psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_URL" "$@"; }
psql_db() { psql -X -q -v ON_ERROR_STOP=1 "$DB_URL" "$@"; }

size_mb() { psql_db -At -c "select pg_database_size(current_database()) / 1048576"; }

fill_database() {
  log "filling $DB with about ${BENCH_DB_MB} MB of vector(768) rows (once)"
  psql_admin -c "drop database if exists $DB" -c "create database $DB"
  psql_db -c "create extension if not exists vector" -c "
    create table items (
      id bigserial primary key,
      title text not null,
      embedding vector(768) not null
    )"
  # One batch is about 30 MB; repeat until the database is big enough.
  while [ "$(size_mb)" -lt "$BENCH_DB_MB" ]; do
    psql_db -c "
      insert into items (title, embedding)
      select 'item ' || g || ' ' || md5(g::text),
             (select array_agg(random()::real) from generate_series(1, 768) where g > 0)::vector
      from generate_series(1, 10000) as g"
  done
}

if ! psql_db -At -c "select 1 from items limit 1" >/dev/null 2>&1 || [ "$(size_mb)" -lt "$BENCH_DB_MB" ]; then
  fill_database
fi
log "database $DB: $(size_mb) MB"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

now() { date +%s.%N; }

time_pg_dump() {
  local start end
  start="$(now)"
  pg_dump -Fc --no-password --dbname="$DB_URL" -f "$WORK/local.dump"
  end="$(now)"
  rm -f "$WORK/local.dump"
  python3 -c "print($end - $start)"
}

time_s3_backup() {
  local start end
  start="$(now)"
  DATABASE_URL="$DB_URL" \
    SLIPWAY_BACKUP="s3://$BUCKET/bench" \
    SLIPWAY_BACKUP_KEEP=1 \
    SLIPWAY_BACKUP_S3_ENDPOINT="$ENDPOINT" \
    SLIPWAY_BACKUP_S3_PART_SIZE="$BENCH_PART_SIZE" \
    AWS_ACCESS_KEY_ID=slipway-test-access-key \
    AWS_SECRET_ACCESS_KEY=slipway-test-secret-key \
    AWS_REGION=us-east-1 \
    "$BIN" backup >"$WORK/backup.log" 2>&1 || { cat "$WORK/backup.log" >&2; exit 1; }
  end="$(now)"
  python3 -c "print($end - $start)"
}

# One untimed run of each side first: the table and the binaries are then in
# the page cache for every timed run alike.
time_pg_dump >/dev/null
time_s3_backup >/dev/null

dump_times=()
s3_times=()
for run in $(seq 1 "$RUNS"); do
  dump_times+=("$(time_pg_dump)")
  s3_times+=("$(time_s3_backup)")
  log "run $run: pg_dump -Fc ${dump_times[-1]}s, s3 backup ${s3_times[-1]}s"
done

python3 - "${#dump_times[@]}" "${dump_times[@]}" "${s3_times[@]}" <<'PY'
import statistics, sys
n = int(sys.argv[1])
dump = [float(x) for x in sys.argv[2:2 + n]]
s3 = [float(x) for x in sys.argv[2 + n:]]
d, s = statistics.median(dump), statistics.median(s3)
print(f"pg_dump -Fc to a local file: median {d:.2f}s over {n} runs")
print(f"slipway-release backup to S3: median {s:.2f}s over {n} runs")
print(f"ratio (s3 backup time / pg_dump -Fc to a local file): {s / d:.3f}  (target <= 1.15)")
PY
