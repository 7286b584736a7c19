#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the build and the tests need, only when one is
# missing (a no-op on a prepared machine). Needs root, as on CI.
set -euo pipefail

pkgs=(
	linux-source-6.12 qemu-system-x86 clang lld llvm flex bison bc
	libelf-dev libssl-dev cpio busybox-static libcap-dev kmod ccache
	xz-utils rsync python3 make cmake g++ libgtest-dev
	clang-format clang-tidy perl gzip spin
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "  DEPS    installing: ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages and not root; run: apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || { echo "deps: apt-get update failed" >&2; exit 1; }
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
	{ echo "deps: apt-get install ${missing[*]} failed" >&2; exit 1; }
