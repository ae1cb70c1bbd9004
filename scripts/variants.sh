#!/usr/bin/env bash
# variants: the series in the other configurations it must support, each
# merged over the test config (configs/variants/NAME.config):
#   nofgraph   !FUNCTION_GRAPH_TRACER, and the KUnit suite without the
#              debug options (FORCE_FAR, CHECK_TRAMP_FREE), built;
#   nomodules  !MODULES, built;
#   noregs     a gcc without -fpatchable-function-entry (so no
#              DYNAMIC_FTRACE_WITH_REGS: mcount-based ftrace), built;
#   cfi        CFI_CLANG with clang-16 (LLVM=-16), configured, and one
#              traced file compiled: no veneers, kCFI and 6.1's two entry
#              NOPs (cheap: the kCFI exclusion is a Kconfig matter);
#   bti-kasan  (only when named) bti with KASAN_SW_TAGS, booted the same way;
#   bti        ARM64_BTI_KERNEL with clang (LLVM=1), built and booted in
#              far mode (ftrace_tramp_far=1: every call into ftrace and
#              from a trampoline to its function is a BR X16) with the
#              boot self-tests, KUnit and the ftracetest cases in
#              BTI_TESTS: QEMU -cpu max enforces BTI, so a BR to a target
#              without its landing pad faults.
# VARIANT_SCOPE=objects (make test) builds the build-only variants
# (nofgraph, nomodules, noregs) as a compile check: the kbuild directories
# of the files the series changes (series_dirs), each built as that
# configuration asks, without the rest of the kernel and without the link;
# the default (make variants) builds the whole Image and modules.
# The bti variant merges configs/debug.config (lockdep, atomic-sleep,
# list and hang checks, fail_function) and, unless VARIANT_BPF=0,
# configs/bpf.config (BPF, BTF) too, and then gets the BPF selftests
# (scripts/bpf-selftests.sh): the short stress round runs on that kernel
# (scripts/stress.sh, STRESS_KERNEL=series-bti), with test_progs first.
# VARIANT_BPF=0 leaves configs/bpf.config and the selftests out (a
# shorter build: no DWARF, no BTF).
# VARIANT_BUILD_ONLY=1 configures and builds the booted variants (bti) and
# does nothing else. make test runs "variants.sh bti" alone, at the lowest
# priority, beside the series' guest, and the other variants after it. The
# bti guest boots in the background while the variants after it are built.
# VARIANT_BOOTED: a file touched once a booted variant's guest has started
# (its kernel, BPF selftests and initramfs are then written): make test
# starts the stress round's first guest on that kernel beside it.
# Each variant is one result in build/results/variants.json (VARIANTS_OUT:
# another file; a failed build is a FAIL with its log, and the next variant
# still runs); the BTI boot is build/results/series-bti-far.json.
# usage: variants.sh [NAME...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(bti noregs cfi nomodules nofgraph)
# Not here, for time (the lockdep kernel is slow under TCG): the churn of
# func-tramp-churn.tc (the stress round churns in far mode on this kernel)
# and direct/ftrace-direct.tc (64 module loads under eight tracers; the
# series' near guest runs it, and the other direct cases run here).
BTI_TESTS=${BTI_TESTS:-"ftrace/func-tramp-instances.tc ftrace/func-tramp-shared.tc
	ftrace/fgraph-tramp.tc ftrace/func-tramp-module.tc
	ftrace/func-tramp-kprobe.tc ftrace/func-tramp-veneer-kprobe.tc ftrace/func-tramp-pid.tc
	kprobe/kretprobe_args.tc kprobe/probepoint.tc kprobe/kprobe_ftrace_entry.tc
	ftrace/func_set_ftrace_file.tc ftrace/fgraph-filter.tc ftrace/func-filter-glob.tc
	ftrace/func_mod_trace.tc ftrace/func-filter-pid.tc ftrace/func_profiler.tc
	instances/instance-event.tc kprobe/kprobe_args.tc
	direct/ftrace-direct-shared.tc direct/ftrace-direct-modify.tc
	direct/kprobe-direct.tc kprobe/kprobe_ftrace.tc
	ftrace/func-set-instances.tc ftrace/func-mod-sysctl.tc"}

# The BPF selftests built for the bti kernel, which the stress round runs
# (guest/bpf.sh): ours (ftarm_direct), the trampoline tests that cost
# least to build, and kprobe_multi_test, whose programs compare
# bpf_get_func_ip() with the functions' addresses, which start with a BTI C
# here (ftrace_callsite_func()); make bpf-selftests runs the whole list of
# scripts/bpf-selftests.sh on base and series.
BTI_BPF_TESTS=${BTI_BPF_TESTS:-"ftarm_direct fentry_test fexit_test modify_return module_attach
	get_func_args_test get_func_ip_test trampoline_count kprobe_multi_test"}

bash "$TOP/scripts/apply.sh"
src=$BUILD/src/series
frags=()
for f in ${CONFIGS:-base ftrace} series; do frags+=("$TOP/configs/$f.config"); done
out=${VARIANTS_OUT:-$RESULTS/variants.json}
scope=${VARIANT_SCOPE:-full}
case $scope in full | objects) ;; *) die "VARIANT_SCOPE must be full or objects, not '$scope'" ;; esac

# series_dirs: the kbuild directories of the C and assembly files that
# patches/ changes in the kernel proper (not samples/, tools/).
series_dirs() {
	sed -n 's|^+++ b/\(.*\)/[^/]*\.[cS]$|\1/|p' "$TOP"/patches/*.patch |
		grep -v -E '^(samples|tools|Documentation|scripts)/' | sort -u |
		awk '{ for (i = 1; i <= n; i++) if (index($0, d[i]) == 1) next; d[++n] = $0; print }'
}

# noregs_toolchain: a directory holding the cross binutils and, as its gcc,
# scripts/nopatchable-gcc; prints the CROSS_COMPILE prefix for it.
noregs_toolchain() {
	local dir=$BUILD/toolchain-noregs real t
	real=$(command -v "${CROSS}gcc") || die "no ${CROSS}gcc" "" "make deps"
	rm -rf "$dir"
	mkdir -p "$dir"
	for t in "$(dirname "$real")/$CROSS"*; do
		ln -s "$t" "$dir/$(basename "$t")"
	done
	rm "$dir/${CROSS}gcc"
	printf '#!/bin/sh\nREAL_GCC=%s exec %s "$@"\n' "$real" \
		"$TOP/scripts/nopatchable-gcc" >"$dir/${CROSS}gcc"
	chmod +x "$dir/${CROSS}gcc"
	echo "$dir/$CROSS"
}

# cfi_check SRC OBJ FRAGMENT...: with CFI_CLANG the configuration has
# DYNAMIC_FTRACE_WITH_REGS but no ARM64_FTRACE_VENEERS, and kbuild compiles
# a traced file with kCFI and -fpatchable-function-entry=2, not 5,3.
cfi_check() {
	local src=$1 obj=$2 logf=$LOGS/build-series-cfi.log cmd
	shift 2
	# The fragment asks for the veneers, which Kconfig must refuse.
	ALLOW_DROPPED=1 LLVM=-16 bash "$TOP/scripts/config.sh" "$src" "$obj" "$@" || return 1
	{
		echo "== $obj/.config"
		grep -E 'CONFIG_(CFI_CLANG|ARM64_FTRACE_VENEERS|DYNAMIC_FTRACE_WITH_REGS)[ =]' "$obj/.config"
	} >"$logf"
	grep -q '^CONFIG_CFI_CLANG=y' "$obj/.config" &&
		grep -q '^CONFIG_DYNAMIC_FTRACE_WITH_REGS=y' "$obj/.config" &&
		! grep -q '^CONFIG_ARM64_FTRACE_VENEERS=y' "$obj/.config" || return 1
	# Compiled every time: the flags are read from make's command line,
	# which an object already up to date (a second run) does not print.
	rm -f "$obj/kernel/panic.o"
	make -C "$src" O="$obj" ARCH=arm64 CROSS_COMPILE="$CROSS" LLVM=-16 \
		CC="ccache clang-16" LOCALVERSION= -j"$JOBS" V=1 kernel/panic.o >>"$logf" 2>&1 ||
		return 1
	cmd=$(grep -E 'clang-16 .* -c -o kernel/panic\.o' "$logf" | tail -n 1)
	echo "== the compiler's flags: $cmd" >>"$logf"
	[[ $cmd == *-fsanitize=kcfi* && $cmd == *-fpatchable-function-entry=2\ * &&
		$cmd != *-fpatchable-function-entry=5,3* ]]
}

# variant_config_ok NAME CONFIG: the configuration is the one the variant
# is about (a variant that silently built the default would prove nothing).
variant_config_ok() {
	case $1 in
	noregs)
		if grep -q '^CONFIG_DYNAMIC_FTRACE_WITH_REGS=y' "$2" ||
			! grep -q '^CONFIG_DYNAMIC_FTRACE=y' "$2"; then
			log "variants: noregs: $2 must have DYNAMIC_FTRACE without WITH_REGS"
			return 1
		fi ;;
	nofgraph)
		if ! grep -q '^CONFIG_ARM64_FTRACE_KUNIT_TEST=y' "$2" ||
			grep -q '^CONFIG_ARM64_FTRACE_FORCE_FAR=y' "$2"; then
			log "variants: nofgraph: $2 must build the trampolines' KUnit suite without ARM64_FTRACE_FORCE_FAR"
			return 1
		fi ;;
	esac
}
# bti_first_insn VMLINUX SYMBOL: the first instruction of SYMBOL, as
# objdump disassembles it ("bti	c" with its tab made a blank).
bti_first_insn() {
	local addr
	addr=$(${CROSS}nm "$1" | awk -v s="$2" '$3 == s && $2 ~ /^[tT]$/ { print $1; exit }')
	[ -n "$addr" ] || { echo "no symbol $2"; return 0; }
	${CROSS}objdump -d --no-show-raw-insn --start-address=0x$addr \
		--stop-address=$(printf '0x%x' $((0x$addr + 4))) "$1" |
		awk -F'\t' '/^ *[0-9a-f]+:/ { $1 = ""; sub(/^ +/, ""); print; exit }'
}
recs=()
boot_pid= boot_v= boot_frags=()
# boot_wait: wait for the bti guest and parse its console.
boot_wait() {
	[ -n "$boot_pid" ] || return 0
	wait "$boot_pid" || log "variants: $boot_v: the guest did not finish (results below)"
	parse_console series-$boot_v far "$LOGS/console-series-$boot_v-far-ftracetest+probes.log" "$src" \
		"$RESULTS/series-$boot_v-far.json" 1 "${boot_frags[@]}"
	boot_pid=
}
for v in "${names[@]}"; do
	if [ -n "${VARIANT_BUILD_ONLY:-}" ]; then
		case $v in bti | bti-kasan) ;; *) continue ;; esac
	fi
	frag=$TOP/configs/variants/$v.config
	[ -f "$frag" ] || die "no variant $v ($frag)"
	obj=$BUILD/obj/series-$v
	if [ "$v" = cfi ]; then
		log "variants: cfi: config and the flags of a traced file (LLVM=-16)"
		res=FAIL
		cfi_check "$src" "$obj" "${frags[@]}" "$frag" && res=PASS
		[ $res = PASS ] || log "variants: cfi: FAILED (log $LOGS/build-series-cfi.log)"
		recs+=("{\"suite\": \"variant-build\", \"name\": \"cfi\", \"result\": \"$res\", \"log\": \"$LOGS/build-series-cfi.log\"}")
		continue
	fi
	llvm= cross=$CROSS targets= vfrags=("$frag") what=$v
	case $v in
	bti | bti-kasan)
		llvm=1 vfrags=("$TOP/configs/debug.config")
		[ "${VARIANT_BPF:-1}" = 1 ] && vfrags+=("$TOP/configs/bpf.config")
		vfrags+=("$frag")
		;;
	esac
	[ "$v" = noregs ] && cross=$(noregs_toolchain)
	if [ "$scope" = objects ] && [ -z "$llvm" ]; then
		targets=$(series_dirs | tr '\n' ' ')
		targets=${targets% }
		what="$v (objects: $targets)"
	fi
	log "variants: $v: config and build${llvm:+ (LLVM=1)}${targets:+ of $targets}"
	# VARIANT_NICE: the niceness of the builds only (make test builds the
	# bti kernel beside a guest); a guest booted below runs at the
	# caller's, as a guest starved by a build stalls for tens of seconds
	# and reports soft lockups and failed timing self-tests.
	if LLVM=$llvm CROSS=$cross bash "$TOP/scripts/config.sh" "$src" "$obj" "${frags[@]}" "${vfrags[@]}" &&
		variant_config_ok "$v" "$obj/.config" &&
		BUILD_TARGETS=$targets LLVM=$llvm CROSS=$cross \
			nice -n "${VARIANT_NICE:-0}" bash "$TOP/scripts/build.sh" "$src" "$obj"; then
		res=PASS
	else
		res=FAIL
		log "variants: $v: FAILED to build (log $LOGS/build-series-$v.log)"
	fi
	recs+=("{\"suite\": \"variant-build\", \"name\": \"$what\", \"result\": \"$res\", \"log\": \"$LOGS/build-series-$v.log\"}")
	if [ -n "$llvm" ] && [ $res = PASS ]; then
		grep -q '^CONFIG_ARM64_BTI_KERNEL=y' "$obj/.config" ||
			die "variants: $v: ARM64_BTI_KERNEL is not set in $obj/.config"
		# func-tramp-kprobe.tc probes seq_read_iter+0 so that the probe's
		# BRK replaces a BTI C (the guest runs it with every call far,
		# ftrace_tramp_far=1): the case tests that only if this kernel's
		# seq_read_iter begins with one, which is checked here.
		first=$(bti_first_insn "$obj/vmlinux" seq_read_iter)
		res=FAIL
		[[ $first =~ ^bti[[:space:]]+c$ ]] && res=PASS
		log "variants: $v: seq_read_iter begins with '$first'"
		recs+=("{\"suite\": \"variant-build\", \"name\": \"$v: func-tramp-kprobe.tc probes a BTI C (seq_read_iter+0: $first)\", \"result\": \"$res\"}")
		# The BPF selftests against this kernel (BTF from configs/bpf.config),
		# for the stress round's bpf stage; initramfs.sh adds them.
		# A failed build leaves no /bpf: the stress round then records the
		# missing test_progs as failures.
		rm -rf "$obj/bpf/guest"
		if [ "${VARIANT_BPF:-1}" = 1 ]; then
			bpf_res=PASS
			BPF_TESTS=$BTI_BPF_TESTS bash "$TOP/scripts/bpf-selftests.sh" "$src" "$obj" "$obj/bpf" ||
				{ bpf_res=FAIL; log "variants: $v: the BPF selftests did not build (log $LOGS/bpf-selftests-series-$v.log)"; }
			recs+=("{\"suite\": \"variant-build\", \"name\": \"$v: BPF selftests (test_progs)\", \"result\": \"$bpf_res\", \"log\": \"$LOGS/bpf-selftests-series-$v.log\"}")
		else
			log "variants: $v: without configs/bpf.config (VARIANT_BPF=0): no BPF selftests (make bpf-selftests)"
		fi
		EXT_CC="ccache clang" faultdump_module "$src" "$obj" "series-$v" LLVM=1
		bash "$TOP/scripts/initramfs.sh" "$src" "$obj"
		[ -n "${VARIANT_BUILD_ONLY:-}" ] && continue
		boot_wait
		FTRACETEST=$BTI_TESTS TCG=${GUEST_TCG:-single} \
			QEMU_ICOUNT=$(ftracetest_icount ftracetest) \
			bash "$TOP/scripts/boot.sh" series-$v far ftracetest,probes &
		boot_pid=$! boot_v=$v boot_frags=("${frags[@]}" "${vfrags[@]}")
		[ -z "${VARIANT_BOOTED:-}" ] || touch "$VARIANT_BOOTED"
	fi
done
boot_wait
[ -n "${VARIANT_BUILD_ONLY:-}" ] && exit 0
(IFS=,; echo "{\"kernel\": \"series\", \"mode\": \"variants\", \"results\": [${recs[*]}]}") >"$out"
log "variants: done: $out"
