#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# devtree.sh init|export|base [DIR]
#
# The patch series in kernel/patches/ is the only source of the in-tree
# part: every new file (kernel/dynstack/, include/linux/dynstack.h,
# kernel/Kconfig.dynstack, the documentation) is created by one of its
# patches. This gives a git tree to work on it the kernel way:
#   init    DIR (default build/dev) = the base source as commit "base",
#           then the series applied with git am, one commit per patch.
#           Edit, commit, rebase -i (fixup!) as for any kernel series.
#           The cover letter's text (kernel/patches/0000-cover-letter.patch)
#           becomes the branch description: edit it with
#           `git branch --edit-description`.
#   base    DIR = the base source alone as commit "base" (series-check.sh
#           applies the series to it itself).
#   export  kernel/patches/ = git format-patch base..HEAD of DIR, with the
#           cover letter made from the branch description (its first line
#           is the subject), the shortlog and the diffstat.
# Called by `make devtree` and `make export-patches`.
set -euo pipefail
cmd=${1:-}
top=$(cd "$(dirname "$0")/.." && pwd)
dev=${2:-$top/build/dev}
base=${BUILD:-$top/build}/base

# $1 = the pristine base (make tree) as a git tree: one commit, tag "base".
base_repo() {
	[ -f "$base/Makefile" ] || { echo "devtree: no $base (run make tree)" >&2; exit 2; }
	mkdir -p "$1"
	cp -a "$base/." "$1/"
	cd "$1"
	rm -f .base-id
	# Debian's linux-source .gitignore ignores everything at the top
	# level, so new files would stay untracked: drop that part in base.
	sed -i '/^# Debian packaging/,$d' .gitignore
	git init -q
	git add -Af .
	git -c user.name=dynstack -c user.email=dynstack@localhost commit -qm "base"
	git tag base
}

case "$cmd" in
base)
	base_repo "$dev"
	;;
init)
	[ ! -e "$dev" ] || { echo "devtree: $dev exists" >&2; exit 1; }
	make -s -C "$top" tree
	base_repo "$dev"
	for p in "$top"/kernel/patches/[0-9]*.patch; do
		case "$p" in */0000-*) continue ;; esac
		git am -q "$p" || { echo "devtree: $(basename "$p") does not apply" >&2; exit 1; }
	done
	cover=$top/kernel/patches/0000-cover-letter.patch
	if [ -f "$cover" ]; then
		# Subject (without "[PATCH 00/NN] "), a blank line, then the
		# text up to the shortlog ("Author (N):").
		{
			sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$cover"
			echo
			sed -n '/^$/,$p' "$cover" | sed '1d' |
				sed '/^[^ ].* ([0-9]*):$/,$d' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
		} >.git/cover-description
		git config "branch.$(git branch --show-current).description" "$(cat .git/cover-description)"
	fi
	echo "devtree: $dev ready; build with: make -C $dev O=<objdir> LLVM=1"
	;;
export)
	cd "$dev"
	rm -f "$top"/kernel/patches/*.patch
	# Blob names in the index lines at a fixed length: git's default
	# depends on how the tree's objects happen to be packed.
	git -c core.abbrev=9 format-patch -q -s --no-signature --zero-commit --cover-letter \
		--cover-from-description=subject -o "$top/kernel/patches" base..HEAD
	# Empty context lines as empty lines (GNU diff --suppress-blank-empty,
	# which git am and patch accept): checkpatch run on a patch that git
	# tracks checks it as a file and would call " " trailing whitespace.
	sed -i 's/^ $//' "$top"/kernel/patches/*.patch
	# The cover letter carries the date of the last patch, not the time
	# of the export, so that an unchanged series exports unchanged.
	date=$(git log -1 --format='%aD' HEAD)
	sed -i "3s/^Date: .*/Date: $date/" "$top"/kernel/patches/0000-cover-letter.patch
	ls "$top"/kernel/patches
	;;
*)
	echo "usage: devtree.sh init|export|base [DIR]" >&2
	exit 2
	;;
esac
