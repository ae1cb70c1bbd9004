#!/bin/sh
# Run the kernel's own ftrace selftests, installed by the kernel's
# kselftest-install target in /kselftest: all of them through the
# kselftest runner (run_kselftest.sh -c ftrace, TAP output, as "make
# kselftest" runs them), or the cases and directories given as
# ftarm.tests=A:B:... (relative to test.d) on the kernel command line
# through the installed ftracetest itself, since the runner passes no
# arguments.  Before it runs, list every case in ftracetest's own order
# ("@@FTARM case N FILE") so that the host can name each numbered result by
# its file; instance runs come after the plain ones, as ftracetest orders
# them.  The logs of the cases that did not pass are printed at the end.
. /guest/lib.sh
KSFT=/kselftest
cd $KSFT/ftrace || exit 1
sel=$(cmdline_arg ftarm.tests)
args=
if [ -z "$sel" ]; then
	cases=$(find test.d -name '*.tc' | sort)
else
	cases=
	for s in $(echo "$sel" | tr ':' ' '); do
		if [ -d "test.d/$s" ]; then
			cases="$cases $(find "test.d/$s" -name '*.tc' | sort)"
			args="$args test.d/$s"
		elif [ -f "test.d/$s" ]; then
			cases="$cases test.d/$s"
			args="$args test.d/$s"
		else
			echo "ftracetest: no such test or directory: $s"
			exit 2
		fi
	done
fi
n=0
for t in $cases; do
	n=$((n + 1))
	echo "@@FTARM case $n ${t#test.d/}"
done
for t in $cases; do
	grep -q '^#[ 	]*flags:.*instance' "$t" || continue
	n=$((n + 1))
	echo "@@FTARM case $n instance:${t#test.d/}"
done
rm -rf logs
if [ -z "$sel" ]; then
	(cd $KSFT && ./run_kselftest.sh -c ftrace)
	rc=$?
else
	# shellcheck disable=SC2086 # $args is a list of paths without blanks
	./ftracetest $args
	rc=$?
fi
# ftracetest keeps the log of every case that did not pass.
for f in logs/*/*-log.*; do
	[ -f "$f" ] || continue
	echo "==== ftracetest log ${f##*/}"
	sed 's/^/  | /' "$f"
done
exit $rc
