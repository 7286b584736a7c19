#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test.sh "CONFIGS"  (the body of `make test`)
#
# For each kernel configuration: build everything, boot once, run every
# KUnit suite and kselftest (scripts/guest/run-tests.sh), count them with
# scripts/results.py. Then the host unit tests of dynstackctl. Ends with the
# line "N passed, N failed, N skipped" summed over all of it, and exits
# non-zero if anything failed, including a build or a crashed guest.
set -uo pipefail
configs=$1
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
smp=${SMP:-2}
mkdir -p "$build"
# This run's own tally ("passed failed skipped" per line): two runs in one
# build directory must not add up each other's lines. The last run's is
# left in test-summary.txt.
sum=$(mktemp "$build/test-summary.XXXXXX")
trap 'mv -f "$sum" "$build/test-summary.txt"' EXIT
start=$(date +%s)

fail() { echo "  FAIL $1"; echo "0 1 0" >>"$sum"; }

for cfg in $configs; do
	echo "== make test: $cfg configuration"
	if ! make -s -C "$top" CONFIG="$cfg" all; then
		fail "$cfg: build"
		continue
	fi
	res=$build/results-$cfg.txt log=$build/test-$cfg.log
	"$top/scripts/vm.sh" --kernel "$build/obj-$cfg/arch/x86/boot/bzImage" \
		--initrd "$build/initramfs-$cfg.cpio.gz" \
		--script "$top/scripts/guest/run-tests.sh" \
		--results "$res" --log "$log" --smp "$smp" --mem "${MEM:-2048}" \
		--timeout "${TIMEOUT:-1800}" --kvm "${KVM:-0}" \
		--append "DYNSTACK_EXPECT_CPUS=$smp DYNSTACK_CONFIG=$cfg"
	vrc=$?
	[ $vrc = 0 ] || echo "  guest run ended with status $vrc"
	python3 "$top/scripts/results.py" --label "$cfg" --results "$res" \
		--console "$log" --expect "$top/scripts/expected-tests.txt" --sum "$sum"
done

# A fleet machine has 192 CPUs and more: one boot of the fast kernel with
# WIDE_SMP (64) vCPUs checks that every one of them is reported.
if [[ " $configs " == *" fast "* ]] && [ "${WIDE_SMP:-64}" -gt 0 ]; then
	echo "== make test: fast configuration, ${WIDE_SMP:-64} vCPUs"
	res=$build/results-wide.txt log=$build/test-wide.log
	"$top/scripts/vm.sh" --kernel "$build/obj-fast/arch/x86/boot/bzImage" \
		--initrd "$build/initramfs-fast.cpio.gz" \
		--script "$top/scripts/guest/run-wide.sh" \
		--results "$res" --log "$log" --smp "${WIDE_SMP:-64}" --mem "${MEM:-2048}" \
		--timeout 900 --kvm "${KVM:-0}" \
		--append "DYNSTACK_EXPECT_CPUS=${WIDE_SMP:-64} DYNSTACK_CONFIG=fast"
	python3 "$top/scripts/results.py" --label "wide" --results "$res" \
		--console "$log" --sum "$sum"
fi

echo "== make test: host unit tests (dynstackctl)"
hostdir=$build/tool-host
if cmake -S "$top/tools/dynstackctl" -B "$hostdir" -DCMAKE_CXX_COMPILER=clang++ >/dev/null &&
   cmake --build "$hostdir" -j2 >"$hostdir.log" 2>&1; then
	(cd "$hostdir" && ctest --output-junit ctest.xml >ctest.log 2>&1)
	python3 - "$hostdir/ctest.xml" "$sum" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
p = f = s = 0
for tc in root.iter("testcase"):
    st = tc.get("status", "run")
    if tc.find("failure") is not None or st == "fail":
        f += 1; print(f"  FAIL host: {tc.get('name')}")
    elif tc.find("skipped") is not None or st in ("notrun", "disabled"):
        s += 1
    else:
        p += 1
print(f"host: {p} passed, {f} failed, {s} skipped")
open(sys.argv[2], "a").write(f"{p} {f} {s}\n")
PY
else
	cat "$hostdir.log"
	fail "host: build of the unit tests"
fi

echo "== make test: static checks"
"$top/scripts/lint.sh" "$build/src" "$sum"

echo "== make test: model check (Spin, docs/proof.md)"
BUILD=$build "$top/scripts/proof.sh" "$sum"

read -r p f s < <(awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}' "$sum")
echo "== make test took $(( ($(date +%s) - start) / 60 )) min"
echo "$p passed, $f failed, $s skipped"
[ "$f" = 0 ]
