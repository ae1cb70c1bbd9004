#!/usr/bin/env bash
# checkpatch: the kernel's scripts/checkpatch.pl --strict on every patch of
# the series (the cover letter excluded).  Writes build/results/
# checkpatch.json (one record a patch) and fails if any patch has an
# error, a warning or a check.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BASE=$BUILD/src/base
# checkpatch.pl runs scripts/spdxcheck.py with the python3 on PATH, which
# needs python3-ply: make it Debian's python, not another one found first.
export PATH=/usr/bin:$PATH
out=$RESULTS/checkpatch.json
logf=$LOGS/checkpatch.log
: >"$logf"
recs=() fail=0 n=0
while read -r p; do
	case $p in ''|'#'*|0000-*) continue ;; esac
	n=$((n + 1))
	# FILE_PATH_CHANGES is the "does MAINTAINERS need updating?" reminder
	# that fires for any new file; UNKNOWN_COMMIT_ID, the lookup of a
	# Fixes: tag's commit, which the base (one commit, no upstream
	# history) cannot do: commit-ids.py checks every cited id and title
	# against the hand-checked list scripts/commit-ids instead.
	if (cd "$BASE" && scripts/checkpatch.pl --strict --no-summary --quiet \
		--ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID "$TOP/patches/$p") >>"$logf" 2>&1 &&
		python3 "$TOP/scripts/commit-ids.py" "$TOP/scripts/commit-ids" \
			"$TOP/patches/$p" >>"$logf" 2>&1; then
		res=PASS
	else
		res=FAIL fail=1
		log "checkpatch: $p: FAILED"
	fi
	recs+=("{\"suite\": \"checkpatch\", \"name\": \"$p\", \"result\": \"$res\"}")
done <"$TOP/patches/series"
{
	printf '{"kernel": "series", "mode": "checkpatch", "results": [\n'
	( IFS=$'\n'; printf '%s\n' "${recs[*]:-}" ) | sed '$!s/$/,/' | grep -v '^$' || true
	printf ']}\n'
} >"$out"
if [ $fail = 1 ]; then
	sed -n 1,40p "$logf" >&2
	die "checkpatch.pl --strict found problems" "$logf" "fix the patch (make tree ... make export)"
fi
log "checkpatch: $n patch(es) clean with --strict"
