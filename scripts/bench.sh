#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh quick|full  (the body of `make bench`)
#
# Builds the dynstack kernel ("fast" configuration) and an unpatched
# "mainline" kernel with the same configuration minus CONFIG_DYNAMIC_STACK,
# then boots each kernel state once per repetition:
#   mainline   unpatched Linux 6.12
#   nomod      dynstack kernel, module not loaded
#   loaded     dynstack.ko with its defaults
#   nodetach   dynstack.ko with detach=0 (hooks on, nothing taken at switch-out)
#   churn      dynstack.ko with min_sleep_us=0, icount only: every wakeup of
#              a ping-pong partner refills the pages its switch-out took,
#              so this is the cost of the wakeup path when it has work
# in two QEMU modes: "icount" (single-threaded TCG, -icount shift=0,sleep=off:
# one guest nanosecond per instruction, so a figure is an instruction count;
# run twice in the full mode to show it repeats) and "wall" (normal MTTCG,
# guest time follows the host clock; min/median/max over repetitions).
# The Android-like mix (androidmix: 2480 threads in 40 processes, binder
# pairs, loopers, 60 Hz threads) runs after the memory workloads of the
# first wall boot of mainline, nomod and loaded, sampled while it runs.
# The wake-rate matrix (N threads waking every T, wakerate) runs in the
# first icount boot of mainline, nomod and loaded.
# Memory workloads run once per state, in wall mode. Threads per GiB: one
# more boot per state (mainline, nomod, loaded; quick: mainline and loaded)
# with 1 GiB of memory (quick: 512 MiB) and no swap, filled with sleeping
# threads until creation fails or the OOM killer acts (threadfill).
# Results: build/bench/results.jsonl, results.json and results.md.
set -uo pipefail
mode=${1:-quick}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
out=$build/bench
mkdir -p "$out"
start=$(date +%s)

if [ "$mode" = quick ]; then
	sizes=1000,5000 reps=3 ireps=1 iters=2000 create=400
	fillmem=512 fillstates="mainline loaded"
	wake=1000:100000 mixsecs=20
else
	sizes=1000,5000,20000 reps=15 ireps=3 iters=20000 create=4000
	fillmem=1024 fillstates="mainline nomod loaded" mixsecs=60
	# The guest saturates near 200k wakeups/s: 1000 x 1 ms shows it.
	# 5000 threads are run only where they leave CPU over: 5000 runnable
	# threads starve wakerate's sampler, and under icount the guest clock
	# then stretches to minutes (5000 x 1 ms hit the 30-minute timeout).
	wake=1000:1000,1000:10000,1000:100000,1000:1000000
	wake=$wake,5000:100000,5000:1000000
fi

for cfg in fast mainline; do
	make -s -C "$top" CONFIG=$cfg all || { echo "bench: build of $cfg failed"; exit 1; }
done

: >"$out/results.jsonl"
rm -f "$out"/raw-* "$out"/console-*
boot() { # state vmmode rep sizes [mem-MiB extra-append]
	local state=$1 vmmode=$2 rep=$3 sz=$4 mem=${5:-4096} extra=${6:-} cfg=fast res
	[ "$state" = mainline ] && cfg=mainline
	res=$out/raw-$state-$vmmode-$rep.txt
	"$top/scripts/vm.sh" --quiet --kernel "$build/obj-$cfg/arch/x86/boot/bzImage" \
		--initrd "$build/initramfs-$cfg.cpio.gz" --script "$top/scripts/guest/bench.sh" \
		--results "$res" --log "$out/console-$state-$vmmode-$rep.log" \
		--smp 2 --mem "$mem" --timeout 1800 $([ "$vmmode" = icount ] && echo --icount) \
		--append "BENCH_STATE=$state BENCH_SIZES=$sz BENCH_ITERS=$iters BENCH_CREATE=$create $extra"
	rc=$?
	if [ $rc != 0 ]; then
		echo "bench: boot $state/$vmmode/$rep failed with $rc (console: $out/console-$state-$vmmode-$rep.log)"
		echo "{\"kind\":\"error\",\"state\":\"$state\",\"what\":\"boot $vmmode #$rep: vm.sh exit $rc (124 = timeout)\"}" >>"$out/results.jsonl"
	fi
	tr -d '\r' <"$res" | grep '^{' |
		sed "s/^{/{\"mode\":\"$vmmode\",\"rep\":$rep,/" >>"$out/results.jsonl"
	echo "  BENCH   $state $vmmode #$rep: $(grep -c '^{' "$res") results"
}

# Repetitions go round the states, so that a slow spell of the host lands on
# every state alike rather than on all the runs of one.
states="mainline nomod loaded nodetach"
for state in $states; do
	case $state in nodetach) sz="" ;; *) sz=$sizes ;; esac
	# The live depth at switch-out is sampled in this boot of loaded only:
	# a call per switch-out, which the icount timings must not include.
	d=
	[ "$state" = loaded ] && d=BENCH_DEPTH=1
	[ -n "$sz" ] && d="$d BENCH_MIX=$mixsecs"
	boot "$state" wall 1 "$sz" 4096 "$d"
done
for rep in $(seq 2 "$reps"); do
	for state in $states; do
		boot "$state" wall "$rep" ""
	done
done
for rep in $(seq 1 "$ireps"); do
	for state in $states churn; do
		# The wake-rate matrix once, in the first icount boot of the
		# states it compares.
		w=
		case $rep:$state in 1:mainline|1:nomod|1:loaded) w="BENCH_WAKE=$wake" ;; esac
		boot "$state" icount "$rep" "" 4096 "$w"
	done
done
for state in $fillstates; do
	boot "$state" fill 1 "" "$fillmem" BENCH_FILL=1
done

python3 "$top/scripts/bench-report.py" "$out/results.jsonl" "$out/results.json" \
	"$out/results.md" "$mode" "$(( ($(date +%s) - start) / 60 ))"
cat "$out/results.md"
