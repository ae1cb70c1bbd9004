# shellcheck shell=sh
# Guest stage "churnloop", for chasing the open churn failure of
# ftarm_direct (issue 10), not part of make test: runs ftarm_direct's churn
# and churn_shared CHURN_N times (default 40) with their lost-call report
# and each attach and detach marked in the kernel log, and after a run
# that lost calls prints the kernel log around the loss. Boot the bti
# kernel with it:  bash scripts/boot.sh series-bti near churnloop
mkdir -p /sys/fs/bpf
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
cd /bpf || exit 1
for i in $(seq "${CHURN_N:-40}"); do
	echo "churnloop: run $i"
	dmesg -c > /dev/null
	FTARM_CHURN_TRACE=1 ./test_progs -v -t ftarm_direct/churn 2>&1 |
		grep -E 'churn|lost|FAIL|OK' | head -80
	if dmesg | grep -q LOST; then
		echo "churnloop: the kernel log around the loss"
		dmesg | grep -E 'ftarmdbg|churn|Call trace|^ *\[.*\] *[a-z_0-9.]+\+0x' |
			grep -B60 -A6 LOST
	fi
done
