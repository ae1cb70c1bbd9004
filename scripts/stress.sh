#!/usr/bin/env bash
# stress: make stress, and the short round of make test.  Builds the
# series with the debug configuration (configs/debug.config: lockdep,
# DEBUG_LIST, DEBUG_ATOMIC_SLEEP, the hang detectors, fail_function; and
# configs/stress.config: generic KASAN) and the test modules of
# guest/modules against it, boots it with
# GUEST_CPUS (default 4) vCPUs in near and forced-far mode side by side,
# and runs guest/stress.sh for DURATION seconds in each.  Results go to
# build/results/stress-MODE.json: each check of the guest, the boot
# self-tests, KUnit and the kernel log (any warning, KASAN report, lockdep
# splat, RCU stall or hang fails).
#   DURATION  seconds of churn a guest (default 300)
#   LATE_ROUNDS  rounds of the late-call check and of its
#             ftrace_set_filter() variant (default 40; its PID variant half)
#   MODES     "near far" (default), or one of them
#   STRESS_TCG_SINGLE  the modes whose guest runs under TCG=single
#             (default "far"; "" for none)
#   STRESS_KERNEL  "stress" (default: the debug kernel above), or
#             "series-bti": the bti variant that scripts/variants.sh built
#             (clang, BTI, configs/debug.config, no KASAN), as make test
#             does so that its short round costs no kernel build of its own;
#             built with configs/bpf.config (not in make test), that kernel
#             has the BPF selftests (scripts/bpf-selftests.sh), which each
#             guest runs first (guest/bpf.sh: test_progs, with
#             our ftarm_direct attach/detach churn), then the churn
#   STRESS_BPF_MODES  the modes whose guest runs all those selftests first
#             (default: every mode); the others run those of
#             STRESS_BPF_ONLY (ftarm.bpf=..., default: none, no BPF stage);
#             each guest with test_progs runs ftarm_direct's churn beside
#             its own churn (guest/stress.sh)
#   STRESS_BPF_EXCLUDE  test_progs tests or subtests the bpf stage leaves
#             out, comma-separated (ftarm.bpf_exclude)
#   BPF_CHURN_ROUNDS  at most this many rounds a subtest in each run of
#             ftarm_direct's churn beside the churn (default: the test's)
#   STRESS_STEP  all (default); prepare: the kernel, the test modules and
#             the initramfs only; boot: the guests of MODES on what a
#             prepare step made (make test starts its guests one at a time)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

secs=${DURATION:-300}
modes=${MODES:-near far}
case $secs in ''|*[!0-9]*) die "DURATION must be a number of seconds, not '$secs'" ;; esac

step=${STRESS_STEP:-all}
case $step in all | prepare | boot) ;; *) die "STRESS_STEP must be all, prepare or boot, not '$step'" ;; esac
[ "$step" != all ] || rm -f "$RESULTS"/stress-*.json
[ "$step" = boot ] || bash "$TOP/scripts/apply.sh"
kname=${STRESS_KERNEL:-stress} label=stress
src=$BUILD/src/series obj=$BUILD/obj/$kname
frags=()
case $kname in
stress)
	for f in ${CONFIGS:-base ftrace} series debug stress; do frags+=("$TOP/configs/$f.config"); done
	if [ "$step" != boot ]; then
		bash "$TOP/scripts/config.sh" "$src" "$obj" "${frags[@]}"
		bash "$TOP/scripts/build.sh" "$src" "$obj"
	fi
	;;
series-bti)
	for f in ${CONFIGS:-base ftrace} series debug; do frags+=("$TOP/configs/$f.config"); done
	# configs/bpf.config unless make test built it without (VARIANT_BPF=0)
	grep -q '^CONFIG_DEBUG_INFO_BTF=y' "$obj/.config" 2>/dev/null && frags+=("$TOP/configs/bpf.config")
	frags+=("$TOP/configs/variants/bti.config")
	[ -f "$obj/arch/arm64/boot/Image" ] ||
		die "no bti variant kernel in $obj" "" "make variants VARIANTS=bti"
	for o in PROVE_LOCKING FAIL_FUNCTION ARM64_BTI_KERNEL; do
		grep -q "^CONFIG_$o=y" "$obj/.config" ||
			die "the kernel in $obj lacks CONFIG_$o (configs/debug.config)" "" "make variants VARIANTS=bti"
	done
	export EXT_CC="ccache clang"
	label=stress-bti
	;;
*) die "STRESS_KERNEL must be stress or series-bti, not '$kname'" ;;
esac

# The test modules, built out of tree in a copy (Kbuild writes next to the
# sources) and installed with the kernel's modules.
mod=$obj/ftarm-modules logf=$LOGS/build-stress-modules.log
if [ "$step" != boot ]; then
	mkdir -p "$mod"
	for f in "$TOP"/guest/modules/*; do
		cmp -s "$f" "$mod/${f##*/}" || cp "$f" "$mod/"
	done
	log "stress: building guest/modules (log $logf)"
	ext_modules "$src" "$obj" "$mod" "$logf" W=1 ${EXT_CC:+LLVM=1} || {
		grep -m 10 -E 'error:|warning:' "$logf" >&2 || tail -n 20 "$logf" >&2
		die "the stress test modules do not build" "$logf" "fix guest/modules/"
	}
	grep -q 'warning:' "$logf" && {
		grep -m 10 'warning:' "$logf" >&2
		die "the stress test modules build with warnings" "$logf" "fix guest/modules/"
	}
	bash "$TOP/scripts/initramfs.sh" "$src" "$obj"
fi
[ "$step" != prepare ] || exit 0
if [ ! -f "$mod/ftarm_stress.ko" ] || [ ! -f "$obj/initramfs.cpio" ]; then
	die "no stress modules or initramfs in $obj" "" "run the prepare step first (STRESS_STEP=prepare)"
fi
# bpf_all MODE: whether MODE's guest runs all the BPF selftests.
bpf_all() {
	[[ " ${STRESS_BPF_MODES-$modes} " == *" $1 "* ]]
}
# run_of MODE: the stages of MODE's guest: the BPF selftests first where
# the kernel has them and MODE runs all of them or STRESS_BPF_ONLY's.
run_of() {
	if [ -d "$obj/bpf/guest" ] && { bpf_all "$1" || [ -n "${STRESS_BPF_ONLY:-}" ]; }; then
		echo bpf,stress
	else
		echo stress
	fi
}

# Boot, self-tests (a KASAN and lockdep kernel under TCG is slow) and the
# checks after the churn: allow well beyond the churn itself.
timeout=$((secs + ${STRESS_SLACK:-1500}))
export GUEST_CPUS=${GUEST_CPUS:-4} BOOT_EXTRA="ftarm.stress_secs=$secs"
# LATE_ROUNDS: rounds of the late-call checks (guest/stress.sh, default 40).
case ${LATE_ROUNDS:-} in
'') ;;
*[!0-9]*) die "LATE_ROUNDS must be a number, not '$LATE_ROUNDS'" ;;
*) BOOT_EXTRA="$BOOT_EXTRA ftarm.late_rounds=$LATE_ROUNDS" ;;
esac
case ${BPF_CHURN_ROUNDS:-} in
'') ;;
*[!0-9]* | 0) die "BPF_CHURN_ROUNDS must be a number from 1, not '$BPF_CHURN_ROUNDS'" ;;
*) BOOT_EXTRA="$BOOT_EXTRA ftarm.bpf_churn_rounds=$BPF_CHURN_ROUNDS" ;;
esac
[ -z "${STRESS_BPF_EXCLUDE:-}" ] || BOOT_EXTRA="$BOOT_EXTRA ftarm.bpf_exclude=$STRESS_BPF_EXCLUDE"
# STRESS_BOOT_SELFTESTS=0 (make test, whose other guests run them): no
# boot-time ftrace self-tests, about a minute of each boot of a lockdep
# kernel under TCG. An empty trace_event= turns them off as any boot-time
# tracing does ("Ftrace startup test is disabled due to running event
# tracing") and enables no event.
[ "${STRESS_BOOT_SELFTESTS:-1}" = 1 ] || BOOT_EXTRA="$BOOT_EXTRA trace_event="
log "stress: $secs s of churn in each of: $modes ($GUEST_CPUS vCPUs)"
pids=()
# The guests of STRESS_TCG_SINGLE (default: far) run all their vCPUs on one
# host thread (scripts/boot.sh TCG=single), where ftarm_direct's
# attach/detach churn runs: QEMU's multi-threaded TCG can keep a stale
# translation of a callsite patched under it (README, "QEMU and
# cross-modified code").
for m in $modes; do
	run=$(run_of "$m")
	rm -f "$RESULTS/stress-$m.json" "$LOGS/console-$kname-$m-${run//,/+}.log"
	extra=$BOOT_EXTRA
	bpf_all "$m" || [ -z "${STRESS_BPF_ONLY:-}" ] || extra="$extra ftarm.bpf=$STRESS_BPF_ONLY"
	BOOT_EXTRA=$extra TCG=$(tcg_mode "$m" "${STRESS_TCG_SINGLE-far}") \
		bash "$TOP/scripts/boot.sh" "$kname" "$m" "$run" "$timeout" &
	pids+=($!)
done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
for m in $modes; do
	run=$(run_of "$m")
	console=$LOGS/console-$kname-$m-${run//,/+}.log
	[ -f "$console" ] || continue
	grep -a -E '^stress: (churn|FAIL|PASS|SKIP)' "$console" | tr -d '\r' | sed "s/^/  $m: /"
	parse_console "$label" "$m" "$console" "$src" "$RESULTS/stress-$m.json" 1 "${frags[@]}"
done
[ $fail = 0 ] || log "stress: a guest did not finish (see above); its results say what ran"
for m in $modes; do
	[ -f "$RESULTS/stress-$m.json" ] || die "no stress results for $m (see above)"
done
# make test summarises these with everything else (STRESS_SUMMARY=0).
[ "${STRESS_SUMMARY:-1}" = 1 ] || exit 0
jsons=()
for m in $modes; do
	[ -f "$RESULTS/stress-$m.json" ] && jsons+=("$RESULTS/stress-$m.json")
done
[ ${#jsons[@]} -gt 0 ] || die "no stress results (see above)"
python3 "$TOP/scripts/results.py" summary --out-md "$RESULTS/stress.md" "${jsons[@]}"
