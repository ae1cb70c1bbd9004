#!/usr/bin/env bash
# variants: the series in the other configurations it must support, each
# merged over the test config (configs/variants/NAME.config):
#   nofgraph   !FUNCTION_GRAPH_TRACER, built;
#   nomodules  !MODULES, built;
#   bti        ARM64_BTI_KERNEL with clang (LLVM=1), built and booted in
#              far mode (ftrace_tramp_far=1: every call into ftrace and
#              from a trampoline to its function is a BR X16) with the
#              boot self-tests, KUnit and the ftracetest cases in
#              BTI_TESTS: QEMU -cpu max enforces BTI, so a BR to a target
#              without its landing pad faults.
# Each variant is one result in build/results/variants.json (a failed build
# is a FAIL with its log, and the next variant still runs); the BTI boot is
# build/results/series-bti-far.json.
# usage: variants.sh [NAME...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(nofgraph nomodules bti)
BTI_TESTS=${BTI_TESTS:-"ftrace/func-tramp-instances.tc ftrace/func-tramp-shared.tc
	ftrace/fgraph-tramp.tc ftrace/func-tramp-module.tc ftrace/func-tramp-churn.tc
	ftrace/func_set_ftrace_file.tc ftrace/fgraph-filter.tc ftrace/func-filter-glob.tc
	ftrace/func_mod_trace.tc ftrace/func-filter-pid.tc ftrace/func_profiler.tc
	instances/instance-event.tc kprobe/kprobe_args.tc"}

bash "$TOP/scripts/apply.sh"
src=$BUILD/src/series
frags=()
for f in ${CONFIGS:-base ftrace} series; do frags+=("$TOP/configs/$f.config"); done
out=$RESULTS/variants.json
recs=()
for v in "${names[@]}"; do
	frag=$TOP/configs/variants/$v.config
	[ -f "$frag" ] || die "no variant $v ($frag)"
	obj=$BUILD/obj/series-$v
	llvm=
	[ "$v" = bti ] && llvm=1
	log "variants: $v: config and build${llvm:+ (LLVM=1)}"
	if LLVM=$llvm bash "$TOP/scripts/config.sh" "$src" "$obj" "${frags[@]}" "$frag" &&
		LLVM=$llvm bash "$TOP/scripts/build.sh" "$src" "$obj"; then
		res=PASS
	else
		res=FAIL
		log "variants: $v: FAILED to build (log $LOGS/build-series-$v.log)"
	fi
	recs+=("{\"suite\": \"variant-build\", \"name\": \"$v\", \"result\": \"$res\", \"log\": \"$LOGS/build-series-$v.log\"}")
	if [ "$v" = bti ] && [ $res = PASS ]; then
		grep -q '^CONFIG_ARM64_BTI_KERNEL=y' "$obj/.config" ||
			die "variants: bti: ARM64_BTI_KERNEL is not set in $obj/.config"
		bash "$TOP/scripts/initramfs.sh" "$src" "$obj"
		console=$LOGS/console-series-bti-far-ftracetest.log
		FTRACETEST=$BTI_TESTS bash "$TOP/scripts/boot.sh" series-bti far ftracetest ||
			log "variants: bti: the guest did not finish (results below)"
		parse_console series-bti far "$console" "$src" "$RESULTS/series-bti-far.json" 1 \
			"${frags[@]}" "$frag"
	fi
done
(IFS=,; echo "{\"kernel\": \"series\", \"mode\": \"variants\", \"results\": [${recs[*]}]}") >"$out"
log "variants: done: $out"
