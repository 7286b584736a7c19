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

# name  model  expect  kind  size  defines
#   expect: pass (no error) or caught (an error and a trail)
#   kind:   safety (assertions, invariants, invalid end states) or an LTL
#           property of the model, checked with weak fairness (pan -a -f)
#   size:   what pan is built and sized for. pan zeroes its whole hash table
#           and DFS stack before it starts (4 GB took 4-12 s of system time
#           on a 2-core VM), and gcc -O2 on pan.c takes 8-15 s, both more
#           than most mutants' searches:
#           S  gcc -O0, -m2000000 -w22: a mutant caught at depth < 1 million
#              in seconds;
#           M  gcc -O2, -m8000000 -w26: depth up to 4.3 million, up to 35
#              million states (waiting.pml, the deeper mutants);
#           L  gcc -O2, -m40000000 -w28: dynstack.pml and lifecycle.pml, up
#              to 20 million deep and 63 million states.
#           Each size is at least twice the depth its checks reached at
#           72c51ac (build/proof/NAME/pan.log); a search that outgrows it
#           is reported as incomplete, a FAIL, never as a pass.
# Longest first (by the times of a run at 72c51ac): the checks run two at
# a time, in this order.
checks="
protocol             dynstack  pass   safety  L
lifecycle            lifecycle pass   safety  L
MUT_LAZY_RESERVE     waiting   caught live    M  -DMISER -DUMAX=3 -DMUT_LAZY_RESERVE
miser-live           waiting   pass   live    M  -DMISER -DUMAX=3
memcg-live           waiting   pass   live    M  -DMEMCG
miser                waiting   pass   safety  M  -DMISER -DUMAX=3
MUT_RELEASE_ALL      dynstack  caught safety  M  -DMUT_RELEASE_ALL
waiting-live         waiting   pass   live    M
MUT_RELEASE_EARLY    dynstack  caught safety  M  -DMUT_RELEASE_EARLY
three-tasks-live     waiting   pass   live    M  -DNT=3 -DNORECLAIM -DUMAX=1
MUT_DETACH_STALE     dynstack  caught safety  M  -DMUT_DETACH_STALE
memcg                waiting   pass   safety  M  -DMEMCG
waiting-release      waiting   pass   release M
waiting              waiting   pass   safety  M
MUT_SCRUB_YOUNG_ONLY lifecycle caught safety  L  -DMUT_SCRUB_YOUNG_ONLY
three-tasks          waiting   pass   safety  M  -DNT=3 -DNORECLAIM -DUMAX=1
MUT_UNREG_NO_SYNC    lifecycle caught safety  M  -DMUT_UNREG_NO_SYNC
MUT_LOCAL_FLUSH      lifecycle caught safety  M  -DMUT_LOCAL_FLUSH
MUT_REINSTALL_OTHER  dynstack  caught safety  S  -DMUT_REINSTALL_OTHER
MUT_SKIP_DIRTY_ZERO  dynstack  caught safety  S  -DMUT_SKIP_DIRTY_ZERO
MUT_VA_NO_PURGE      lifecycle caught safety  S  -DMUT_VA_NO_PURGE
MUT_UNREG_HOOK_FIRST lifecycle caught safety  S  -DMUT_UNREG_HOOK_FIRST
MUT_CHARGE_DYING     waiting   caught live    S  -DMEMCG -DMUT_CHARGE_DYING
MUT_COMPLETE_TWICE   waiting   caught safety  S  -DMUT_COMPLETE_TWICE
MUT_CHARGE_NO_PARK   waiting   caught safety  S  -DMEMCG -DMUT_CHARGE_NO_PARK
MUT_SHORTCUT         waiting   caught safety  S  -DMUT_SHORTCUT
MUT_NO_RESERVE       waiting   caught live    S  -DMUT_NO_RESERVE
MUT_DETACH_QUEUED    waiting   caught safety  S  -DMUT_DETACH_QUEUED
MUT_NO_SIGNAL_HOOK   waiting   caught live    S  -DMUT_NO_SIGNAL_HOOK
MUT_NO_KICK          waiting   caught live    S  -DMUT_NO_KICK
MUT_NO_READER_CHECK  dynstack  caught safety  S  -DMUT_NO_READER_CHECK
"

# check NAME MODEL EXPECT KIND SIZE DEFINES...: one pan run in $out/NAME; prints
# the verdict line "PASS|FAIL proof: ...".
check() {
	local name=$1 model=$2 expect=$3 kind=$4 size=$5 dir=$out/$1
	local cflags run errors states why opt mem
	shift 5
	rm -rf "$dir" && mkdir -p "$dir" && cp "$top/proof/$model.pml" "$dir/"
	# State compression costs a third of the time: only dynstack.pml's 63
	# million states need it (7 GB with it); the others stay under 6 GB.
	local collapse=
	[ "$model" = dynstack ] && collapse=-DCOLLAPSE
	case $size in
	S) opt=-O0 mem="-m2000000 -w22" ;;
	M) opt=-O2 mem="-m8000000 -w26" ;;
	L) opt=-O2 mem="-m40000000 -w28" ;;
	*) echo "FAIL proof: $name: unknown size '$size'"; return ;;
	esac
	if [ "$kind" = safety ]; then
		cflags="-DSAFETY $collapse -DNOCLAIM" run="./pan $mem"
	else
		cflags="$collapse -DNFAIR=4" run="./pan -a -f -N $kind $mem"
	fi
	# The two timings (seconds: spin plus gcc, then pan) go in the verdict
	# line so that a slow run shows which checks and which phase cost it.
	local t0 t1 took
	t0=$(date +%s)
	if ! (cd "$dir" && spin "$@" -a "$model.pml" >spin.log 2>&1 &&
		gcc $opt -w $cflags -o pan pan.c >>spin.log 2>&1); then
		echo "FAIL proof: $name: spin or gcc failed ($dir/spin.log)"
		return
	fi
	t1=$(date +%s)
	(cd "$dir" && $run >pan.log 2>&1)
	took="[build $((t1 - t0)) s, search $(($(date +%s) - t1)) s]"
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/pan.log")
	states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$dir/pan.log")
	why=$(grep -m1 "^pan:.*\(assertion violated\|invalid end state\|acceptance cycle\)" \
		"$dir/pan.log" | sed 's/^pan:[0-9]*: //; s/ (at depth.*//')
	if grep -q "max search depth too small" "$dir/pan.log"; then
		errors=incomplete
		why="the search outgrew -m of size $size (raise it in the table)"
	fi
	if [ "$expect" = pass ]; then
		if [ "$errors" = 0 ]; then
			echo "PASS proof: $name ($model.pml ${*:+$* }$kind: exhaustive, $states states, no violation) $took"
		else
			echo "FAIL proof: $name ($model.pml ${*:+$* }$kind: errors ${errors:-none reported}: $why; $dir) $took"
		fi
	elif [ "${errors:-0}" != incomplete ] && [ "${errors:-0}" -gt 0 ] &&
	     [ -f "$dir/$model.pml.trail" ]; then
		echo "PASS proof: mutant $name caught ($kind): $why $took"
	else
		echo "FAIL proof: mutant $name not caught ($kind, errors: ${errors:-?}; $dir/pan.log) $took"
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
