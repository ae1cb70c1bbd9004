#!/bin/sh
# Run the ftrace-ops-bench sample (samples/ftrace/ftrace-ops-bench.c) over
# the matrix given as ftarm.bench=R/I/S,R/I/S,... on the kernel command
# line (relevant ops, irrelevant ops, save_regs), one insmod a point; the
# module prints one "ftrace-ops-bench: ..." line a point, which the host
# reads from the kernel log.  Meant for QEMU -icount, where guest
# nanoseconds count instructions.
. /guest/lib.sh
matrix=$(cmdline_arg ftarm.bench)
[ -n "$matrix" ] || matrix="1/0/0,1/100/0"
rc=0
for point in $(echo "$matrix" | tr ',' ' '); do
	r=${point%%/*} rest=${point#*/}
	i=${rest%%/*} s=${rest#*/}
	if modprobe ftrace-ops-bench nr_relevant="$r" nr_irrelevant="$i" save_regs="$s"; then
		dmesg | grep 'ftrace-ops-bench: relevant=' | tail -n 1
		rmmod ftrace-ops-bench
	else
		echo "bench: point $point failed"
		dmesg | grep 'ftrace-ops-bench' | tail -n 3
		rc=1
	fi
done
exit $rc
