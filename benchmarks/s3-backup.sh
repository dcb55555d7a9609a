#!/usr/bin/env bash
# Benchmark: how fast does `slipway-release backup` put a pgvector database in an
# S3-compatible store, for each backup compression, against a plain `pg_dump -Fc` (zlib level 6,
# pg_dump's default) to a local file? And how long does `restore` take from each?
#
#   benchmarks/s3-backup.sh            # prints the timings, MB/s, sizes and ratios
#
# It builds slipway-release (release profile), starts the throwaway PostgreSQL
# (scripts/dev-postgres.sh) and S3 server (scripts/s3-server.sh), fills a
# database of about 200 MB with vector data (once; it is kept between runs),
# then times each side RUNS times (default 3), alternating, and prints the
# medians with their spread (min-max). Targets (issue 24): the default (`auto`) backs
# the database up at >= 25 MB/s (<= 8 s for 211 MB), with an archive <= 1.25x the size
# zlib level 6 gives.
#
# Settings: RUNS, BENCH_DB_MB (default 200), BENCH_PART_SIZE (default 16MiB),
# COMPRESSIONS (default "gzip:6 auto none": each SLIPWAY_BACKUP_COMPRESSION to time).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$repo_root"

RUNS="${RUNS:-3}"
BENCH_DB_MB="${BENCH_DB_MB:-200}"
BENCH_PART_SIZE="${BENCH_PART_SIZE:-16MiB}"
COMPRESSIONS="${COMPRESSIONS:-gzip:6 auto none}"
RESTORE_DB=slipway_bench_restore
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

# The variables of every slipway-release run against the S3 server.
slipway_s3() {
  SLIPWAY_BACKUP="s3://$BUCKET/bench" \
    SLIPWAY_BACKUP_KEEP=1 \
    SLIPWAY_BACKUP_S3_ENDPOINT="$ENDPOINT" \
    SLIPWAY_BACKUP_S3_PART_SIZE="$BENCH_PART_SIZE" \
    AWS_ACCESS_KEY_ID=slipway-test-access-key \
    AWS_SECRET_ACCESS_KEY=slipway-test-secret-key \
    AWS_REGION=us-east-1 \
    "$BIN" "$@"
}

# Seconds one `slipway-release backup` with compression $1 takes.
time_s3_backup() {
  local start end
  start="$(now)"
  DATABASE_URL="$DB_URL" SLIPWAY_BACKUP_COMPRESSION="$1" slipway_s3 backup >"$WORK/backup.log" 2>&1 ||
    { cat "$WORK/backup.log" >&2; exit 1; }
  end="$(now)"
  python3 -c "print($end - $start)"
}

# The name and the size in bytes of the newest backup in the bucket.
latest_backup() {
  DATABASE_URL="$DB_URL" slipway_s3 backups --format json 2>/dev/null |
    python3 -c 'import json,sys; b=json.load(sys.stdin)["backups"][-1]; print(b["name"], b["size_bytes"])'
}

# Seconds `slipway-release restore` of backup $1 into an empty database takes.
time_restore() {
  local start end restore_url="${ADMIN_URL%/*}/$RESTORE_DB"
  psql_admin -c "drop database if exists $RESTORE_DB" -c "create database $RESTORE_DB"
  start="$(now)"
  DATABASE_URL="$restore_url" slipway_s3 restore "$1" --confirm "$RESTORE_DB" >"$WORK/restore.log" 2>&1 ||
    { cat "$WORK/restore.log" >&2; exit 1; }
  end="$(now)"
  python3 -c "print($end - $start)"
}

# One untimed run of each side first: the table and the binaries are then in
# the page cache for every timed run alike.
time_pg_dump >/dev/null
time_s3_backup auto >/dev/null

dump_times=()
for run in $(seq 1 "$RUNS"); do
  dump_times+=("$(time_pg_dump)")
  log "run $run: pg_dump -Fc ${dump_times[-1]}s"
done
rows=()
for compression in $COMPRESSIONS; do
  times=()
  for run in $(seq 1 "$RUNS"); do
    times+=("$(time_s3_backup "$compression")")
    log "run $run: s3 backup ($compression) ${times[-1]}s"
  done
  newest="$(latest_backup)"
  read -r name bytes <<<"$newest"
  restore="$(time_restore "$name")"
  log "$compression: archive $bytes bytes, restore ${restore}s"
  rows+=("$compression ${bytes} ${restore} ${times[*]}")
done

python3 - "$(size_mb)" "${dump_times[*]}" "${rows[@]}" <<'PY'
import statistics, sys
db_mb = float(sys.argv[1])
dump = [float(x) for x in sys.argv[2].split()]
d = statistics.median(dump)
print(f"database: {db_mb:.0f} MB; pg_dump -Fc (zlib 6) to a local file: median {d:.2f}s "
      f"({min(dump):.2f}-{max(dump):.2f}) over {len(dump)} runs")
print(f"{'compression':<12} {'backup (median, min-max)':<26} {'MB/s':>6} {'archive MB':>10} "
      f"{'size vs gzip:6':>15} {'restore':>8} {'vs pg_dump':>10}")
rows = [row.split() for row in sys.argv[3:]]
sizes = {row[0]: int(row[1]) for row in rows}
for compression, size, restore, *times in rows:
    t = [float(x) for x in times]
    m = statistics.median(t)
    ratio = f"{int(size) / sizes['gzip:6']:.2f}" if "gzip:6" in sizes else "-"
    print(f"{compression:<12} {m:6.2f}s ({min(t):.2f}-{max(t):.2f}){'':<9} {db_mb / m:6.1f} "
          f"{int(size) / 1048576:10.1f} {ratio:>15} {float(restore):7.2f}s {m / d:10.3f}")
PY
