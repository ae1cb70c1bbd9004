# shellcheck shell=bash
# Common helpers for the harness scripts: paths, progress lines with the
# elapsed time, and errors that say what failed, where the log is and what
# to try.  Sourced, never run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
LOGS=$BUILD/logs
RESULTS=$BUILD/results
mkdir -p "$LOGS" "$RESULTS"

# Start of the whole make invocation, so that every script of one target
# prints the same clock.
: "${HARNESS_T0:=$(date +%s)}"
export HARNESS_T0

# PROGRESS_LOG (make test): every progress line of every script, in the
# background ones too, is also appended there, for the summary of where
# the time went.
log() {
	local line
	printf -v line '[%5ds] %s' "$(($(date +%s) - HARNESS_T0))" "$*"
	printf '%s\n' "$line"
	[ -z "${PROGRESS_LOG:-}" ] || printf '%s\n' "$line" >>"$PROGRESS_LOG"
}

# die WHAT [LOG] [HINT]: print a clear error and exit non-zero.
die() {
	local what=$1 logf=${2:-} hint=${3:-} line
	printf -v line '[%5ds] ERROR: %s' "$(($(date +%s) - HARNESS_T0))" "$what"
	printf '%s\n' "$line" >&2
	[ -z "${PROGRESS_LOG:-}" ] || printf '%s\n' "$line" >>"$PROGRESS_LOG"
	[ -n "$logf" ] && printf '         log: %s\n' "$logf" >&2
	[ -n "$hint" ] && printf '         try: %s\n' "$hint" >&2
	exit 1
}

# run_logged LOG CMD...: run CMD with all output in LOG; on failure show
# the log's tail and fail.
# tcg_mode MODE LIST: "single" if MODE is one of the blank-separated LIST,
# else "multi" (the TCG= of scripts/boot.sh for that guest).
tcg_mode() {
	case " $2 " in *" $1 "*) echo single ;; *) echo multi ;; esac
}

# ftracetest_icount STAGES: the -icount (scripts/boot.sh QEMU_ICOUNT) of a
# guest that runs STAGES: GUEST_ICOUNT (default shift=0,sleep=off: one
# guest nanosecond an instruction, idle time skipped) when they include
# ftracetest, else the caller's QEMU_ICOUNT. Without -icount the guest's
# clock is the host's, and under TCG=single QEMU runs a busy vCPU for up to
# 100 ms before the next one gets the host thread, so the cases that time
# the guest (preemptirq/irqsoff_tracer.tc wants a latency of 500000 to
# 599999 us for a 500 ms delay) depend on the host's load and on the other
# vCPU: CI failed that case once. Under -icount the vCPUs take turns up to
# the next timer deadline and the clock counts only what the guest ran. It
# costs time: the near guest's ftracetest took 1078 s instead of 781 s
# here. GUEST_ICOUNT= (empty) boots on the host's clock.
ftracetest_icount() {
	if [[ $1 == *ftracetest* ]]; then
		echo "${GUEST_ICOUNT-shift=0,sleep=off}"
	else
		echo "${QEMU_ICOUNT:-}"
	fi
}

run_logged() {
	local logf=$1; shift
	if ! "$@" >"$logf" 2>&1; then
		tail -n 25 "$logf" >&2
		return 1
	fi
}

# shared_config_sha1: the hash of the config fragments that base and series
# share (CONFIGS, default "base ftrace"), recorded in every result; a
# baseline is valid for a series run only when the two hashes agree.
shared_config_sha1() {
	local f
	for f in ${CONFIGS:-base ftrace}; do cat "$TOP/configs/$f.config"; done |
		sha1sum | cut -c1-40
}

JOBS=${JOBS:-$(($(nproc) + 1))}
CROSS=${CROSS:-aarch64-linux-gnu-}

# auto_modes SRC: the modes a tree boots in: near, and far too when it
# has the series' forced-far knob (the boot parameter ftrace_tramp_far).
auto_modes() {
	if grep -q 'ftrace_tramp_far' "$1/arch/arm64/kernel/ftrace.c"; then
		echo "near far"
	else
		echo near
	fi
}

# parse_console KERNEL MODE CONSOLE SRC OUT SUBSET FRAGMENT...: turn a guest
# console into OUT (scripts/results.py parse), recording the base package
# and its pin and the shared config hash; SUBSET=1 for a chosen subset of
# the tests, which is not compared with the baseline.
parse_console() {
	local kernel=$1 mode=$2 console=$3 src=$4 out=$5 subset=$6
	shift 6
	local extra=()
	[ "$subset" = 1 ] && extra=(--subset)
	python3 "$TOP/scripts/results.py" parse --kernel "$kernel" --mode "$mode" \
		--console "$console" --src "$src" "${extra[@]}" --out "$out" \
		--base-version "$(cat "$BUILD/src/base.version")" \
		--base-pin "$(cat "$TOP/configs/base-version")" \
		--config-sha1 "$(shared_config_sha1)" --config "$@"
}

# ext_modules SRC OBJ DIR LOG [MAKE ARGUMENT...]: build the modules whose
# sources and Kbuild are in DIR out of tree against the kernel in OBJ, and
# install them beside its own (OBJ/modinstall, with depmod's files).
# EXT_CC: the compiler, when the kernel was not built with gcc.
# compile_unit SRC FILE.c: what the kernel compiles FILE.c as: itself, or
# the .c file of its directory that #includes it (a KUnit suite built into
# the file it tests; kernel/trace/trace_selftest.c, in trace.c)
compile_unit() {
	local inc
	inc=$(grep -l "^#include \"$(basename "$2")\"" "$1/$(dirname "$2")"/*.c 2>/dev/null |
		head -n 1)
	if [ -n "$inc" ]; then
		echo "${inc#"$1/"}"
	else
		echo "$2"
	fi
}

ext_modules() {
	local src=$1 obj=$2 dir=$3 logf=$4
	shift 4
	# Link every .ko again: an external module's .ko does not depend on
	# vmlinux, so one whose source did not change keeps the split BTF it
	# got from an earlier vmlinux, whose type ids the new one no longer
	# matches ("failed to validate module BTF: -22" at load).
	rm -f "$dir"/*.ko
	local mk=(make -C "$src" O="$obj" ARCH=arm64 CROSS_COMPILE=$CROSS LOCALVERSION=
		CC="${EXT_CC:-ccache ${CROSS}gcc}" M="$dir" "$@")
	{ "${mk[@]}" modules && "${mk[@]}" INSTALL_MOD_PATH="$obj/modinstall" \
		INSTALL_MOD_STRIP=1 DEPMOD=/sbin/depmod modules_install; } >"$logf" 2>&1
}

# faultdump_module SRC OBJ NAME [MAKE ARGUMENT...]: build and install
# guest/modules/ftarm_faultdump.ko for the kernel in OBJ (ext_modules; NAME
# names the log). guest/init loads it first: at an oops that an ftrace
# callsite led to, it prints the callsite as memory holds it, so that such
# a fault under test says whether an update missed the callsite.
faultdump_module() {
	local src=$1 obj=$2 name=$3 f
	shift 3
	local mod=$obj/ftarm-faultdump logf=$LOGS/build-$name-faultdump.log
	mkdir -p "$mod"
	for f in ftarm_faultdump.c ftarm_route.h; do
		cmp -s "$TOP/guest/modules/$f" "$mod/$f" || cp "$TOP/guest/modules/$f" "$mod/"
	done
	echo 'obj-m := ftarm_faultdump.o' >"$mod/Kbuild"
	log "ftarm_faultdump.ko for $name (log $logf)"
	ext_modules "$src" "$obj" "$mod" "$logf" W=1 "$@" ||
		die "ftarm_faultdump does not build against $name" "$logf" "fix guest/modules/"
	if grep -m 5 'warning:' "$logf" >&2; then
		die "ftarm_faultdump builds with warnings against $name" "$logf" "fix guest/modules/"
	fi
}
