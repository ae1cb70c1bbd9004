# shellcheck shell=sh
# Guest stage "freeloop", not part of make test, for the open question of
# README "QEMU and cross-modified code": vCPUs that branched from a
# callsite into a trampoline ftrace_shutdown() had just freed, while the
# check of ARM64_FTRACE_CHECK_TRAMP_FREE found no callsite leading there
# in memory. ftarm_stress's hot workers (a thread a CPU) call
# ftarm_hot_0() .. ftarm_hot_3() in a loop while the top-level function
# tracer, filtered to them, is started and stopped ftarm.freeloop_n times
# (default 300): each stop rewrites their callsites and frees the
# trampoline after RCU-tasks. Each round records the trampoline that
# enabled_functions names and what the four callsites hold in memory
# (ftarm_stress's route decoder), after the start and after the stop; at
# the first instruction abort the loop stops and prints the last rounds'
# records beside the abort's pc, and ftarm_stress's die notifier has
# printed, at the abort itself, the instruction before its link register
# as memory held it then. Boot the bti kernel with it:
#   BOOT_EXTRA=ftarm.freeloop_n=300 TCG=multi \
#	bash scripts/boot.sh series-bti near freeloop
. /guest/lib.sh
T=/sys/kernel/tracing
D=/sys/kernel/debug/ftarm_stress
n=$(cmdline_arg ftarm.freeloop_n)
[ -n "$n" ] || n=300
modprobe ftarm_stress || exit 1
addrs=$(awk '$3 ~ /^ftarm_hot_[0-3]$/ { print $1 }' /proc/kallsyms)
# state WHEN: a line of the record: the trampoline enabled_functions
# names, and where each hot function's callsite leads, in memory
state() {
	tr=$(sed -n 's/.*tramp: \(0x[0-9a-f]*\).*/\1/p' $T/enabled_functions | head -n 1)
	sites=
	for a in $addrs; do
		echo "$a" >$D/route
		sites="$sites $(sed -n 's/^at //p' $D/route)"
	done
	echo "freeloop: round $i $1: enabled_functions tramp ${tr:-none}, callsites$sites" >>/tmp/freeloop.rec
}
echo 'ftarm_hot_*' >$T/set_ftrace_filter || exit 1
echo 1 >$D/workers || exit 1
i=0 t0=$(cs)
while [ $i -lt "$n" ]; do
	i=$((i + 1))
	echo function >$T/current_tracer || exit 1
	state started
	usleep 20000
	echo nop >$T/current_tracer || exit 1
	state stopped
	if dmesg | grep -q 'Unable to handle kernel paging request'; then
		echo "freeloop: abort in round $i, after $(($(cs) - t0)) cs"
		tail -n 8 /tmp/freeloop.rec
		dmesg | grep -E ' (pc|lr) : |ftarm_faultdump: oops at' | head -n 6
		exit 1
	fi
	[ $((i % 50)) != 0 ] || echo "freeloop: $i rounds, $(($(cs) - t0)) cs, $(cat $D/workers) hot calls"
done
calls=$(cat $D/workers)
echo 0 >$D/workers
echo "freeloop: $i rounds done in $(($(cs) - t0)) cs, $calls hot calls, no abort"
