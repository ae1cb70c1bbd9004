#!/bin/sh
# Run the ftrace-ops-bench sample (samples/ftrace/ftrace-ops-bench.c) over
# the matrix given as ftarm.bench=R/I/S,R/I/S,... on the kernel command
# line (relevant ops, irrelevant ops, save_regs), one insmod of
# ftarm.bench_calls timed calls a point; the module prints one
# "ftrace-ops-bench: ..." line a point, which the host reads.  Then time,
# ftarm.bench_reps times, enabling the function tracer on every function
# and disabling it again, between marks written to /dev/kmsg, whose
# timestamps the host reads.  Meant for QEMU -icount, where guest
# nanoseconds count instructions.
. /guest/lib.sh
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
echo "bench: functions $(wc -l <$t/available_filter_functions)"
n=0
while [ $n -lt "$reps" ]; do
	n=$((n + 1))
	echo "ftarm-bench: mark enable-start $n" >/dev/kmsg
	echo function >$t/current_tracer
	echo "ftarm-bench: mark enable-end $n" >/dev/kmsg
	on=$(grep -c . $t/enabled_functions)
	echo "ftarm-bench: mark disable-start $n" >/dev/kmsg
	echo nop >$t/current_tracer
	echo "ftarm-bench: mark disable-end $n" >/dev/kmsg
	echo "bench: enable $n: $on functions enabled"
	if [ "$on" -lt 1000 ]; then
		echo "bench: enable $n: only $on functions enabled"
		rc=1
	fi
done
exit $rc
