#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# prepare-tree.sh SRC BASE
#
# Make SRC the base kernel source (Debian's linux-source-6.12 tarball, or a
# 6.12 source directory) with dynstack's patch series applied:
#   kernel/patches/*.patch  applied in order with no fuzz (the cover letter
#                        0000 skipped); a patch that does not apply stops
#                        the build, naming it. The series is the only
#                        source of the in-tree part: it creates every new
#                        file, so what is built here is what users git am.
#
# SRC is only rewritten where its content changes (rsync --checksum, new
# mtimes on the files written), so kbuild's incremental build stays correct
# and fast: touching one patch rebuilds what that patch touches.
set -euo pipefail

src=$1
base_in=$2
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(dirname "$src")
base=$build/base

die() { echo "prepare-tree: $*" >&2; exit 1; }

# 1. The pristine base, unpacked once per base identity.
if [ -f "$base_in" ]; then
	id="tarball $base_in $(stat -c '%s %Y' "$base_in")"
elif [ -d "$base_in" ]; then
	[ -f "$base_in/Makefile" ] || die "$base_in is not a kernel tree"
	id="dir $(cd "$base_in" && pwd)"
else
	die "no kernel source at $base_in (apt-get install linux-source-6.12, or set KERNEL_SRC)"
fi
if [ ! -f "$base/.base-id" ] || [ "$(cat "$base/.base-id")" != "$id" ]; then
	echo "  UNPACK  $base_in"
	rm -rf "$base" "$base.tmp"
	mkdir -p "$base.tmp"
	if [ -f "$base_in" ]; then
		tar -xf "$base_in" -C "$base.tmp" --strip-components=1
	else
		rsync -a --exclude=.git "$base_in"/ "$base.tmp"/
	fi
	v=$(make -s -C "$base.tmp" kernelversion 2>/dev/null || true)
	case "$v" in
	6.12.*|6.12) ;;
	*) rm -rf "$base.tmp"; die "base is Linux '$v', dynstack's series is for 6.12" ;;
	esac
	echo "$id" >"$base.tmp/.base-id"
	mv "$base.tmp" "$base"
fi

# 2. Nothing to do when the base and the series are what SRC was made from.
series=$( (cat "$base/.base-id"
	cd "$top" && find kernel/patches -type f 2>/dev/null |
		LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -d' ' -f1)
if [ -f "$src/.dynstack-series" ] && [ "$(cat "$src/.dynstack-series")" = "$series" ]; then
	exit 0
fi

# 3. Build the wanted tree in a staging copy, then sync only what differs.
echo "  PATCH   kernel/ onto $(basename "$base_in")"
stage=$build/stage
rm -rf "$stage"
cp -a "$base" "$stage"
for p in "$top"/kernel/patches/*.patch; do
	[ -e "$p" ] || continue
	case "$p" in */0000-*) continue ;; esac
	if ! out=$(patch -d "$stage" -p1 -F0 --batch --forward \
			--no-backup-if-mismatch <"$p" 2>&1); then
		echo "$out" >&2
		die "patch $(basename "$p") does not apply to $(basename "$base_in")"
	fi
done
echo "$series" >"$stage/.dynstack-series"
mkdir -p "$src"
# No --times: a file whose content changes gets a new mtime and is rebuilt.
rsync -rlpc --delete "$stage/" "$src/"
rm -rf "$stage"
