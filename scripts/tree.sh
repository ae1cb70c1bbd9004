#!/usr/bin/env bash
# tree: the editing tree.  build/linux becomes a git repository with the
# base as one commit (tag "base") and every patch of patches/series as a
# commit on branch "series"; the cover letter's subject and text become
# the branch description, which "make export" turns back into the cover
# letter.  Refuses to replace a tree that has work not in patches/ unless
# FORCE=1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BASE=$BUILD/src/base
LINUX=$BUILD/linux
logf=$LOGS/tree.log
[ -d "$BASE/.git" ] || die "no base tree" "" "make base"

if [ -d "$LINUX/.git" ] && [ "${FORCE:-0}" != 1 ]; then
	if [ -n "$(git -C "$LINUX" status --porcelain --untracked-files=no)" ]; then
		die "build/linux has uncommitted changes" "" "commit them and make export, or FORCE=1 make tree to discard"
	fi
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	bash "$TOP/scripts/export.sh" "$tmp"
	if ! diff -r -q "$tmp" "$TOP/patches" >/dev/null; then
		diff -r -q "$tmp" "$TOP/patches" >&2 || true
		die "build/linux has commits that differ from patches/" "" \
			"make export to keep them, or FORCE=1 make tree to discard them"
	fi
fi
rm -rf "$LINUX"
git clone -q --local --no-checkout "$BASE" "$LINUX"
cd "$LINUX"
git config user.name "ftrace-arm64 developers"
git config user.email "dev@ftrace-arm64.invalid"
git checkout -q -b series base
n=0
while read -r p; do
	case $p in ''|'#'*) continue ;; esac
	if ! git am -q --3way "$TOP/patches/$p" >>"$logf" 2>&1; then
		git am --abort >/dev/null 2>&1 || true
		die "patch $p does not apply" "$logf" "fix patches/$p by hand, or rebase it on the base"
	fi
	n=$((n + 1))
done <"$TOP/patches/series"
cover=$TOP/patches/0000-cover-letter.patch
if [ -f "$cover" ]; then
	# Subject without "[PATCH 0/N] ", then the text up to the shortlog.
	{
		# The subject may be folded over several header lines.
		awk '/^Subject: / { s = $0; while ((getline l) > 0 && l ~ /^[ \t]/) s = s l
				     print s; exit }' "$cover" |
			sed 's/^Subject: \(\[[^]]*\] \)\{0,1\}//'
		echo
		awk 'body && /^[^ ].* \([0-9]+\):$/ { exit }
		     body { print }
		     !body && /^$/ { body = 1 }' "$cover"
	} | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$BUILD/cover.txt"
	git config branch.series.description "$(cat "$BUILD/cover.txt")"
fi
log "tree: build/linux: base + $n commit(s) on branch series (edit, commit, then make export)"
log "tree: note: Debian's .gitignore ignores all new files (/*): git add -f them"
