#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of `make test`: collect every KUnit suite (built in, and from
# each test module in $DYNSTACK_MODDIR) and run every kselftest in
# $DYNSTACK_SELFTESTS. Raw TAP goes to $DYNSTACK_RESULTS (the second serial
# port) between BEGIN/END lines; scripts/results.py on the host counts it.
R=${DYNSTACK_RESULTS:-/dev/ttyS1}
stty -F "$R" raw -echo 2>/dev/null
exec 3>"$R"
out() { echo "$@" >&3; }

kunit_collect() {
	for d in /sys/kernel/debug/kunit/*/; do
		[ -f "$d/results" ] || continue
		s=$(basename "$d")
		case " $seen " in *" $s "*) continue ;; esac
		seen="$seen $s"
		out "BEGIN kunit $s"
		cat "$d/results" >&3
		out "END kunit $s"
	done
}

# The modules a .ko needs, from its .modinfo section (depends=a,b).
module_depends() {
	tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | tr ',' ' '
}

seen=
kunit_collect
for ko in "$DYNSTACK_MODDIR"/*_test.ko; do
	[ -e "$ko" ] || continue
	m=$(basename "$ko" .ko)
	echo "run-tests: insmod $m"
	args=
	[ "$m" = dynstack_harness_test ] && args="expect_cpus=${DYNSTACK_EXPECT_CPUS:-1} expect_debug=$([ "$DYNSTACK_CONFIG" = debug ] && echo 1 || echo 0)"
	# insmod does not resolve dependencies: load what the test imports
	# (its modinfo depends=, e.g. dynstack for the supply suite) first.
	deps=$(module_depends "$ko")
	loaded=
	for d in $deps; do
		[ -e "/sys/module/$d" ] && continue
		insmod "$DYNSTACK_MODDIR/$d.ko" && loaded="$d $loaded"
	done
	if ! insmod "$ko" $args; then
		out "BEGIN module $m"
		out "not ok 1 insmod $m"
		out "END module $m"
	else
		kunit_collect
		rmmod "$m" || echo "run-tests: rmmod $m failed"
	fi
	for d in $loaded; do
		rmmod "$d" || echo "run-tests: rmmod $d failed"
	done
done

# The stress test runs 60 s in the debug configuration, 20 s in the fast one.
if [ "$DYNSTACK_CONFIG" = debug ]; then
	export DYNSTACK_STRESS_SECONDS=${DYNSTACK_STRESS_SECONDS:-60}
else
	export DYNSTACK_STRESS_SECONDS=${DYNSTACK_STRESS_SECONDS:-20}
fi
for t in "$DYNSTACK_SELFTESTS"/*_test; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	echo "run-tests: kselftest $n"
	"$t" >/tmp/ksft.out 2>&1
	rc=$?
	cat /tmp/ksft.out
	# Contain a failed test: the next one starts from a clean state.
	if [ -e /sys/module/dynstack ]; then
		echo "run-tests: $n left dynstack.ko loaded; removing it"
		rmmod dynstack
	fi
	echo 0 >/sys/kernel/debug/fail_page_alloc/probability 2>/dev/null
	out "BEGIN kselftest $n"
	cat /tmp/ksft.out >&3
	out "END kselftest $n rc=$rc"
done

# Anything the kernel said that a test should fail on is read from the
# console by the host; dmesg here only helps a human reading this log.
out "DONE"
exit 0
