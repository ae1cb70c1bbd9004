#!/usr/bin/env bash
# initramfs: pack the guest: Debian's arm64 busybox and its libraries, the
# kernel's modules (with depmod's files, so modprobe finds them), the
# tree's own ftrace selftests as "make kselftest-install" installs them,
# and guest/.
# usage: initramfs.sh SRC OBJ
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$(realpath "$1") obj=$(realpath "$2")
sysroot=$BUILD/sysroot
stage=$obj/initramfs.d
out=$obj/initramfs.cpio
[ -x "$sysroot/bin/busybox" ] || die "no arm64 busybox in $sysroot" "" "make deps"
# A kernel without modules (make bench's) has none to pack.
mods=1
grep -q '^CONFIG_MODULES=y' "$obj/.config" || mods=0
[ $mods = 0 ] || [ -d "$obj/modinstall/lib/modules" ] ||
	die "no installed modules in $obj/modinstall" "" "make build"

rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,lib/aarch64-linux-gnu,guest}
cp "$sysroot/bin/busybox" "$stage/bin/"
ln -s busybox "$stage/bin/sh"
for l in ld-linux-aarch64.so.1 libc.so.6 libresolv.so.2; do
	cp -L "$sysroot/lib/aarch64-linux-gnu/$l" "$stage/lib/aarch64-linux-gnu/"
done
ln -s aarch64-linux-gnu/ld-linux-aarch64.so.1 "$stage/lib/ld-linux-aarch64.so.1"
# Tools ftracetest and the kselftest runner use that Debian's busybox does
# not have (or has without the options the runner passes: timeout
# --foreground); each needs only the C library.
GUEST_TOOLS="usr/bin/nice usr/bin/chrt usr/bin/taskset usr/bin/timeout"
for t in $GUEST_TOOLS; do
	[ -x "$sysroot/$t" ] || die "no $t in $sysroot" "" "make deps"
	cp "$sysroot/$t" "$stage/usr/bin/"
done
[ $mods = 0 ] || cp -a "$obj/modinstall/lib/modules" "$stage/lib/"
# Guest programs of our own (guest/tools/*.c), linked against the C
# library the guest has (Debian's libc6, libc6-dev-arm64-cross on the host).
for c in "$TOP"/guest/tools/*.c; do
	p=$(basename "$c" .c)
	${CROSS}gcc -O2 -Wall -Wextra -Werror -o "$stage/usr/bin/$p" "$c" \
		>"$LOGS/cc-$p.log" 2>&1 ||
		die "cannot build the guest program $p" "$LOGS/cc-$p.log" \
			"fix guest/tools/$p.c; make deps installs libc6-dev-arm64-cross"
done
# The ftrace selftests as the kernel's own kselftest install lays them out
# (run_kselftest.sh, its runner, kselftest-list.txt and ftrace/), made by
# build.sh with "make kselftest-install TARGETS=ftrace".
[ -x "$obj/kselftest_install/run_kselftest.sh" ] ||
	die "no kselftest install in $obj/kselftest_install" "" "make build"
cp -a "$obj/kselftest_install" "$stage/kselftest"
# The BPF selftests, when scripts/bpf-selftests.sh built them for this
# kernel: /bpf and the libraries test_progs needs (guest/bpf.sh runs them).
[ -d "$obj/bpf/guest" ] && cp -a "$obj/bpf/guest/." "$stage/"
cp "$TOP/guest/init" "$stage/init"
cp "$TOP"/guest/*.sh "$stage/guest/"  # the stages and lib.sh
chmod +x "$stage/init"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\n' >"$stage/etc/group"
printf '127.0.0.1 localhost\n' >"$stage/etc/hosts"
# Written aside and renamed: a guest booting on this kernel meanwhile (make
# test's stress round starts beside the bti guest) reads a whole file.
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet >"$out.new") ||
	die "cpio failed for $out"
mv -f "$out.new" "$out"
log "initramfs: $(basename "$obj"): $(du -h "$out" | cut -f1)"
