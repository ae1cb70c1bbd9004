#!/bin/sh
# Run the kernel's own ftracetest (tools/testing/selftests/ftrace of the
# tree under test, copied to /ftracetest).  Before it runs, list every case
# in ftracetest's own order ("@@FTARM case N FILE") so that the host can
# name each numbered result by its file; instance runs come after the plain
# ones, as ftracetest orders them.  -v prints the log of every case that
# did not pass.
cd /ftracetest || exit 1
n=0
cases=$(find test.d -name '*.tc' | sort)
for t in $cases; do
	n=$((n + 1))
	echo "@@FTARM case $n ${t#test.d/}"
done
for t in $cases; do
	grep -q '^#[ 	]*flags:.*instance' "$t" || continue
	n=$((n + 1))
	echo "@@FTARM case $n instance:${t#test.d/}"
done
./ftracetest -v -l /tmp/ftracetest-logs
