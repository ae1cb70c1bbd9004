# shellcheck shell=sh
# Guest stage "bpf": the BPF selftests' test_progs (scripts/bpf-selftests.sh
# stages it in /bpf with its objects and bpf_testmod.ko), the tests named
# by ftarm.bpf=NAME[,NAME...] on the kernel command line, else all that
# were built and all that the build was asked for. Each test prints its
# own "#N name:OK|FAIL|SKIP" lines and "#N/M name/subtest:..." for its
# subtests, which scripts/results.py records. fexit_sleep runs last and
# alone, under a time limit: upstream's arm64 deny list has it for a test
# that may never return.
# DENY: what cannot pass on 6.1 arm64 for a reason that is not the series'
# own, or an open bug of ours being chased, each line "test[/subtest]
# reason". Each is left out of the run and reported UNSUPPORTED with its
# reason (counted and shown, never a pass).
. /guest/lib.sh
DENY=
# A BPF kprobe_multi link is an fprobe: a kernel without FPROBE cannot
# attach one (the base: fprobe needs a rethook, which 6.1 arm64 has only
# with the series). /proc/config.gz is there (configs/bpf.config).
if ! config=$(zcat /proc/config.gz); then
	echo "bpf: no /proc/config.gz: is configs/bpf.config merged?"
	exit 1
fi
if ! echo "$config" | grep -q '^CONFIG_FPROBE=y'; then
	DENY="kprobe_multi_test BPF kprobe_multi needs fprobe, which needs a rethook: this kernel has no CONFIG_FPROBE (6.1 arm64 without the series has no rethook)
kprobe_multi_bench_attach kprobe_multi, as above
bpf_cookie/multi_kprobe_link_api kprobe_multi, as above
bpf_cookie/multi_kprobe_attach_api kprobe_multi, as above"
fi
# ftarm_direct's attach/detach churn checks every call while other vCPUs
# run the callsite being patched: under QEMU's multi-threaded TCG a round
# lost every call about one run in twenty while memory held the right code
# (suspected: a stale translation, README "QEMU and cross-modified code").
# The churn runs in the guests booted with TCG=single (ftarm.tcg=single).
if [ "$(cmdline_arg ftarm.tcg)" != single ]; then
	DENY="$DENY${DENY:+
}ftarm_direct/churn runs under TCG=single only: QEMU 7.2's multi-threaded TCG lost whole rounds with memory right, a suspected stale translation (README: QEMU and cross-modified code)
ftarm_direct/churn_shared as churn"
fi
if [ ! -x /bpf/test_progs ]; then
	echo "bpf: no /bpf/test_progs in this initramfs"
	exit 1
fi
mkdir -p /mnt /sys/fs/bpf
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
cd /bpf || exit 1
built=$(./test_progs -l | tr '\n' ' ')
want=$(cmdline_arg ftarm.bpf | tr ',' ' ')
if [ -z "$want" ]; then
	# Every test built, and every test the build was asked for
	# (/bpf/wanted, from scripts/bpf-selftests.sh): one that is not in
	# test_progs is MISSING, a failure.
	want=$built
	for t in $(cat /bpf/wanted 2>/dev/null); do
		case " $want " in *" $t "*) ;; *) want="$want $t" ;; esac
	done
fi
echo "bpf: tests: $want"
[ -z "$DENY" ] || echo "$DENY" | while read -r n why; do echo "bpf: UNSUPPORTED: $n: $why"; done
deny=$([ -z "$DENY" ] || echo "$DENY" | while read -r n why; do printf '%s,' "$n"; done)
deny=${deny%,}
# ftarm.bpf_exclude=TEST/SUBTEST[,...]: subtests this stage leaves to the
# stress stage of the same guest (make test's stress round: ftarm_direct's
# churn subtests, which guest/stress.sh runs again and again beside its
# churn, and reports). That stage runs them only under TCG=single (see
# above); elsewhere they stay here.
exclude=$(cmdline_arg ftarm.bpf_exclude)
if [ -n "$exclude" ] && [ "$(cmdline_arg ftarm.tcg)" != single ]; then
	echo "bpf: ftarm.bpf_exclude ignored: the stress stage runs ftarm_direct's churn under TCG=single only"
	exclude=
fi
for e in $(echo "$exclude" | tr ',' ' '); do
	case $e in
	*/*) ;;
	*) echo "bpf: ftarm.bpf_exclude takes subtests (TEST/SUBTEST), not '$e'"; exit 1 ;;
	esac
done
if [ -n "$exclude" ]; then
	echo "bpf: left to the stress stage (ftarm.bpf_exclude): $exclude"
	deny="$deny${deny:+,}$exclude"
fi
rc=0 first= last=
for t in $want; do
	case " $built " in
	*" $t "*) ;;
	*) echo "bpf: MISSING: $t is not in this test_progs"; rc=1; continue ;;
	esac
	if [ "$t" = fexit_sleep ]; then last=$t; else first="$first${first:+,}$t"; fi
done
if [ -n "$first" ]; then
	./test_progs -t "$first" ${deny:+-d "$deny"} || rc=1
fi
if [ -n "$last" ]; then
	timeout 300 ./test_progs -t "$last"
	r=$?
	[ $r = 124 ] && echo "bpf: TIMEOUT: $last did not finish in 300 s"
	[ $r = 0 ] || rc=1
fi
exit $rc
