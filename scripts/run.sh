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
echo "-------- guest --------"
sed -n '/^@@FTARM begin demo/,/^@@FTARM end demo/p' "$console" | tr -d '\r' | grep -v '^@@FTARM'
echo "-----------------------"
if grep -q '^@@FTARM end demo rc=0' "$console"; then
	log "run: the guest says: demo OK"
else
	die "the demo failed in the guest" "$console"
fi
