#!/usr/bin/env bash
# bpf: make bpf-selftests. The BPF selftests' test_progs on the unpatched
# base and on the series side by side: each kernel built with gcc and
# configs/bpf.config (BPF, JIT, BTF) over the test config, test_progs, its
# BPF objects and bpf_testmod.ko built against it
# (scripts/bpf-selftests.sh), then booted with guest/bpf.sh: the base in
# near mode (it has no forced-far knob), the series near and far. Results
# in build/results/bpf-KERNEL-MODE.json, one record a test and subtest, and
# build/results/bpf.md, the three side by side. Fails when the series
# fails a test (the base is expected to: 6.1 arm64 cannot attach fentry).
#   BPF_TESTS  the tests to build and run (scripts/bpf-selftests.sh)
#   KERNELS    "base series" (default), or one of them
#   BPF_NEAR_CMDLINE  what the near guests add to the command line
#             (default nokaslr, so that BPF trampolines are in BL range)
#   BPF_TCG_SINGLE  the modes whose guests run under TCG=single (default
#             "far"), where ftarm_direct's churn runs (guest/bpf.sh)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bash "$TOP/scripts/apply.sh"
export HARNESS_APPLIED=1
jsons=()
declare -A fr
for k in ${KERNELS:-base series}; do
	case $k in
	base) src=$BUILD/src/base ;;
	series) src=$BUILD/src/series ;;
	*) die "KERNELS: base or series, not '$k'" ;;
	esac
	obj=$BUILD/obj/$k-bpf
	frags=()
	for f in ${CONFIGS:-base ftrace} $([ $k = series ] && echo series) bpf; do
		frags+=("$TOP/configs/$f.config")
	done
	fr[$k]="${frags[*]}"
	bash "$TOP/scripts/config.sh" "$src" "$obj" "${frags[@]}"
	bash "$TOP/scripts/build.sh" "$src" "$obj"
	faultdump_module "$src" "$obj" "$k-bpf"
	bash "$TOP/scripts/bpf-selftests.sh" "$src" "$obj" "$obj/bpf"
	bash "$TOP/scripts/initramfs.sh" "$src" "$obj"
done
# Two guests at a time on the two cores.
runs=()
for k in ${KERNELS:-base series}; do
	case $k in base) runs+=("base near") ;; series) runs+=("series near" "series far") ;; esac
done
pids=() fail=0
for r in "${runs[@]}"; do
	read -r k m <<<"$r"
	if [ ${#pids[@]} -ge 2 ]; then
		wait "${pids[0]}" || fail=1
		pids=("${pids[@]:1}")
	fi
	# Near, without KASLR: BPF trampolines come from vmalloc, out of BL
	# range of a randomized kernel, so that only there does a callsite
	# call one with a BL of its own (which ftarm_direct checks).
	ex=${BOOT_EXTRA:-}
	[ "$m" = near ] && ex="$ex ${BPF_NEAR_CMDLINE-nokaslr}"
	BOOT_EXTRA=$ex TCG=$(tcg_mode "$m" "${BPF_TCG_SINGLE-far}") \
		bash "$TOP/scripts/boot.sh" "$k-bpf" "$m" bpf "${BPF_TIMEOUT:-2400}" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
for r in "${runs[@]}"; do
	read -r k m <<<"$r"
	src=$BUILD/src/$k
	console=$LOGS/console-$k-bpf-$m-bpf.log
	[ -f "$console" ] || continue
	read -r -a frags <<<"${fr[$k]}"
	parse_console "$k-bpf" "$m" "$console" "$src" "$RESULTS/bpf-$k-$m.json" 1 "${frags[@]}"
	jsons+=("$RESULTS/bpf-$k-$m.json")
done
[ ${#jsons[@]} -gt 0 ] || die "no BPF results (see above)"
[ $fail = 0 ] || log "bpf: a guest did not finish (see above); its results say what ran"
python3 "$TOP/scripts/results.py" compare --suite test_progs --out-md "$RESULTS/bpf.md" \
	--fail-on series "${jsons[@]}"
