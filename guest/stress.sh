#!/bin/sh
# Stress of ftrace live patching and trampoline freeing (make stress, and
# the short round of make test), on the debug kernel (configs/stress).
#
# For ftarm.stress_secs seconds (default 60), while one kernel thread a CPU
# calls the hot functions of ftarm_stress.ko and one shell a CPU makes
# system calls:
#   checkers  count, per instance, the events of a counted function against
#             the calls made (the module counts them): any lost or stray
#             event fails.  One checker has an instance of its own, one
#             shares its function between three instances (a set
#             trampoline of three ops, whose set the churn's instances
#             change as they come and go on the same function);
#   churn     restarts the tracer of an instance with disjoint, overlapping
#             and empty filters, creates and removes instances, changes the
#             filter of a live instance, switches the top-level tracer
#             between function, function_graph and nop, and loads and
#             unloads ftarm_victim.ko while an instance traces it (its
#             events counted exactly too);
#   kprobe-churn  makes, enables and removes a kprobe and a kretprobe on a
#             counted function that the churn's instances also trace, the
#             events of both counted against the calls made;
#   bpf-churn with test_progs in the guest (the BPF kernel) and TCG=single,
#             runs ftarm_direct's churn, churn_shared and modify again and
#             again: BPF direct calls attached and detached, shared with
#             an instance and replaced, with every call counted exactly
#             (at most ftarm.bpf_churn_rounds rounds a subtest a run, when
#             given: a shorter run ends sooner after the churn stops).
# Before that, the callsites of a kernel and a module function must lead to
# their instance's trampoline, through the veneer in forced-far mode
# (route), also for a veneer at page offset 0xff8/0xffc (erratum-843419),
# and a fault-injection pass makes the trampoline allocation fail
# (fail_function on ftrace_tramp_alloc): the instance must work through
# the shared trampoline with exact events, the log must say so, and no
# trampoline may be left allocated.  After it, a tight loop of filter
# writes checks that none is followed by a call of a function it took out
# (late-call), nothing may stay enabled and the number of trampolines
# must be back where it started.  ftarm_single.ko parks threads in
# ftrace_caller before its call (a kprobe and an irq_work) and checks that
# none left there by an update calls the single static ops' function that
# ftrace_call gets next: while another ops comes and goes on their function
# (single), while the top-level filter drops it (single-shrink), and after
# a set_ftrace_pid write gave the ops a trampoline (single-pid).  Then
# ftarm_kick.ko checks that every CPU takes an IPI between the last write of
# an update and the wait for tasks before a trampoline is freed (direct
# calls too, with the ftrace-direct sample).  Then guest/pidwait.sh
# (ftarm_pid.ko) checks that a set_ftrace_pid or set_ftrace_notrace_pid
# write waits for a task parked past its PID test.  Then
# ftarm_tplprobe.ko checks that no kprobe can be placed on the trampoline
# templates, which every new trampoline copies.  Last,
# ftarm_orphan.ko shuts ftrace down as ftrace_bug() does and checks that an
# ops unregistered then stops being called from the trampoline that its
# callsite still leads to (the trampoline is orphaned, not freed).
#
# Every check prints "stress: PASS: NAME ..." or "stress: FAIL: NAME ...",
# which scripts/results.py records; the kernel log is checked on the host.
. /guest/lib.sh
T=/sys/kernel/tracing
D=/sys/kernel/debug/ftarm_stress
FI=/sys/kernel/debug/fail_function
secs=$(cmdline_arg ftarm.stress_secs)
[ -n "$secs" ] || secs=60
ncpu=$(nproc)
W=/tmp/stress
rm -rf $W
mkdir -p $W

pass() { echo "stress: PASS: $*"; }
fail() { echo "stress: FAIL: $*"; echo "$*" >>$W/failed; }
# skip NAME: REASON: a check this run was asked not to make (counted, shown)
skip() { echo "stress: SKIP: $*"; }

# Trampolines currently allocated: /proc/vmallocinfo names the caller of
# module_alloc(), which for a trampoline is ftrace_tramp_alloc().
tramps() { grep -c 'ftrace_tramp_alloc' /proc/vmallocinfo; }
# tramps_settled N: wait up to 30 s for the number of trampolines to be N:
# a set trampoline that no callsite leads to any more is freed by a work
# item after a grace period of RCU-tasks, not by the change that left it.
tramps_settled() {
	n=0
	while [ "$(tramps)" != "$1" ] && [ $n -lt 60 ]; do
		sleep 0.5
		n=$((n + 1))
	done
	[ "$(tramps)" = "$1" ]
}
# unloaded MODULE: MODULE is not loaded (unloaded now if it was)
unloaded() { ! grep -q "^$1 " /proc/modules || modprobe -r "$1"; }
# tasks_stack PID: the kernel stack of PID, on one line
tasks_stack() {
	sed 's/^\[<[0-9a-f]*>\] //' "/proc/$1/stack" 2>/dev/null | tr '\n' ' '
}
# waiting_for_tasks PID: PID sleeps in a wait for an RCU-tasks grace period
waiting_for_tasks() { grep -q synchronize_rcu_tasks "/proc/$1/stack" 2>/dev/null; }
# within10 FILE: wait up to 10 s for FILE; the tenths of a second it took
# in $n
within10() {
	n=0
	while [ ! -f "$1" ] && [ $n -lt 100 ]; do
		usleep 100000
		n=$((n + 1))
	done
	[ -f "$1" ]
}
# bg_within10 FILE CMD...: run CMD in the background (its PID in bg_pid),
# its exit status into FILE; true if that came within 10 s (as within10)
bg_within10() {
	bg_f=$1
	shift
	rm -f "$bg_f"
	{
		"$@" >/dev/null
		echo $? >"$bg_f"
	} &
	bg_pid=$!
	within10 "$bg_f"
}

# count_check NAME INST FUNC EXPECTED: the events in instance INST (a
# directory) must be exactly EXPECTED calls of FUNC, and nothing else.
count_check() {
	name=$1 inst=$2 func=$3 expected=$4
	seen=$(grep -c ": $func <-" "$inst/trace")
	stray=$(grep -v '^#' "$inst/trace" | grep -vc ": $func <-")
	lost=$(cat "$inst"/per_cpu/cpu*/stats | awk '/^overrun:/ { n += $2 } END { print n + 0 }')
	if [ "$seen" = "$expected" ] && [ "$stray" = 0 ] && [ "$lost" = 0 ]; then
		return 0
	fi
	fail "$name: expected $expected events of $func, seen $seen, stray $stray, overrun $lost"
	grep -v '^#' "$inst/trace" | grep -v ": $func <-" | head -n 3
	return 1
}

# calls K: how many times ftarm_counted_K() has been called.
calls() { awk -v k="$1" '{ print $(k + 1) }' $D/calls; }

# counted_round NAME K N CPU INST...: clear the instances, call
# ftarm_counted_K() N times on CPU, check every instance saw exactly those.
counted_round() {
	name=$1 k=$2 n=$3 cpu=$4
	shift 4
	for i in "$@"; do
		echo 0 >"$i/tracing_on"
		: >"$i/trace"
		echo 1 >"$i/tracing_on"
	done
	before=$(calls "$k")
	taskset -c "$cpu" sh -c "echo '$k $n' >$D/call" || fail "$name: call failed"
	after=$(calls "$k")
	ok=0
	for i in "$@"; do
		echo 0 >"$i/tracing_on"
		count_check "$name" "$i" "ftarm_counted_$k" $((after - before)) || ok=1
	done
	[ $((after - before)) = "$n" ] || { fail "$name: $((after - before)) calls, not $n"; ok=1; }
	return $ok
}

mkinst() { # NAME FILTER...: an instance tracing FILTER, tracing off
	i=$T/instances/$1
	shift
	mkdir "$i" || return 1
	echo 0 >"$i/tracing_on"
	echo 2048 >"$i/buffer_size_kb"
	echo "$*" >"$i/set_ftrace_filter" || return 1
	echo function >"$i/current_tracer"
}

# Enabling every callsite on this kernel (KASAN, lockdep, emulated) holds
# ftrace_lock for up to a minute, more on a loaded host: report a task
# blocked for 5 minutes, not 2.  A real deadlock is still reported, and
# the host's timeout catches a guest that never ends.
echo 300 >/proc/sys/kernel/hung_task_timeout_secs

if ! modprobe ftarm_stress; then
	fail "setup: cannot load ftarm_stress"
	exit 1
fi

# ---- the callsite slots are read-only, as text is ----------------------
# ftarm_stress decodes the veneer before a kernel and a module function and
# tries a plain store to its slot (see guest/modules/ftarm_stress.c).
slots=$(cat $D/slots 2>/dev/null | tr '\n' ' ')
case "$slots" in
"kernel read-only module read-only ") pass "slots-read-only: $slots" ;;
*) fail "slots-read-only: want the kernel's and the module's slots read-only, got: ${slots:-nothing}" ;;
esac

# ---- a callsite leads to its trampoline, through the veneer when far ----------
# An instance traces a kernel function and one of ftarm_stress; the module
# decodes each callsite's BL (and the veneer's slot when the BL goes to the
# veneer) and the result must be the trampoline that enabled_functions
# shows. Forced far (ftrace_tramp_far=1): through the veneer, both of them.
# Near: straight there when the BL reaches, else the veneer (the module
# region may be placed 2 GiB from the kernel, RANDOMIZE_MODULE_REGION_FULL),
# from the distance between the function (kallsyms) and the trampoline.
# reach FUNC TRAMP: "direct" when a BL at FUNC reaches TRAMP (+/-128 MiB),
# "veneer" when it does not, "either" within 64 KiB of the limit (the BL
# is a few bytes into FUNC).
reach() {
	a=$(awk -v f="$1" '$3 == f { print $1; exit }' /proc/kallsyms)
	[ -n "$a" ] || { echo unknown; return; }
	d=$(($2 - 0x$a))
	[ $d -ge 0 ] || d=$((-d))
	if [ $d -lt $((0x8000000 - 0x10000)) ]; then
		echo direct
	elif [ $d -gt $((0x8000000 + 0x10000)) ]; then
		echo veneer
	else
		echo either
	fi
}
if mkinst route 'wake_up_process ftarm_counted_0'; then
	tk=$(sed -n 's/^wake_up_process .*tramp: \(0x[0-9a-f]*\) .*/\1/p' $T/enabled_functions)
	tm=$(sed -n 's/^ftarm_counted_0 .*tramp: \(0x[0-9a-f]*\) .*/\1/p' $T/enabled_functions)
	got=$(cat $D/route | tr '\n' ' ')
	echo nop >$T/instances/route/current_tracer
	rmdir $T/instances/route || fail "route: cannot remove instance route"
	if [ "$(cmdline_arg ftrace_tramp_far)" = 1 ]; then
		want="kernel veneer $tk module veneer $tm "
	else
		want="kernel $(reach wake_up_process "$tk") $tk module $(reach ftarm_counted_0 "$tm") $tm "
		# Within 64 KiB of the BL's limit either way: either answer.
		case $want in
		*either*)
			for r in "direct $tk" "veneer $tk"; do
				for q in "direct $tm" "veneer $tm"; do
					[ "$got" = "kernel $r module $q " ] && want=$got
				done
			done
			;;
		esac
	fi
	if [ -n "$tk" ] && [ -n "$tm" ] && [ "$got" = "$want" ]; then
		pass "route: $got"
	else
		fail "route: the callsites lead to '$got', the trampolines are kernel '$tk' module '$tm'"
	fi
	got=$(cat $D/route | tr '\n' ' ')
	[ "$got" = "kernel nop module nop " ] && pass "route-off: $got" ||
		fail "route-off: once the instance is gone, the callsites lead to '$got', not nop"
else
	fail "route: cannot set up instance route"
fi

# ---- a veneer at any page offset (Cortex-A53 erratum 843419) -------------------
# With ARM64_ERRATUM_843419 (configs/series.config, as in defconfig), a
# veneer whose ADRP sits at page offset 0xff8 or 0xffc (the function's
# address ends in 004 or 008) has its slot like any other (the veneer is no
# erratum sequence): forced far, such a callsite leads through it. The
# first such kernel function that ftrace can trace is checked.
# Kernel text symbols at such an address whose name is unique, then the
# first of them that ftrace can trace.
awk 'NF == 3 { n[$3]++ } NF == 3 && $2 ~ /^[tT]$/ && $1 ~ /(004|008)$/ { a[$3] = $1 }
	END { for (f in a) if (n[f] == 1) print f, a[f] }' /proc/kallsyms >$W/e843419
awk '{ print $1 }' $W/e843419 >$W/e843419.names
e_fn=
[ -s $W/e843419.names ] &&
	e_fn=$(grep -Fx -f $W/e843419.names $T/available_filter_functions | head -n 1)
e_addr=$(awk -v f="$e_fn" '$1 == f { print $2 }' $W/e843419)
if [ -z "$e_fn" ]; then
	fail "erratum-843419: no traceable kernel function at page offset 0x004/0x008 in this build"
elif mkinst erratum "$e_fn"; then
	te=$(sed -n "s/^$e_fn .*tramp: \(0x[0-9a-f]*\) .*/\1/p" $T/enabled_functions)
	echo "$e_addr" >$D/route
	got=$(grep '^at ' $D/route)
	echo nop >$T/instances/erratum/current_tracer
	rmdir $T/instances/erratum || fail "erratum-843419: cannot remove instance erratum"
	case "$(cmdline_arg ftrace_tramp_far)/$got" in
	"1/at veneer $te"|"/at veneer $te"|"/at direct $te") ok=1 ;;
	*) ok= ;;
	esac
	if [ -n "$te" ] && [ -n "$ok" ]; then
		pass "erratum-843419: $e_fn, its veneer at page offset 0x$(printf %x $(((0x$e_addr - 12) & 0xfff))), leads to its trampoline: ${got#at }"
	else
		fail "erratum-843419: $e_fn at $e_addr leads to '$got', its trampoline is '$te'"
	fi
else
	fail "erratum-843419: cannot trace $e_fn in an instance"
fi

# ---- warm-up: a static ops' trampoline lives as long as its registration --
# The top-level tracers use static ops (global_ops, the graph ops): each
# registration gets a trampoline, and unregistering frees it after
# RCU-tasks, so none is left once the tracer is nop.
echo 'ftarm_hot_2 ftarm_counted_1' >$T/set_ftrace_filter
t_static=
for t in function function_graph; do
	echo $t >$T/current_tracer
	t_static="$t_static $(tramps)"
done
echo nop >$T/current_tracer
echo 0 >$T/tracing_on
tramps0=$(tramps)
echo "stress: $ncpu cpus, $secs s, $tramps0 trampolines after warm-up"
case "$t_static $tramps0" in
" 1 1 0") pass "static-ops: a trampoline a registration (function, function_graph), none after nop" ;;
*) fail "static-ops: trampolines with function, function_graph, nop:$t_static $tramps0 (want 1 1 0)" ;;
esac

# ---- fault injection: no trampoline, the shared path works -------------
if [ -d $FI ]; then
	echo ftrace_tramp_alloc >$FI/inject
	echo 100 >$FI/probability
	echo -1 >$FI/times
	echo 0 >$FI/verbose
	before=$(dmesg | grep -c 'ftrace: no trampoline for')
	mkinst fi ftarm_counted_3 || fail "faultinject: cannot set up the instance"
	after=$(dmesg | grep -c 'ftrace: no trampoline for')
	if [ "$after" -gt "$before" ]; then
		pass "faultinject-message: the log says: $(dmesg | grep 'ftrace: no trampoline for' | tail -n 1)"
	else
		fail "faultinject-message: no 'ftrace: no trampoline for' in the kernel log"
	fi
	line=$(grep '^ftarm_counted_3 ' $T/enabled_functions)
	case $line in
	*tramp:*) fail "faultinject-fallback: a trampoline despite the failure: $line" ;;
	'') fail "faultinject-fallback: ftarm_counted_3 is not enabled" ;;
	*) counted_round faultinject-fallback 3 500 0 $T/instances/fi &&
		pass "faultinject-fallback: 500 events exact through ftrace_caller: $line" ;;
	esac
	tramps_settled "$tramps0" && pass "faultinject-noleak: $(tramps) trampolines" ||
		fail "faultinject-noleak: $(tramps) trampolines, $tramps0 before"
	echo >$FI/inject
	# The next registration gets its trampoline.
	echo nop >$T/instances/fi/current_tracer
	echo function >$T/instances/fi/current_tracer
	line=$(grep '^ftarm_counted_3 ' $T/enabled_functions)
	case $line in
	*tramp:*) counted_round faultinject-recovery 3 500 $((ncpu - 1)) $T/instances/fi &&
		pass "faultinject-recovery: 500 events exact through the trampoline: $line" ;;
	*) fail "faultinject-recovery: no trampoline once allocation works: $line" ;;
	esac
	rmdir $T/instances/fi || fail "faultinject: cannot remove the instance"
	tramps_settled "$tramps0" && pass "faultinject-freed: $(tramps) trampolines" ||
		fail "faultinject-freed: $(tramps) trampolines, $tramps0 before"
else
	fail "faultinject: no $FI (CONFIG_FAIL_FUNCTION)"
fi

# ---- load -----------------------------------------------------------------
echo 1 >$D/workers || fail "setup: cannot start the worker threads"
cpu=0
while [ $cpu -lt "$ncpu" ]; do
	taskset -c $cpu sh -c "while [ ! -f $W/stop ]; do read -r x </proc/loadavg; done" &
	cpu=$((cpu + 1))
done

# ---- checkers ---------------------------------------------------------------
# checker NAME K N INST...: counted rounds on every CPU in turn until stop.
checker() {
	name=$1 k=$2 n=$3
	shift 3
	it=0 bad=0
	while [ ! -f $W/stop ]; do
		counted_round "$name" "$k" "$n" $((it % ncpu)) "$@" || bad=$((bad + 1))
		it=$((it + 1))
	done
	echo "$name $it $bad $((it * n * $#))" >"$W/checker-$name"
}
mkinst chk0 ftarm_counted_0 || fail "setup: instance chk0"
mkinst chkA ftarm_counted_1 || fail "setup: instance chkA"
mkinst chkB 'ftarm_counted_1 ftarm_counted_2' || fail "setup: instance chkB"
mkinst chkC ftarm_counted_1 || fail "setup: instance chkC"
# Where the kernel has set trampolines (see ftrace_set_trampolines_supported
# in ftracetest), the three instances' callsite leads to one.
if grep -q ' [Tt] arch_ftrace_set_tramp_create$' /proc/kallsyms; then
	line=$(grep '^ftarm_counted_1 ' $T/enabled_functions)
	case $line in
	*'set: '*'('*' '*' '*')'*) pass "set-trampoline: three instances on ftarm_counted_1: $line" ;;
	*) fail "set-trampoline: ftarm_counted_1 has no set trampoline of three ops: $line" ;;
	esac
fi
checker counted-own 0 200 $T/instances/chk0 &
checker counted-shared 1 200 $T/instances/chkA $T/instances/chkB $T/instances/chkC &
# kprobe-churn: a kprobe and a kretprobe on ftarm_counted_3, which the
# churn's instances trace at times (toggle, churnf), so that its callsite
# is shared between their ops and the kprobe ops: made, enabled in
# instance kpc, N calls counted exactly in both events, disabled and
# removed, round after round until stop. The series serves both from the
# callsite ([FTRACE] in the kprobes list, which each round checks), the
# kretprobe returning through the rethook; disarming does not wait for
# tasks (FTRACE_OPS_FL_LATE_CALLS), the last probe's ops then goes with
# its trampoline.
kp_round() { # IT N
	kc=$T/instances/kpc
	if ! echo 'p:ftarm/kpchurn ftarm_counted_3' >>$T/kprobe_events ||
		! echo 'r:ftarm/krchurn ftarm_counted_3' >>$T/kprobe_events; then
		echo "round $1: cannot make the probes" >>$W/kp-bad
		return 1
	fi
	# Both, the kprobe and the kretprobe's entry probe.
	[ "$(grep -c "ftarm_counted_3+0x0 .*\[FTRACE\]" /sys/kernel/debug/kprobes/list)" = 2 ] &&
		kp_ftrace=$((kp_ftrace + 1))
	: >$kc/trace
	if ! echo 1 >$kc/events/ftarm/kpchurn/enable ||
		! echo 1 >$kc/events/ftarm/krchurn/enable; then
		echo "round $1: cannot enable the probes" >>$W/kp-bad
		return 1
	fi
	before=$(calls 3)
	taskset -c $(($1 % ncpu)) sh -c "echo '3 $2' >$D/call"
	after=$(calls 3)
	echo 0 >$kc/events/ftarm/kpchurn/enable
	echo 0 >$kc/events/ftarm/krchurn/enable
	kp=$(grep -c ' kpchurn: ' $kc/trace)
	kr=$(grep -c ' krchurn: ' $kc/trace)
	lost=$(cat $kc/per_cpu/cpu*/stats | awk '/^overrun:/ { n += $2 } END { print n + 0 }')
	if ! echo '-:ftarm/kpchurn' >>$T/kprobe_events ||
		! echo '-:ftarm/krchurn' >>$T/kprobe_events; then
		echo "round $1: cannot remove the probes" >>$W/kp-bad
		return 1
	fi
	[ $((after - before)) = "$2" ] && [ "$kp" = "$2" ] && [ "$kr" = "$2" ] &&
		[ "$lost" = 0 ] && return 0
	echo "round $1: $((after - before)) calls of $2, kprobe $kp, kretprobe $kr events, overrun $lost" >>$W/kp-bad
	return 1
}
kp_checker() {
	kp_it=0 kp_bad=0 kp_ftrace=0
	while [ ! -f $W/stop ]; do
		kp_it=$((kp_it + 1))
		kp_round $kp_it 200 || kp_bad=$((kp_bad + 1))
	done
	echo "$kp_it $kp_bad $kp_ftrace" >$W/kp-churn
}
if mkdir $T/instances/kpc && echo 2048 >$T/instances/kpc/buffer_size_kb; then
	kp_checker &
else
	fail "setup: instance kpc"
fi
# BPF beside the churn: ftarm_direct's attach/detach churn (exact: a call
# made while attached is seen, one made while detached is not, alone and
# shared with an instance) and its modify subtest (each call counted once
# while the BPF trampoline is replaced and the instance's tracer switches
# under a counting program), run again and again until stop. Only where
# the guest has test_progs (a kernel with configs/bpf.config) and runs its
# vCPUs on one host thread (guest/bpf.sh says why).
BPF_CHURN_TESTS=ftarm_direct/churn,ftarm_direct/modify
bpf_churn_rounds=$(cmdline_arg ftarm.bpf_churn_rounds)
bpf_churn() {
	runs=0 bad=0 r_churn=0 r_shared=0 r_modify=0
	while [ ! -f $W/stop ]; do
		# A run counts when each of the three subtests says OK:
		# a selector that matched nothing also exits 0.
		if (cd /bpf && FTARM_DIRECT_ROUNDS=$bpf_churn_rounds ./test_progs -v -t "$BPF_CHURN_TESTS") >$W/bpf-churn.out 2>&1 &&
			grep -q '^#[0-9]*/[0-9]* *ftarm_direct/churn:OK' $W/bpf-churn.out &&
			grep -q '^#[0-9]*/[0-9]* *ftarm_direct/churn_shared:OK' $W/bpf-churn.out &&
			grep -q '^#[0-9]*/[0-9]* *ftarm_direct/modify:OK' $W/bpf-churn.out; then
			runs=$((runs + 1))
		else
			bad=$((bad + 1))
			cp $W/bpf-churn.out $W/bpf-churn.failed
		fi
		# The rounds each subtest made ("ftarm_direct: churn: N rounds",
		# printed with -v), added up
		read -r r_churn r_shared r_modify <<-EOF
		$(awk -v c="$r_churn" -v s="$r_shared" -v m="$r_modify" '
			/^ftarm_direct: churn: [0-9]+ rounds/ { c += $3 }
			/^ftarm_direct: churn_shared: [0-9]+ rounds/ { s += $3 }
			/^ftarm_direct: modify: [0-9]+ rounds/ { m += $3 }
			END { print c, s, m }' $W/bpf-churn.out)
		EOF
	done
	echo "$runs $bad $r_churn $r_shared $r_modify" >$W/bpf-churn
}
bpf_churn_why=
if [ ! -x /bpf/test_progs ]; then
	bpf_churn_why="no test_progs in this guest (a kernel without configs/bpf.config)"
elif [ "$(cmdline_arg ftarm.tcg)" != single ]; then
	bpf_churn_why="ftarm_direct's churn runs under TCG=single only (guest/bpf.sh)"
else
	bpf_churn &
fi

# ---- churn ------------------------------------------------------------------
n_inst=0 n_toggle=0 n_filter=0 n_tracer=0 n_module=0 n_victim_events=0 bad_victim=0
mkinst toggle ftarm_hot_0 || fail "setup: instance toggle"
# Its buffer stays off: with the empty filter it calls its tracer on
# every function, and recording them all would slow everything else.
filters="ftarm_hot_1|ftarm_hot_*:ftarm_counted_0:ftarm_counted_1|ftarm_hot_2|ftarm_counted_0:ftarm_hot_1||ftarm_hot_2:ftarm_hot_3|ftarm_counted_*|ftarm_hot_1"
mkinst churnf ftarm_hot_1 || fail "setup: instance churnf"
# Its check reads the first events after each filter change, where a late
# call would be: a small buffer that keeps the first events and drops the
# rest (reading 2 MB a CPU of them took three minutes here).
echo 0 >$T/instances/churnf/options/overwrite &&
	echo 64 >$T/instances/churnf/buffer_size_kb ||
	fail "setup: instance churnf's buffer"
# churn_check FILTER TRACE: the number of events in TRACE and the function
# of the first one that FILTER (blank-separated names and globs) does not
# hold, or -, in one pass; ahead of the churn's load (a measure, not part of
# the churn: starved by that load, it took 70 to 130 s a change).
churn_check() {
	nice -n -10 awk -v f="$1" '
	BEGIN {
		n = split(f, p, " ")
		for (i = 1; i <= n; i++) {
			gsub(/\*/, ".*", p[i])
			p[i] = "^" p[i] "$"
		}
		stray = "-"
	}
	/^#/ { next }
	{
		events++
		if (stray != "-")
			next
		fn = ""
		for (i = 2; i <= NF; i++)
			if (substr($i, 1, 2) == "<-") {
				fn = $(i - 1)
				break
			}
		if (fn == "")
			next
		for (i = 1; i <= n; i++)
			if (fn ~ p[i])
				next
		stray = fn
	}
	END { print events + 0, stray }' "$2"
}
# churnf's filter since its last change ("" when its buffer is off), and
# what checking its events found: once a filter write has returned, the
# instance's tracer must not be called for a function the filter no longer
# holds (a task preempted in the trampoline before its call would).
cf='' n_cf=0 n_cf_events=0 n_cf_dropped=0 n_cf_stray=0 cf_stray=''
# cf_dropped: the events of churnf that its full buffer dropped, on every CPU
cf_dropped() {
	cat $T/instances/churnf/per_cpu/cpu*/stats |
		awk '/^dropped events:/ { n += $3 } END { print n + 0 }'
}
victim=/sys/module/ftarm_victim/parameters/call
end=$(($(date +%s) + secs))
it=0
# At least three iterations, however short the round: the first creates
# and removes an instance, the third loads and unloads the module.
while [ "$(date +%s)" -lt $end ] || [ $it -lt 3 ]; do
	it=$((it + 1))
	t0=$(cs)
	case $((it % 8)) in
	0) f= ;;
	1|5) f=ftarm_hot_0 ;;
	2|6) f='ftarm_hot_* ftarm_counted_*' ;;
	*) f='ftarm_counted_0 ftarm_counted_2' ;;
	esac
	# A live instance's ops comes and goes (its trampoline allocated, then
	# freed after RCU-tasks), with a filter that is disjoint from the
	# checkers', overlapping them, or empty (every callsite, buffer off).
	ti=$T/instances/toggle
	if echo nop >$ti/current_tracer && echo "$f" >$ti/set_ftrace_filter &&
		echo function >$ti/current_tracer; then
		n_toggle=$((n_toggle + 1))
	else
		fail "churn: cannot restart the tracer of instance toggle with filter '$f'"
	fi
	# Every eighth time a whole instance comes and goes too (creating
	# one makes the files of every event: slow on this kernel), removed
	# with its tracer still on every other time.
	if [ $((it % 8)) = 1 ]; then
		if mkinst c$it "$f"; then
			[ -n "$f" ] && echo 1 >$T/instances/c$it/tracing_on
			[ $((it % 16)) = 9 ] && echo nop >$T/instances/c$it/current_tracer
			rmdir $T/instances/c$it || fail "churn: cannot remove instance c$it"
			n_inst=$((n_inst + 1))
		else
			fail "churn: cannot create instance c$it with filter '$f'"
		fi
	fi
	t1=$(cs)
	# The live instance's filter: disjoint, overlapping, empty. Its events
	# since the last change, recorded once that change had returned, must
	# all be of functions the filter holds; the empty filter (every
	# function) is not recorded.
	ci=$T/instances/churnf
	echo 0 >$ci/tracing_on
	if [ -n "$cf" ]; then
		n_cf=$((n_cf + 1))
		r=$(churn_check "$cf" $ci/trace)
		case $r in
		[0-9]*' '?*) ;;
		*)
			fail "churn-filter: cannot read $ci/trace ('$r')"
			r='0 -'
			;;
		esac
		e=${r% *} s=${r#* }
		n_cf_events=$((n_cf_events + e))
		n_cf_dropped=$((n_cf_dropped + $(cf_dropped) - cf_dropped0))
		if [ "$s" != - ]; then
			n_cf_stray=$((n_cf_stray + 1))
			[ -n "$cf_stray" ] || cf_stray="$s after the filter became '$cf'"
		fi
	fi
	tc=$(cs)
	f=$(echo "$filters" | cut -d'|' -f$((it % 8 + 1)) | tr ':' ' ')
	if echo "$f" >$ci/set_ftrace_filter; then
		n_filter=$((n_filter + 1))
		cf=$f
		: >$ci/trace
		cf_dropped0=$(cf_dropped)
		[ -z "$f" ] || echo 1 >$ci/tracing_on
	else
		cf=
		fail "churn: cannot set the filter of churnf to '$f'"
	fi
	t2=$(cs)
	# The top-level tracer.
	case $((it % 3)) in
	0) t=function ;;
	1) t=function_graph ;;
	2) t=nop ;;
	esac
	echo 1 >$T/tracing_on
	if echo $t >$T/current_tracer; then
		n_tracer=$((n_tracer + 1))
	else
		fail "churn: cannot switch the top-level tracer to $t"
	fi
	t3=$(cs)
	# Every fourth time, a module comes and goes while an instance
	# traces it.
	if [ $((it % 4)) = 3 ]; then
		vi=$T/instances/victim
		[ -d $vi ] || { mkdir $vi && echo 2048 >$vi/buffer_size_kb; }
		echo nop >$vi/current_tracer
		if modprobe ftarm_victim; then
			echo ftarm_victim_fn >$vi/set_ftrace_filter
			echo function >$vi/current_tracer
			: >$vi/trace
			before=$(cat $victim)
			echo 300 >$victim
			after=$(cat $victim)
			echo 0 >$vi/tracing_on
			count_check victim-module $vi ftarm_victim_fn $((after - before)) &&
				[ $((after - before)) = 300 ] || bad_victim=$((bad_victim + 1))
			n_victim_events=$((n_victim_events + after - before))
			echo 1 >$vi/tracing_on
			modprobe -r ftarm_victim || fail "churn: cannot unload ftarm_victim"
			if grep -q ftarm_victim $T/enabled_functions; then
				fail "churn: ftarm_victim still in enabled_functions after unload"
			fi
			n_module=$((n_module + 1))
		else
			fail "churn: cannot load ftarm_victim"
		fi
	fi
	t4=$(cs)
	# Where the time goes, in centiseconds, an iteration a line.
	echo "stress-progress: $it: instances $((t1 - t0)) filter $((t2 - t1)) (its check $((tc - t1))) tracer $((t3 - t2)) module $((t4 - t3))"
done
touch $W/stop
echo nop >$T/current_tracer
echo >$T/set_ftrace_filter
echo 0 >$D/workers
wait

echo "stress: churn: $it iterations: instance tracer restarts $n_toggle, instances created and removed $n_inst, filter changes $n_filter, top-level tracer switches $n_tracer, module loads and unloads $n_module"
if [ "$n_module" -gt 0 ] && [ $bad_victim = 0 ]; then
	pass "victim-module: $n_module loads, $n_victim_events events exact"
else
	fail "victim-module: $n_module loads, $bad_victim with wrong events"
fi
[ $n_toggle -gt 0 ] && [ $n_filter -gt 0 ] && [ $n_tracer -gt 0 ] &&
	pass "churn: $it iterations" || fail "churn: did not run"
if [ $n_cf_stray -gt 0 ]; then
	fail "churn-filter: $n_cf_stray of $n_cf filter changes of churnf were followed by calls of functions out of its filter (first: $cf_stray)"
elif [ $n_cf -gt 0 ] && [ $n_cf_events -gt 0 ]; then
	pass "churn-filter: $n_cf filter changes of churnf, the first $n_cf_events events after them (the buffer kept them, and dropped $n_cf_dropped later ones unread), all in its filter"
else
	fail "churn-filter: nothing checked ($n_cf filter changes, $n_cf_events events)"
fi
if [ -n "$bpf_churn_why" ]; then
	skip "bpf-churn: $bpf_churn_why"
elif [ ! -f $W/bpf-churn ]; then
	fail "bpf-churn: the BPF churn did not finish"
else
	read -r runs bad r_churn r_shared r_modify <$W/bpf-churn
	if [ "$bad" = 0 ] && [ "$runs" -gt 0 ] && [ "$r_churn" -gt 0 ] && [ "$r_shared" -gt 0 ] && [ "$r_modify" -gt 0 ]; then
		pass "bpf-churn: $runs runs of ftarm_direct's churn, churn_shared and modify${bpf_churn_rounds:+ (at most $bpf_churn_rounds rounds each a run)} beside the churn, $r_churn, $r_shared and $r_modify rounds in all, every call counted exactly"
	elif [ "$bad" = 0 ]; then
		fail "bpf-churn: $runs runs, $r_churn, $r_shared and $r_modify rounds of churn, churn_shared and modify: no run, or a subtest that made no round"
	else
		fail "bpf-churn: $bad of $((runs + bad)) runs of ftarm_direct's churn, churn_shared and modify beside the churn failed"
		grep -a -E 'FAIL|ftarm_direct|Summary' $W/bpf-churn.failed 2>/dev/null | head -n 20
	fi
fi
if [ ! -f $W/kp-churn ]; then
	fail "kprobe-churn: the checker did not finish"
else
	read -r kp_it kp_bad kp_ftrace <$W/kp-churn
	if [ "$kp_it" -gt 0 ] && [ "$kp_bad" = 0 ] && [ "$kp_ftrace" = "$kp_it" ]; then
		pass "kprobe-churn: $kp_it rounds of a kprobe and a kretprobe on ftarm_counted_3 made, enabled, counted exactly (200 calls each) and removed beside the churn, served by ftrace in each"
	else
		fail "kprobe-churn: $kp_bad of $kp_it rounds with wrong counts or failed writes, served by ftrace in $kp_ftrace"
		head -n 5 $W/kp-bad 2>/dev/null
	fi
fi
for c in counted-own counted-shared; do
	if [ ! -f $W/checker-$c ]; then
		fail "$c: the checker did not finish"
		continue
	fi
	read -r name rounds bad events <$W/checker-$c
	if [ "$rounds" -gt 0 ] && [ "$bad" = 0 ]; then
		pass "$c: $rounds rounds, $events events exact"
	else
		fail "$c: $rounds rounds, $bad with lost or stray events"
	fi
done

# ---- no late call once a filter write has returned ----------------------------
# Once a write that takes a function out of an instance's filter has
# returned, the instance's tracer is not called for that function again
# (R12, as 6.1's shared path). A task preempted in the instance's
# trampoline before its call would call it (the trampoline calls its
# tracer for whatever callsite led there), unless the write waits for such
# tasks. ftarm_stress's spinners, 16 threads on CPU 0 at the lowest
# priority, call ftarm_late_fn() in a loop. Each round, on CPU 0, as a
# SCHED_FIFO task (so that no spinner runs there unless it sleeps): add
# the function to instance late's filter, check that it goes through the
# instance's trampoline alone, and sleep 2 ms, so that the spinners run,
# are traced and preempt each other at random points of their calls;
# waking, the writer preempts the one running. Then take the function out
# again and, once that write has returned, write a marker; read
# ftarm_stress's settle, which returns once every spinner has blocked
# since, that is, once every call in progress has ended. No event of the
# function may follow the marker.
# The same with set_ftrace_pid (late-call-pid): the function stays in the
# filter, each round clears the instance's PID list and then writes the
# shell's own PID there: once that write has returned, the instance's
# trampoline calls ftrace_pid_func(), which skips the spinners, and a
# spinner stopped before its call of the tracer function it loaded earlier
# would make an event. Fewer rounds (ftarm.late_pid_rounds, default half).
late_rounds=$(cmdline_arg ftarm.late_rounds)
[ -n "$late_rounds" ] || late_rounds=40
late_n=$late_rounds
late_pid_rounds=$(cmdline_arg ftarm.late_pid_rounds)
[ -n "$late_pid_rounds" ] || late_pid_rounds=$(((late_rounds + 1) / 2))
li=$T/instances/late
cat >$W/late.sh <<EOF
# late.sh MODE N DIR: N rounds of MODE (filter, notrace or pid) on the
# tracefs instance DIR, or of perf (ftarm-perf late; DIR unused); a line
# "ROUND STATE IN LATE" each: STATE "ok" when the round's second marker
# is in the buffer and ftarm_late_fn went through one trampoline alone,
# "nomark" or "shared" when not; the events of the function before the
# marker (after the first marker, or all when that one was overwritten),
# and after it
if [ \$1 = perf ]; then
	exec ftarm-perf late "\$(cat $T/events/ftrace/function/id)" \$2 \\
		ftarm_counted_3 ftarm_late_fn $D/settle
fi
r=1 d=\$3
while [ \$r -le \$2 ]; do
	: >\$d/trace
	echo "ftarm-late: add \$r" >\$d/trace_marker
	if [ \$1 = pid ]; then
		echo >\$d/set_ftrace_pid || exit 1
	elif [ \$1 = notrace ]; then
		echo >\$d/set_ftrace_notrace || exit 1
	else
		echo ftarm_late_fn >>\$d/set_ftrace_filter || exit 1
	fi
	grep -q '^ftarm_late_fn \[ftarm_stress\] (1) .*tramp:' \\
		$T/enabled_functions && st=ok || st=shared
	usleep 2000
	if [ \$1 = pid ]; then
		echo \$\$ >\$d/set_ftrace_pid || exit 1
	elif [ \$1 = notrace ]; then
		echo ftarm_late_fn >\$d/set_ftrace_notrace || exit 1
	else
		echo ftarm_counted_3 >\$d/set_ftrace_filter || exit 1
	fi
	echo "ftarm-late: out \$r" >\$d/trace_marker
	read -r ms <$D/settle ||
		{ echo "round \$r: the spinners did not all block within 10 s" >&2; exit 1; }
	awk -v r=\$r -v st=\$st '
	/ tracing_mark_write: ftarm-late: add / { n = 0; next }
	/ tracing_mark_write: ftarm-late: out / { if (\$NF == r) o = 1; next }
	/ ftarm_late_fn <-/ { if (o) l++; else n++ }
	END { print r, o ? st : "nomark", n + 0, l + 0 }' \$d/trace
	r=\$((r + 1))
done
EOF
# late_run CHECK MODE N WHAT [DIR]: N rounds of late.sh MODE on DIR
# (default: instance late; "none" for perf), on CPU 0 at SCHED_FIFO with
# the spinners running, and the verdict; WHAT says what the round's
# write did. A round counts only when its state is "ok".
late_run() {
	lc=$1 lm=$2 ln=$3 lw=$4 ld=${5:-$li}
	n_lr=0 n_le=0 n_late=0 late_first='' late_bad='' late_rc=0
	if ! echo 1 >$D/spinners; then
		fail "$lc: cannot start the spinners"
		return
	fi
	[ "$ld" = none ] || echo 1 >$ld/tracing_on
	t0=$(cs)
	taskset -c 0 chrt -f 1 sh $W/late.sh "$lm" "$ln" "$ld" \
		>$W/late.out 2>$W/late.err || late_rc=$?
	echo 0 >$D/spinners
	[ "$ld" = none ] || echo 0 >$ld/tracing_on
	while read -r r o n l; do
		case $r in [0-9]*) ;; *) continue ;; esac
		if [ "$o" != ok ]; then
			late_bad="$late_bad $r:$o"
			continue
		fi
		n_lr=$((n_lr + 1)) n_le=$((n_le + n)) n_late=$((n_late + l))
		[ "$l" = 0 ] || [ -n "$late_first" ] || late_first=$r
	done <$W/late.out
	echo "stress: $lc: $ln rounds in $(($(cs) - t0)) cs, $n_lr checked, $n_le events, $n_late late"
	grep '^line ' $W/late.out | head -n 3 | sed "s/^/stress: $lc: /"
	if [ $late_rc != 0 ]; then
		fail "$lc: the rounds failed (status $late_rc: $(head -c 300 $W/late.err | tr '\n' ' '))"
	elif [ $n_late -gt 0 ]; then
		fail "$lc: $n_late events of ftarm_late_fn after a write that $lw had returned (first in round $late_first of $ln)"
	elif [ $n_lr = "$ln" ] && [ $n_le -gt 0 ]; then
		pass "$lc: $ln writes that $lw while it was being traced through the tracer's own trampoline ($n_le events before them), no call after any had returned"
	else
		fail "$lc: $n_lr of $ln rounds checked (not checked, round:state:${late_bad:- none}), $n_le events"
	fi
}
# ---- a function probe's late call --------------------------------------------
# A counted function probe (traceoff:N) keeps a count for each function;
# taking one out frees its count after an RCU grace period, with no wait
# for tasks, and a task preempted in the probe's trampoline then calls the
# probe for it (late-call-probe): the probe must not be called for a
# function its filter no longer holds (the count's lookup would
# dereference NULL). Each round the writer, at SCHED_FIFO 2 on CPU 0,
# wakes from 2 ms of the spinners being traced (preempting the one
# running, maybe in the trampoline before its call), starts a busy loop
# at SCHED_FIFO 1 there and takes the probe out: the spinners cannot run
# until the removal, its grace period and the free are over and the loop
# is killed; then the preempted one makes its call, and settle waits for
# it.
# Instance late's tracer goes and its tracing stays off, so that only the
# probe's ops traces ftarm_late_fn, on a trampoline of its own, and each
# call reads the count and does nothing else. Half as many rounds as
# late-call; any abort in the kernel log, or spinners that stopped
# calling, fails.
late_probe() {
	echo nop >$li/current_tracer
	echo 0 >$li/tracing_on
	echo >$li/set_ftrace_pid
	if ! echo 'ftarm_counted_3:traceoff:1000000' >>$li/set_ftrace_filter ||
		! echo 'ftarm_late_fn:traceoff:1000000' >>$li/set_ftrace_filter; then
		fail "late-call-probe: cannot add the traceoff probes"
		return
	fi
	lp_line=$(grep '^ftarm_late_fn ' $T/enabled_functions)
	# A counted probe is named with a count to be removed (any count).
	if ! echo '!ftarm_late_fn:traceoff:0' >>$li/set_ftrace_filter; then
		fail "late-call-probe: cannot remove the probe on ftarm_late_fn"
		return
	fi
	case $lp_line in
	"ftarm_late_fn [ftarm_stress] (1) "*tramp:*) ;;
	*)
		fail "late-call-probe: ftarm_late_fn does not go through the probe's trampoline alone: '$lp_line'"
		return
		;;
	esac
	aborts0=$(dmesg | grep -c 'Unable to handle kernel')
	calls0=$(cat $D/spinners)
	echo 1 >$D/spinners || { fail "late-call-probe: cannot start the spinners"; return; }
	t0=$(cs)
	lp_r=$(taskset -c 0 chrt -f 2 sh -c "r=0
		while [ \$r -lt $1 ]; do
			echo 'ftarm_late_fn:traceoff:1000000' >>$li/set_ftrace_filter || break
			usleep 2000
			chrt -f 1 sh -c 'while :; do :; done' &
			h=\$!
			echo '!ftarm_late_fn:traceoff:0' >>$li/set_ftrace_filter ||
				{ kill -9 \$h; break; }
			kill -9 \$h
			wait \$h 2>/dev/null
			r=\$((r + 1))
			read -r ms <$D/settle || break
		done
		echo \$r")
	echo 0 >$D/spinners
	calls1=$(cat $D/spinners)
	aborts1=$(dmesg | grep -c 'Unable to handle kernel')
	echo '!ftarm_counted_3:traceoff:0' >>$li/set_ftrace_filter ||
		fail "late-call-probe: cannot remove the probe on ftarm_counted_3"
	echo "stress: late-call-probe: $lp_r of $1 rounds in $(($(cs) - t0)) cs, $((calls1 - calls0)) spinner calls, $((aborts1 - aborts0)) aborts"
	if [ "$aborts1" != "$aborts0" ]; then
		fail "late-call-probe: $((aborts1 - aborts0)) aborts in the kernel log while the probe on ftarm_late_fn was added and removed (round $lp_r of $1)"
	elif [ "$lp_r" != "$1" ]; then
		fail "late-call-probe: a probe write, or the wait for the spinners to block, failed in round $((lp_r + 1)) of $1"
	elif [ $((calls1 - calls0)) -le 0 ]; then
		fail "late-call-probe: the spinners made no call"
	else
		pass "late-call-probe: $1 removals of a counted probe on ftarm_late_fn while it was being called through the probe's own trampoline ($((calls1 - calls0)) calls), no abort"
	fi
}
# The same through set_ftrace_notrace (late-call-notrace: each round
# empties the instance's notrace filter, then writes ftarm_late_fn there),
# and through the top-level instance's filter (late-call-top: global_ops,
# whose hash function_graph shares), half as many rounds as late-call.
late_notrace_top() {
	echo >$li/set_ftrace_pid
	echo >$li/set_ftrace_notrace
	echo ftarm_counted_3 >$li/set_ftrace_filter
	echo ftarm_late_fn >>$li/set_ftrace_filter
	echo function >$li/current_tracer
	ln_line=$(grep '^ftarm_late_fn ' $T/enabled_functions)
	case $ln_line in
	"ftarm_late_fn [ftarm_stress] (1) "*tramp:*)
		late_run late-call-notrace notrace "$1" "put ftarm_late_fn in the notrace filter"
		;;
	*)
		fail "late-call-notrace: ftarm_late_fn does not go through the instance's trampoline alone: '$ln_line'"
		;;
	esac
	echo nop >$li/current_tracer
	echo >$li/set_ftrace_notrace
	echo ftarm_counted_3 >$li/set_ftrace_filter
	echo nop >$T/current_tracer
	echo 256 >$T/buffer_size_kb
	echo ftarm_counted_3 >$T/set_ftrace_filter
	echo ftarm_late_fn >>$T/set_ftrace_filter
	echo function >$T/current_tracer
	ln_line=$(grep '^ftarm_late_fn ' $T/enabled_functions)
	echo ftarm_counted_3 >$T/set_ftrace_filter
	case $ln_line in
	"ftarm_late_fn [ftarm_stress] (1) "*tramp:*)
		late_run late-call-top filter "$1" "took ftarm_late_fn out of the top-level filter" $T
		;;
	*)
		fail "late-call-top: ftarm_late_fn does not go through global_ops' trampoline alone: '$ln_line'"
		;;
	esac
	echo nop >$T/current_tracer
	echo >$T/set_ftrace_filter
	echo 1 >$T/tracing_on
}
# Nothing else may trace ftarm_late_fn: with a second ops its callsite
# would go through the list function, which checks every ops' filter, and
# the check could not fail. The churn's instances go first, and the
# callsite must show the instance's own trampoline, alone.
for i in $T/instances/*; do
	[ -d "$i" ] && { echo nop >"$i/current_tracer"; rmdir "$i"; }
done
late_line=
if mkinst late ftarm_counted_3 && echo 256 >$li/buffer_size_kb &&
	echo ftarm_late_fn >>$li/set_ftrace_filter; then
	late_line=$(grep '^ftarm_late_fn ' $T/enabled_functions)
	echo ftarm_counted_3 >$li/set_ftrace_filter
fi
case $late_line in
"ftarm_late_fn [ftarm_stress] (1) "*tramp:*)
	if [ "$late_rounds" -gt 0 ]; then
		late_run late-call filter "$late_rounds" "took ftarm_late_fn out of the filter"
	else
		skip "late-call: ftarm.late_rounds=0"
	fi
	if [ "$late_pid_rounds" -gt 0 ]; then
		echo ftarm_late_fn >>$li/set_ftrace_filter
		late_run late-call-pid pid "$late_pid_rounds" "set the instance's PID list to the shell's PID"
		late_probe "$late_pid_rounds"
		late_notrace_top "$late_pid_rounds"
	else
		skip "late-call-pid: ftarm.late_pid_rounds=0"
		skip "late-call-probe: ftarm.late_pid_rounds=0"
		skip "late-call-notrace: ftarm.late_pid_rounds=0"
		skip "late-call-top: ftarm.late_pid_rounds=0"
	fi
	;;
*)
	fail "late-call: ftarm_late_fn does not go through the instance's trampoline alone: '$late_line'"
	;;
esac

# ---- the same through ftrace_set_filter() -----------------------------------
# In-kernel users change an ops' filter with ftrace_set_filter(), not
# through tracefs (perf's SET_FILTER goes through the same code, but
# waits in ftrace_profile_set_filter()). ftarm_stress's setfilter ops
# traces ftarm_late_fn() beside ftarm_counted_3() through its own
# trampoline; on CPU 0 at SCHED_FIFO with the spinners running, each
# round takes the function out and puts it back once every spinner has
# blocked since (as settle), in the writer's context, and its callback
# counts the calls it sees between a removal's return and the next
# addition: none may be.
[ -d $li ] && { echo nop >$li/current_tracer; rmdir $li; }
if [ "$late_n" = 0 ]; then
	skip "late-call-setfilter: ftarm.late_rounds=0"
elif echo on >$D/setfilter; then
	sf_line=$(grep '^ftarm_late_fn ' $T/enabled_functions)
	case $sf_line in
	"ftarm_late_fn [ftarm_stress] (1) "*tramp:*)
		if echo 1 >$D/spinners; then
			taskset -c 0 chrt -f 1 sh -c "echo $late_n >$D/setfilter" ||
				fail "late-call-setfilter: a round failed"
			echo 0 >$D/spinners
			read -r _ sf_r _ sf_seen _ sf_late _ sf_first <$D/setfilter
			echo "stress: late-call-setfilter: $sf_r rounds, $sf_seen calls seen, $sf_late late"
			if [ "$sf_late" != 0 ]; then
				fail "late-call-setfilter: the ops' callback saw $sf_late calls of ftarm_late_fn after ftrace_set_filter() had taken it out (first in round $sf_first of $sf_r)"
			elif [ "$sf_r" = "$late_n" ] && [ "$sf_r" -gt 0 ] && [ "$sf_seen" -gt 0 ]; then
				pass "late-call-setfilter: $sf_r ftrace_set_filter() calls took ftarm_late_fn out while it was being traced through the ops' own trampoline ($sf_seen calls before them), no call after any had returned"
			else
				fail "late-call-setfilter: $sf_r of $late_n rounds, $sf_seen calls seen"
			fi
		else
			fail "late-call-setfilter: cannot start the spinners"
		fi
		;;
	*)
		fail "late-call-setfilter: ftarm_late_fn does not go through the ops' trampoline alone: '$sf_line'"
		;;
	esac
	echo off >$D/setfilter || fail "late-call-setfilter: cannot unregister the ops"
else
	fail "late-call-setfilter: cannot register the ops"
fi

# ---- the same through perf's SET_FILTER --------------------------------------
# A perf ftrace:function event counting on CPU 0, where the spinners run
# (late-call-perf; one event, not one a CPU: a second event's ops on the
# function would put its callsite on the list function, whose filter test
# cannot fail this). Each round, ftarm-perf late, on CPU 0 at SCHED_FIFO,
# adds ftarm_late_fn to the event's filter beside ftarm_counted_3, checks
# that it goes through the event's trampoline alone, sleeps 2 ms, takes it
# out with PERF_EVENT_IOC_SET_FILTER, reads the count, waits until every
# spinner has blocked (settle) and reads it again: nothing calls
# ftarm_counted_3, so the second read may count no more. Half as many
# rounds as late-call.
if [ "$late_pid_rounds" = 0 ]; then
	skip "late-call-perf: ftarm.late_pid_rounds=0"
else
	late_run late-call-perf perf "$late_pid_rounds" "took ftarm_late_fn out of a perf event's filter (SET_FILTER)" none
fi

# ---- a waiting filter write holds no lock -----------------------------------
# Those writes wait for RCU-tasks, which a task that never blocks holds off
# for as long as it runs. The wait must hold no lock that others need: a
# module load (ftrace_module_init() takes ftrace_lock) beside such a write
# must not wait for it, nor a read of the same filter file (its open takes
# the filter's regex_lock). ftarm_stress's holder thread never blocks; the
# write taking ftarm_counted_2 out of instance hold's filter waits until it
# stops; once it is seen waiting for RCU-tasks, the filter must be read
# and ftarm_victim loaded meanwhile, each within 10 s.
# Only the write that made such a change waits (wait-own): before it,
# ftarm_stress's setfilter ops gets an ftrace_set_filter() call that
# changes nothing started, and held on its hash's regex_lock (other-start;
# its stack must show __ftrace_set_hash); once the write waits, the lock
# goes (other-end) and the call must return within 10 s, not wait for
# the write's change as well.
hi=$T/instances/hold
rm -f $W/hold-write $W/hold-load $W/hold-read
own_res="fail: cannot register setfilter's ops or start its held ftrace_set_filter() call"
own_pid=
if echo on >$D/setfilter && echo other-start >$D/setfilter; then
	for p in /proc/[0-9]*; do
		[ "$(cat $p/comm 2>/dev/null)" = ftarm_other_set ] && own_pid=${p#/proc/}
	done
	if [ -z "$own_pid" ] || ! grep -q __ftrace_set_hash /proc/$own_pid/stack; then
		own_res="fail: the held ftrace_set_filter() call is not in __ftrace_set_hash: nothing checked (stack: $(tasks_stack "$own_pid"))"
	else
		own_res=
	fi
fi
if mkinst hold ftarm_counted_2 ftarm_counted_3 &&
	grep -q '^ftarm_counted_2 \[ftarm_stress\] (1) .*tramp:' $T/enabled_functions &&
	unloaded ftarm_victim && echo 1 >$D/holder; then
	{
		if echo '!ftarm_counted_2' >>$hi/set_ftrace_filter; then
			echo 0 >$W/hold-write
		else
			echo 1 >$W/hold-write
		fi
	} &
	hw=$! hl='' hr=''
	sleep 1
	hold_res=
	if [ -f $W/hold-write ] || ! waiting_for_tasks $hw; then
		hold_res="fail: the write did not wait for RCU-tasks while a thread that never blocks was running: nothing checked ($(cat $W/hold-write 2>/dev/null || echo "stack: $(tasks_stack $hw)"))"
	else
		bg_within10 $W/hold-read cat $hi/set_ftrace_filter
		hr_ok=$? hr=$bg_pid
		if [ $hr_ok != 0 ]; then
			hold_res="fail: reading instance hold's set_ftrace_filter waited more than 10 s for a write of it waiting for RCU-tasks"
		else
			read_n=$n
			bg_within10 $W/hold-load modprobe ftarm_victim
			hl_ok=$? hl=$bg_pid
			if [ $hl_ok != 0 ]; then
				hold_res="fail: loading ftarm_victim waited more than 10 s for a filter write waiting for RCU-tasks"
			elif [ -f $W/hold-write ]; then
				hold_res="fail: the filter write ended before the module load: nothing checked"
			elif [ "$(cat $W/hold-read)" != 0 ] || [ "$(cat $W/hold-load)" != 0 ]; then
				hold_res="fail: cannot read the filter or load ftarm_victim"
			else
				hold_res="pass: the filter read in $((read_n / 10)).$((read_n % 10)) s and ftarm_victim loaded in $((n / 10)).$((n % 10)) s while a write taking ftarm_counted_2 out of a trampoline's filter waited for RCU-tasks"
			fi
		fi
	fi
	if [ -z "$own_res" ]; then
		if [ -f $W/hold-write ] || ! waiting_for_tasks $hw; then
			own_res="fail: the filter write was not waiting: nothing checked"
		else
			t0=$(cs)
			if echo other-end >$D/setfilter; then
				own_res="pass: another ops' ftrace_set_filter() call, started before a filter write that waits for RCU-tasks, returned in $(($(cs) - t0)) cs while the write waited"
			else
				own_res="fail: another ops' ftrace_set_filter() call, which changed nothing, did not return within 10 s of a filter write's wait for RCU-tasks"
			fi
		fi
	fi
	echo 0 >$D/holder
	wait $hw
	[ -z "$hr" ] || wait "$hr"
	[ -z "$hl" ] || wait "$hl"
	hold_filter=$(awk '{ print $1 }' $hi/set_ftrace_filter)
	if [ "$(cat $W/hold-write 2>/dev/null)" != 0 ] ||
		[ "$hold_filter" != ftarm_counted_3 ]; then
		hold_res="fail: ${hold_res#*: }; the write ended with '$(cat $W/hold-write 2>/dev/null)', the filter holds '$hold_filter'"
	fi
	case $hold_res in
	pass:*) pass "wait-unlocked: ${hold_res#pass: }" ;;
	*) fail "wait-unlocked: ${hold_res#fail: }" ;;
	esac
	unloaded ftarm_victim || fail "wait-unlocked: cannot unload ftarm_victim"
	echo nop >$hi/current_tracer
	rmdir $hi
else
	fail "wait-unlocked: cannot trace ftarm_counted_2 through instance hold's own trampoline, unload ftarm_victim or start the holder"
	echo 0 >$D/holder
	own_res="fail: ${own_res#fail: }${own_res:+; }the wait-unlocked setup failed: nothing checked"
fi
# the held call ends once the holder has stopped, if it had not
echo other-end >$D/setfilter 2>/dev/null
echo off >$D/setfilter || own_res="fail: ${own_res#*: }; cannot unregister setfilter's ops"
case $own_res in
pass:*) pass "wait-own: ${own_res#pass: }" ;;
*) fail "wait-own: ${own_res#fail: }" ;;
esac

# ---- perf's waiting filter change holds no lock -----------------------------
# PERF_EVENT_IOC_SET_FILTER on an ftrace:function event changes the filter
# of the event's ftrace_ops holding event_mutex, which every module load
# takes (trace_module_notify()). A change that takes functions out of the
# ops' own trampoline waits for RCU-tasks, and must not do so holding
# event_mutex. ftarm-perf wait opens and enables the event for the two
# counted functions; while the holder runs, it takes ftarm_counted_2 out,
# and once that change is seen waiting for RCU-tasks, ftarm_victim must
# load within 10 s.
pw=$W/perf
rm -rf $pw
mkdir -p $pw
perf_res=
ftarm-perf wait "$(cat $T/events/ftrace/function/id)" $pw \
	'ip == ftarm_counted_2 || ip == ftarm_counted_3' 'ip == ftarm_counted_3' &
pp=$! pl=''
n=0
while [ ! -f $pw/ready ] && kill -0 $pp 2>/dev/null && [ $n -lt 600 ]; do
	usleep 100000
	n=$((n + 1))
done
if [ ! -f $pw/ready ]; then
	perf_res="fail: ftarm-perf wait could not open and enable the event with its first filter"
elif ! grep -q '^ftarm_counted_2 \[ftarm_stress\] (1) .*tramp:' $T/enabled_functions; then
	perf_res="fail: the event does not trace ftarm_counted_2 through its own trampoline: '$(grep '^ftarm_counted_2 ' $T/enabled_functions)'"
elif ! unloaded ftarm_victim; then
	perf_res="fail: ftarm_victim is loaded and cannot be unloaded"
elif ! echo 1 >$D/holder; then
	perf_res="fail: cannot start the holder"
else
	touch $pw/go
	within10 $pw/calling
	sleep 1
	if [ ! -f $pw/calling ]; then
		perf_res="fail: ftarm-perf wait did not make the second SET_FILTER"
	elif [ -f $pw/set ] || ! waiting_for_tasks $pp; then
		perf_res="fail: the filter change did not wait for RCU-tasks while a thread that never blocks was running: nothing checked ($(cat $pw/set 2>/dev/null || echo "stack: $(tasks_stack $pp)"))"
	else
		bg_within10 $W/perf-load modprobe ftarm_victim
		pl_ok=$? pl=$bg_pid
		if [ $pl_ok != 0 ]; then
			perf_res="fail: loading ftarm_victim waited more than 10 s for a perf filter change waiting for RCU-tasks"
		elif [ -f $pw/set ]; then
			perf_res="fail: the filter change ended before the module load: nothing checked"
		elif [ "$(cat $W/perf-load)" != 0 ]; then
			perf_res="fail: cannot load ftarm_victim"
		else
			perf_res="pass: ftarm_victim loaded in $((n / 10)).$((n % 10)) s while a perf SET_FILTER taking ftarm_counted_2 out of the event's trampoline waited for RCU-tasks"
		fi
	fi
	echo 0 >$D/holder
	n=0
	while [ ! -f $pw/set ] && [ -f $pw/calling ] && [ $n -lt 300 ]; do
		usleep 100000
		n=$((n + 1))
	done
	[ -z "$pl" ] || wait "$pl"
	perf_fns=$(grep -E '^ftarm_counted_[23] ' $T/enabled_functions | awk '{ print $1 }' | tr '\n' ' ')
	if [ "$(cat $pw/set 2>/dev/null)" != 0 ] || [ "$perf_fns" != "ftarm_counted_3 " ]; then
		perf_res="fail: ${perf_res#*: }; the change ended with '$(cat $pw/set 2>/dev/null)', the event traces '$perf_fns'"
	fi
fi
rm -f $W/perf-load
# Told to finish (before or after its second change), the program closes
# the event and exits; the verdict does not wait for a stuck one.
touch $pw/done
if ! exited_within $pp 100; then
	perf_res="fail: ${perf_res#*: }; ftarm-perf wait did not exit (stack: $(tasks_stack $pp))"
elif ! wait $pp; then
	perf_res="fail: ${perf_res#*: }; ftarm-perf wait failed"
fi
case $perf_res in
pass:*) pass "perf-wait-unlocked: ${perf_res#pass: }" ;;
*) fail "perf-wait-unlocked: ${perf_res#fail: }" ;;
esac
unloaded ftarm_victim || fail "perf-wait-unlocked: cannot unload ftarm_victim"

# ---- no late call of a single ops installed in ftrace_caller ----------------
# ftarm_single.ko (see its comment): the top-level function tracer traces
# only ftarm_single_cold(), through ftrace_caller (the trampoline allocation
# fails), while 32 threads on one CPU call ftarm_single_hot(), each parked
# before ftrace_caller's call by a kprobe that has it preempted there.
# "run": the module registers and unregisters an ops of its own on
# ftarm_single_hot() (ftarm.single_rounds rounds, default 20); each
# unregistration leaves global_ops alone, and the core has ftrace_caller call
# its function directly once no parked thread can be left (each round waits
# until it does). "shrink": this script adds ftarm_single_hot() to the
# tracer's filter and takes it out again (ftarm.single_rounds / 2 rounds),
# which the core's work item follows with the install. No thread may be
# parked when the function is installed (stale), the top-level buffer must
# hold one event of ftarm_single_cold() a round of "run" and none of
# ftarm_single_hot(); a run in which no update began with a parked thread
# checks nothing, and is a skip.
single_rounds=$(cmdline_arg ftarm.single_rounds)
[ -n "$single_rounds" ] || single_rounds=20
SP=/sys/module/ftarm_single/parameters
single_inject() {
	echo ftrace_tramp_alloc >$FI/inject
	echo 100 >$FI/probability
	echo -1 >$FI/times
	echo 0 >$FI/verbose
}
single_tracer() {
	if ! echo ftarm_single_cold >$T/set_ftrace_filter ||
		! echo function >$T/current_tracer; then
		fail "$1: cannot start the top-level function tracer on ftarm_single_cold"
		return 1
	fi
	echo >$T/trace
}
single_teardown() {
	echo >$FI/inject
	echo nop >$T/current_tracer
	echo >$T/set_ftrace_filter
}
# single_wait_install N: until the module counted an install after N, up to
# SINGLE_INSTALL_SECS. The install comes from the core's work item after a
# wait for RCU-tasks, which waits for the nice-19 hot threads parked in
# ftrace_caller to run again: make test's near stress guest once took more
# than 10 s for one (2026-12-06, guest load average 18.8, far passed).
SINGLE_INSTALL_SECS=30
single_wait_install() {
	local end=$(($(date +%s) + SINGLE_INSTALL_SECS))
	while [ "$(cat $SP/installs)" = "$1" ]; do
		[ "$(date +%s)" -le $end ] || return 1
		usleep 10000
	done
}
# single_shrink_result: the module's "shrink:" line that "echo 0 >hot"
# printed since single_hot_start, or nothing (not one of an earlier run).
single_shrink_result() {
	[ "$(dmesg | grep -a -c 'ftarm_single: shrink: ')" -gt "$shrinks" ] &&
		dmesg | grep -a 'ftarm_single: shrink: ' | tail -n 1
}
# single_hot_start NAME FILTER: the hot threads and kprobes, then the
# top-level tracer on FILTER with no trampoline (the injection comes first:
# all of global_ops' callsites go through ftrace_caller, which calls
# function_trace_call() directly once installed); sets the caller's bad
# when that install does not come.
single_hot_start() {
	local n
	shrinks=$(dmesg | grep -a -c 'ftarm_single: shrink: ')
	single_inject
	if ! echo 1 >$SP/hot; then
		fail "$1: cannot start: $(dmesg | grep -a 'ftarm_single: FAIL' | tail -n 1)"
		single_teardown
		return 1
	fi
	n=$(cat $SP/installs)
	if ! echo "$2" >$T/set_ftrace_filter ||
		! echo function >$T/current_tracer; then
		fail "$1: cannot start the top-level function tracer on $2"
		echo 0 >$SP/hot
		single_teardown
		return 1
	fi
	echo >$T/trace
	single_wait_install $n || bad="no install within $SINGLE_INSTALL_SECS s after the tracer started"
}
single_run() {
	# The tracer's own callsites may use a trampoline; the module's ops has
	# none, and goes through ftrace_caller.
	single_tracer single || { single_teardown; return; }
	single_inject
	echo 1 >$SP/run
	cp $T/trace $W/single-trace
	single_teardown
	res=$(dmesg | grep -a -E 'ftarm_single: (FAIL|rounds)' | tail -n 1)
	hot=$(grep -c ': ftarm_single_hot <-' $W/single-trace)
	cold=$(grep -c ': ftarm_single_cold <-' $W/single-trace)
	case $res in
	*"ftarm_single: FAIL: "*) fail "single: ${res#*FAIL: }" ;;
	*"ftarm_single: rounds "*)
		set -- ${res#*rounds }
		if [ "${13}" != 0 ]; then
			fail "single: ${13} threads were parked in ftrace_caller before its call when the tracer's function was installed, in $1 rounds ($hot events of ftarm_single_hot in the top-level buffer)"
		elif [ "$hot" != 0 ] || [ "$cold" != "$5" ]; then
			fail "single: $hot events of ftarm_single_hot (outside set_ftrace_filter) and $cold of ftarm_single_cold in the top-level buffer after $1 rounds, $5 calls of ftarm_single_cold"
		elif [ "$9" = 0 ]; then
			skip "single: no unregistration began with a thread parked in ftrace_caller before its call in $1 rounds: nothing checked (no event outside set_ftrace_filter, $cold of $5 calls of ftarm_single_cold)"
		else
			pass "single: no thread parked at an install and no event outside set_ftrace_filter in $1 rounds (the ops was called in $3; $9 updates began with $7 threads parked before the call; the tracer's function was installed again after ${11}), $cold of $5 calls of ftarm_single_cold"
		fi
		;;
	*) fail "single: ftarm_single printed no result" ;;
	esac
}
single_shrink() {
	local r=0 n bad=
	single_hot_start single-shrink ftarm_single_cold || return
	while [ -z "$bad" ] && [ $r -lt $((single_rounds / 2)) ]; do
		r=$((r + 1))
		n=$(cat $SP/installs)
		echo 'ftarm_single_cold ftarm_single_hot' >$T/set_ftrace_filter
		# ftrace_call went back to the list function: wait for the install
		single_wait_install $n || { bad="no install within $SINGLE_INSTALL_SECS s after adding ftarm_single_hot (round $r)"; break; }
		usleep 2000
		n=$(cat $SP/installs)
		echo 1 >$SP/idle
		echo ftarm_single_cold >$T/set_ftrace_filter
		single_wait_install $n || { bad="no install within $SINGLE_INSTALL_SECS s after taking ftarm_single_hot out (round $r)"; break; }
		echo 0 >$SP/idle
	done
	echo 0 >$SP/idle
	echo 0 >$SP/hot
	single_teardown
	res=$(single_shrink_result)
	case $res in
	*"ftarm_single: shrink: "*)
		set -- ${res#*shrink: }
		if [ -n "$bad" ]; then
			fail "single-shrink: $bad"
		elif [ "$8" != 0 ]; then
			fail "single-shrink: $8 threads were parked in ftrace_caller before its call when the tracer's function was installed after a filter shrink, in $r rounds"
		elif [ "$4" = 0 ]; then
			skip "single-shrink: no update began with a thread parked in ftrace_caller before its call in $r rounds: nothing checked"
		else
			pass "single-shrink: no thread parked at an install after a filter shrink in $r rounds ($4 updates began with $2 threads parked before the call; $6 installs)"
		fi
		;;
	*) fail "single-shrink: ftarm_single printed no result" ;;
	esac
}
# single_pid: the top-level tracer starts with no trampoline on both
# functions (ftrace_caller calls function_trace_call() directly), then,
# the allocation allowed again, a write to set_ftrace_pid gives global_ops
# a trampoline without updating any callsite (ftrace_update_pid_func()), and
# the filter shrinks: ftarm_single_hot()'s parked threads entered
# ftrace_caller, so the list function must go back into ftrace_call even
# though the ops now has a trampoline (helper-29's case against deciding
# by the ops), and no thread may be parked at the install.
single_pid() {
	local n bad= hotline coldline
	single_hot_start single-pid 'ftarm_single_cold ftarm_single_hot' || return
	echo >$FI/inject
	echo >$T/set_ftrace_pid
	hotline=$(grep -a '^ftarm_single_hot' $T/enabled_functions)
	usleep 2000
	n=$(cat $SP/installs)
	echo 1 >$SP/idle
	echo ftarm_single_cold >$T/set_ftrace_filter
	[ -n "$bad" ] || single_wait_install $n ||
		bad="no install within $SINGLE_INSTALL_SECS s after taking ftarm_single_hot out"
	echo 0 >$SP/idle
	coldline=$(grep -a '^ftarm_single_cold' $T/enabled_functions)
	echo 0 >$SP/hot
	single_teardown
	res=$(single_shrink_result)
	set -- ${res#*shrink: }
	if [ -n "$bad" ]; then
		fail "single-pid: $bad"
	elif [ -z "$res" ]; then
		fail "single-pid: ftarm_single printed no result"
	elif [ "$8" != 0 ]; then
		fail "single-pid: $8 threads were parked in ftrace_caller before its call when the tracer's function was installed after the filter shrink"
	elif case $hotline in *tramp:*) true ;; *) false ;; esac; then
		fail "single-pid: ftarm_single_hot had a trampoline before the shrink: $hotline"
	elif case $coldline in *tramp:*) false ;; *) true ;; esac; then
		skip "single-pid: the set_ftrace_pid write gave global_ops no trampoline ($coldline): nothing checked"
	elif [ "$4" = 0 ]; then
		skip "single-pid: no update began with a thread parked in ftrace_caller before its call: nothing checked"
	else
		pass "single-pid: no thread parked at the install after a filter shrink of an ops whose trampoline came from a set_ftrace_pid write ($2 threads parked when it began; ftarm_single_cold then: ${coldline#ftarm_single_cold })"
	fi
}
single_check() {
	if [ ! -d $FI ]; then
		fail "single: no $FI (CONFIG_FAIL_FUNCTION)"
		return
	fi
	if ! modprobe ftarm_single rounds="$single_rounds"; then
		fail "single: cannot load ftarm_single"
		return
	fi
	single_run
	single_shrink
	single_pid
	modprobe -r ftarm_single || fail "single: cannot unload ftarm_single"
}
single_check

# ---- nothing left behind ----------------------------------------------------
for i in $T/instances/*; do
	[ -d "$i" ] && rmdir "$i"
done
modprobe -r ftarm_stress || fail "cleanup: cannot unload ftarm_stress"
left=$(grep -c . $T/enabled_functions)
[ "$left" = 0 ] && pass "clean: no callsite left enabled" ||
	{ fail "clean: $left callsites still enabled"; head -n 5 $T/enabled_functions; }
tramps_settled "$tramps0" && pass "noleak: $(tramps) trampolines, as after warm-up" ||
	fail "noleak: $(tramps) trampolines, $tramps0 after warm-up"
hot=$(cat /proc/loadavg)
echo "stress: load average at the end: $hot"

# module_check MODULE CHECK: load MODULE, whose init prints one line
# "MODULE: PASS: ..." or "MODULE: FAIL: ...", and record it as CHECK.
module_check() {
	mod=$1 check=$2
	if ! modprobe "$mod"; then
		fail "$check: cannot load $mod"
		return
	fi
	res=$(dmesg | grep -a -E "$mod: (PASS|FAIL)" | tail -n 1)
	case $res in
	*"$mod: PASS: "*) pass "$check: ${res#*PASS: }" ;;
	*"$mod: FAIL: "*) fail "$check: ${res#*FAIL: }" ;;
	*) fail "$check: $mod printed no result" ;;
	esac
}

# ---- every CPU synchronizes before the wait that precedes a free ------------
# ftarm_kick.ko watches this shell's updates: an instance's function tracer
# starts (its trampoline), its filter grows and shrinks (a wait), a PID
# filter is set and cleared (the live trampoline's function changes), it
# stops (a wait, then the free), and the top-level tracer starts and stops
# (global_ops' trampoline freed). Every wait and free must come after an
# IPI to every CPU that followed the last write of a callsite or
# trampoline.
# kick_as COMMAND...: run COMMAND as a task of its own, watched by
# ftarm_kick (its parameters in $K) from its first instruction, then watch
# the shell again.
kick_as() {
	local rc=0
	# shellcheck disable=SC2016 # $$ is the child's, expanded by it
	sh -c 'echo $$ >"$0/pid" && exec "$@"' "$K" "$@" || rc=$?
	echo $$ >$K/pid
	return $rc
}
kick_check() {
	local K=/sys/module/ftarm_kick/parameters I=$T/instances/kick w k n f u
	if ! modprobe ftarm_kick; then
		fail "kick: cannot load ftarm_kick: $(dmesg | grep -a 'ftarm_kick: FAIL' | tail -n 1)"
		return
	fi
	echo $$ >$K/pid
	mkdir $I
	echo vfs_read >$I/set_ftrace_filter
	echo function >$I/current_tracer
	cat /proc/version >/dev/null
	echo 'vfs_read vfs_write' >$I/set_ftrace_filter
	echo vfs_read >$I/set_ftrace_filter
	echo $$ >$I/set_ftrace_pid
	echo >$I/set_ftrace_pid
	echo nop >$I/current_tracer
	rmdir $I
	echo vfs_read >$T/set_ftrace_filter
	echo function >$T/current_tracer
	echo nop >$T/current_tracer
	echo >$T/set_ftrace_filter
	# Direct calls (ftrace-direct calls my_tramp from wake_up_process):
	# registered alone, shared with an instance and alone again, then
	# unregistered. Module init and exit run in modprobe's task: it is
	# watched from its start (the pid survives the exec).
	w=$(cat $K/writes)
	kick_as modprobe ftrace-direct || fail "kick: cannot load ftrace-direct"
	[ "$(cat $K/writes)" -gt "$w" ] || fail "kick: no write seen while ftrace-direct registered its direct call"
	mkdir $I
	echo wake_up_process >$I/set_ftrace_filter
	echo function >$I/current_tracer
	echo nop >$I/current_tracer
	rmdir $I
	w=$(cat $K/writes) n=$(cat $K/waits)
	kick_as modprobe -r ftrace-direct || fail "kick: cannot unload ftrace-direct"
	[ "$(cat $K/writes)" -gt "$w" ] && [ "$(cat $K/waits)" -gt "$n" ] ||
		fail "kick: no write, or no wait for tasks, seen while ftrace-direct unregistered its direct call"
	echo 0 >$K/pid
	w=$(cat $K/writes) k=$(cat $K/kicks) n=$(cat $K/waits) f=$(cat $K/frees) u=$(cat $K/unsynced)
	modprobe -r ftarm_kick || fail "kick: cannot unload ftarm_kick"
	if [ "$u" != 0 ]; then
		fail "kick: $u of $((n + f)) waits for tasks ($n) and trampoline frees ($f) came with no IPI to every CPU after the last write ($w writes, $k IPIs)"
	elif [ "$n" -lt 3 ] || [ "$f" -lt 2 ] || [ "$w" = 0 ] || [ "$k" = 0 ]; then
		fail "kick: $n waits, $f frees, $w writes and $k IPIs seen: not every step was seen, nothing checked"
	else
		pass "kick: $n waits for tasks and $f trampoline frees, each after an IPI to every CPU that followed the last write ($w writes, $k IPIs)"
	fi
}
kick_check

# ---- a PID filter write waits for tasks past their PID test -----------------
# guest/pidwait.sh (ftarm_pid.ko) parks a task past an ops' PID test and
# checks that the write that leaves it out waits for it.
. /guest/pidwait.sh

# ---- no kprobe on what every trampoline copies -------------------------------
module_check ftarm_tplprobe tplprobe
modprobe -r ftarm_tplprobe || fail "tplprobe: cannot unload ftarm_tplprobe"

# ---- last: a trampoline once ftrace has shut itself down ---------------------
# ftarm_orphan calls ftrace_kill() (as ftrace_bug() does), so nothing that
# uses ftrace may run after it in this boot.
module_check ftarm_orphan orphan
[ -f $W/failed ] && exit 1
exit 0
