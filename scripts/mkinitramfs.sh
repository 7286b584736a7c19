#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mkinitramfs.sh OUT MODDIR TOOL SELFTESTS GUESTDIR
#
# The base initramfs of the test kernel: static busybox, /init, the module
# and its test modules under /lib/modules/dynstack/, dynstackctl in
# /usr/bin, the kselftests in /selftests and the guest scripts in /usr/share/dynstack.
set -euo pipefail
out=$1 moddir=$2 tool=$3 ksft=$4 guest=$5

root=$(mktemp -d /tmp/dynstack-initramfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,extra,etc} \
	"$root/lib/modules/dynstack" "$root/selftests" "$root/usr/share/dynstack"
cp /bin/busybox "$root/bin/busybox"
for a in $("$root/bin/busybox" --list); do
	[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
done
cp "$guest/init" "$root/init"
chmod +x "$root/init"
cp "$guest"/*.sh "$root/usr/share/dynstack/"
find "$moddir" -name '*.ko' -exec cp {} "$root/lib/modules/dynstack/" \;
cp "$tool" "$root/usr/bin/dynstackctl"
cp -a "$ksft/." "$root/selftests/"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/sh" >>"$root/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
mkdir -p "$(dirname "$out")"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
echo "  INITRD  $out"
