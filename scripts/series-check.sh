#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# series-check.sh: is the series what a user can `git am` and bisect?
#
# From the pristine base (build/base, unpacked by `make tree`): git am the
# whole of kernel/patches/ into a fresh git tree, run checkpatch --strict on
# every patch (ignoring what scripts/checkpatch.sh ignores, and why), build
# the fast configuration after every patch, and boot the last one and check
# that the core's KUnit suites pass. Called by
# `make series-check`; not part of `make test` (it builds the kernel once per
# patch: 39 minutes on 2 cores the first time, 8 once ccache has seen the
# intermediate trees).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
base=$build/base
work=$build/series
obj=$build/obj-series
log=$build/series-check.log
jobs=$(nproc)
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
p=0 f=0
pass() { echo "  PASS series: $*"; p=$((p + 1)); }
fail() { echo "  FAIL series: $*"; f=$((f + 1)); }

[ -f "$base/Makefile" ] || { echo "series-check: no $base (run make tree)" >&2; exit 2; }
rm -rf "$work"
BUILD=$build "$top/scripts/devtree.sh" base "$work" || exit 2
cd "$work"
patches=()
for q in "$top"/kernel/patches/*.patch; do
	case "$q" in */0000-*) continue ;; esac
	patches+=("$q")
done
if git -c user.name=series -c user.email=series@localhost am -q "${patches[@]}" >"$log" 2>&1; then
	pass "git am of ${#patches[@]} patches onto pristine $(make -s kernelversion)"
else
	fail "git am (see $log)"; echo "series: $p passed, $f failed"; exit 1
fi

for q in "${patches[@]}"; do
	out=$(perl scripts/checkpatch.pl --no-tree -q --terse --strict \
		--ignore LOGGING_CONTINUATION,FILE_PATH_CHANGES "$q" |
		grep -v '^total: 0 errors, 0 warnings, 0 checks')
	[ -z "$out" ] || { echo "$out"; fail "checkpatch --strict $(basename "$q")"; continue; }
done
[ $f = 0 ] && pass "checkpatch --strict: every patch clean"

kmake() { make -C "$work" O="$obj" LLVM=1 CC="ccache clang" HOSTCC="ccache clang" -j"$jobs" "$@"; }
n=0
for c in $(git rev-list --reverse base..HEAD); do
	n=$((n + 1))
	git checkout -q "$c"
	subj=$(git log -1 --format=%s)
	{
		kmake -s tinyconfig &&
		scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" \
			"$top/kernel/configs/base.config" "$top/kernel/configs/fast.config" &&
		kmake -s olddefconfig
	} >>"$log" 2>&1 || { fail "$n config: $subj"; continue; }
	# Once the option exists, the configuration must have it on.
	if [ -f kernel/Kconfig.dynstack ] && ! grep -qx CONFIG_DYNAMIC_STACK=y "$obj/.config"; then
		fail "$n CONFIG_DYNAMIC_STACK did not stick: $subj"; continue
	fi
	if kmake bzImage >>"$log" 2>&1; then
		pass "$n builds: $subj"
	else
		grep -E 'error|undefined' "$log" | tail -5
		fail "$n build: $subj"
	fi
done

# Boot the last one: the built-in KUnit suites must report and pass.
guest=$(mktemp)
cat >"$guest" <<'EOS'
#!/bin/sh
for d in /sys/kernel/debug/kunit/*/; do
	echo "kunit $(basename "$d"): $(grep -E '^(ok|not ok) ' "$d/results" | tail -1)"
done
EOS
if "$top/scripts/vm.sh" --kernel "$obj/arch/x86/boot/bzImage" \
	--initrd "$build/initramfs-fast.cpio.gz" --script "$guest" --timeout 300 \
	--smp 2 --mem 2048 --kvm 0 --log "$build/vm-series.log" >"$guest.out" 2>&1 &&
   grep -q '^kunit dynstack_slots: ok' "$guest.out" &&
   grep -q '^kunit dynstack_policy: ok' "$guest.out" &&
   grep -q '^kunit dynstack_waiting: ok' "$guest.out" &&
   ! grep -q '^kunit .*: not ok' "$guest.out"; then
	pass "the last patch boots and the core's KUnit suites pass"
else
	grep '^kunit' "$guest.out"
	fail "boot of the last patch (see $build/vm-series.log)"
fi
rm -f "$guest" "$guest.out"
echo "series: $p passed, $f failed"
[ $f = 0 ]
