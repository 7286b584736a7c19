#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# checkpatch.sh SRC: run the kernel's checkpatch.pl on the patch series (which
# holds every in-tree file) and on the module's and uapi's C files. Fails on
# any error or warning. Called by `make checkpatch` and scripts/lint.sh.
set -uo pipefail
src=$1
top=$(cd "$(dirname "$0")/.." && pwd)
cp="$src/scripts/checkpatch.pl"
bad=0
# LOGGING_CONTINUATION: sched_show_task() builds its line with pr_cont() in
# mainline; the patch that changes that line (the "stack:" field) cannot
# avoid the warning without changing the output format.
# FILE_PATH_CHANGES: asked of every patch that adds a file and does not
# touch MAINTAINERS; patch 6 adds the entry for kernel/dynstack/, and the
# reclaimer, statistics and KUnit patches add files below it.
for p in "$top"/kernel/patches/*.patch; do
	out=$(perl "$cp" --no-tree -q --terse --strict \
		--ignore LOGGING_CONTINUATION,FILE_PATH_CHANGES "$p") || bad=1
	echo "${out:-$(basename "$p"): ok}" | grep -v '^total: 0 errors, 0 warnings' || true
done
for f in $(cd "$top" && git ls-files 'module/*.[ch]' 'uapi/*.h'); do
	out=$(perl "$cp" --no-tree -q --terse -f "$top/$f" | grep -v '^total: 0 errors, 0 warnings')
	[ -z "$out" ] || { echo "$f: $out"; bad=1; }
done
[ $bad = 0 ] && echo "checkpatch: clean"
exit $bad
