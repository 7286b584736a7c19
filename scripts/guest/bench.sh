#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make bench`: one kernel state per boot.
#   BENCH_STATE   mainline | nomod (dynstack kernel, no module) |
#                 loaded (dynstack.ko, defaults) | nodetach (loaded, detach=0) |
#                 churn (loaded, min_sleep_us=0: every wakeup of a partner
#                 refills what its switch-out took: the wakeup path's cost)
#   BENCH_SIZES   thread counts for the memory workloads, comma-separated
#   BENCH_ITERS   iterations of the ping-pong benchmarks
#   BENCH_CREATE  iterations of the creation benchmarks
#   BENCH_FILL    1: instead of all the above, count the sleeping threads
#                 that fit in this guest's memory (threadfill), once
#   BENCH_DEPTH   1: sample the live stack depth at every blocking
#                 switch-out (debugfs live_depth) and report it per workload
#   BENCH_MIX     seconds to sample the Android-like mix (androidmix) while
#                 it runs, after the sleeping workloads; unset: not run
#   BENCH_WAKE    wake-rate cells THREADS:PERIOD_US,... run after the
#                 timing benchmarks (wakerate), each twice: CPUs idle
#                 between wakeups (memory, populates), then soaked by
#                 SCHED_IDLE spinners (CPU cost per wakeup)
# One JSON object per line goes to $DYNSTACK_RESULTS.
R=${DYNSTACK_RESULTS:-/dev/ttyS1}
stty -F "$R" raw -echo 2>/dev/null
exec 3>"$R"
state=$BENCH_STATE
ifconfig lo 127.0.0.1 up 2>/dev/null

# The live-depth histogram (module debugfs), as "c1 c2 c3 c4": blocking
# switch-outs with 1..4 pages at or above the saved stack pointer.
DEPTH=/sys/kernel/debug/dynstack/live_depth
depth_now() { awk '{ printf "%s ", $2 }' "$DEPTH" 2>/dev/null; }
# Variables prefixed dr_: this shell has no locals, and the callers' loops
# use n, i, b and wl.
depth_report() { # workload "before"
	[ "${BENCH_DEPTH:-0}" = 1 ] || return 0
	dr_wl=$1
	set -- $2 $(depth_now)
	dr_n=$(($# / 2))
	dr_list=
	dr_i=1
	while [ $dr_i -le $dr_n ]; do
		eval "dr_b=\${$dr_i} dr_a=\${$((dr_i + dr_n))}"
		dr_list="$dr_list${dr_list:+,}$((dr_a - dr_b))"
		dr_i=$((dr_i + 1))
	done
	echo "{\"kind\":\"depth\",\"state\":\"$state\",\"workload\":\"$dr_wl\",\"switch_outs_by_live_pages\":[$dr_list]}" >&3
}

kstack() { sed -n 's/^KernelStack: *\([0-9]*\) kB/\1/p' /proc/meminfo; }
stat_of() { cat "/sys/kernel/mm/dynstack/stats/$1" 2>/dev/null || echo 0; }
vmev() { sed -n "s/^$1 //p" /proc/vmstat; }
ctxt() { sed -n 's/^ctxt //p' /proc/stat; }

load() {
	case $state in
	loaded) insmod "$DYNSTACK_KO" &&
		if [ "${BENCH_DEPTH:-0}" = 1 ]; then echo 1 >"$DEPTH"; fi ;;
	nodetach) insmod "$DYNSTACK_KO" && dynstackctl set detach=0 ;;
	churn) insmod "$DYNSTACK_KO" && dynstackctl set min_sleep_us=0 ;;
	esac
}
unload() {
	case $state in
	loaded|nodetach|churn) rmmod dynstack ;;
	esac
}

# Pages the module's supply holds: magazines, depot and reserve.
supply_pages() {
	echo $(($(stat_of magazine_pages) + $(stat_of depot_pages) + $(stat_of reserve_pages)))
}
# The supply in kB, the mean of 5 samples a second apart: at rest it still
# moves by tens of pages as the shell's own wakeups take and give them.
supply_mean_kb() {
	sm_sum=0
	for sm_i in 1 2 3 4 5; do
		sm_sum=$((sm_sum + $(supply_pages)))
		sleep 1
	done
	echo $((sm_sum * 4 / 5))
}
# Sleep until the number "$1" prints stops falling: at least 3 s, at most 20.
until_flat() {
	prev=$($1)
	i=0
	while [ $i -lt 20 ]; do
		sleep 1
		cur=$($1)
		[ "$cur" -ge "$prev" ] && [ $i -ge 2 ] && break
		prev=$cur
		i=$((i + 1))
	done
}
# KernelStack stops falling (the reclaim pass runs every second), then the
# supply stops shrinking (demand sizing halves it once per
# shrink_interval_ms, about ten ticks from its ceiling to its floor): the
# figure is the steady state of a machine whose threads sleep.
settle() {
	until_flat kstack
	until_flat supply_pages
}

# Seconds (10 ms resolution) that rmmod takes to put every missing page back
# (dynstack_unregister()), with the deep workload asleep; then load again.
uptime_cs() { awk '{ split($1, a, "."); print a[1] * 100 + a[2] }' /proc/uptime; }
time_rmmod() {
	partial=$(cat /sys/kernel/mm/dynstack/core/partial)
	missing=$(cat /sys/kernel/mm/dynstack/core/stacks)
	res=$(cat /sys/kernel/mm/dynstack/core/resident_pages)
	missing=$((missing * 4 - res))
	t0=$(uptime_cs)
	rmmod dynstack || return
	t1=$(uptime_cs)
	echo "{\"kind\":\"rmmod\",\"state\":\"$state\",\"threads\":$1,\"partial_stacks\":$partial,\"missing_pages\":$missing,\"centiseconds\":$((t1 - t0))}" >&3
	echo "bench: rmmod with $1 threads asleep ($partial partial stacks, $missing pages to put back): $((t1 - t0))0 ms"
	load
	settle
}

# Threads per GiB: only memory may set the limit, not the tunables that
# scale with it (threads-max is an eighth of memory's worth of stacks).
fill() {
	echo 4194304 >/proc/sys/kernel/pid_max
	echo 4000000 >/proc/sys/kernel/threads-max
	echo 16000000 >/proc/sys/vm/max_map_count
	line=$(/selftests/threadfill) || line=
	case $line in
	'{'*) echo "${line%\}},\"kind\":\"fill\",\"state\":\"$state\"}" >&3
	      echo "bench: $state fill: $line" ;;
	*) echo "{\"kind\":\"error\",\"state\":\"$state\",\"what\":\"threadfill printed no result\"}" >&3 ;;
	esac
}

# Kernel threads: their stacks stay full (the core keeps them so), which
# sets the floor of what any policy can save. A kthread has no cmdline.
kthreads() {
	k=0
	for p in /proc/[0-9]*; do
		[ "$(head -c 1 "$p/cmdline" 2>/dev/null | wc -c)" = 0 ] && k=$((k + 1))
	done
	echo $k
}

load
if [ "${BENCH_FILL:-0}" = 1 ]; then
	fill
	echo "DONE" >&3
	exit 0
fi
for n in $(echo "$BENCH_SIZES" | tr , " "); do
	for wl in mix deep; do
		rm -f /tmp/ready
		dp0=$(depth_now)
		if [ $wl = mix ]; then
			/selftests/sleepload "$n" /tmp/ready >/dev/null &
		else
			/selftests/bench deepsleep "$n" /tmp/ready >/dev/null &
		fi
		pid=$!
		while [ ! -e /tmp/ready ]; do
			sleep 1
			kill -0 $pid 2>/dev/null || break
		done
		if [ ! -e /tmp/ready ]; then
			# Died before all its threads slept: no figure, say so.
			wait $pid
			echo "{\"kind\":\"error\",\"state\":\"$state\",\"what\":\"$wl workload with $n threads exited with status $? before it was ready\"}" >&3
			echo "bench: $state $wl $n threads: workload failed"
			continue
		fi
		settle
		tasks=$(ls -d /proc/[0-9]*/task/[0-9]* | wc -l)
		kt=$(kthreads)
		res=-1
		[ -f /sys/kernel/mm/dynstack/core/resident_pages ] &&
			res=$(cat /sys/kernel/mm/dynstack/core/resident_pages)
		supply=0
		[ -f /sys/kernel/mm/dynstack/stats/magazine_pages ] && supply=$(supply_mean_kb)
		echo "{\"kind\":\"memory\",\"state\":\"$state\",\"workload\":\"$wl\",\"threads\":$n,\"tasks\":$tasks,\"kthreads\":$kt,\"kernel_stack_kb\":$(kstack),\"resident_pages\":$res,\"supply_kb\":$supply,\"mem_free_kb\":$(sed -n 's/^MemFree: *\([0-9]*\).*/\1/p' /proc/meminfo)}" >&3
		echo "bench: $state $wl $n threads: KernelStack $(kstack) kB"
		depth_report "$wl $n" "$dp0"
		[ "$state" = loaded ] && [ $wl = deep ] && time_rmmod "$n"
		kill $pid
		wait $pid
	done
done

# The Android-like mix, sampled while it runs.
if [ -n "${BENCH_MIX:-}" ]; then
	dp0=$(depth_now)
	line=$(/selftests/androidmix "$BENCH_MIX") || line=
	case $line in
	'{'*) echo "${line%\}},\"kind\":\"mix\",\"state\":\"$state\",\"supply_kb\":$(( ($(stat_of magazine_pages) + $(stat_of depot_pages) + $(stat_of reserve_pages)) * 4 ))}" >&3
	      echo "bench: $state androidmix $line" ;;
	*) echo "{\"kind\":\"error\",\"state\":\"$state\",\"what\":\"androidmix printed no result\"}" >&3 ;;
	esac
	depth_report "androidmix" "$dp0"
fi

run() {
	name=$1 iters=$2
	c0=$(ctxt) p0=$(vmev dynstack_populate) d0=$(vmev dynstack_detach) n0=$(vmev dynstack_nap)
	m0=$(stat_of take_magazine) e0=$(stat_of take_depot) r0=$(stat_of take_reserve)
	dp0=$(depth_now)
	line=$(/selftests/bench "$name" "$iters") || return
	depth_report "$name" "$dp0"
	c1=$(ctxt) p1=$(vmev dynstack_populate) d1=$(vmev dynstack_detach) n1=$(vmev dynstack_nap)
	m1=$(stat_of take_magazine) e1=$(stat_of take_depot) r1=$(stat_of take_reserve)
	echo "${line%\}},\"kind\":\"timing\",\"state\":\"$state\",\"switches\":$((c1 - c0)),\"populated\":$((${p1:-0} - ${p0:-0})),\"detached\":$((${d1:-0} - ${d0:-0})),\"napped\":$((${n1:-0} - ${n0:-0})),\"take_magazine\":$((m1 - m0)),\"take_depot\":$((e1 - e0)),\"take_reserve\":$((r1 - r0))}" >&3
	echo "bench: $state $line"
}
for b in pipe-same pipe-cross futex-cross; do
	run $b "$BENCH_ITERS"
done
run thread "$BENCH_CREATE"
run fork "$((BENCH_CREATE / 4))"
for cell in $(echo "${BENCH_WAKE:-}" | tr , " "); do
	for soak in "" soak; do
		line=$(/selftests/wakerate "${cell%:*}" "${cell#*:}" 2 $soak) || line=
		case $line in
		'{'*) nap=$(cat /sys/kernel/mm/dynstack/min_sleep_us 2>/dev/null || echo -1)
		      echo "${line%\}},\"kind\":\"wake\",\"state\":\"$state\",\"min_sleep_us\":$nap}" >&3
		      echo "bench: $state wake $line" ;;
		*) echo "{\"kind\":\"error\",\"state\":\"$state\",\"what\":\"wakerate $cell $soak printed no result\"}" >&3 ;;
		esac
	done
done
unload
echo "DONE" >&3
