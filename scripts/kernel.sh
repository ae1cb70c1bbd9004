#!/usr/bin/env bash
# kernel: prepare, build and test one kernel: "series" (base + patches/) or
# "base" (the unpatched tree), with the same config.  For each MODE (near,
# far) boot it, run the guest STAGES and parse the console into
# build/results/KERNEL-MODE.json.
# usage: kernel.sh KERNEL "MODES" STAGES
#   MODES "auto": near, and far too when the tree has the series' forced-far
#   knob (the boot parameter ftrace_tramp_far).
#   STAGES "build": build the kernel, its modules and initramfs, boot nothing.
# RESULT_SUFFIX: appended to the results' file names (make ftracetest-full).
# KERNEL_BUILT=1: the kernel is built already; boot it without running
# make again (make test builds first, then boots while the bti variant
# builds in another tree).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel=$1 modes=$2 stages=$3
case $kernel in
series) bash "$TOP/scripts/apply.sh"; src=$BUILD/src/series ;;
base) src=$BUILD/src/base ;;
*) die "unknown kernel $kernel (series or base)" ;;
esac
obj=$BUILD/obj/$kernel
[ "$modes" = auto ] && modes=$(auto_modes "$src")
frags=()
for f in ${CONFIGS:-base ftrace}; do frags+=("$TOP/configs/$f.config"); done
# The baseline is matched on the shared fragments (shared_config_sha1);
# options the series adds are in series.config, for the series only.
all=("${frags[@]}")
[ "$kernel" = series ] && all+=("$TOP/configs/series.config")
if [ -z "${KERNEL_BUILT:-}" ]; then
	bash "$TOP/scripts/config.sh" "$src" "$obj" "${all[@]}"
	bash "$TOP/scripts/build.sh" "$src" "$obj"
	faultdump_module "$src" "$obj" "$kernel"
	bash "$TOP/scripts/initramfs.sh" "$src" "$obj"
fi
[ "$stages" = build ] && exit 0
# The modes boot side by side: a guest running ftracetest keeps about one
# vCPU busy, and the machine has two cores. Each guest's vCPUs run on one
# host thread (GUEST_TCG=single, the default): QEMU 7.2's multi-threaded TCG
# (GUEST_TCG=multi, QEMU's own default) keeps running translations of code
# that another vCPU rewrote, after the synchronizing IPI, with no ftrace
# involved (README, "QEMU and cross-modified code": guest/xmc.sh), and then
# branches from a callsite that memory holds as a NOP into a trampoline that
# was freed long before, as ftarm_faultdump showed in direct/ftrace-direct.tc.
# The far mode (ftrace_tramp_far=1) changes only what the callsites and
# trampolines of ftrace_ops hold: its guest runs the cases that register
# ops (FAR_TESTS, paths under test.d), the near one the whole suite
# (make test boots near only and runs far cases on the bti kernel).
# FAR_TESTS=all runs the whole suite in far mode too (make ftracetest-full).
# direct/ftrace-direct.tc is left out here: it loads and unloads the
# sample module 64 times, eight tracers in turn (about nine minutes under
# TCG); the near guest runs it, and in far mode the other direct cases
# share a direct call with the function tracer, modify it and kprobe it.
FAR_TESTS=${FAR_TESTS:-"ftrace direct/ftrace-direct-modify.tc direct/ftrace-direct-shared.tc
	direct/kprobe-direct.tc instances preemptirq tracer kprobe/kprobe_ftrace.tc"}
[ "$FAR_TESTS" = all ] && FAR_TESTS=
# A FTRACETEST of the caller's (a chosen subset) applies to every mode.
# selection MODE: the ftracetest cases of MODE's guest, empty for all; a
# non-empty one makes its results a subset (parse_console).
selection() {
	if [ -n "${FTRACETEST:-}" ]; then
		echo "$FTRACETEST"
	elif [ "$1" = far ] && [[ $stages == *ftracetest* ]]; then
		echo "$FAR_TESTS"
	fi
}
pids=()
for mode in $modes; do
	FTRACETEST=$(selection "$mode") TCG=${GUEST_TCG:-single} \
		QEMU_ICOUNT=$(ftracetest_icount "$stages") \
		bash "$TOP/scripts/boot.sh" "$kernel" "$mode" "$stages" &
	pids+=($!)
done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
for mode in $modes; do
	console=$LOGS/console-$kernel-$mode-${stages//,/+}.log
	[ -f "$console" ] || continue
	subset=0
	[ -n "$(selection "$mode")" ] && subset=1
	out=$RESULTS/$kernel-$mode${RESULT_SUFFIX:-}.json
	parse_console "$kernel" "$mode" "$console" "$src" "$out" $subset "${all[@]}"
	# Where the guest's time went (guest/ftracetest.sh's case clock).
	[[ $stages != *ftracetest* ]] || python3 "$TOP/scripts/results.py" times "$out" | sed 's/^/         /'
done
[ $fail = 0 ] || die "a guest of $kernel did not finish (see above)"
