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
#
# A benchmark, not a test: it prints numbers and does not judge them. Cold builds of the
# pgvector app take several minutes each on 2 cores.
#
#   benchmarks/build.sh [APP_DIR]
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$repo_root"
app_source="${1:-test-fixtures/apps/pgvector-app}"
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

log "slipway/rust on the lifecycle: cold build (toolchain, registry and target dir all empty)"
start="$(now)"
"$platform" build --buildpack "$buildpack" --app "$app" --root "$work/root" >"$work/cold.log" 2>&1 ||
  { tail -n 40 "$work/cold.log" >&2; exit 1; }
lifecycle_cold="$(elapsed "$start" "$(now)")"
toolchain="$(toolchain_seconds "$work/cold.log")"

log "slipway/rust on the lifecycle: warm no-change rebuild"
start="$(now)"
"$platform" build --buildpack "$buildpack" --app "$app" --root "$work/root" >"$work/warm.log" 2>&1 ||
  { tail -n 40 "$work/warm.log" >&2; exit 1; }
lifecycle_warm="$(elapsed "$start" "$(now)")"
buildpack_warm="$(buildpack_seconds "$work/warm.log")"
overhead="$(python3 -c "import sys; print(f'{float(sys.argv[1]) - float(sys.argv[2]):.2f}')" "$lifecycle_warm" "$buildpack_warm")"

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
printf '  lifecycle fixed overhead (analyze, detect, restore, export): %ss of the %ss warm build\n' \
  "$overhead" "$lifecycle_warm"
printf 'cold build: lifecycle %ss / plain cargo %ss = %sx (goal <= 1.1x)\n' \
  "$lifecycle_cold" "$cargo_cold" "$(ratio "$lifecycle_cold" "$cargo_cold")"
printf '  without the toolchain install (%ss): %sx\n' "$toolchain" \
  "$(python3 -c "import sys; print(f'{(float(sys.argv[1]) - float(sys.argv[2])) / float(sys.argv[3]):.2f}')" "$lifecycle_cold" "$toolchain" "$cargo_cold")"
printf 'size: app layers %s bytes / binaries %s bytes = %s (goal <= 1.05)\n' \
  "$layers_bytes" "$bins_bytes" "$(ratio "$layers_bytes" "$bins_bytes")"
