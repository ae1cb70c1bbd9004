#!/bin/sh
# The "boot" point of the benchmark: this kernel was booted with
# ftrace=function, so the top-level function tracer (global_ops, a static
# ops) has been registered since early boot, before module_alloc() could
# place trampolines. Narrow its filter to the benchmark's function (the
# tracer stays registered) and let the module time calls of it with no ops
# of its own (R=0, I=0). Meant for QEMU -icount, like guest/bench.sh.
. /guest/lib.sh
t=/sys/kernel/tracing
calls=$(cmdline_arg ftarm.bench_calls)
[ -n "$calls" ] || calls=100000
[ "$(cat $t/current_tracer)" = function ] || {
	echo "bench: the function tracer is not running (boot with ftrace=function)"
	exit 1
}
if [ ! -e /proc/modules ]; then
	# A kernel without modules (make bench's): the sample is built in and
	# ran at boot, while the tracer traced its function alone
	# (ftrace_filter=bench_traced_func), with no ops of its own
	# (ftrace_ops_bench.nr_relevant=0 nr_irrelevant=0).
	line=$(dmesg | grep 'ftrace-ops-bench: relevant=0 irrelevant=0 ' | tail -n 1)
	if [ -z "$line" ]; then
		echo "bench: the built-in benchmark printed no result:"
		dmesg | grep 'ftrace-ops-bench'
		exit 1
	fi
	if [ "$(cat $t/enabled_functions | wc -l)" != 1 ] ||
		! grep -q '^bench_traced_func ' $t/enabled_functions; then
		echo "bench: the tracer does not trace bench_traced_func alone:"
		cat $t/enabled_functions
		exit 1
	fi
	cat $t/enabled_functions
	echo "bench: static nomodules: $line"
	exit 0
fi
echo 'bench_traced_func:mod:ftrace_ops_bench' >$t/set_ftrace_filter
if ! modprobe ftrace-ops-bench nr_relevant=0 nr_irrelevant=0 save_regs=0 \
	nr_calls="$calls"; then
	echo "bench: static point boot failed"
	exit 1
fi
grep '^bench_traced_func ' $t/enabled_functions
echo "bench: static boot: $(dmesg | grep 'ftrace-ops-bench: relevant=' | tail -n 1)"
rmmod ftrace-ops-bench
