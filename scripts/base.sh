#!/usr/bin/env bash
# base: unpack Debian's linux-source-6.1 into build/src/base and make it a
# git repository whose single commit, tagged "base", is the pristine tree.
# Every other tree (the test tree, the editing tree) is a local clone of it.
# Redone only when the installed package version changes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

TARBALL=/usr/src/linux-source-6.1.tar.xz
BASE=$BUILD/src/base
[ -f "$TARBALL" ] || die "no $TARBALL" "" "make deps"
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)

if [ -f "$BUILD/src/base.version" ] && [ "$(cat "$BUILD/src/base.version")" = "$ver" ]; then
	exit 0
fi
log "base: unpacking linux-source-6.1 $ver"
rm -rf "$BASE" "$BUILD/src/series" "$BUILD/obj"
mkdir -p "$BASE"
tar -C "$BASE" --strip-components=1 -xf "$TARBALL" ||
	die "cannot unpack $TARBALL" "" "reinstall linux-source-6.1 (make deps)"
kver=$(make -s -C "$BASE" kernelversion)
log "base: committing Linux $kver as the base commit"
(
	cd "$BASE"
	git init -q -b base-tree
	git config user.name "ftrace-arm64 harness"
	git config user.email "dev@ftrace-arm64.invalid"
	git config gc.auto 0
	git add -A -f .
	git commit -q -m "Linux $kver (Debian linux-source-6.1 $ver)"
	git tag base
) >"$LOGS/base.log" 2>&1 || die "cannot create the base git tree" "$LOGS/base.log"
echo "$ver" >"$BUILD/src/base.version"
log "base: Linux $kver ready in $BASE"
