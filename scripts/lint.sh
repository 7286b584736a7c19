#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# lint.sh SRC [SUMFILE]: the static checks, each one a pass or a fail:
#   checkpatch   the patch series and the kernel-style C (scripts/checkpatch.sh)
#   kernel-doc   kernel-doc comments of the core and the module
#   clang-format dynstackctl's C++
#   clang-tidy   dynstackctl's C++ (tools/dynstackctl/.clang-tidy)
#   layout       files stay one concern each (issue 12): core files at most
#                500 lines (its tests 800), module files 450, the module's
#                front ends only through dynstack_mod.h
set -uo pipefail
src=$1 sum=${2:-/dev/null}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
p=0 f=0

check() {
	local name=$1; shift
	local out
	if out=$("$@" 2>&1); then
		echo "  PASS lint: $name"; p=$((p + 1))
	else
		echo "$out" | tail -20 | sed 's/^/    /'
		echo "  FAIL lint: $name"; f=$((f + 1))
	fi
}

kdoc() {
	local out
	out=$(perl "$src/scripts/kernel-doc" -none -Wall "$src"/kernel/dynstack/*.[ch] \
		"$src"/include/linux/dynstack.h "$top"/module/*.c "$top"/module/*.h 2>&1)
	[ -z "$out" ] || { echo "$out"; return 1; }
}

cxx_files() { (cd "$top" && git ls-files 'tools/dynstackctl/*.cpp' 'tools/dynstackctl/*.hpp'); }

fmt() {
	local bad=0
	for f in $(cxx_files); do
		clang-format --dry-run -Werror "$top/$f" || bad=1
	done
	return $bad
}

tidy() {
	local dir=$build/tool-host
	cmake -S "$top/tools/dynstackctl" -B "$dir" -DCMAKE_CXX_COMPILER=clang++ >/dev/null &&
		clang-tidy -quiet -p "$dir" $(cxx_files | grep '\.cpp$' | sed "s|^|$top/|") 2>&1 |
		grep -E 'warning:|error:' && return 1
	return 0
}

# Issue 12: one concern per file. A module .c file over 450 lines, or a
# front end (sysfs.c, ioctl.c) that reaches past the internal API (the
# module's supply instance, or the other front end), fails.
layout() {
	local bad=0 f n
	# The core as the series lays it out in the kernel tree.
	for f in "$src"/kernel/dynstack/*.[ch]; do
		n=$(wc -l <"$f")
		[ "$n" -le 500 ] || { echo "$f: $n lines (at most 500)"; bad=1; }
	done
	for f in "$src"/kernel/dynstack/tests/*.c; do
		n=$(wc -l <"$f")
		[ "$n" -le 800 ] || { echo "$f: $n lines (at most 800)"; bad=1; }
	done
	for f in "$top"/module/*.c; do
		n=$(wc -l <"$f")
		[ "$n" -le 450 ] || { echo "$f: $n lines (at most 450)"; bad=1; }
	done
	for f in "$top"/module/sysfs.c "$top"/module/ioctl.c; do
		if grep -n 'ds_main_supply\|ds_sysfs_\|ds_ioctl_[a-z]*(' "$f" |
		   grep -v "^[0-9]*:\(int\|void\) ds_\(sysfs\|ioctl\)_\(init\|exit\)(void)$"; then
			echo "$f: uses another part's internals (only dynstack_mod.h's API)"
			bad=1
		fi
	done
	return $bad
}

check checkpatch "$top/scripts/checkpatch.sh" "$src"
check kernel-doc kdoc
check clang-format fmt
check clang-tidy tidy
check layout layout
echo "lint: $p passed, $f failed"
echo "$p $f 0" >>"$sum"
[ $f = 0 ]
