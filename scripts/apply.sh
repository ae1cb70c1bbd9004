#!/usr/bin/env bash
# apply: build/src/series = base + the patches listed in patches/series.
# The patches are applied with git am in a scratch clone (build/src/am);
# the build tree then checks the result out, so only files whose content
# changed get a new mtime and the next build stays incremental.
# A patch that does not apply is reported with its name, the failing hunk
# and the log.  patches/ is only read.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BASE=$BUILD/src/base
AM=$BUILD/src/am
SERIES=$BUILD/src/series
logf=$LOGS/apply.log
[ -d "$BASE/.git" ] || die "no base tree" "" "make base"
# make test applies the series once, then sets HARNESS_APPLIED for the
# scripts it runs after (some side by side, which must not apply at once).
if [ -n "${HARNESS_APPLIED:-}" ] && [ -d "$SERIES/.git" ]; then
	exit 0
fi

clone() { # dir
	[ -d "$1/.git" ] && return 0
	rm -rf "$1"
	git clone -q --local --no-checkout "$BASE" "$1"
	git -C "$1" config user.name "ftrace-arm64 harness"
	git -C "$1" config user.email "dev@ftrace-arm64.invalid"
	git -C "$1" config gc.auto 0
	git -C "$1" checkout -q --detach base
}
clone "$AM"
clone "$SERIES"

# git's index lock: another target applying the series at this moment
# (make bisect-check, bench, stress and bpf-selftests apply it too), or
# one that was stopped while it did.
for d in "$AM" "$SERIES"; do
	[ ! -e "$d/.git/index.lock" ] ||
		die "$d is locked ($d/.git/index.lock) by another run of the harness" "" \
			"wait for it to finish; if none is running, remove the lock"
done

: >"$logf"
git -C "$AM" am --abort >/dev/null 2>&1 || true
git -C "$AM" checkout -q -f --detach base >>"$logf" 2>&1 &&
	git -C "$AM" clean -q -fdx >>"$logf" 2>&1 ||
	die "cannot reset $AM to the base" "$logf" "rm -rf $AM, then run it again"
n=0
while read -r p; do
	case $p in ''|'#'*) continue ;; esac
	[ -f "$TOP/patches/$p" ] || die "patches/series names $p, which is not in patches/" "" \
		"make export rewrites patches/series"
	if ! git -C "$AM" am -q --3way "$TOP/patches/$p" >>"$logf" 2>&1; then
		echo "---- git am ----" >&2
		grep -E '^(error|Patch failed|CONFLICT|Applying)' "$logf" | head -n 10 >&2 || tail -n 10 "$logf" >&2
		git -C "$AM" am --abort >/dev/null 2>&1 || true
		die "patch $p does not apply to the base ($(git -C "$BASE" log -1 --format=%s base))" "$logf" \
			"make tree, then rebase the series in build/linux and make export"
	fi
	n=$((n + 1))
done <"$TOP/patches/series"
head=$(git -C "$AM" rev-parse HEAD)
git -C "$SERIES" fetch -q "$AM" "$head" >>"$logf" 2>&1
git -C "$SERIES" checkout -q -f --detach "$head" >>"$logf" 2>&1 ||
	die "cannot check out the series in $SERIES" "$logf"
log "apply: $n patch(es) applied on $(git -C "$BASE" log -1 --format=%s base)"
