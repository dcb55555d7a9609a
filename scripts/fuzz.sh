#!/usr/bin/env bash
# Fuzzes slipway-release's input parsers with cargo-fuzz (libFuzzer), each
# target for a bounded time:
#
#   scripts/fuzz.sh                      # every target, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh     # longer
#   scripts/fuzz.sh settings_file        # one target
#
# Targets (release-tool/fuzz/fuzz_targets/):
#   migration_file_name  sqlx's migration file-name rules (version, type, description)
#   settings_file        slipway.toml: TOML, unknown keys, every value's parser, the error text
#
# Installs what it needs when missing: the nightly toolchain (rustup) and
# cargo-fuzz. The corpus grows in release-tool/fuzz/corpus/<target> (seeded
# from release-tool/fuzz/seeds/<target>); a crash is saved in
# release-tool/fuzz/artifacts/<target>/ and this script exits non-zero. Keep
# each crash as a regression test in release-tool/tests/it/fuzz_regressions.rs.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root/release-tool/fuzz"

SECONDS_EACH="${FUZZ_SECONDS:-60}"
TARGETS=("$@")
[ "${#TARGETS[@]}" -gt 0 ] || TARGETS=(migration_file_name settings_file)

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  log "installing the nightly toolchain"
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi

for target in "${TARGETS[@]}"; do
  mkdir -p "corpus/$target"
  cp -n seeds/"$target"/* "corpus/$target/" 2>/dev/null || true
  log "$target: ${SECONDS_EACH}s"
  # No sanitizer: the crate forbids unsafe code, so libFuzzer's coverage and
  # panics are what matter, and the build stays quick.
  cargo +nightly fuzz run --sanitizer none "$target" "corpus/$target" -- \
    -max_total_time="$SECONDS_EACH" -max_len=4096 -print_final_stats=1
done
log "no crashes"
