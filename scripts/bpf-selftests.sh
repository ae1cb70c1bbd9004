#!/usr/bin/env bash
# bpf-selftests: cross-build the BPF selftests runner test_progs of a
# kernel tree (tools/testing/selftests/bpf), its BPF objects and
# bpf_testmod.ko for arm64, against that tree's kernel built with BTF
# (configs/bpf.config), with our own tests (guest/bpf: prog_tests/ and
# progs/, the ftarm_* tests) added to the tree's, and stage what the guest
# needs.
# usage: bpf-selftests.sh SRC OBJ OUT
#   SRC  the kernel tree; only read. The selftests Makefile writes next to
#        its sources (prog_tests/tests.h, bpf_testmod/, a bpftool symlink,
#        and, in the only layout whose out-of-tree bugs 6.1 does not have,
#        every object), so tools/, scripts/ and kernel/bpf/ (bpftool's
#        disasm.c) are copied into OUT/src and built there.
#   OBJ  the kernel's object directory: vmlinux with a .BTF section (the
#        BPF programs' vmlinux.h is dumped from it), Module.symvers and the
#        build files bpf_testmod.ko is built against.
#   OUT  where the copy, the build and OUT/guest go; outside SRC.
# OUT/guest is laid out as the guest's root: /bpf holds test_progs, every
# BPF object, bpf_testmod.ko (test_progs loads ./bpf_testmod.ko itself, with
# finit_module), urandom_read and its library, and the btf_dump test's
# expected outputs; /lib/aarch64-linux-gnu the shared libraries test_progs
# links beyond the C library (libelf, zlib). initramfs.sh can add it with
# "cp -a OUT/guest/. STAGE/"; test_progs must run from /bpf.
# Environment:
#   BPF_SYSROOT  an arm64 tree holding libelf and zlib, from Debian's arm64
#                libelf1, libelf-dev, zlib1g and zlib1g-dev unpacked with
#                dpkg -x (as deps.sh unpacks GUEST_PKGS); default
#                $BUILD/sysroot, once deps.sh has them in GUEST_PKGS
#   BPF_CLANG    the clang that compiles the BPF programs (default clang-16:
#                6.1's selftests need clang >= 15 for some programs)
#   BPF_STATIC=1 link test_progs statically (no libelf/zlib in the guest),
#                at the cost of attach_probe's uprobe on libc's malloc, which
#                it finds with dlopen("libc.so.6")
#   BPF_TESTS    the test_progs tests to build, comma or blank separated
#                (default: BPF_TESTS_DEFAULT below), or "all": the whole
#                test_progs, which needs a kernel with most of
#                tools/testing/selftests/bpf/config (see "the subset")
#   FRESH=1      start from a new copy of SRC (the copy is otherwise updated
#                in place, so that make rebuilds only what changed)
#   JOBS         make -j (lib.sh's default: the cores + 1)
# Host packages besides the kernel build's: libc6-dev-arm64-cross (the
# cross gcc's C library; gcc-aarch64-linux-gnu only recommends it), clang-16,
# llvm (llvm-strip), dwarves (pahole, for the kernel's BTF), libelf-dev and
# zlib1g-dev (the host bpftool and resolve_btfids; their headers, shared
# by all architectures, serve the arm64 build too), rsync.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# = 3 ] || die "usage: bpf-selftests.sh SRC OBJ OUT"
src=$(realpath "$1") obj=$(realpath "$2") out=$(realpath -m "$3")
case $out/ in
"$src"/*) die "OUT ($out) is inside SRC ($src)" "" "give an output directory outside the tree" ;;
esac
# The trampoline (fentry/fexit/fmod_ret/lsm), kprobe and module attach
# tests, which the series' direct calls change.
BPF_TESTS_DEFAULT="fentry_test fexit_test fentry_fexit fexit_bpf2bpf fexit_sleep
	fexit_stress modify_return trampoline_count get_func_args_test
	get_func_ip_test kfree_skb test_overhead recursion module_attach bpf_cookie
	d_path kprobe_multi_test attach_probe ftarm_direct"
tests=$(echo ${BPF_TESTS:-$BPF_TESTS_DEFAULT})
clang=${BPF_CLANG:-clang-16}
sysroot=${BPF_SYSROOT:-$BUILD/sysroot}
logf=$LOGS/bpf-selftests-$(basename "$obj").log
sel=$out/src/tools/testing/selftests/bpf
mkdir -p "$out"

# --- what the build needs, checked first so that a failure says what is missing
vmlinux=$obj/vmlinux
[ -f "$vmlinux" ] || die "no $vmlinux" "" "build the kernel first (configs/bpf.config)"
for o in DEBUG_INFO_BTF DEBUG_INFO_BTF_MODULES BPF_SYSCALL BPF_JIT MODULES; do
	grep -q "^CONFIG_$o=y" "$obj/.config" ||
		die "the kernel in $obj lacks CONFIG_$o" "" "merge configs/bpf.config and rebuild"
done
# (No "| grep -q" here: with pipefail, grep's early exit fails the pipe.)
has_btf() { ${CROSS}readelf -S -W "$1" | grep -c ' \.BTF ' >/dev/null; }
has_btf "$vmlinux" ||
	die "$vmlinux has no .BTF section" "" "is pahole (dwarves) installed? rebuild the kernel"
[ -f "$obj/Module.symvers" ] || die "no $obj/Module.symvers" "" "build the modules too (make modules)"
command -v "$clang" >/dev/null || die "no $clang" "" "apt-get install clang-16"
command -v llvm-strip >/dev/null || die "no llvm-strip" "" "apt-get install llvm"
echo 'int main(void) { return 0; }' >"$out/cc-check.c"
${CROSS}gcc "$out/cc-check.c" -o "$out/cc-check" 2>"$logf" ||
	die "${CROSS}gcc cannot link a user-space program" "$logf" \
		"apt-get install libc6-dev-arm64-cross"
rm -f "$out"/cc-check*

# The arm64 libelf and zlib that test_progs and libbpf link, from the
# sysroot, through a directory of our own: Debian's libz.so is an absolute
# symlink (/lib/aarch64-linux-gnu/...), which would name the host's file.
arm64lib() {
	local f
	for f in "$sysroot/usr/lib/aarch64-linux-gnu/$1" "$sysroot/lib/aarch64-linux-gnu/$1"; do
		[ -e "$f" ] && { readlink -f "$f"; return 0; }
	done
	return 1
}
libdir=$out/lib
rm -rf "$libdir"
mkdir -p "$libdir"
for l in libelf.so.1 libz.so.1 libelf.a libz.a; do
	f=$(arm64lib "$l") || die "no arm64 $l in $sysroot" "" \
		"add libelf1 libelf-dev zlib1g zlib1g-dev to GUEST_PKGS (deps.sh), or set BPF_SYSROOT"
	ln -s "$f" "$libdir/$l"
done
ln -s libelf.so.1 "$libdir/libelf.so"
ln -s libz.so.1 "$libdir/libz.so"
# Through the environment, not the command line: a command-line variable
# would replace the Makefiles' own "LDFLAGS +=" and "LDLIBS +=". LDFLAGS
# reaches libbpf.so, urandom_read and the small programs; LDLIBS the link
# of test_progs itself, whose rule has no LDFLAGS. The host tools
# (bpftool, resolve_btfids) see LDFLAGS too, and their linker skips these
# arm64 libraries ("skipping incompatible"), so it is harmless there.
# BPF_STATIC: -static in LDLIBS only (the Makefile filters it out for
# liburandom_read.so and urandom_read; in LDFLAGS it would reach the link
# of libbpf.so).
export LDFLAGS="-L$libdir -Wl,-rpath-link=$libdir"
export LDLIBS="$LDFLAGS"
[ "${BPF_STATIC:-0}" = 1 ] && LDLIBS="$LDLIBS -static"

# --- the copy of the tree
if [ "${FRESH:-0}" = 1 ]; then
	rm -rf "$out/src"
fi
log "bpf-selftests: copying tools/, scripts/, kernel/bpf/ of $src into $out/src"
mkdir -p "$out/src/kernel"
# -a keeps the mtimes, so an unchanged source is not rebuilt; without
# --delete, so that the build's own files in the copy stay.
rsync -a "$src/tools" "$src/scripts" "$out/src/" ||
	die "cannot copy $src into $out/src"
rsync -a "$src/kernel/bpf" "$out/src/kernel/" || die "cannot copy $src/kernel/bpf"
# Our own tests, as the selftests' own: prog_tests/NAME.c and progs/NAME.c
# (BPF_OWN_TESTS: another directory laid out as guest/bpf, to try changes).
own=${BPF_OWN_TESTS:-$TOP/guest/bpf}
for f in "$own"/prog_tests/*.c "$own"/progs/*.c; do
	d=$sel/${f#"$own"/}
	cmp -s "$f" "$d" || cp "$f" "$d"
done
# sign-file (scripts/sign-file.c) is built for the target and needs the
# arm64 libcrypto headers and library; only verify_pkcs7_sig uses it, not a
# test of ours. A stand-in newer than sign-file.c keeps make from building it.
if ! [ -f "$sel/sign-file" ] || ! grep -q 'not built for the guest' "$sel/sign-file"; then
	printf '#!/bin/sh\necho "sign-file: not built for the guest (no arm64 libcrypto)" >&2\nexit 1\n' \
		>"$sel/sign-file"
	chmod +x "$sel/sign-file"
fi
touch "$sel/sign-file"

# In tree (in the copy): 6.1's Makefile links urandom_read against
# "liburandom_read.so" by a path relative to the selftests directory, so an
# OUTPUT= elsewhere fails.
# CLANG carries the target: the Makefile compiles urandom_read and
# liburandom_read.so with $(CLANG) and no target of its own (the cross
# flags of tools/scripts/Makefile.include are added only when CC is clang),
# which gives x86 objects; the BPF programs' "-target bpf" comes later on
# their command line and wins, and their system includes are then the
# arm64 C library's.
# KDIR: bpf_testmod/Makefile builds against ../../../../.. (the copy, which
# has no kernel build), so point it at OBJ.
# As a top-level make, whoever runs this script: under "make test" the
# environment carries MAKELEVEL=1, and the selftests' lib.mk then expects
# OUTPUT from a parent make, builds into "/" without it, and fails.
smake() {
	env -u MAKELEVEL -u MAKEFLAGS -u MFLAGS -u MAKEOVERRIDES \
		nice -n 19 make -C "$sel" OUTPUT="$sel" ARCH=arm64 CROSS_COMPILE=$CROSS \
		CLANG="$clang --target=aarch64-linux-gnu" LLVM_STRIP=llvm-strip \
		VMLINUX_BTF="$vmlinux" KDIR="$obj" -j"$JOBS" "$@"
}

# --- the subset
# test_progs compiles every BPF program of progs/ against the vmlinux.h
# of OBJ, and many of them use types that exist only with options this
# kernel does not have (IPv6, netfilter conntrack, MPTCP, ...). So the copy
# keeps only the wanted tests (prog_tests/NAME.c) and the programs they
# use: their skeletons (#include "NAME.skel.h", .lskel.h, .subskel.h) and
# the objects they open by name ("NAME.bpf.o"), the programs those include,
# btf_data.c (resolve_btfids reads it when linking test_progs), and the
# programs the Makefile turns into light or linked skeletons whatever
# the tests are (LSKELS, LSKELS_EXTRA, the LINKED_SKELS' parts).
if [ "$tests" != all ]; then
	keep_tests=() missing=()
	for t in ${tests//,/ }; do
		if [ -f "$sel/prog_tests/$t.c" ]; then keep_tests+=("$t"); else missing+=("$t"); fi
	done
	[ ${#missing[@]} = 0 ] || log "bpf-selftests: WARNING: not in this tree: ${missing[*]}"
	[ ${#keep_tests[@]} -gt 0 ] || die "none of the tests asked for (BPF_TESTS) is in $src"
	# A test may call a function that another test's file defines (6.1's
	# bpf_cookie calls test_lsm's stack_mprotect()): keep that file too,
	# which adds its test to test_progs.
	i=0
	while [ $i -lt ${#keep_tests[@]} ]; do
		t=${keep_tests[$i]}
		i=$((i + 1))
		for fn in $(sed -nE 's/^[A-Za-z_][A-Za-z0-9_ *]*[ *]([A-Za-z][A-Za-z0-9_]*)\([^;{]*\);$/\1/p' \
			"$sel/prog_tests/$t.c"); do
			for f in $(grep -lE "^[A-Za-z_][A-Za-z0-9_ *]*[ *]$fn\([^;]*\$" "$sel"/prog_tests/*.c || true); do
				d=${f##*/}; d=${d%.c}
				case " ${keep_tests[*]} " in
				*" $d "*) ;;
				*) keep_tests+=("$d"); log "bpf-selftests: $t needs $fn() of $d.c: building $d too" ;;
				esac
			done
		done
	done
	fixed=$(smake -s --no-print-directory \
		--eval 'bpfsel-print: ; @echo $(LSKELS) $(LSKELS_EXTRA) $(LINKED_BPF_SRCS)' \
		bpfsel-print 2>>"$logf") || die "cannot read the skeleton lists of the selftests Makefile" "$logf"
	declare -A want=([btf_data]=1)
	for p in $fixed; do want[${p%.c}]=1; done
	for t in "${keep_tests[@]}"; do
		for p in $(grep -ohE '"(\./)?[A-Za-z0-9_]+\.bpf\.o"|[A-Za-z0-9_]+\.(l|sub)?skel\.h' \
			"$sel/prog_tests/$t.c" | sed -E 's/^"(\.\/)?//; s/\.bpf\.o"$//; s/\.(l|sub)?skel\.h$//'); do
			want[$p]=1
		done
	done
	# The programs that include another program's source (#include "x.c").
	for p in "${!want[@]}"; do
		[ -f "$sel/progs/$p.c" ] || continue
		for inc in $(sed -nE 's/^#include "([A-Za-z0-9_]+)\.c"/\1/p' "$sel/progs/$p.c"); do
			want[$inc]=1
		done
	done
	for f in "$sel"/prog_tests/*.c; do
		t=${f##*/}; t=${t%.c}
		case " ${keep_tests[*]} " in *" $t "*) ;; *) rm -f "$f" ;; esac
	done
	for f in "$sel"/progs/*.c; do
		p=${f##*/}; p=${p%.c}
		[ -n "${want[$p]:-}" ] || rm -f "$f"
	done
	# tests.h lists the tests of prog_tests/; removed files do not make
	# it out of date by themselves.
	rm -f "$sel/prog_tests/tests.h"
	log "bpf-selftests: subset: ${#keep_tests[@]} tests, $(ls "$sel"/progs/*.c | wc -l) BPF programs"
fi

# --- the build
# make does not relink when only the link flags changed (BPF_STATIC).
if [ "$(cat "$out/.ldlibs" 2>/dev/null)" != "$LDLIBS" ]; then
	rm -f "$sel/test_progs" "$sel/xdp_synproxy"
	echo "$LDLIBS" >"$out/.ldlibs"
fi
# bpf_testmod.ko is built by kbuild with the kernel's own compiler: the
# selftests' rule would use gcc, which cannot take a clang kernel's flags
# (the bti variant). Built first; make's --old-file keeps the selftests
# Makefile from building it again (its rule depends on libbpf.a, which is
# always newer).
keep=()
if grep -q '^CONFIG_CC_IS_CLANG=y' "$obj/.config"; then
	log "bpf-selftests: building bpf_testmod.ko with clang (LLVM=1, log $logf.testmod)"
	# Its BTF is split BTF on the kernel's: a module left from an earlier
	# kernel build loads without it (the base BTF changed) and every
	# program on its functions fails to load (ESRCH), but kbuild sees no
	# reason to rebuild it.
	rm -f "$sel/bpf_testmod/bpf_testmod.ko" "$sel/bpf_testmod.ko"
	make -C "$src" O="$obj" ARCH=arm64 CROSS_COMPILE=$CROSS LLVM=1 CC="ccache clang" \
		LOCALVERSION= M="$sel/bpf_testmod" -j"$JOBS" modules >"$logf.testmod" 2>&1 ||
		die "bpf_testmod.ko does not build against $obj" "$logf.testmod"
	cp "$sel/bpf_testmod/bpf_testmod.ko" "$sel/bpf_testmod.ko"
	keep=(-o "$sel/bpf_testmod.ko")
fi
log "bpf-selftests: building test_progs, the BPF objects and bpf_testmod.ko (-j$JOBS, log $logf)"
t0=$(date +%s)
if ! smake "${keep[@]}" test_progs >"$logf" 2>&1; then
	echo "---- first errors ----" >&2
	grep -m 15 -E 'error:|Error [0-9]|undefined reference|\*\*\*' "$logf" >&2 || tail -n 20 "$logf" >&2
	die "the BPF selftests do not build" "$logf" \
		"a test that needs a newer clang or a config option: see the first error"
fi
bpfobjs=("$sel"/*.bpf.o)
nbpf=${#bpfobjs[@]}
log "bpf-selftests: built in $(($(date +%s) - t0))s ($nbpf BPF objects)"
for f in test_progs urandom_read liburandom_read.so; do
	case $(file -L "$sel/$f") in
	*"ARM aarch64"*) ;;
	*) die "$sel/$f is not an arm64 program" "$logf" ;;
	esac
done
case $(modinfo -F vermagic "$sel/bpf_testmod.ko") in
"$(cat "$obj/include/config/kernel.release") "*) ;;
*)
	die "bpf_testmod.ko was not built against $obj" "$logf" ;;
esac
has_btf "$sel/bpf_testmod.ko" ||
	die "bpf_testmod.ko has no BTF (CONFIG_DEBUG_INFO_BTF_MODULES, pahole)" "$logf"

# --- what the guest needs
guest=$out/guest
rm -rf "$guest"
mkdir -p "$guest/bpf" "$guest/lib/aarch64-linux-gnu"
cp "$sel/test_progs" "$sel/urandom_read" "$sel/liburandom_read.so" "$guest/bpf/"
# Every BPF object: the skeleton tests carry theirs inside test_progs, the
# others open ./NAME.bpf.o (the skeleton generation's intermediate
# NAME.bpf.linked1.o... are not used at run time). The DWARF goes
# (llvm-strip -g keeps .BTF and .BTF.ext, which libbpf uses).
for f in "${bpfobjs[@]}"; do
	llvm-strip -g -o "$guest/bpf/${f##*/}" "$f"
done
# The btf_dump test compares its output with the expected one kept in
# these sources (it looks in progs/, then in the current directory).
for f in "$sel"/progs/btf_dump_test_case_*.c; do
	[ -f "$f" ] && cp "$f" "$guest/bpf/"
done
# The tests asked for: guest/bpf.sh runs them all, and fails one that
# test_progs does not have (a name not in this tree).
rm -f "$guest/bpf/wanted"
[ "$tests" = all ] || echo ${tests//,/ } >"$guest/bpf/wanted"
# The module keeps its .BTF (not a debug section).
${CROSS}strip --strip-debug -o "$guest/bpf/bpf_testmod.ko" "$sel/bpf_testmod.ko"
if [ "${BPF_STATIC:-0}" != 1 ]; then
	for l in libelf.so.1 libz.so.1; do
		cp -L "$libdir/$l" "$guest/lib/aarch64-linux-gnu/"
	done
fi
# Anything else test_progs needs at run time, beyond the guest's C library.
need=$(${CROSS}readelf -d "$guest/bpf/test_progs" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
for l in $need; do
	case $l in
	libc.so.6 | ld-linux-aarch64.so.1) ;; # initramfs.sh copies these
	libm.so.6 | libpthread.so.0 | librt.so.1 | libdl.so.2)
		# Other parts of the guest's glibc (Debian's libc6, deps.sh), so
		# that they match its libc.so.6; 6.1's test_progs needs none of
		# them (glibc 2.34 moved pthread and rt into libc).
		f=$BUILD/sysroot/lib/aarch64-linux-gnu/$l
		[ -f "$f" ] || die "no arm64 $l in $BUILD/sysroot for the guest" "" "make deps"
		cp -L "$f" "$guest/lib/aarch64-linux-gnu/" ;;
	*) [ -e "$guest/lib/aarch64-linux-gnu/$l" ] ||
		die "test_progs needs $l, which is not staged" "" "add its arm64 package and copy it here" ;;
	esac
done
log "bpf-selftests: guest files in $guest: $(du -sh "$guest" | cut -f1)" \
	"(test_progs $(du -h "$guest/bpf/test_progs" | cut -f1), needs: ${need:-nothing, static})"
