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
# ftarm.skip=P:...: cases and directories of test.d that this run leaves
# out (make test's near guest: see scripts/test.sh). They are removed from
# this boot's copy of the installed tests, so the kselftest runner still
# runs ftracetest as it comes, over the others.
for d in $(cmdline_arg ftarm.skip | tr ':' ' '); do
	if [ ! -e "test.d/$d" ]; then
		echo "ftracetest: no such case or directory to leave out: $d"
		exit 2
	fi
	echo "@@FTARM skip $d"
	rm -rf "test.d/$d"
done
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
# case_clock: "@@FTARM start N T" when case N starts (T: seconds since
# boot), from the log file ftracetest creates for each case as it starts
# (it keeps those of the cases that did not pass, so the highest number is
# the running case). Shell builtins only, a sleep every two seconds: a
# case shorter than that may go unseen, and its time goes to the case
# before. The host reports the slowest cases (results.py times).
case_clock() {
	last=0
	while :; do
		for f in logs/*/[0-9]*-log.*; do
			[ -f "$f" ] || continue
			f=${f##*/}
			f=${f%%-*}
			if [ "$f" -gt "$last" ]; then
				last=$f
				echo "@@FTARM start $f $(($(cs) / 100))"
			fi
		done
		sleep 2
	done
}
rm -rf logs
case_clock &
clock=$!
if [ -z "$sel" ]; then
	(cd $KSFT && ./run_kselftest.sh -c ftrace)
	rc=$?
else
	# shellcheck disable=SC2086 # $args is a list of paths without blanks
	./ftracetest $args
	rc=$?
fi
kill $clock
echo "@@FTARM start end $(($(cs) / 100))"
# ftracetest keeps the log of every case that did not pass.
for f in logs/*/*-log.*; do
	[ -f "$f" ] || continue
	echo "==== ftracetest log ${f##*/}"
	sed 's/^/  | /' "$f"
done
exit $rc
