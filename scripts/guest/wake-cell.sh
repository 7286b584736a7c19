#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of one wake-rate cell, repeated under several module settings
# in one boot (docs/benchmarks.md, "The trim line"):
#   make vm SCRIPT=scripts/guest/wake-cell.sh ICOUNT=1 MEM=4096 \
#     APPEND="WAKE_CELL=5000:100000 WAKE_SETS=default,default,depot_high=1024"
#   WAKE_CELL   THREADS:PERIOD_US (default 5000:100000)
#   WAKE_SETS   comma-separated steps; each is "default" (as it is) or
#               dynstackctl set arguments joined by "+" (they accumulate)
#   WAKE_STATE  loaded (default) or nomod (no module; WAKE_SETS is then
#               only a count of runs)
# Per step: the cell once with idle CPUs (discarded: it warms the supply
# as the benchmark's order does), then soaked, printing wakerate's JSON and
# the module's counters before and after the soaked run.
state=${WAKE_STATE:-loaded}
cell=${WAKE_CELL:-5000:100000}
[ "$state" = loaded ] && { insmod "$DYNSTACK_KO" || exit 1; }
mount -t debugfs none /sys/kernel/debug 2>/dev/null
S=/sys/kernel/mm/dynstack/stats
counters() {
	for f in "$S"/*; do
		[ -f "$f" ] && printf '%s=%s ' "${f##*/}" "$(cat "$f")"
	done
	echo
}
for step in $(echo "${WAKE_SETS:-default}" | tr , ' '); do
	if [ "$state" = loaded ] && [ "$step" != default ]; then
		dynstackctl set $(echo "$step" | tr + ' ') || exit 1
	fi
	/selftests/wakerate "${cell%:*}" "${cell#*:}" 2 >/dev/null || exit 1
	echo "wake-cell: $state $step counters before: $(counters)"
	echo "wake-cell: $state $step soak: $(/selftests/wakerate "${cell%:*}" "${cell#*:}" 2 soak)"
	echo "wake-cell: $state $step counters after: $(counters)"
done
