#!/bin/sh
# Guest stage "xmc", not part of make test: guest/modules/ftarm_xmc.c
# rewrites an instruction of its own as ftrace writes a callsite (store
# through the fixmap, cache maintenance, an IPI to every other CPU, then
# publish) while a thread on every other CPU calls it, and counts the calls
# that ran the old instruction after their CPU took the IPI: zero on
# hardware; not zero means the emulator kept a stale translation (README,
# "QEMU and cross-modified code"). ftarm.xmc_rounds=N (default 20000)
# rewrites per run, three runs. The module is built with the stress
# kernels' (scripts/stress.sh), for example after make test:
#   BOOT_EXTRA=ftarm.xmc_rounds=20000 TCG=multi GUEST_CPUS=4 \
#	bash scripts/boot.sh series-bti near xmc
. /guest/lib.sh
r=$(cmdline_arg ftarm.xmc_rounds)
P=/sys/module/ftarm_xmc/parameters
rc=0
for i in 1 2 3; do
	modprobe ftarm_xmc rounds="${r:-20000}" || exit 1
	echo "xmc: run $i: $(cat $P/rounds) rounds, $(cat $P/calls) calls, $(cat $P/stale) stale"
	[ "$(cat $P/stale)" = 0 ] || rc=1
	modprobe -r ftarm_xmc || exit 1
done
exit $rc
