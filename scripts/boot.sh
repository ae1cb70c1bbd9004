#!/usr/bin/env bash
# boot: boot one kernel under QEMU (-M virt -cpu max, KASLR on: QEMU puts
# a kaslr-seed in the device tree), run the guest stages named by RUN and
# keep the whole console in build/logs.  Fails on a guest that does not
# reach "@@FTARM done" within TIMEOUT seconds (a hang) or that panics,
# showing the tail of the console.
# usage: boot.sh NAME MODE RUN [TIMEOUT]
#   NAME: the build (build/obj/NAME), MODE: near or far, RUN: stages.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

name=$1 mode=$2 run=$3 timeout=${4:-${GUEST_TIMEOUT:-3000}}
obj=$BUILD/obj/$name
console=$LOGS/console-$name-$mode-${run//,/+}.log
image=$obj/arch/arm64/boot/Image
[ -f "$image" ] || die "no kernel image $image" "" "make build"
[ -f "$obj/initramfs.cpio" ] || die "no initramfs for $name" "" "make build"

append="console=ttyAMA0 panic=-1 ftarm.run=$run"
# A subset of ftracetest (paths under test.d, separated by blanks or ':').
[ -n "${FTRACETEST:-}" ] && append="$append ftarm.tests=$(echo $FTRACETEST | tr ' ' ':')"
# Cases and directories of test.d that the ftracetest run leaves out.
[ -n "${FTRACETEST_SKIP:-}" ] && append="$append ftarm.skip=$(echo $FTRACETEST_SKIP | tr ' ' ':')"
# The benchmark matrix for guest/bench.sh: R/I/S points, comma separated.
[ -n "${BENCH:-}" ] && append="$append ftarm.bench=$BENCH"
# Anything else for the kernel command line (make bench: nokaslr).
[ -n "${BOOT_EXTRA:-}" ] && append="$append $BOOT_EXTRA"
case $mode in
near) ;;
far) append="$append ${FAR_CMDLINE:-ftrace_tramp_far=1}" ;;
*) die "unknown mode $mode (near or far)" ;;
esac
extra=()
[ -n "${QEMU_ICOUNT:-}" ] && extra+=(-icount "$QEMU_ICOUNT")
# TCG=single: every vCPU on one host thread (QEMU's default for -smp N is
# a thread a vCPU).  QEMU 7.2's multi-threaded TCG can keep running a stale
# translation of code that one vCPU writes while another translates it
# (README, "QEMU and cross-modified code"); the guest is told (ftarm.tcg=single) so that the tests
# that this hits run only there.
case ${TCG:-multi} in
multi) ;;
single) extra+=(-accel "tcg,thread=single"); append="$append ftarm.tcg=single" ;;
*) die "TCG must be multi or single, not '$TCG'" ;;
esac
# More QEMU options, words separated by blanks (-d, -trace ...; for one
# host thread use TCG=single above, which also tells the guest).
# shellcheck disable=SC2206 # split on purpose
[ -n "${QEMU_EXTRA:-}" ] && extra+=($QEMU_EXTRA)

log "boot: $name ($mode${TCG:+, TCG $TCG}${QEMU_ICOUNT:+, -icount $QEMU_ICOUNT}): running '$run' (timeout ${timeout}s, console $console)"
: >"$console"
qemu-system-aarch64 -M virt,gic-version=3 -cpu max,pauth-impdef=on \
	-smp "${GUEST_CPUS:-2}" -m "${GUEST_MEM:-2G}" -nic none -display none \
	-no-reboot -monitor none -serial "file:$console" \
	-kernel "$image" -initrd "$obj/initramfs.cpio" -append "$append" \
	"${extra[@]}" </dev/null >"$LOGS/qemu-$name-$mode-${run//,/+}.log" 2>&1 &
qpid=$!
t0=$(date +%s) last=$t0 verdict=
while kill -0 $qpid 2>/dev/null; do
	sleep 2
	now=$(date +%s)
	if grep -q '^@@FTARM done' "$console"; then
		# The guest powers off by itself; give it a moment.
		sleep 3
		break
	fi
	if grep -q 'Kernel panic - not syncing' "$console"; then
		sleep 2; verdict=panic; break
	fi
	if [ $((now - t0)) -ge "$timeout" ]; then
		verdict=timeout; break
	fi
	if [ $((now - last)) -ge 60 ]; then
		last=$now
		# ftracetest's "[N] case" lines, prefixed "# " under the kselftest
		# runner.
		cur=$(grep -a -E '^(# )?\[[0-9]+\]|^@@FTARM begin|^stress' "$console" | tail -n 1 | cut -c1-70 || true)
		log "boot: $name ($mode, $run): $((now - t0))s: ${cur:-booting}"
	fi
done
kill $qpid 2>/dev/null || true
wait $qpid 2>/dev/null || true
if [ -z "$verdict" ] && ! grep -q '^@@FTARM done' "$console"; then
	verdict="exit before the end (see $LOGS/qemu-$name-$mode-${run//,/+}.log)"
fi
if [ -n "$verdict" ]; then
	echo "---- console tail ----" >&2
	tail -n 30 "$console" >&2
	die "guest $name ($mode, $run): $verdict after $(($(date +%s) - t0))s" "$console" \
		"GUEST_TIMEOUT=<s> for a longer limit; the last test line above is where it stopped"
fi
log "boot: $name ($mode, $run): guest done in $(($(date +%s) - t0))s"
