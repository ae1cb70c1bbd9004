# shellcheck shell=sh
# Helpers for the guest stages; sourced, never run.

# cmdline_arg NAME: the value of NAME=VALUE on the kernel command line,
# empty when it is not there.
cmdline_arg() {
	for arg in $(cat /proc/cmdline); do
		case $arg in
		"$1"=*) echo "${arg#*=}" ;;
		esac
	done
}

# exited_within PID TENTHS: wait up to TENTHS tenths of a second for the
# background task PID to exit; true if it has.
exited_within() {
	ew_n=0
	while kill -0 "$1" 2>/dev/null && [ $ew_n -lt "$2" ]; do
		usleep 100000
		ew_n=$((ew_n + 1))
	done
	! kill -0 "$1" 2>/dev/null
}

# cs: the uptime in centiseconds (shell builtins only).
cs() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}

# postmortem: after an instruction abort whose link register names a
# function (a branch from its callsite into code that is gone, such as a
# freed trampoline: README, "QEMU and cross-modified code"), what that
# callsite holds now, read from memory by ftarm_stress's route decoder
# when the module is loaded, and its line of enabled_functions (read in
# the background: a task that died holding ftrace_lock would block it).
postmortem() {
	dmesg | grep -q 'Unable to handle kernel paging request' || return 0
	# the lr of each oops whose pc is in no symbol
	for sym in $(dmesg | awk '/ pc : 0x[0-9a-f]*$/ { bare = 1; next }
		/ lr : / { if (bare) { sub(/.* lr : /, ""); sub(/\+0x.*/, ""); print }
			bare = 0 }' | sort -u); do
		addr=$(awk -v s="$sym" '$3 == s { print $1; exit }' /proc/kallsyms)
		echo "postmortem: $sym at ${addr:-an unknown address}"
		[ -n "$addr" ] || continue
		r=/sys/kernel/debug/ftarm_stress/route
		if [ -w $r ] && echo "$addr" >$r; then
			sed -n "s/^at /postmortem: $sym's callsite in memory: /p" $r
		fi
		grep "^$sym " /sys/kernel/tracing/enabled_functions >/tmp/postmortem.ef 2>&1 &
		sleep 2
		sed "s/^/postmortem: enabled_functions: /" /tmp/postmortem.ef
	done
}
