#!/usr/bin/env bash
# Prepares the arm64 platform for the arm64 end-to-end test (buildpacks/rust/tests/it/arm64.rs),
# which builds, releases and serves an app as Heroku Fir runs it (Graviton), on an amd64 machine
# under qemu-user:
#
# 1. installs qemu-user (registered with binfmt_misc, with the F flag so that arm64 programs run
#    in a chroot), the aarch64 cross linker and the rust target, and debootstrap;
# 2. installs libcnb-cargo and the arm64 lifecycle, and starts the registry with the arm64 run
#    image (scripts/lifecycle-env.sh start arm64);
# 3. extracts the arm64 build image's root filesystem, which every phase runs chrooted into.
#
# Prints KEY=VALUE lines on stdout for the test:
#   SLIPWAY_ARM64_BUILD_ROOT   that root filesystem
#
#   eval "$(./scripts/arm64-env.sh | sed 's/^/export /')"
#   cargo nextest run -p slipway-buildpack-rust --no-capture --run-ignored ignored-only -E 'test(/^arm64::/)'
#
# The test keeps its build cache in <target dir>/slipway-arm64 for the next run (warm: ~3 min,
# cold: ~12 min); `./scripts/arm64-env.sh --clean` deletes it first.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"
work_dir="${CARGO_TARGET_DIR:-$repo_root/target}/slipway-arm64"
clean_option "$work_dir" "$@"

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
    die "qemu-aarch64 is registered without the F flag: arm64 programs cannot run in a chroot"
  rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$' ||
    rustup target add aarch64-unknown-linux-gnu
}

started=$SECONDS
log "installing qemu-user, the aarch64 cross linker, the arm64 lifecycle and images"
install_cross_tools
./scripts/install-buildpack-tools.sh
./scripts/lifecycle-env.sh start arm64 >/dev/null
mkdir -p "$work_dir"
build_root="$(./scripts/lifecycle-env.sh build-root arm64 "$work_dir/build-image")"
log "ready in $((SECONDS - started))s: the arm64 build root is $build_root"
printf 'SLIPWAY_ARM64_BUILD_ROOT=%s\n' "$build_root"
