#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vm.sh --kernel BZIMAGE --initrd INITRD --script FILE [options]
#
# Boot the dynstack test kernel under QEMU, run FILE as root in the guest and
# exit with its exit status. The console is streamed to stdout and to --log.
#
#   --extra DIR      copied into the guest at /extra (the script's cwd)
#   --results FILE   the guest's second serial port (/dev/ttyS1), where the
#                    test runner writes machine-readable results
#   --timeout S      kill a hung guest after S seconds (exit 124)
#   --icount         deterministic mode: single-threaded TCG with
#                    -icount shift=0,sleep=off: every guest instruction
#                    advances guest time by exactly 1 ns and idle time is
#                    skipped, so guest nanoseconds count instructions;
#                    for benchmarks
#   --smp N --mem MiB --kvm 0|1 --append "ARGS" --quiet
#
# Exit status: the script's; 124 on timeout; 125 if the guest died without
# reporting one (panic, triple fault); 126 for a usage or setup error.
set -uo pipefail

kernel= initrd= script= extra= results= timeout=900 smp=2 mem=2048 kvm=0
append= log= quiet=0 icount=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--script) script=$2; shift 2 ;;
	--extra) extra=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--kvm) kvm=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	--icount) icount=1; shift ;;
	*) echo "vm.sh: unknown option $1" >&2; exit 126 ;;
	esac
done
die() { echo "vm.sh: $*" >&2; exit 126; }
[ -f "$kernel" ] || die "no kernel image '$kernel' (run make first)"
[ -f "$initrd" ] || die "no initramfs '$initrd' (run make first)"
[ -f "$script" ] || die "no script '$script'"
[ -z "$extra" ] || [ -d "$extra" ] || die "EXTRA '$extra' is not a directory"

work=$(mktemp -d /tmp/dynstack-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
[ -n "$log" ] || log=$work/console.log
[ -n "$results" ] || results=$work/results.txt
: >"$results"

# The per-run part of the initramfs: /script and /extra. The kernel unpacks
# concatenated cpio archives in order, so it lands on top of the base image.
mkdir -p "$work/root/extra"
cp "$script" "$work/root/script"
chmod +x "$work/root/script"
[ -z "$extra" ] || cp -a "$extra/." "$work/root/extra/"
(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/run.cpio.gz"
cat "$initrd" "$work/run.cpio.gz" >"$work/initrd.cpio.gz"

accel=(-accel tcg)
if [ "$kvm" = 1 ]; then
	# Use KVM only after it has shown it can run a guest to completion:
	# nested virtualization here hangs instead of failing.
	if [ -w /dev/kvm ] && timeout 60 qemu-system-x86_64 -accel kvm -cpu host \
		-m 256 -kernel "$kernel" -initrd "$initrd" -no-reboot -display none \
		-monitor none -serial none \
		-append "rdinit=/bin/true panic=-1 reboot=t" </dev/null >/dev/null 2>&1; then
		accel=(-accel kvm -cpu host)
	else
		echo "vm.sh: KVM=1 but KVM did not complete a probe boot; using TCG" >&2
	fi
fi
if [ "$icount" = 1 ]; then
	# A fixed shift, not "auto": auto rescales guest time to follow the
	# host clock, which makes the figures depend on host load.
	accel=(-accel tcg,thread=single -icount shift=0,sleep=off)
fi
[ "${accel[1]}" = kvm ] || accel+=(-cpu max)

cmdline="console=ttyS0 reboot=t panic=-1 oops=panic $append"
cmd=(qemu-system-x86_64 "${accel[@]}" -smp "$smp" -m "$mem" -nodefaults
	-no-reboot -display none -monitor none
	-serial stdio -serial "file:$results"
	-kernel "$kernel" -initrd "$work/initrd.cpio.gz" -append "$cmdline")

start=$(date +%s)
if [ $quiet = 1 ]; then
	timeout --foreground -k 10 "$timeout" "${cmd[@]}" </dev/null >"$log" 2>&1
else
	timeout --foreground -k 10 "$timeout" "${cmd[@]}" </dev/null 2>&1 | tee "$log"
fi
qrc=${PIPESTATUS[0]}
secs=$(( $(date +%s) - start ))

rc=$(sed -n 's/^dynstack-vm: exit \([0-9]*\).*/\1/p' "$log" | tail -n 1)
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "vm.sh: guest hung: killed after ${timeout}s; last console lines:" >&2
	tail -n 30 "$log" | sed 's/^/  | /' >&2
	exit 124
fi
if [ -z "$rc" ]; then
	echo "vm.sh: guest died after ${secs}s without reporting an exit status (panic?); last console lines:" >&2
	tail -n 40 "$log" | sed 's/^/  | /' >&2
	exit 125
fi
[ $quiet = 1 ] || echo "vm.sh: guest exited with status $rc after ${secs}s"
exit "$rc"
