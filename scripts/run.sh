#!/usr/bin/env bash
# run: the newcomer's first command.  Builds the series kernel, boots it
# and runs guest/demo.sh: two tracefs instances tracing different
# functions, their enabled_functions lines and trace excerpts.  Exits 0
# only if the guest says the demo worked.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bash "$TOP/scripts/kernel.sh" series "" ""
bash "$TOP/scripts/boot.sh" series near demo 600
console=$LOGS/console-series-near-demo.log
# What the guest printed between its demo markers, as it printed it (the
# trace excerpts start with blanks).
shown=$LOGS/demo-shown.txt
sed -n '/^@@FTARM begin demo/,/^@@FTARM end demo/p' "$console" | tr -d '\r' |
	grep -v '^@@FTARM' >"$shown" || true
echo "-------- guest --------"
cat "$shown"
echo "-----------------------"
# Each instance's excerpt must have reached this terminal: at least one
# trace line after its "# trace of" heading.
for inst in demo_a demo_b; do
	awk -v h="# trace of $inst" 'index($0, h) == 1 { on = 1; next }
		on && /^#/ { exit }
		on && NF { n++ }
		END { exit !(n > 0) }' "$shown" ||
		die "the trace excerpt of $inst is missing from the output above" "$console" \
			"compare with the console log; the guest prints it in guest/demo.sh"
done
if grep -q '^@@FTARM end demo rc=0' "$console"; then
	log "run: the guest says: demo OK"
else
	die "the demo failed in the guest" "$console"
fi
