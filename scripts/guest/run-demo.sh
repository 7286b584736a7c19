#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make run`: park NR sleeping threads (sleepload: futex,
# pipe, epoll_wait, nanosleep, accept, FIFO read), read KernelStack from
# /proc/meminfo, load dynstack.ko, give it SETTLE seconds, read it again.
NR=${DYNSTACK_THREADS:-2400}
SETTLE=${DYNSTACK_SETTLE:-3}

kstack() { sed -n 's/^KernelStack: *\([0-9]*\) kB/\1/p' /proc/meminfo; }

/selftests/sleepload "$NR" /tmp/ready &
load=$!
i=0
while [ ! -e /tmp/ready ]; do
	sleep 1
	i=$((i + 1))
	kill -0 $load 2>/dev/null || { echo "run: sleepload failed"; exit 1; }
	[ $i -lt 120 ] || { echo "run: sleepload not ready after 120 s"; exit 1; }
done
tasks=$(ls -d /proc/[0-9]*/task/[0-9]* | wc -l)

before=$(kstack)
echo "run: KernelStack $before kB with $tasks tasks, dynstack.ko not loaded"
insmod "$DYNSTACK_KO" || { echo "run: insmod failed"; kill $load; exit 1; }
sleep "$SETTLE"
after=$(kstack)
echo "run: KernelStack $after kB with $tasks tasks, dynstack.ko loaded for ${SETTLE}s"
supply=$(cat /sys/kernel/mm/dynstack/stats/magazine_pages /sys/kernel/mm/dynstack/stats/depot_pages \
	/sys/kernel/mm/dynstack/stats/reserve_pages | awk '{ s += $1 } END { print s * 4 }')
echo "run: the page supply (magazines, depot, reserve) holds $supply kB more; net saving $((before - after - supply)) kB"
dynstackctl status
echo "run: /sys/kernel/mm/dynstack/core/:"
for f in /sys/kernel/mm/dynstack/core/*; do echo "run:   ${f##*/} $(cat "$f")"; done

kill $load
wait $load
rmmod dynstack || { echo "run: rmmod failed"; exit 1; }
echo "run: KernelStack $(kstack) kB after the workload exited and dynstack.ko was removed"
pct=$(awk -v b="$before" -v a="$after" 'BEGIN { printf("%.1f", (b > 0) ? 100 * (b - a) / b : 0) }')
echo "run: workload: $NR sleepload threads (futex wait, pipe read, epoll_wait, nanosleep, accept, FIFO read) plus the system's own; $(grep -c ^processor /proc/cpuinfo) CPUs"
echo "dynstack: KernelStack $before kB -> $after kB ($pct% saved, $tasks threads)"
