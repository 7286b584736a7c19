#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kconfig.sh SRC OBJ CONFIG
#
# Generate OBJ/.config as tinyconfig + kernel/configs/base.config +
# selftests/dynstack/config + kernel/configs/CONFIG.config, regenerated only
# when a fragment or the tree changed. Fails if any symbol a fragment asks for did not end up set that
# way (a silent Kconfig dependency miss is how a "debug" kernel loses lockdep).
set -euo pipefail

src=$1 obj=$2 cfg=$3
top=$(cd "$(dirname "$0")/.." && pwd)
# The kselftests' own config fragment too: what it lists must stick.
frags=("$top/kernel/configs/base.config" "$top/selftests/dynstack/config"
	"$top/kernel/configs/$cfg.config")
if [ "$cfg" = mainline ]; then
	# The unpatched base tree, configured like "fast" without dynstack:
	# the reference the benchmarks compare against.
	mkdir -p "$obj"
	grep -hv DYNAMIC_STACK "$top/kernel/configs/base.config" "$top/kernel/configs/fast.config" \
		>"$obj/mainline.fragment"
	frags=("$obj/mainline.fragment")
fi
[ -f "${frags[-1]}" ] || { echo "kconfig: no configuration '$cfg' (kernel/configs/$cfg.config)" >&2; exit 1; }

stamp=$( (cat "${frags[@]}"; cat "$src/.dynstack-series" "$src/.base-id" 2>/dev/null || true) | sha256sum | cut -d" " -f1)
if [ -f "$obj/.config" ] && [ -f "$obj/.config.stamp" ] &&
   [ "$(cat "$obj/.config.stamp")" = "$stamp" ]; then
	exit 0
fi

echo "  CONFIG  $cfg"
mkdir -p "$obj"
kmake() { make -s -C "$src" O="$obj" LLVM=1 "$@" >/dev/null; }
kmake tinyconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${frags[@]}" >/dev/null
kmake olddefconfig

bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		sym=${line%%=*} val=${line#*=}
		if [ "$val" = n ]; then
			grep -q "^$sym=" "$obj/.config" && { echo "kconfig: $sym should be off" >&2; bad=1; }
		else
			grep -qx "$sym=$val" "$obj/.config" || { echo "kconfig: $sym=$val did not stick (a dependency is missing)" >&2; bad=1; }
		fi ;;
	esac
done < <(cat "${frags[@]}")
[ $bad = 0 ] || { rm -f "$obj/.config.stamp"; exit 1; }
echo "$stamp" >"$obj/.config.stamp"
