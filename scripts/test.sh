#!/usr/bin/env bash
# test: everything CI checks.  checkpatch --strict on every patch, the
# series applied and built, the guest booted near: the boot self-tests,
# KUnit and ftracetest through the kselftest runner without the histogram
# cases of test.d/trigger (far mode's trampoline, kprobe and direct cases run on the bti kernel
# below, every call far; make ftracetest-full runs the whole suite in both
# modes); then the comparison with the
# unpatched base; the series built in its other configurations, and the
# BTI one booted (scripts/variants.sh); a short stress round on the debug
# kernel (scripts/stress.sh).  Ends with "N passed, N failed, N skipped".
# Never more than two heavy jobs at once on the two cores: the near guest
# beside the bti build, then the bti guest, then the stress round's far
# guest; the compile checks; the stress round's near guest.
#
# The baseline (the base's own results with the same config) is taken
# from build/results/base-near.json, else from the committed
# baseline/base-near.json when it matches the base version and config,
# else computed here when BASELINE=auto (the default), else skipped with
# a plain warning (BASELINE=skip).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The guest's stages: ftracetest, then fprobe and its return hook through
# the kernel's fprobe sample (guest/probes.sh).
STAGES=${STAGES:-ftracetest,probes}
export PROGRESS_LOG=$LOGS/progress-test.log
: >"$PROGRESS_LOG"
rm -f "$RESULTS"/series-{near,far,bti-far}.json "$RESULTS/checkpatch.json"
# The parser first, on consoles it makes up: a bug in it would otherwise
# show only in the summary, an hour later.
python3 "$TOP/scripts/results.py" selftest >"$LOGS/results-selftest.log" 2>&1 ||
	{ cat "$LOGS/results-selftest.log" >&2; die "scripts/results.py selftest failed: the parser would misread the guests' consoles" \
		"$LOGS/results-selftest.log" "fix scripts/results.py; python3 scripts/results.py selftest checks it in a second"; }
log "test: $(tail -n 1 "$LOGS/results-selftest.log")"
bash "$TOP/scripts/checkpatch.sh"
bash "$TOP/scripts/kernel.sh" series "" build
# The series is applied now; nothing after this applies it again (the bti
# build below runs beside kernel.sh, and two appliers would collide).
export HARNESS_APPLIED=1
# Which variants run (scripts/variants.sh); VARIANTS=none skips them,
# VARIANTS="bti" runs one.
v=${VARIANTS:-all}
[ "$v" = all ] && v=
bti=0
case " ${VARIANTS:-all} " in *" all "* | *" bti "*) bti=1 ;; esac
# The series' guest runs ftracetest near (MODES; far mode, whose cases the
# bti guest runs with every call far, is in make ftracetest-full). Alone
# it takes about 25 minutes here, twice that beside a build: the bti
# variant is built beside it, at the lowest priority (VARIANT_NICE, the
# build only), and its guest then runs at normal priority, beside the
# compile checks at the lowest (variants.sh bti: build, boot, results in
# variants-bti.json and series-bti-far.json). A guest at the lowest
# priority beside a build stalled for 30 s at a time (soft lockups, failed
# irqsoff self-tests); two guests and a build on two cores slowed the
# guests past their timeout.
# The bti kernel is built with configs/bpf.config (BPF, DWARF and BTF) and
# gets the BPF selftests of variants.sh's BTI_BPF_TESTS (ours,
# ftarm_direct, and the trampoline tests quickest to build), which the
# stress round's far guest runs before its churn (the near guest:
# ftarm_direct's exact counts); make bpf-selftests
# runs the longer list on base and series side by side. VARIANT_BPF=0
# leaves BPF out (a shorter run, no BPF result).
export VARIANT_BPF=${VARIANT_BPF:-1}
rm -f "$RESULTS"/variants{,-bti}.json "$RESULTS/series-bti-far.json"
bti_pid='' bti_booted=$BUILD/bti-guest-started bti_done=$BUILD/bti-done
rm -f "$bti_booted" "$bti_done"
if [ "$v" != none ] && [ $bti = 1 ]; then
	log "test: the bti variant, built and booted beside the series' guest (log $LOGS/variants-bti.log)"
	{
		rc=0
		VARIANTS_OUT=$RESULTS/variants-bti.json VARIANT_NICE=19 VARIANT_BOOTED=$bti_booted \
			bash "$TOP/scripts/variants.sh" bti >"$LOGS/variants-bti.log" 2>&1 || rc=$?
		touch "$bti_done"
		exit $rc
	} &
	bti_pid=$!
fi

# A short stress round, near and far (scripts/stress.sh; STRESS=none skips
# it), on the bti variant's kernel when this run built it (clang, BTI,
# lockdep and the other checks of configs/debug.config): no build of its
# own. Without it, on make stress's debug kernel (a build more). Two vCPUs
# a guest. Both guests run their vCPUs on one host thread
# (STRESS_TCG_SINGLE): under QEMU 7.2's multi-threaded TCG, a vCPU can
# keep running a callsite's old BL into a trampoline freed after it was
# rewritten (guest/freeloop.sh, README "QEMU and cross-modified code"),
# which the hot workers of the churn hit.
# Shorter than make stress, to keep make test within its time on two
# cores: 60 s of churn (at least three iterations); the late-call check
# and its ftrace_set_filter() variant 20 rounds (STRESS_LATE_ROUNDS; make
# stress: 40), its other variants 10; ftarm_direct's churn beside the
# churn at most 15 rounds a subtest a run (STRESS_BPF_CHURN_ROUNDS; make
# stress: 60 and 40), so that the run going on when the churn stops ends
# soon after it. All the BPF selftests (test_progs) run first in the far
# guest only (STRESS_BPF_MODES), whose calls go through the veneers and
# the far stubs, the near guest runs ftarm_direct alone (STRESS_BPF_ONLY);
# both without ftarm_direct's churn subtests, which they run beside their
# churn (guest/bpf.sh, STRESS_BPF_EXCLUDE).
# The far guest has a lane of its own, started now: once the bti variant
# is done, beside the series' near guest (or, when the bti guest outlasts
# the near guest, the baseline and the compile checks, as soon as the bti
# guest has started: its kernel, BPF selftests and initramfs are then
# written, VARIANT_BOOTED), it makes the stress modules and initramfs at
# the lowest priority (STRESS_STEP=prepare) and boots. With MODES other
# than near (two series guests), it also waits for those. The near guest
# starts once the near guest of the series, the compile checks, the bti
# variant and the lane's prepare step are done: never more than two guests
# at once. A run that stops early (the series' guest failed, an error,
# an interrupt) stops the lane, and its QEMU with it. Each guest took
# 1100 to 1550 s here (CI's machine is slower): the timeout, a hang
# detector, is 2160 s (STRESS_SLACK). With no bti guest (its build
# failed) the round does not boot whatever older kernel its directory
# holds: it fails.
rm -f "$RESULTS"/stress-*.json
sk=stress
[ "$v" != none ] && [ $bti = 1 ] && sk=series-bti
stress_kernel=${STRESS_KERNEL:-$sk}
stress_env=(STRESS_KERNEL="$stress_kernel" DURATION="${STRESS_DURATION:-60}" STRESS_SUMMARY=0
	STRESS_TCG_SINGLE="${STRESS_TCG_SINGLE-near far}"
	STRESS_BOOT_SELFTESTS="${STRESS_BOOT_SELFTESTS:-0}" LATE_ROUNDS="${STRESS_LATE_ROUNDS:-20}"
	BPF_CHURN_ROUNDS="${STRESS_BPF_CHURN_ROUNDS:-15}" STRESS_BPF_MODES="${STRESS_BPF_MODES-far}"
	STRESS_BPF_ONLY="${STRESS_BPF_ONLY-ftarm_direct}"
	STRESS_BPF_EXCLUDE="${STRESS_BPF_EXCLUDE-ftarm_direct/churn,ftarm_direct/churn_shared,ftarm_direct/modify}"
	GUEST_CPUS="${STRESS_CPUS:-2}" STRESS_SLACK="${STRESS_SLACK:-2100}")
# stress_step STEP MODES [NICENESS]: one step of scripts/stress.sh; a
# mode it leaves without results fails below.
stress_step() {
	env "${stress_env[@]}" STRESS_STEP="$1" MODES="$2" \
		nice -n "${3:-0}" bash "$TOP/scripts/stress.sh" && return 0
	log "test: the stress round's $1 step (${2:-both modes}) failed before its results (see above)"
	return 1
}
far_pid='' near_done=$BUILD/near-guest-done prepared=$BUILD/stress-prepared
far_done=$BUILD/stress-far-lane-done abort=$BUILD/stress-abort
rm -f "$near_done" "$prepared" "$far_done" "$abort"
if [ "${STRESS:-short}" != none ] && [ "$stress_kernel" = series-bti ] && [ -n "$bti_pid" ]; then
	lane_near=0
	[ "${MODES:-near}" = near ] || lane_near=1
	# A process group of its own (set -m), so that an early end of the run
	# stops all of it, QEMU included.
	set -m
	(
		trap 'touch "$far_done"' EXIT
		until [ -f "$abort" ] || { [ $lane_near = 0 ] && [ -f "$bti_done" ]; } ||
			{ [ -f "$bti_booted" ] && [ -f "$near_done" ]; }; do
			sleep 10
		done
		[ ! -f "$abort" ] || exit 0
		# No bti guest (its build failed): the main flow reports it.
		[ -f "$bti_booted" ] || exit 1
		stress_step prepare "" 19 || exit 1
		touch "$prepared"
		[ ! -f "$abort" ] || exit 0
		log "test: the stress round's far guest, once the bti variant is done (or its guest has started and the series' guest, the baseline and the compile checks are done)"
		stress_step boot far
	) </dev/null &
	far_pid=$!
	set +m
	trap 'touch "$abort"; kill -- -"$far_pid" 2>/dev/null || true' EXIT
fi
# The suite takes about 1500 s alone under TCG here, 3000 s beside the
# bti build: the timeout is a hang detector, well above that.
# The histogram and inter-event cases of test.d/trigger (code the series
# does not touch; about a fifth of the suite's time) are left out here,
# and not compared with the baseline: make ftracetest-full runs them. The
# enable/disable_event, filter, snapshot, stacktrace and traceon/off
# trigger cases stay (the series changes the counted enable_event trigger).
SKIP_HIST="trigger/inter-event trigger/trigger-hist.tc trigger/trigger-hist-mod.tc
	trigger/trigger-hist-expressions.tc trigger/trigger-hist-syntax-errors.tc
	trigger/trigger-multihist.tc trigger/trigger-trace-marker-hist.tc
	trigger/trigger-trace-marker-snapshot.tc trigger/trigger-trace-marker-synthetic.tc
	trigger/trigger-trace-marker-synthetic-kernel.tc"
rc_kernel=0
KERNEL_BUILT=1 GUEST_TIMEOUT=${GUEST_TIMEOUT:-4500} FTRACETEST_SKIP=${FTRACETEST_SKIP-$SKIP_HIST} \
	bash "$TOP/scripts/kernel.sh" series "${MODES:-near}" "$STAGES" || rc_kernel=$?
# bti_wait: wait for the bti variant (build and guest) in the background.
bti_wait() {
	[ -n "$bti_pid" ] || return 0
	local rc=0
	wait "$bti_pid" || rc=$?
	# Also when its job was killed before it could say so
	touch "$bti_done"
	if [ $rc = 0 ]; then
		log "test: the bti variant is done (log $LOGS/variants-bti.log)"
	else
		log "test: the bti variant failed before its results (log $LOGS/variants-bti.log)"
		[ -f "$RESULTS/variants-bti.json" ] ||
			echo '{"kernel": "series", "mode": "variants", "results": [{"suite": "variant-build", "name": "bti", "result": "FAIL"}]}' \
				>"$RESULTS/variants-bti.json"
	fi
	bti_pid=
}
if [ $rc_kernel != 0 ]; then
	# No stress round after a failed guest: the lane stops (the EXIT trap).
	touch "$abort"
	bti_wait
	exit $rc_kernel
fi

baseline_ok() { # file
	[ -f "$1" ] && python3 "$TOP/scripts/results.py" baseline-ok "$1" \
		--config-sha1 "$(shared_config_sha1)" \
		--base-version "$(cat "$BUILD/src/base.version")"
}
if baseline_ok "$RESULTS/base-near.json"; then
	log "test: baseline: build/results/base-near.json"
elif baseline_ok "$TOP/baseline/base-near.json"; then
	log "test: baseline: the committed baseline/base-near.json"
	cp "$TOP/baseline/base-near.json" "$RESULTS/base-near.json"
elif [ "${BASELINE:-auto}" = auto ]; then
	log "test: no baseline for this base and config: computing it (make baseline)"
	bash "$TOP/scripts/kernel.sh" base near ftracetest
else
	log "test: WARNING: no baseline for this base and config and BASELINE=${BASELINE}: regressions are NOT checked"
fi
# The configurations the series must also support (scripts/variants.sh).
# The build-only ones are compile checks here (VARIANT_SCOPE=objects: the
# directories the series changes), built once the series' guest is done,
# beside the end of the bti guest or the stress round's far guest; make
# variants builds them whole.
rest=
for n in ${v:-noregs cfi nomodules nofgraph}; do
	[ "$n" = bti ] || rest="$rest $n"
done
if [ "$v" != none ] && [ -n "$rest" ]; then
	# shellcheck disable=SC2086 # a list of names
	VARIANT_SCOPE=${VARIANT_SCOPE:-objects} VARIANT_NICE=19 bash "$TOP/scripts/variants.sh" $rest
fi
touch "$near_done"
if [ "${STRESS:-short}" != none ]; then
	if [ -n "$far_pid" ]; then
		bti_wait
		# Its modules and initramfs, which the far lane makes.
		while [ ! -f "$prepared" ] && [ ! -f "$far_done" ] &&
			kill -0 "$far_pid" 2>/dev/null; do
			sleep 5
		done
		if [ -f "$prepared" ]; then
			stress_step boot near || true
		elif [ ! -f "$bti_booted" ]; then
			log "test: no bti guest ran (see $LOGS/variants-bti.log): no stress round on its kernel"
		fi
		wait "$far_pid" || true
	else
		bti_wait
		if [ "$stress_kernel" = series-bti ] && [ ! -f "$bti_booted" ]; then
			log "test: no bti guest ran (see $LOGS/variants-bti.log): no stress round on its kernel"
		elif stress_step prepare ""; then
			stress_step boot "near far" || true
		fi
	fi
	# A mode with no results failed, whatever the reason.
	for m in near far; do
		[ -f "$RESULTS/stress-$m.json" ] && continue
		echo "{\"kernel\": \"stress\", \"mode\": \"$m\", \"subset\": true, \"results\": [{\"suite\": \"stress\", \"name\": \"round ran ($m)\", \"result\": \"FAIL\"}]}" \
			>"$RESULTS/stress-round-$m.json"
	done
else
	bti_wait
fi
summ=("$RESULTS/checkpatch.json")
for f in series-near series-far variants variants-bti series-bti-far stress-near stress-far stress-round-near stress-round-far; do
	[ -f "$RESULTS/$f.json" ] && summ+=("$RESULTS/$f.json")
done
[ -f "$RESULTS/base-near.json" ] && summ+=("$RESULTS/base-near.json")
rc=0
python3 "$TOP/scripts/results.py" summary --out-md "$RESULTS/summary.md" \
	--baseline "$RESULTS" "${summ[@]}" >"$LOGS/summary.log" || rc=$?
secs=$(($(date +%s) - HARNESS_T0))
label=${TIMING_LABEL:-last}
printf '{"label": "%s", "seconds": %d, "what": "make test, exit %d, %s"}\n' \
	"$label" "$secs" "$rc" "$(nproc) cores" >"$RESULTS/timing-$label.json"
log "test: done in ${secs}s; table in build/results/summary.md"
# The tables and failures, then where the time went (the end of each
# long step, from every script's progress lines), then the count.
head -n -1 "$LOGS/summary.log"
echo "Where the time went (seconds since the start; all in $PROGRESS_LOG):"
grep -E 'done in|timeout after|FAILED|ERROR' "$PROGRESS_LOG" | cut -c1-150 | tail -n 14 | sed 's/^/  /' || true
tail -n 1 "$LOGS/summary.log"
exit $rc
