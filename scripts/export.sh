#!/usr/bin/env bash
# export: write the commits of build/linux (base..series) back into
# patches/ with git format-patch: stable names, a zero commit id and no
# version signature so that an unchanged commit gives a byte-identical
# file; the cover letter comes from the branch description.
# usage: export.sh [DIR]   DIR defaults to patches/; tree.sh exports into a
#                          scratch DIR to see whether build/linux holds work
#                          that patches/ does not.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dest=${1:-$TOP/patches}

LINUX=$BUILD/linux
[ -d "$LINUX/.git" ] || die "no build/linux" "" "make tree"
cd "$LINUX"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	die "build/linux has uncommitted changes" "" "commit them first"
n=$(git rev-list --count base..HEAD)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$n" -gt 0 ]; then
	# core.abbrev=12 (the kernel's recommended length): with "auto" the
	# abbreviated ids in the index lines depend on the repository's size.
	git -c core.abbrev=12 format-patch -q --zero-commit --no-signature --cover-letter \
		--cover-from-description=subject --subject-prefix=PATCH \
		-o "$tmp" base..HEAD
fi
mkdir -p "$dest"
rm -f "$dest"/*.patch
for f in "$tmp"/*.patch; do
	[ -e "$f" ] || continue
	# format-patch dates the cover letter now; pin it to the newest commit
	# so that an unchanged series exports unchanged.
	case $f in */0000-cover-letter.patch)
		d=$(git log -1 --format=%aD HEAD)
		sed -i "0,/^Date: .*/s//Date: $d/" "$f" ;;
	esac
	cp "$f" "$dest/"
done
{
	echo "# Applied in this order on the base (configs/base-version)."
	(cd "$dest" && ls [0-9]*.patch 2>/dev/null | grep -v '^0000-cover-letter.patch$') || true
} >"$dest/series"
[ -n "${1:-}" ] && exit 0
log "export: $n patch(es) written to patches/"
git -C "$TOP" status --short -- patches
