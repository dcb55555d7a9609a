#!/usr/bin/env bash
# Footprint of slipway-release, before and after a change, in one run. For each side it builds
# `cargo build --release -p slipway-release` cold (a fresh target dir; the cargo registry is
# shared, so downloads do not count) and prints:
#
#   - the cold build time;
#   - the binary's size;
#   - the number of crates in its normal dependency tree;
#   - which TLS crypto providers are compiled in (ring, aws-lc-rs).
#
#   benchmarks/footprint.sh [BEFORE_REV]
#
# BEFORE_REV defaults to 699643f, the last commit that compiled both ring and aws-lc-rs; the
# "after" side is the working tree. A benchmark, not a test: it prints numbers only.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$repo_root"
before_rev="${1:-699643f}"
work="$(mktemp -d /tmp/slipway-footprint.XXXXXX)"
cleanup() {
  git worktree remove --force "$work/before" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Prints "seconds size crates providers" for the workspace at $1.
measure() {
  local tree="$1" target="$work/target-$2" started
  started="$(date +%s.%N)"
  (cd "$tree" && CARGO_TARGET_DIR="$target" cargo build --release --locked -q -p slipway-release)
  local seconds
  seconds="$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$started" "$(date +%s.%N)")"
  local size crates providers
  size="$(stat -c %s "$target/release/slipway-release")"
  crates="$(cd "$tree" && cargo tree --locked -p slipway-release -e normal --prefix none 2>/dev/null |
    sed 's/ (\*)$//; s/ (proc-macro)$//' | sort -u | wc -l)"
  providers="$(cd "$tree" && cargo tree --locked -p slipway-release -e normal --prefix none 2>/dev/null |
    grep -oE '^(ring|aws-lc-rs|aws-lc-sys) ' | sort -u | tr -d ' ' | paste -sd, -)"
  printf '%s %s %s %s\n' "$seconds" "$size" "$crates" "${providers:-none}"
}

log "checking out $before_rev into a worktree"
git worktree add --detach "$work/before" "$before_rev" >/dev/null 2>&1
log "cold release build of slipway-release at $before_rev"
read -r b_seconds b_size b_crates b_providers <<<"$(measure "$work/before" before)"
log "cold release build of slipway-release in the working tree"
read -r a_seconds a_size a_crates a_providers <<<"$(measure "$PWD" after)"

printf '\n%-28s %14s %14s\n' "slipway-release" "before" "after"
printf '%-28s %13ss %13ss\n' "cold release build" "$b_seconds" "$a_seconds"
printf '%-28s %14s %14s\n' "binary size (bytes)" "$b_size" "$a_size"
printf '%-28s %14s %14s\n' "crates in the tree" "$b_crates" "$a_crates"
printf '%-28s %14s %14s\n' "TLS crypto providers" "$b_providers" "$a_providers"
