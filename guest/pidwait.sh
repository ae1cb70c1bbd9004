#!/bin/sh
# shellcheck shell=dash # busybox ash, which has local
# pid-wait: a write to set_ftrace_pid or set_ftrace_notrace_pid that may
# leave tasks out must not return while a task that the new lists leave
# out can still be traced: one preempted after the PID test that let it
# through (guest/modules/ftarm_pid.c parks one there, a kernel thread
# spinning preemptible in an ops that filters by the PIDs of the instance
# ftarm_pid, called from the ops' own trampoline). A write that only lets
# tasks in, or changes another array's lists, must not wait. Two checks:
#   pid-wait       with the parker the instance's only traced PID, while
#                  it is parked: an append to set_ftrace_pid, its clear, a
#                  write to the top-level and to another instance's
#                  set_ftrace_notrace_pid must return within 10 s; the
#                  append of the parker to set_ftrace_notrace_pid (no ops'
#                  function changes: ftrace_pid_func() before and after),
#                  a first set_ftrace_pid list without it while a notrace
#                  list is set, and a list replaced (O_TRUNC) by one
#                  without it must wait;
#   pid-wait-graph function_graph traces ftarm_pid_fn at the top level
#                  (graph_ops, whose PID test is in trace_graph_entry(),
#                  a window that no module can hold open): a first
#                  top-level set_ftrace_pid list must wait for tasks, here
#                  for the parker in ftarm_pid's function (not
#                  PID-filtered then), and an instance's notrace write must
#                  not: a check that graph_ops makes the top-level writes
#                  wait, not of the race inside trace_graph_entry().
# A write that must wait must still be running 3 s after it began, in
# synchronize_rcu_tasks() (its /proc/PID/stack), end once the parker is
# released, and the parker's call must not end after the write has
# returned. In pid-wait, the parker's call before the writes must reach
# the ops' function (the filter lets it through) and its call after the
# notrace append must not. A callsite that does not lead where the check
# needs it (the ops' own trampoline, a set trampoline) fails it: nothing
# would be checked.
# Part of guest/stress.sh (sourced, after the churn); also a stage of its
# own (ftarm.run=pidwait), for a kernel built with guest/modules.
if [ -z "${W:-}" ]; then
	. /guest/lib.sh
	T=/sys/kernel/tracing
	W=/tmp/pidwait
	rm -rf $W
	mkdir -p $W
	pass() { echo "stress: PASS: $*"; }
	fail() { echo "stress: FAIL: $*"; echo "$*" >>$W/failed; }
	skip() { echo "stress: SKIP: $*"; }
	pw_alone=1
fi
PWP=/sys/module/ftarm_pid/parameters
PWI=$T/instances/ftarm_pid

# pw_state KEY: a field of ftarm_pid's state
pw_state() {
	awk -v k="$1" '{ for (i = 1; i < NF; i += 2) if ($i == k) print $(i + 1) }' \
		$PWP/state
}

# pw_until TENTHS KEY VALUE: wait up to TENTHS tenths of a second for
# the field KEY to read VALUE (or, with "!", to change from VALUE)
pw_until() {
	local n=0 v
	while [ $n -lt "$1" ]; do
		v=$(pw_state "$2")
		case $3 in
		!*) [ "$v" != "${3#!}" ] && return 0 ;;
		*) [ "$v" = "$3" ] && return 0 ;;
		esac
		usleep 100000
		n=$((n + 1))
	done
	return 1
}

# pw_call: the parker calls ftarm_pid_fn() once, not parking; prints the
# calls that reached ftarm_pid's function
pw_call() {
	local c0 r0
	c0=$(pw_state calls) r0=$(pw_state rounds)
	echo call >$PWP/ctl || return 1
	pw_until 100 rounds "!$r0" || return 1
	echo $(($(pw_state calls) - c0))
}

# pw_round EXPECT TEXT FILE [trunc]: park the parker in ftarm_pid's
# function, write TEXT to FILE in a task of its own (appended, or with
# "trunc" written over: the open clears the list first), release the
# parker 3 s later (EXPECT "wait"); sets pw_err, pw_blocked (yes: the write was still
# running when the parker was released), pw_stack (yes: it was then in a
# wait for tasks) and pw_late (calls that ended after the write
# returned). EXPECT "nowait": the write gets 10 s, and the parker is
# released as soon as it has returned.
pw_round() {
	local late0 r0 lim
	pw_err='' pw_blocked='' pw_stack='' pw_late=''
	if ! echo reset >$PWP/ctl; then
		pw_err="cannot reset ftarm_pid"
		return
	fi
	late0=$(pw_state late) r0=$(pw_state rounds)
	echo park >$PWP/ctl
	if ! pw_until 100 parked 1; then
		echo release >$PWP/ctl
		pw_err="the parker did not reach ftarm_pid's function within 10 s"
		return
	fi
	# shellcheck disable=SC2016 # expanded by the writer
	sh -c 'if [ "$4" = trunc ]; then echo "$1" >"$2"; else echo "$1" >>"$2"; fi &&
		echo returned >"$3/ctl"' pw "$2" "$3" "$PWP" "${4:-}" &
	pw_w=$!
	# A write that must not wait gets 10 s to return (under TCG, with the
	# parker spinning on a vCPU), one that must wait is looked at after 3.
	lim=30
	[ "$1" = nowait ] && lim=100
	if exited_within $pw_w $lim; then
		pw_blocked=no
	else
		pw_blocked=yes
		grep -q synchronize_rcu_tasks /proc/$pw_w/stack 2>/dev/null &&
			pw_stack=yes || pw_stack=no
	fi
	echo release >$PWP/ctl
	if ! exited_within $pw_w 600; then
		pw_err="the write of '$2' to $3 did not return within 60 s of the parker's release"
		return
	fi
	wait $pw_w || pw_err="the write of '$2' to $3 failed"
	pw_until 100 rounds "!$r0" ||
		pw_err="${pw_err:+$pw_err; }the parker's call did not end within 10 s of its release"
	pw_late=$(($(pw_state late) - late0))
}

# pw_verdict CHECK EXPECT WHAT WHERE: the verdict of the last pw_round of
# EXPECT (wait, nowait) for the write WHAT, with the task parked WHERE;
# returns 0 when it is as expected
pw_verdict() {
	if [ -n "$pw_err" ]; then
		fail "$1: $pw_err"
	elif [ "$2" = nowait ]; then
		[ "$pw_blocked" = no ] && return 0
		fail "$1: $3, which lets no task out, was still running 10 s after it began, with a task preempted $4 (in a wait for tasks: $pw_stack)"
	elif [ "$pw_blocked" != yes ]; then
		fail "$1: $3 returned within 3 s while a task was preempted $4 ($pw_late calls then ended after it had returned)"
	elif [ "$pw_stack" != yes ]; then
		fail "$1: $3 was still running 3 s after it began, but not in a wait for tasks (/proc/PID/stack has no synchronize_rcu_tasks)"
	elif [ "$pw_late" != 0 ]; then
		fail "$1: $pw_late calls ended after $3 had returned"
	else
		return 0
	fi
	return 1
}

# pw_case CHECK EXPECT TEXT FILE [trunc] -- WHAT WHERE: a pw_round and
# its verdict; a failure is counted in pw_bad
pw_case() {
	local check=$1 expect=$2 text=$3 file=$4 trunc=''
	shift 4
	if [ "$1" = trunc ]; then
		trunc=trunc
		shift
	fi
	[ "$1" = -- ] && shift
	pw_round "$expect" "$text" "$file" $trunc
	pw_verdict "$check" "$expect" "$1" "$2" || pw_bad=1
}

pid_wait_check() {
	local parker line before after d pi2=$T/instances/ftarm_pid2
	for d in $PWI $pi2; do
		if [ -d $d ] && ! rmdir $d; then
			fail "pid-wait: an instance ${d##*/} is already there and cannot be removed"
			return
		fi
	done
	# The top level as nothing else left it: no tracer, no PID lists.
	echo nop >$T/current_tracer
	echo >$T/set_ftrace_pid
	echo >$T/set_ftrace_notrace_pid
	echo >$T/set_ftrace_filter
	if ! modprobe ftarm_pid; then
		fail "pid-wait: cannot load ftarm_pid"
		return
	fi
	mkdir $pi2
	parker=$(pw_state pid)
	line=$(grep -a '^ftarm_pid_fn ' $T/enabled_functions)
	echo "stress: pid-wait: the parker is $parker; ftarm_pid_fn: ${line#ftarm_pid_fn }"

	pw_bad=''
	case $line in
	*tramp:*) ;;
	*)
		fail "pid-wait: ftarm_pid_fn does not go through the ops' own trampoline, where the PID test runs preemptible: nothing checked ('$line')"
		pw_bad=1
		;;
	esac
	# The parker alone traced. Writes that let no task out of the
	# instance's filter, or change another array's lists, must not wait.
	echo "$parker" >$PWI/set_ftrace_pid
	echo >$PWI/set_ftrace_notrace_pid
	before=$(pw_call)
	[ -n "$pw_bad" ] || {
	pw_case pid-wait nowait $$ $PWI/set_ftrace_pid -- \
		"the append of a PID to set_ftrace_pid" "past its PID test"
	pw_case pid-wait nowait '' $PWI/set_ftrace_pid trunc -- \
		"the clear of set_ftrace_pid" "past its PID test"
	echo "$parker" >$PWI/set_ftrace_pid
	pw_case pid-wait nowait "$parker" $T/set_ftrace_notrace_pid -- \
		"a write to the top-level set_ftrace_notrace_pid" "past the PID test of another array"
	echo >$T/set_ftrace_notrace_pid
	pw_case pid-wait nowait "$parker" $pi2/set_ftrace_notrace_pid -- \
		"a write to another instance's set_ftrace_notrace_pid" "past the PID test of another array"
	echo >$pi2/set_ftrace_notrace_pid
	# Writes that take the parker out must wait for it.
	pw_case pid-wait wait "$parker" $PWI/set_ftrace_notrace_pid -- \
		"the append of the parker to set_ftrace_notrace_pid" "past its PID test, which the write makes fail"
	after=$(pw_call)
	echo >$PWI/set_ftrace_notrace_pid
	echo >$PWI/set_ftrace_pid
	echo 1 >$PWI/set_ftrace_notrace_pid
	pw_case pid-wait wait $$ $PWI/set_ftrace_pid -- \
		"a first set_ftrace_pid list without the parker, with set_ftrace_notrace_pid set," "past its PID test, which the write makes fail"
	echo >$PWI/set_ftrace_notrace_pid
	echo "$parker" >$PWI/set_ftrace_pid
	pw_case pid-wait wait $$ $PWI/set_ftrace_pid trunc -- \
		"a set_ftrace_pid list replaced (O_TRUNC) by one without the parker" "past its PID test, which the write makes fail"
	}
	if [ -n "$pw_bad" ]; then
		:
	elif [ "$before" != 1 ] || [ "$after" != 0 ]; then
		fail "pid-wait: the parker's calls reached ftarm_pid's function $before times before the writes (1 expected) and $after times after the notrace one (0 expected)"
	else
		pass "pid-wait: three writes that take a task out (a notrace PID, a first list with a notrace list set, a list replaced) each waited for it, parked past its PID test, in synchronize_rcu_tasks(); an append, a clear and writes to two other arrays did not wait (ftarm_pid_fn: ${line#ftarm_pid_fn })"
	fi
	echo >$PWI/set_ftrace_notrace_pid
	echo >$PWI/set_ftrace_pid

	# function_graph's PID test is in trace_graph_entry(), a window no
	# module can hold open: check that a first top-level PID list waits
	# for tasks (here, for the parker, in ftarm_pid's function) when
	# function_graph runs, and that an instance's does not.
	pw_bad=''
	if ! grep -qw function_graph $T/available_tracers; then
		skip "pid-wait-graph: no function_graph tracer"
	elif ! echo ftarm_pid_fn >$T/set_ftrace_filter ||
		! echo function_graph >$T/current_tracer; then
		fail "pid-wait-graph: cannot start function_graph on ftarm_pid_fn"
	else
		line=$(grep -a '^ftarm_pid_fn ' $T/enabled_functions)
		case $line in
		*set:*) ;;
		*)
			fail "pid-wait-graph: ftarm_pid_fn does not go through a set trampoline of function_graph and ftarm_pid's ops: nothing checked ('$line')"
			pw_bad=1
			;;
		esac
		[ -n "$pw_bad" ] || {
		pw_case pid-wait-graph nowait $$ $pi2/set_ftrace_notrace_pid -- \
			"a write to an instance's set_ftrace_notrace_pid, with function_graph on at the top level," "in a trampoline"
		pw_case pid-wait-graph wait $$ $T/set_ftrace_pid -- \
			"a first top-level set_ftrace_pid, with function_graph on," "in a trampoline"
		}
		[ -n "$pw_bad" ] ||
			pass "pid-wait-graph: a first top-level set_ftrace_pid waited for tasks in synchronize_rcu_tasks() while function_graph traced, an instance's notrace write did not (ftarm_pid_fn: ${line#ftarm_pid_fn })"
	fi
	echo nop >$T/current_tracer
	echo >$T/set_ftrace_pid
	echo >$T/set_ftrace_filter
	echo >$pi2/set_ftrace_notrace_pid
	rmdir $pi2 || fail "pid-wait: cannot remove the instance ftarm_pid2"
	modprobe -r ftarm_pid || fail "pid-wait: cannot unload ftarm_pid"
}
pid_wait_check
if [ -n "${pw_alone:-}" ] && [ -f $W/failed ]; then
	exit 1
fi
