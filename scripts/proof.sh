#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# proof.sh [SUMFILE]  (the body of `make proof`)
#
# Checks proof/dynstack.pml exhaustively with Spin (no bitstate hashing):
# the protocol as the code does it must have no assertion violation and no
# invalid end state, and every seeded bug (a MUT_* switch of the model)
# must be caught with a counterexample trail. Prints one PASS/FAIL line per
# check and, with SUMFILE, appends "passed failed 0" to it for make test.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
sum=${1:-}
model=$top/proof/dynstack.pml
out=${BUILD:-$top/build}/proof
mkdir -p "$out"
command -v spin >/dev/null || { echo "proof: spin is not installed (make deps)"; exit 1; }

mutants=(MUT_NO_READER_CHECK MUT_DETACH_STALE MUT_RELEASE_EARLY MUT_RELEASE_ALL
	MUT_SKIP_DIRTY_ZERO MUT_REINSTALL_OTHER)
pass=0 fail=0

# check NAME DEFINE: build pan for the model with -DDEFINE (or none) and run
# it exhaustively; sets $errors, $states and $trail.
check() {
	local name=$1 def=$2 dir=$out/$1
	rm -rf "$dir" && mkdir -p "$dir" && cp "$model" "$dir/"
	(cd "$dir" && spin ${def:+-D$def} -a dynstack.pml >spin.log 2>&1 &&
		gcc -O2 -w -DSAFETY -DCOLLAPSE -DNOCLAIM -o pan pan.c >>spin.log 2>&1 &&
		./pan -m20000000 -w28 >pan.log 2>&1)
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/pan.log")
	states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$dir/pan.log")
	trail=$dir/dynstack.pml.trail
	if grep -q "max search depth too small" "$dir/pan.log"; then
		errors=incomplete
	fi
}

start=$(date +%s)
check protocol ""
if [ "$errors" = 0 ]; then
	echo "  PASS proof: protocol (exhaustive, $states states, no assertion violated, no invalid end state)"
	pass=$((pass + 1))
else
	echo "  FAIL proof: protocol (errors: ${errors:-none reported}; see $out/protocol/pan.log)"
	[ -f "$trail" ] && echo "       trail: cd $out/protocol && spin -t -p -l dynstack.pml"
	fail=$((fail + 1))
fi
for m in "${mutants[@]}"; do
	check "$m" "$m"
	if [ "${errors:-0}" != incomplete ] && [ "${errors:-0}" -gt 0 ] && [ -f "$trail" ]; then
		why=$(grep -m1 "assertion violated\|invalid end state" "$out/$m/pan.log" | sed 's/^pan:[0-9]*: //')
		echo "  PASS proof: mutant $m caught: $why"
		pass=$((pass + 1))
	else
		echo "  FAIL proof: mutant $m not caught (errors: ${errors:-?}; $out/$m/pan.log)"
		fail=$((fail + 1))
	fi
done
echo "proof: $pass passed, $fail failed ($(( $(date +%s) - start )) s)"
[ -n "$sum" ] && echo "$pass $fail 0" >>"$sum"
[ $fail = 0 ]
