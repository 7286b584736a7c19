#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of make test's wide run: a guest with many vCPUs (64) checks
# that every CPU is reported (sysfs_test's every_cpu_is_reported). Raw TAP
# to $DYNSTACK_RESULTS between BEGIN/END lines, as run-tests.sh does.
R=${DYNSTACK_RESULTS:-/dev/ttyS1}
stty -F "$R" raw -echo 2>/dev/null
exec 3>"$R"
t=$DYNSTACK_SELFTESTS/sysfs_test
echo "run-wide: $(grep -c ^processor /proc/cpuinfo) CPUs online"
"$t" -t every_cpu_is_reported >/tmp/ksft.out 2>&1
rc=$?
cat /tmp/ksft.out
echo "BEGIN kselftest wide_cpus" >&3
cat /tmp/ksft.out >&3
echo "END kselftest wide_cpus rc=$rc" >&3
echo "DONE" >&3
exit 0
