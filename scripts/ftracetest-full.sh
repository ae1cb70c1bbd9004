#!/usr/bin/env bash
# ftracetest-full: the series' whole ftracetest in near and far mode (make
# test runs it near without the histogram cases of test.d/trigger, and
# far only the cases of BTI_TESTS, on the bti kernel: scripts/test.sh and
# scripts/variants.sh), each compared with the
# baseline. Results in build/results/series-{near,far}-full.json, the
# table in build/results/ftracetest-full.md, the time in
# timing-ftracetest-full.json (make readme puts them in README.md).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bash "$TOP/scripts/kernel.sh" series "" build
rm -f "$RESULTS"/series-{near,far}-full.json
rc=0
FAR_TESTS=all RESULT_SUFFIX=-full GUEST_TIMEOUT=${GUEST_TIMEOUT:-4500} bash "$TOP/scripts/kernel.sh" series auto ftracetest || rc=$?
[ -f "$RESULTS/base-near.json" ] || [ ! -f "$TOP/baseline/base-near.json" ] ||
	cp "$TOP/baseline/base-near.json" "$RESULTS/base-near.json"
docs=()
for m in near far; do
	[ -f "$RESULTS/series-$m-full.json" ] && docs+=("$RESULTS/series-$m-full.json")
done
[ ${#docs[@]} -gt 0 ] || die "ftracetest-full: no results (see above)"
python3 "$TOP/scripts/results.py" summary --out-md "$RESULTS/ftracetest-full.md" \
	--baseline "$RESULTS" "${docs[@]}" || rc=1
secs=$(($(date +%s) - HARNESS_T0))
printf '{"label": "ftracetest-full", "seconds": %d, "what": "make ftracetest-full, exit %d, %s cores"}\n' \
	"$secs" "$rc" "$(nproc)" >"$RESULTS/timing-ftracetest-full.json"
log "ftracetest-full: done in ${secs}s; table in build/results/ftracetest-full.md"
exit $rc
