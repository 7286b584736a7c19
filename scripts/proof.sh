#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# proof.sh [SUMFILE]  (the body of `make proof`; `make test` runs it as a suite)
#
# Checks the three Spin models in proof/ exhaustively (no bitstate hashing):
#   dynstack.pml  the stack-page protocol (PTEs, TLBs, readers, reclaim);
#   lifecycle.pml pages across two stacks and stack lifetimes (cache reuse,
#                 destroy and area reuse, one flush per batch, unregister);
#   waiting.pml   the waiting protocol (parked wakeups, kdynstackd, the exit
#                 reserve, the OOM killer, unregister), safety and LTL
#                 liveness under weak fairness.
# The protocol as the code does it must have no violation; every seeded bug
# (a MUT_* switch of a model) must be caught with a counterexample trail.
# The checks run two at a time (one per core). Prints one PASS/FAIL line
# per check and, with SUMFILE, appends "passed failed 0" to it.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
sum=${1:-}
out=${BUILD:-$top/build}/proof
jobs=${PROOF_JOBS:-2}
mkdir -p "$out"
command -v spin >/dev/null || { echo "proof: spin is not installed (make deps)"; exit 1; }

# name  model  expect  kind  defines
#   expect: pass (no error) or caught (an error and a trail)
#   kind:   safety (assertions, invariants, invalid end states) or an LTL
#           property of the model, checked with weak fairness (pan -a -f)
# Longest first: the checks run two at a time, in this order.
checks="
protocol            dynstack pass   safety
lifecycle           lifecycle pass  safety
miser-live          waiting  pass   live   -DMISER -DUMAX=3
miser               waiting  pass   safety -DMISER -DUMAX=3
waiting-live        waiting  pass   live
three-tasks-live    waiting  pass   live   -DNT=3 -DNORECLAIM -DUMAX=1
waiting-release     waiting  pass   release
three-tasks         waiting  pass   safety -DNT=3 -DNORECLAIM -DUMAX=1
waiting             waiting  pass   safety
memcg               waiting  pass   safety -DMEMCG
memcg-live          waiting  pass   live   -DMEMCG
MUT_CHARGE_NO_PARK  waiting  caught safety -DMEMCG -DMUT_CHARGE_NO_PARK
MUT_CHARGE_DYING    waiting  caught live   -DMEMCG -DMUT_CHARGE_DYING
MUT_LAZY_RESERVE    waiting  caught live   -DMISER -DUMAX=3 -DMUT_LAZY_RESERVE
MUT_NO_READER_CHECK dynstack caught safety -DMUT_NO_READER_CHECK
MUT_DETACH_STALE    dynstack caught safety -DMUT_DETACH_STALE
MUT_RELEASE_EARLY   dynstack caught safety -DMUT_RELEASE_EARLY
MUT_RELEASE_ALL     dynstack caught safety -DMUT_RELEASE_ALL
MUT_SKIP_DIRTY_ZERO dynstack caught safety -DMUT_SKIP_DIRTY_ZERO
MUT_REINSTALL_OTHER dynstack caught safety -DMUT_REINSTALL_OTHER
MUT_UNREG_NO_SYNC   lifecycle caught safety -DMUT_UNREG_NO_SYNC
MUT_UNREG_HOOK_FIRST lifecycle caught safety -DMUT_UNREG_HOOK_FIRST
MUT_VA_NO_PURGE     lifecycle caught safety -DMUT_VA_NO_PURGE
MUT_SCRUB_YOUNG_ONLY lifecycle caught safety -DMUT_SCRUB_YOUNG_ONLY
MUT_LOCAL_FLUSH     lifecycle caught safety -DMUT_LOCAL_FLUSH
MUT_NO_KICK         waiting  caught live   -DMUT_NO_KICK
MUT_SHORTCUT        waiting  caught safety -DMUT_SHORTCUT
MUT_DETACH_QUEUED   waiting  caught safety -DMUT_DETACH_QUEUED
MUT_COMPLETE_TWICE  waiting  caught safety -DMUT_COMPLETE_TWICE
MUT_NO_RESERVE      waiting  caught live   -DMUT_NO_RESERVE
MUT_NO_SIGNAL_HOOK  waiting  caught live   -DMUT_NO_SIGNAL_HOOK
"

# check NAME MODEL EXPECT KIND DEFINES...: one pan run in $out/NAME; prints
# the verdict line "PASS|FAIL proof: ...".
check() {
	local name=$1 model=$2 expect=$3 kind=$4 dir=$out/$1 cflags run errors states why
	shift 4
	rm -rf "$dir" && mkdir -p "$dir" && cp "$top/proof/$model.pml" "$dir/"
	# State compression costs a third of the time: only dynstack.pml's 63
	# million states need it (7 GB with it); the others stay under 6 GB.
	local collapse=
	[ "$model" = dynstack ] && collapse=-DCOLLAPSE
	if [ "$kind" = safety ]; then
		cflags="-DSAFETY $collapse -DNOCLAIM" run="./pan -m40000000 -w28"
	else
		cflags="$collapse -DNFAIR=4" run="./pan -a -f -N $kind -m20000000 -w27"
	fi
	(cd "$dir" && spin "$@" -a "$model.pml" >spin.log 2>&1 &&
		gcc -O2 -w $cflags -o pan pan.c >>spin.log 2>&1 &&
		$run >pan.log 2>&1)
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/pan.log")
	states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$dir/pan.log")
	grep -q "max search depth too small" "$dir/pan.log" && errors=incomplete
	why=$(grep -m1 "assertion violated\|invalid end state\|acceptance cycle" "$dir/pan.log" |
		sed 's/^pan:[0-9]*: //; s/ (at depth.*//')
	if [ "$expect" = pass ]; then
		if [ "$errors" = 0 ]; then
			echo "PASS proof: $name ($model.pml ${*:+$* }$kind: exhaustive, $states states, no violation)"
		else
			echo "FAIL proof: $name ($model.pml ${*:+$* }$kind: errors ${errors:-none reported}: $why; $dir)"
		fi
	elif [ "${errors:-0}" != incomplete ] && [ "${errors:-0}" -gt 0 ] &&
	     [ -f "$dir/$model.pml.trail" ]; then
		echo "PASS proof: mutant $name caught ($kind): $why"
	else
		echo "FAIL proof: mutant $name not caught ($kind, errors: ${errors:-?}; $dir/pan.log)"
	fi
}
export -f check
export top out

start=$(date +%s)
echo "$checks" | grep -v '^$' |
	xargs -P "$jobs" -L 1 bash -c 'check "$@"' _ >"$out/verdicts.txt"
sed 's/^/  /' "$out/verdicts.txt"
pass=$(grep -c '^PASS' "$out/verdicts.txt")
want=$(echo "$checks" | grep -vc '^$')
# FAIL lines, and any check that printed nothing (a crashed runner).
fail=$((want - pass))
echo "proof: $pass passed, $fail failed ($(($(date +%s) - start)) s)"
[ -n "$sum" ] && echo "$pass $fail 0" >>"$sum"
[ "$fail" = 0 ]
