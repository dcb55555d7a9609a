#!/usr/bin/env bash
# Makes a minimal Debian 12 (bookworm) root filesystem for ARCH in DIR with the extra packages
# INCLUDE (comma-separated), from Debian's own mirror:
#
#   scripts/lifecycle/debootstrap.sh amd64|arm64 DIR [INCLUDE]
#
# For a foreign arch (arm64 on an amd64 host) it runs debootstrap's second stage inside the
# new root under qemu-user, which binfmt_misc must have registered (qemu-user-static +
# binfmt-support; see scripts/arm64-env.sh). Docs, man pages, locales and apt lists are removed
# afterwards: a run image does not need them.
set -euo pipefail
arch="$1" dir="$2" include="${3:-ca-certificates}"
mirror="${SLIPWAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
host="$(dpkg --print-architecture)"

if [ "$arch" = "$host" ]; then
  debootstrap --variant=minbase --arch="$arch" --include="$include" bookworm "$dir" "$mirror" >/dev/null
else
  debootstrap --foreign --variant=minbase --arch="$arch" --include="$include" bookworm "$dir" "$mirror" >/dev/null
  chroot "$dir" /debootstrap/debootstrap --second-stage >/dev/null
fi
rm -rf "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/locale/* \
  "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb
