#!/bin/sh
# Time, ftarm.bench_reps times (default 3), enabling the function tracer on
# every function and disabling it again, between marks written to
# /dev/kmsg, whose timestamps the host reads (scripts/bench.py). The last
# part of guest/bench.sh, which sources it with $t, $reps and $rc set; also
# a stage of its own, for make bench's reference kernel (the series up to
# BENCH_REF, scripts/bench.sh), of which only this figure is compared.
# Meant for QEMU -icount, where guest nanoseconds count instructions.
if [ -z "${t:-}" ]; then
	. /guest/lib.sh
	t=/sys/kernel/tracing
	reps=$(cmdline_arg ftarm.bench_reps)
	[ -n "$reps" ] || reps=3
	rc=0
fi
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
