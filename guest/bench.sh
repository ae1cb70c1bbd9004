#!/bin/sh
# Run the ftrace-ops-bench sample (samples/ftrace/ftrace-ops-bench.c) over
# the matrix given as ftarm.bench=R/I/S,R/I/S,... on the kernel command
# line (relevant ops, irrelevant ops, save_regs), one insmod of
# ftarm.bench_calls timed calls a point; the module prints one
# "ftrace-ops-bench: ..." line a point, which the host reads.  Then the
# static points, an empty BPF fentry program and each kind of probe
# (guest/modules/ftarm_kpbench.c) alone on the sample's function, timed
# by the sample's rerun parameter.  Then time,
# ftarm.bench_reps times, enabling the function tracer on every function
# and disabling it again, between marks written to /dev/kmsg, whose
# timestamps the host reads.  Meant for QEMU -icount, where guest
# nanoseconds count instructions.
. /guest/lib.sh
# The whole boot, ftrace_init() included, which the kernel's timestamps
# miss (they start at time_init()): the counter since reset.
echo "bench: counter at the start of the stage: $(ftarm-cntvct) ns"
matrix=$(cmdline_arg ftarm.bench)
[ -n "$matrix" ] || matrix="1/0/0,1/100/0"
calls=$(cmdline_arg ftarm.bench_calls)
[ -n "$calls" ] || calls=100000
reps=$(cmdline_arg ftarm.bench_reps)
[ -n "$reps" ] || reps=3
rc=0
for point in $(echo "$matrix" | tr ',' ' '); do
	r=${point%%/*} rest=${point#*/}
	i=${rest%%/*} s=${rest#*/}
	if modprobe ftrace-ops-bench nr_relevant="$r" nr_irrelevant="$i" save_regs="$s" \
		nr_calls="$calls"; then
		dmesg | grep 'ftrace-ops-bench: relevant=' | tail -n 1
		rmmod ftrace-ops-bench
	else
		echo "bench: point $point failed"
		dmesg | grep 'ftrace-ops-bench' | tail -n 3
		rc=1
	fi
done

t=/sys/kernel/tracing
# A static single ops: the top-level function tracer (global_ops) on the
# benchmark's function alone, which the module then calls with no ops of
# its own (R=0, I=0). "runtime": the tracer started now, with a trampoline
# where the kernel has them; "notramp": the same with the trampoline
# allocation failed (fail_function on the series' ftrace_tramp_alloc, so
# that it goes through ftrace_caller; the base has no trampolines and runs
# the same as "runtime"). guest/benchboot.sh measures the tracer started
# at boot. The module's load enables the function's callsite; after an
# update like that the series' core calls a single ops from ftrace_caller
# through the list function until a grace period of RCU-tasks has passed
# (patch 1), so the point is timed again a second later (the module's
# rerun parameter), in the steady state.
# Time the benchmark function again once the callsite has settled (see
# static_point) and print the module's line as "bench: WHAT: ...".
rerun_point() { # what
	sleep 1
	if echo "$calls" >/sys/module/ftrace_ops_bench/parameters/rerun; then
		echo "bench: $1: $(dmesg | grep 'ftrace-ops-bench: rerun' | tail -n 1)"
	else
		echo "bench: $1 failed (rerun)"
		rc=1
	fi
}

static_point() { # label
	echo 'bench_traced_func:mod:ftrace_ops_bench' >$t/set_ftrace_filter
	echo function >$t/current_tracer
	if modprobe ftrace-ops-bench nr_relevant=0 nr_irrelevant=0 save_regs=0 \
		nr_calls="$calls"; then
		grep '^bench_traced_func ' $t/enabled_functions
		rerun_point "static $1"
		rmmod ftrace-ops-bench
	else
		echo "bench: static point $1 failed"
		rc=1
	fi
	echo nop >$t/current_tracer
	echo >$t/set_ftrace_filter
}
static_point runtime
ff=/sys/kernel/debug/fail_function
if echo ftrace_tramp_alloc >$ff/inject 2>/dev/null; then
	echo 100 >$ff/probability
	echo -1 >$ff/times
	echo 0 >$ff/verbose
	static_point notramp
	echo >$ff/inject
else
	echo "bench: no ftrace_tramp_alloc to fail: notramp = runtime"
	static_point notramp
fi

# One empty BPF fentry program on the same function (guest/bpf:
# ftarm_bench, in /bpf), timed by the module's rerun parameter once the
# program is attached: "cannot attach" where the kernel has no direct calls
# (the base).
if [ -x /bpf/test_progs ] &&
	modprobe ftrace-ops-bench nr_relevant=0 nr_irrelevant=0 save_regs=0 nr_calls="$calls"; then
	out=$(cd /bpf && FTARM_BENCH_CALLS=$calls ./test_progs -v -t ftarm_bench 2>&1)
	att=$(echo "$out" | sed -n 's/^ftarm_bench: attach: //p' | tail -n 1)
	line=$(dmesg | grep 'ftrace-ops-bench: rerun' | tail -n 1)
	echo "$out" | grep '^ftarm_bench: \(hits\|callsite\)'
	if [ "$att" = 0 ] && [ -n "$line" ] && echo "$out" | grep -q '^#[0-9]* *ftarm_bench:OK'; then
		echo "bench: fentry: $line"
	elif [ -n "$att" ] && [ "$att" != 0 ]; then
		echo "bench: fentry: cannot attach ($att)"
	else
		echo "bench: fentry point failed"
		echo "$out" | tail -n 20
		rc=1
	fi
	rmmod ftrace-ops-bench
else
	echo "bench: fentry point failed (no /bpf/test_progs, or the module did not load)"
	rc=1
fi

# One probe alone on the same function (guest/modules/ftarm_kpbench.c),
# timed by the module's rerun parameter as the fentry point is: a kprobe,
# a kretprobe, an fprobe, and an fprobe with an exit handler too. The
# module prints what serves a kprobe ("[FTRACE]" or "BRK") at load, and
# its hits and misses at removal; a probe that missed calls, or ran in
# fewer calls than were timed, fails the point. "cannot attach" where the
# kernel has no fprobe (the base). The sleep is the static points' (the
# series installs a callsite's trampoline only after a grace period of
# RCU-tasks).
probe_point() { # mode
	if ! modprobe ftrace-ops-bench nr_relevant=0 nr_irrelevant=0 save_regs=0 \
		nr_calls="$calls"; then
		echo "bench: probe $1 failed (ftrace-ops-bench did not load)"
		rc=1
		return
	fi
	if modprobe ftarm_kpbench mode="$1" 2>/tmp/kpbench.err; then
		dmesg | grep "ftarm_kpbench: $1: registered " | tail -n 1
		rerun_point "probe $1"
		if ! rmmod ftarm_kpbench; then
			echo "bench: probe $1 failed (rmmod ftarm_kpbench)"
			rc=1
		fi
		out=$(dmesg | grep "ftarm_kpbench: $1: unregistered " | tail -n 1)
		echo "$out"
		hits=$(echo "$out" | sed -n 's/.* hits=\([0-9]*\).*/\1/p')
		missed=$(echo "$out" | sed -n 's/.* missed=\([0-9]*\).*/\1/p')
		if [ -z "$hits" ] || [ "$hits" -lt "$calls" ] || [ "$missed" != 0 ]; then
			echo "bench: probe $1 failed (hits '$hits' for $calls calls, missed '$missed')"
			rc=1
		fi
	else
		why=$(dmesg | sed -n "s/.*ftarm_kpbench: $1: cannot attach: //p" | tail -n 1)
		if [ -n "$why" ]; then
			echo "bench: probe $1: cannot attach ($why)"
		else
			echo "bench: probe $1 failed (ftarm_kpbench did not load)"
			cat /tmp/kpbench.err
			dmesg | grep 'ftarm_kpbench' | tail -n 3
			rc=1
		fi
	fi
	if ! rmmod ftrace-ops-bench; then
		echo "bench: probe $1 failed (rmmod ftrace-ops-bench)"
		rc=1
	fi
}
for mode in kprobe kretprobe fprobe fprobe_exit; do
	probe_point $mode
done

# The enable and disable times (guest/benchenable.sh), last: it exits with
# $rc.
. /guest/benchenable.sh
