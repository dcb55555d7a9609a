#!/usr/bin/env bash
# arm64 end to end, as Heroku Fir runs it (Graviton), on an amd64 machine under qemu-user:
#
# 1. packages slipway/rust for aarch64-unknown-linux-gnu (cross-compiled with
#    aarch64-linux-gnu-gcc);
# 2. builds an app with it through the real arm64 lifecycle (analyzer, detector, restorer,
#    builder, exporter), every phase chrooted into an arm64 Debian build root, so the real
#    rustup-init installs the real aarch64 toolchain and cargo compiles natively for arm64;
# 3. exports a linux/arm64 image to the local registry, checks its platform and that its
#    binaries are aarch64 ELF files;
# 4. runs the image's `release` process (the arm64 slipway-release) against the throwaway
#    PostgreSQL with pgvector, and its `web` process over HTTP;
# 5. rebuilds warm and checks that the caches are reused and nothing is compiled again.
#
# The app is test-fixtures/apps/tiny with one pgvector migration: rustc under qemu is ~10x
# slower than native, so the dependency-heavy pgvector app is left to the amd64 suite.
#
#   ./scripts/arm64-e2e.sh           # reuses target/slipway-arm64 (the build cache) if present
#   ./scripts/arm64-e2e.sh --clean   # starts cold
#
# Exits non-zero, naming the failed check, when anything does not hold.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"
work_dir="$repo_root/target/slipway-arm64"
[ "${1:-}" = "--clean" ] && rm -rf "$work_dir"

started=$SECONDS
step_started=$SECONDS
step() {
  log "($((SECONDS - step_started))s) done"
  step_started=$SECONDS
  log "$*"
}
fail() { log "FAILED: $*"; exit 1; }

install_cross_tools() {
  local missing=()
  command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
  command -v update-binfmts >/dev/null || missing+=(binfmt-support)
  command -v aarch64-linux-gnu-gcc >/dev/null || missing+=(gcc-aarch64-linux-gnu)
  [ -f /usr/aarch64-linux-gnu/lib/libc.so.6 ] || missing+=(libc6-dev-arm64-cross)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    apt_install "${missing[@]}"
  fi
  # binfmt_misc runs arm64 ELF files through qemu; `F` (fix binary) makes that work in a chroot.
  [ -f /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  [ -f /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
  grep -q '^flags: .*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 ||
    fail "qemu-aarch64 is registered without the F flag: arm64 programs cannot run in a chroot"
  rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$' ||
    rustup target add aarch64-unknown-linux-gnu
}

# e_machine of an ELF file: 183 is EM_AARCH64.
elf_machine() {
  python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(20); print(struct.unpack("<H", d[18:20])[0] if d[:4]==b"\x7fELF" else -1)' "$1"
}

log "1/6 installing qemu-user, the aarch64 cross linker, the arm64 lifecycle and images"
install_cross_tools
./scripts/install-buildpack-tools.sh
./scripts/install-lifecycle.sh --arm64 >/dev/null
lifecycle_env="$(./scripts/lifecycle-env.sh start arm64)"
export_key_values "$lifecycle_env"
mkdir -p "$work_dir"
build_root="$(./scripts/lifecycle-env.sh build-root arm64 "$work_dir/build-image")"

step "2/6 packaging slipway/rust for aarch64-unknown-linux-gnu"
packaged="$work_dir/packaged"
(
  cd buildpacks/rust
  CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
    cargo libcnb package --no-cross-compile-assistance --target aarch64-unknown-linux-gnu --package-dir "$packaged"
)
buildpack="$packaged/aarch64-unknown-linux-gnu/debug/slipway_rust"
[ "$(elf_machine "$buildpack/bin/build")" = 183 ] || fail "the packaged bin/build is not an aarch64 binary"
platform="$(lifecycle_harness)"

app="$work_dir/app"
rm -rf "$app"
cp -r test-fixtures/apps/tiny "$app"
mkdir -p "$app/migrations"
cat >"$app/migrations/20240101000000_create_items.sql" <<'SQL'
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE items (id bigserial PRIMARY KEY, embedding vector(3) NOT NULL);
SQL

step "3/6 cold build on the arm64 lifecycle (rustup-init and cargo under qemu)"
root="$work_dir/build"
log_file="$work_dir/build-1.log"
"$platform" build --arch arm64 --build-root "$build_root" --buildpack "$buildpack" --app "$app" \
  --root "$root" 2>&1 | tee "$log_file" >&2 || fail "the cold arm64 build failed (see $log_file)"
image="$(cat "$root/image-reference")"
platform_json="$("$SLIPWAY_CRANE" config "$image")"
python3 -c 'import json,sys; c=json.loads(sys.argv[1]); sys.exit(0 if (c["architecture"], c["os"]) == ("arm64", "linux") else 1)' \
  "$platform_json" || fail "the exported image is not linux/arm64"
# (From the toolchain layer, not the log: a run without --clean restores the toolchain.)
ls "$root/layers/slipway_rust/toolchain/rustup/toolchains" | grep -q -- '-aarch64-unknown-linux-gnu$' ||
  fail "the build did not use an aarch64 toolchain"

step "4/6 the image's release process against PostgreSQL with pgvector"
admin_url="$(./scripts/dev-postgres.sh start)"
database="slipway_arm64_$$"
psql "$admin_url" -qc "CREATE DATABASE $database"
trap 'psql "$admin_url" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
database_url="${admin_url%/*}/$database"
"$platform" run --root "$root" --process release --env "DATABASE_URL=$database_url" ||
  fail "the arm64 release process failed"
rootfs="$root/image/rootfs"
[ "$(elf_machine "$rootfs/layers/slipway_rust/app/bin/tiny")" = 183 ] || fail "bin/tiny is not an aarch64 binary"
[ "$(elf_machine "$rootfs/layers/slipway_rust/release_tool/bin/slipway-release")" = 183 ] ||
  fail "slipway-release is not an aarch64 binary"
[ "$(psql "$database_url" -Atc "SELECT count(*) FROM _sqlx_migrations WHERE success")" = 1 ] ||
  fail "the migration was not recorded"
[ "$(psql "$database_url" -Atc "SELECT count(*) FROM pg_extension WHERE extname = 'vector'")" = 1 ] ||
  fail "the vector extension is not installed"

step "5/6 the image's web process over HTTP"
port="$(free_port)"
# Its own process group: the web process in the chroot is killed with the harness.
setsid "$platform" run --root "$root" --process web --env "PORT=$port" &
web_pid=$!
answer=""
for _ in $(seq 1 150); do
  answer="$(curl -fsS "http://127.0.0.1:$port/" 2>/dev/null)" && break
  sleep 0.2
done
kill -- -"$web_pid" 2>/dev/null || true
wait "$web_pid" 2>/dev/null || true
[ "$answer" = "hello from tiny" ] || fail "web answered '$answer', not 'hello from tiny'"

step "6/6 warm rebuild: the restored caches are reused, nothing compiles"
log_file="$work_dir/build-2.log"
"$platform" build --arch arm64 --build-root "$build_root" --buildpack "$buildpack" --app "$app" \
  --root "$root" 2>&1 | tee "$log_file" >&2 || fail "the warm arm64 build failed (see $log_file)"
for expected in "Reusing the cached Rust" "Reusing the Cargo registry cache" "Reusing the target dir cache"; do
  grep -q "$expected" "$log_file" || fail "warm rebuild: no '$expected' in $log_file"
done
if grep -q "Compiling tiny" "$log_file"; then fail "warm rebuild compiled tiny again"; fi

step "arm64 end to end passed"
log "total $((SECONDS - started))s"
