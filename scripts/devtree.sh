#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# devtree.sh init|export [DIR]
#
# A git tree for working on the patch series the kernel way:
#   init    DIR (default build/dev) = the base source as commit "base",
#           the series applied with git am, kernel/tree + Kconfig copied in
#           (untracked: they are dynstack's own files, not patches).
#   export  kernel/patches/ = git format-patch -s base..HEAD of DIR, and
#           kernel/tree/ updated from the copies in DIR.
set -euo pipefail
cmd=${1:-}
top=$(cd "$(dirname "$0")/.." && pwd)
dev=${2:-$top/build/dev}

case "$cmd" in
init)
	[ ! -e "$dev" ] || { echo "devtree: $dev exists" >&2; exit 1; }
	make -s -C "$top" tree
	mkdir -p "$dev"
	cp -a "$top/build/base/." "$dev/"
	cd "$dev"
	git init -q
	git add -Af .
	git -c user.name=dynstack -c user.email=dynstack@localhost commit -qm "base"
	git tag base
	for p in "$top"/kernel/patches/*.patch; do
		git am -q "$p" || { echo "devtree: $(basename "$p") does not apply" >&2; exit 1; }
	done
	cp -r "$top/kernel/tree/." .
	cp "$top/Kconfig" kernel/Kconfig.dynstack
	echo "devtree: $dev ready; build with: make -C $dev O=<objdir> LLVM=1"
	;;
export)
	cd "$dev"
	rm -f "$top"/kernel/patches/*.patch
	git format-patch -q -s --no-signature -o "$top/kernel/patches" base..HEAD
	# Empty context lines as empty lines (GNU diff --suppress-blank-empty,
	# which git am and patch accept): checkpatch run on a patch that git
	# tracks checks it as a file and would call " " trailing whitespace.
	sed -i 's/^ $//' "$top"/kernel/patches/*.patch
	(cd "$top/kernel/tree" && find . -type f) | while read -r f; do
		cp "$dev/$f" "$top/kernel/tree/$f"
	done
	cp kernel/Kconfig.dynstack "$top/Kconfig"
	ls "$top"/kernel/patches
	;;
*)
	echo "usage: devtree.sh init|export [DIR]" >&2
	exit 2
	;;
esac
