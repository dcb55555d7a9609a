#!/usr/bin/env bash
# Build benchmark: slipway/rust through the real CNB lifecycle against plain cargo, side by
# side in one run on the same app (default test-fixtures/apps/pgvector-app). Prints:
#
#   warm no-change rebuild: the buildpack's own build time / a plain `cargo build --release`
#                           no-op (goal <= 1.3x), and the lifecycle's fixed overhead (the
#                           other four phases, image export included) on its own line
#   cold build:             lifecycle cold build / plain cargo cold build with the toolchain
#                           already installed (goal <= 1.1x), with and without the
#                           buildpack's toolchain install
#   size:                   the image's app layers (uncompressed tar streams, read from the
#                           registry) / the binaries they ship (goal <= 1.05)
#   cache layers:           per lifecycle build (cold, three warm no-change rebuilds, a one-line
#                           change), each cache layer's size in the cache and whether the
#                           exporter reused it or stored it again (goal: a no-change rebuild
#                           reuses all three; a one-line change stores only `target` again and
#                           compiles only the app crate); the warm rebuilds' lifecycle overhead
#                           as median and spread (goal <= 10 s); the cache after the change
#                           against the cache of the fresh cold build (goal <= 1.2x)
#
# The real-size app is test-fixtures/apps/web-app (262 crates in Cargo.lock: axum, sqlx,
# tokio, tracing, reqwest, serde); run the benchmark when the machine is otherwise idle.
#
# A benchmark, not a test: it prints numbers and does not judge them. Cold builds of the
# pgvector app take several minutes each on 2 cores.
#
#   benchmarks/build.sh [APP_DIR]
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$repo_root"
app_source="${1:-test-fixtures/apps/web-app}"
work="$(mktemp -d /tmp/slipway-bench.XXXXXX)"
# The lifecycle's detector and builder run as the CNB user and read the packaged buildpack here.
chmod 0755 "$work"
trap 'rm -rf "$work"' EXIT

log_name=bench
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
# The buildpack's own "Done (finished in 1m 2.3s)" line, in seconds.
buildpack_seconds() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -o 'Done (finished in [^)]*)' | tail -n1 |
    python3 -c 'import re,sys; t=sys.stdin.read(); m=re.search(r"(?:(\d+)m )?([\d.]+)s", t); print(int(m.group(1) or 0)*60+float(m.group(2)))'
}
# The duration bullet_stream printed after `Running rustup-init ...`, in seconds (0 if none).
toolchain_seconds() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '/Running `rustup-init/{p=1} p && /- Done \(/{print; exit}' |
    python3 -c 'import re,sys; t=sys.stdin.read(); m=re.search(r"(?:(\d+)m )?([\d.]+)s", t); print(int(m.group(1) or 0)*60+float(m.group(2)) if m else 0)'
}

log "setting up the lifecycle, the registry and the packaged buildpack"
./scripts/install-lifecycle.sh >/dev/null
lifecycle_env="$(./scripts/lifecycle-env.sh start amd64)"
export_key_values "$lifecycle_env"
(cd buildpacks/rust && cargo libcnb package --no-cross-compile-assistance --target x86_64-unknown-linux-gnu --package-dir "$work/packaged" >/dev/null 2>&1)
buildpack="$work/packaged/x86_64-unknown-linux-gnu/debug/slipway_rust"
platform="$(lifecycle_harness)"

app="$work/app"
cp -r "$app_source" "$app"
rm -rf "$app/target"
offline=()
[ -d "$app/.sqlx" ] && offline=(SQLX_OFFLINE=true)

log "plain cargo: cold build (fresh CARGO_HOME and target dir; the host's toolchain is installed)"
start="$(now)"
(cd "$app" && env "${offline[@]}" CARGO_HOME="$work/plain-home" CARGO_TARGET_DIR="$work/plain-target" \
  cargo build --release --locked -q)
cargo_cold="$(elapsed "$start" "$(now)")"
start="$(now)"
(cd "$app" && env "${offline[@]}" CARGO_HOME="$work/plain-home" CARGO_TARGET_DIR="$work/plain-target" \
  cargo build --release --locked -q)
cargo_noop="$(elapsed "$start" "$(now)")"

# One lifecycle build into the benchmark's root, its log in $work/NAME.log; prints its seconds.
lifecycle_build() {
  local name="$1" start
  start="$(now)"
  "$platform" build --buildpack "$buildpack" --app "$app" --root "$work/root" >"$work/$name.log" 2>&1 ||
    { tail -n 40 "$work/$name.log" >&2; return 1; }
  elapsed "$start" "$(now)"
}

# Each cache layer after the build that wrote $work/NAME.log: its size in the cache and
# whether the exporter reused it (since lifecycle 0.20 a reused layer is also logged as
# added, buildpacks/lifecycle#1720: the `Reusing cache layer` line is what counts).
cache_row() {
  python3 - "$work/root/cache/committed" "$work/$1.log" "$1" <<'PY'
import json, os, re, sys
committed, log, name = sys.argv[1:4]
text = re.sub(r"\x1b\[[0-9;]*m", "", open(log, errors="replace").read())
meta = json.load(open(os.path.join(committed, "io.buildpacks.lifecycle.cache.metadata")))
cells, total = [], 0
for buildpack in meta["buildpacks"]:
    for layer, data in sorted(buildpack["layers"].items()):
        size = os.path.getsize(os.path.join(committed, data["sha"] + ".tar"))
        total += size
        reused = f"Reusing cache layer '{buildpack['key']}:{layer}'" in text
        cells.append(f"{layer} {size / 2**20:.1f} MiB {'reused' if reused else 're-added'}")
compiled = len(re.findall(r"^\s*Compiling ", text, re.M))
print(f"{name}: " + ", ".join(cells) + f"; {compiled} crates compiled; cache {total / 2**20:.1f} MiB")
PY
}
cache_total() { # the cache's total bytes, from the last cache_row line
  python3 - "$work/root/cache/committed" <<'PY'
import json, os, sys
committed = sys.argv[1]
meta = json.load(open(os.path.join(committed, "io.buildpacks.lifecycle.cache.metadata")))
print(sum(os.path.getsize(os.path.join(committed, d["sha"] + ".tar"))
          for b in meta["buildpacks"] for d in b["layers"].values()))
PY
}

log "slipway/rust on the lifecycle: cold build (toolchain, registry and target dir all empty)"
lifecycle_cold="$(lifecycle_build cold)"
toolchain="$(toolchain_seconds "$work/cold.log")"
cache_rows=("$(cache_row cold)")
fresh_cache="$(cache_total)"

overheads=()
for run in 1 2 3; do
  log "slipway/rust on the lifecycle: warm no-change rebuild $run of 3"
  lifecycle_warm="$(lifecycle_build "warm$run")"
  buildpack_warm="$(buildpack_seconds "$work/warm$run.log")"
  overheads+=("$(python3 -c "import sys; print(f'{float(sys.argv[1]) - float(sys.argv[2]):.2f}')" "$lifecycle_warm" "$buildpack_warm")")
  cache_rows+=("$(cache_row "warm$run")")
done
cp "$work/warm3.log" "$work/warm.log"
overhead_spread="$(python3 -c "import statistics,sys; v=sorted(map(float,sys.argv[1:])); print(f'median {statistics.median(v):.2f}s (min {v[0]:.2f}s, max {v[-1]:.2f}s, runs: {\" \".join(sys.argv[1:])})')" "${overheads[@]}")"

log "slipway/rust on the lifecycle: a one-line change to the app"
main_rs="$(find "$app/src" -name main.rs | head -n1)"
printf '\n// benchmark: a one-line change\n' >>"$main_rs"
lifecycle_change="$(lifecycle_build change)"
cache_rows+=("$(cache_row change)")
changed_cache="$(cache_total)"

log "sizes: the app layers in the registry against the binaries in them"
image="$(cat "$work/root/image-reference")"
sizes="$(python3 - "$SLIPWAY_CRANE" "$image" <<'PY'
import gzip, json, subprocess, sys
crane, image = sys.argv[1], sys.argv[2]
repo = image.split("@")[0]
config = json.loads(subprocess.check_output([crane, "config", image]))
manifest = json.loads(subprocess.check_output([crane, "manifest", image]))
label = json.loads(config["config"]["Labels"]["io.buildpacks.lifecycle.metadata"])
diff_ids = config["rootfs"]["diff_ids"]
layers_total = 0
bins_total = 0
for buildpack in label["buildpacks"]:
    for name, layer in buildpack.get("layers", {}).items():
        if not layer.get("launch"):
            continue
        blob = manifest["layers"][diff_ids.index(layer["sha"])]["digest"]
        tar = gzip.decompress(subprocess.check_output([crane, "blob", f"{repo}@{blob}"]))
        layers_total += len(tar)
        import io, tarfile
        with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
            bins_total += sum(m.size for m in archive.getmembers() if m.isfile() and "/bin/" in m.name)
print(layers_total, bins_total)
PY
)"
read -r layers_bytes bins_bytes <<<"$sizes"

printf '\n'
printf 'app: %s\n' "$app_source"
printf 'warm no-change rebuild: buildpack %ss / plain cargo no-op %ss = %sx (goal <= 1.3x)\n' \
  "$buildpack_warm" "$cargo_noop" "$(ratio "$buildpack_warm" "$cargo_noop")"
printf '  lifecycle overhead of a warm no-change deploy (analyze, detect, restore, export): %s (goal <= 10s)\n' \
  "$overhead_spread"
printf 'cold build: lifecycle %ss / plain cargo %ss = %sx (goal <= 1.1x)\n' \
  "$lifecycle_cold" "$cargo_cold" "$(ratio "$lifecycle_cold" "$cargo_cold")"
printf '  without the toolchain install (%ss): %sx\n' "$toolchain" \
  "$(python3 -c "import sys; print(f'{(float(sys.argv[1]) - float(sys.argv[2])) / float(sys.argv[3]):.2f}')" "$lifecycle_cold" "$toolchain" "$cargo_cold")"
printf 'size: app layers %s bytes / binaries %s bytes = %s (goal <= 1.05)\n' \
  "$layers_bytes" "$bins_bytes" "$(ratio "$layers_bytes" "$bins_bytes")"
printf 'cache layers, per build:\n'
printf '  %s\n' "${cache_rows[@]}"
printf '  one-line change: %ss through the lifecycle\n' "$lifecycle_change"
printf 'cache after the change / cache of the fresh cold build: %s (goal <= 1.2x)\n' \
  "$(ratio "$changed_cache" "$fresh_cache")"
