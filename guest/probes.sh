# shellcheck shell=sh
# Guest stage "probes": fprobe and its return hook (rethook), through the
# kernel's own sample, samples/fprobe/fprobe_example.ko, on kernel_clone(),
# which only the forks made here call in this guest. The sample prints
# "Enter <sym> ip = ..." at each entry and "Return from <sym> ip = ... to
# rip = ... (caller)" at each return, each followed by a stack trace taken
# in the handler. Checks, each a "probes: PASS|FAIL: what -- figures" line
# that scripts/results.py records:
# - the fprobe registers, and N forks give N entries and N returns;
# - each return goes back to kernel_clone()'s caller of a fork,
#   __do_sys_clone() (__arm64_sys_clone() with clang, which inlines it):
#   regs->pc is the real return address;
# - the stack trace taken on return goes from the rethook trampoline to
#   that caller: the unwinder replaces the trampoline's address in its
#   frame record with the real one;
# - after rmmod no entry or return is printed any more.
# Then twice more with the graph tracer on kernel_clone() too, started
# before the fprobe and after it, so that either ops is called first and
# the other saves its trampoline as the return address: the graph tracer
# must trace the forks, the sample's "rip" is the caller where the fprobe
# ran first and return_to_handler where the graph tracer did (the function
# does return there), which shows each order ran; the stack traces on
# return must still go from the trampoline to the caller, never
# return_to_handler.
# A kernel without CONFIG_SAMPLE_FPROBE (the base: 6.1 arm64 has no
# rethook, so no FPROBE) reports UNSUPPORTED.
. /guest/lib.sh

T=/sys/kernel/tracing
rc=0
check() { # result what [figures]
	echo "probes: $1: $2${3:+ -- $3}"
	[ "$1" = PASS ] || rc=1
}

if ! modinfo fprobe_example >/dev/null 2>&1; then
	echo "probes: UNSUPPORTED: fprobe sample -- no fprobe_example module (CONFIG_SAMPLE_FPROBE, which needs FPROBE and HAVE_RETHOOK)"
	exit 0
fi

n=3
graph_on() {
	echo kernel_clone >$T/set_ftrace_filter &&
		echo function_graph >$T/current_tracer
}
graph_off() {
	echo nop >$T/current_tracer
	echo >$T/set_ftrace_filter
}

# fprobe_round LABEL GRAPH: the fprobe on kernel_clone, N forks, the
# checks; GRAPH: none, before (the graph tracer started before the
# fprobe: the fprobe's ops is called first) or after.
fprobe_round() {
	label=$1 graph=$2
	dmesg -c >/dev/null
	if [ "$graph" = before ] && ! graph_on; then
		check FAIL "$label: the graph tracer starts on kernel_clone"
		return
	fi
	if modprobe fprobe_example symbol=kernel_clone; then
		check PASS "$label: fprobe_example registers on kernel_clone"
	else
		check FAIL "$label: fprobe_example registers on kernel_clone"
		dmesg | tail -n 20
		graph_off
		return
	fi
	if [ "$graph" = after ] && ! graph_on; then
		check FAIL "$label: the graph tracer starts on kernel_clone"
	fi
	i=0
	while [ $i -lt $n ]; do
		/bin/busybox true
		i=$((i + 1))
	done
	rmmod fprobe_example
	# The graph tracer's own record of the forks' calls (before it stops:
	# switching the tracer clears the buffer).
	graphed=$(grep -c 'kernel_clone()' $T/trace)
	graph_off
	log=$(dmesg)
	echo "$log" | grep -A 16 -m 1 'Return from <kernel_clone' | sed "s/^/probes: $label | /"
	enter=$(echo "$log" | grep -c 'Enter <kernel_clone+')
	ret=$(echo "$log" | grep -c 'Return from <kernel_clone+')
	[ "$enter" -ge $n ] && [ "$enter" = "$ret" ] && r=PASS || r=FAIL
	check "$r" "$label: as many returns as entries, every fork counted" "$n forks: $enter entries, $ret returns"
	# Where each fork's call returns to (regs->pc of the exit handler,
	# which rethook takes from its node, not from the unwinder): the
	# caller, found in the first round, unless the graph tracer's ops ran
	# first and the fprobe's rethook saved its return_to_handler.
	if [ "$graph" = none ]; then
		caller=$(echo "$log" |
			sed -n 's/.*Return from <kernel_clone+.* (\([A-Za-z0-9_.]*\)+0x.*/\1/p' |
			sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
		# clone()'s own code: __do_sys_clone, which clang inlines into
		# its wrapper
		case $caller in
		__do_sys_clone | __arm64_sys_clone) ;;
		*) check FAIL "$label: the forks return to clone()'s code" "returns to '$caller'" ;;
		esac
	fi
	to=$caller
	[ "$graph" = after ] && to=return_to_handler
	rip=$(echo "$log" | grep 'Return from <kernel_clone+' | grep -c "($to+")
	[ "$rip" -ge $n ] && r=PASS || r=FAIL
	check $r "$label: the forks return to $to" "$rip of $ret returns"
	if [ "$graph" != none ]; then
		[ "$graphed" -ge $n ] && r=PASS || r=FAIL
		check $r "$label: the graph tracer traced the forks" "$graphed calls of kernel_clone in its buffer"
	fi
	# The stack trace printed after each return of a fork, up to the next
	# entry or return line: the handler's frames, the trampoline (at an
	# offset: the call of its callback), then right after it the caller,
	# never the trampoline's own address (+0x0) nor return_to_handler,
	# which the unwinder replaces (left there, the next frame would be the
	# caller's caller).
	traces=$(echo "$log" | awk -v c="$caller" -v t="$to" '
		index($0, "Return from <kernel_clone+") && index($0, "(" t "+") { inret = 1; want = 0; n++; next }
		/Enter <|Return from </ { inret = 0; next }
		!inret { next }
		/arch_rethook_trampoline\+0x0\/|return_to_handler/ { bad++ }
		want { if (index($0, " " c "+")) ok++; want = 0; next }
		/arch_rethook_trampoline\+0x/ { want = 1 }
		END { printf "%d %d %d\n", n, ok, bad }')
	# shellcheck disable=SC2086 # three numbers
	set -- $traces
	[ "$1" -ge $n ] && [ "$2" = "$1" ] && [ "$3" = 0 ] && r=PASS || r=FAIL
	check $r "$label: stack traces on return unwind through the trampoline" "$2 of $1 go from the trampoline to $caller; unresolved trampoline addresses: $3"

	dmesg -c >/dev/null
	/bin/busybox true
	after=$(dmesg | grep -c 'Enter <kernel_clone+\|Return from <kernel_clone+')
	[ "$after" = 0 ] && r=PASS || r=FAIL
	check $r "$label: no hit after rmmod" "$after hits"
}

caller=
fprobe_round fprobe none
fprobe_round graph-before before
fprobe_round graph-after after
exit $rc
