#!/bin/sh
# What "make run" shows: two tracefs instances, each tracing one function
# through its own set_ftrace_filter, the callsites in enabled_functions and
# an excerpt of each trace.  Fails unless each instance saw calls of its own
# function and none of the other's.
T=/sys/kernel/tracing
fail=0
setup() { # instance function
	mkdir "$T/instances/$1"
	echo "$2" >"$T/instances/$1/set_ftrace_filter"
	echo function >"$T/instances/$1/current_tracer"
}
# KASLR: the kernel's link address is 0xffffffc008000000 for this config's
# 39-bit VA; /proc/kallsyms shows where it really runs.
echo "# kernel text at $(grep -m 1 ' _text$' /proc/kallsyms | cut -d' ' -f1) (KASLR)"
setup demo_a vfs_read
setup demo_b vfs_write
echo "# instance demo_a traces vfs_read, demo_b traces vfs_write"
for i in 1 2 3; do cat /proc/version >/dev/null; done
echo "# enabled_functions:"
cat "$T/enabled_functions"
for inst in demo_a:vfs_read:vfs_write demo_b:vfs_write:vfs_read; do
	name=${inst%%:*} rest=${inst#*:}
	own=${rest%%:*} other=${rest#*:}
	echo 0 >"$T/instances/$name/tracing_on"
	echo "# trace of $name (first lines):"
	grep -v '^#' "$T/instances/$name/trace" | head -n 5
	hits=$(grep -c " $own <-" "$T/instances/$name/trace")
	stray=$(grep -c " $other <-" "$T/instances/$name/trace")
	echo "# $name: $hits calls of $own, $stray of $other"
	[ "$hits" -gt 0 ] && [ "$stray" -eq 0 ] || fail=1
done
for name in demo_a demo_b; do
	echo nop >"$T/instances/$name/current_tracer"
	rmdir "$T/instances/$name"
done
if [ $fail -eq 0 ]; then echo "demo: OK"; else echo "demo: FAILED"; fi
exit $fail
