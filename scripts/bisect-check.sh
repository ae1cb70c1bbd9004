#!/usr/bin/env bash
# bisect-check: every prefix of the series builds (Image and modules, the
# series config), and each patch adds no warning under W=1 or sparse
# (C=2) to the C files it touches, compared with the same files in the
# base.  Incremental: one tree (build/src/bisect) steps through the
# commits, so each step rebuilds only what the patch changed.
# FROM=N and TO=M check only patches N..M (1-based), for a series whose
# earlier patches were checked already and have not changed since.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bash "$TOP/scripts/apply.sh"
AM=$BUILD/src/am
BASE=$BUILD/src/base
SRC=$BUILD/src/bisect
OBJ=$BUILD/obj/bisect
BOBJ=$BUILD/obj/bisect-base
logd=$LOGS/bisect
rm -rf "$logd"
mkdir -p "$logd"
if [ ! -d "$SRC/.git" ]; then
	git clone -q --local --no-checkout "$BASE" "$SRC"
	git -C "$SRC" checkout -q --detach base
fi
git -C "$SRC" fetch -q "$AM" HEAD
frags=()
for f in ${CONFIGS:-base ftrace} series; do frags+=("$TOP/configs/$f.config"); done
kmake() { # SRC OBJ ARGS...
	local s=$1 o=$2; shift 2
	make -C "$s" O="$o" ARCH=arm64 CROSS_COMPILE=$CROSS \
		CC="ccache ${CROSS}gcc" LOCALVERSION= -j"$JOBS" "$@"
}
# warnings FILE.c SRC OBJ: the W=1 and sparse warnings of one file, with
# line and column numbers dropped so that moved lines compare equal. A .c
# file that another .c file #includes is compiled through that file
# (compile_unit).
warnings() {
	local f=$1 s=$2 o=$3 unit
	[ -f "$s/$f" ] || return 0
	unit=$(compile_unit "$s" "$f")
	# Compile it whatever its object's age: an up-to-date object prints
	# nothing, which would make every warning of the other side look new.
	rm -f "$o/${unit%.c}.o"
	# With O=, gcc and sparse name the file by its absolute path.
	kmake "$s" "$o" W=1 C=2 "${unit%.c}.o" 2>&1 | sed "s|^$s/||" |
		grep -E "^${f}:[0-9]+:([0-9]+:)? (warning|error)" |
		sed -E 's/:[0-9]+:([0-9]+:)? /: /' | sort -u || true
}

# The base, configured the same way, for the warnings of untouched files.
ALLOW_DROPPED=1 bash "$TOP/scripts/config.sh" "$BASE" "$BOBJ" "${frags[@]}"
kmake "$BASE" "$BOBJ" prepare >"$logd/base-prepare.log" 2>&1 ||
	die "make prepare of the base failed" "$logd/base-prepare.log"

fail=0 i=0
for c in $(git -C "$SRC" rev-list --reverse base..FETCH_HEAD); do
	i=$((i + 1))
	[ "$i" -ge "${FROM:-1}" ] && [ "$i" -le "${TO:-9999}" ] || continue
	subj=$(git -C "$SRC" log -1 --format=%s "$c")
	git -C "$SRC" checkout -q --detach "$c"
	ALLOW_DROPPED=1 bash "$TOP/scripts/config.sh" "$SRC" "$OBJ" "${frags[@]}"
	logf=$logd/$(printf '%02d' $i)-build.log
	if ! kmake "$SRC" "$OBJ" Image modules >"$logf" 2>&1; then
		grep -m 10 -E 'error:|Error [0-9]' "$logf" >&2 || tail -n 10 "$logf" >&2
		log "bisect-check: [$i] $subj: BUILD FAILED ($logf)"
		fail=1
		continue
	fi
	new=0
	: >"$logd/$(printf '%02d' $i)-new-warnings.txt"
	for f in $(git -C "$SRC" diff-tree --no-commit-id --name-only -r "$c" | grep '\.c$' || true); do
		comm -13 <(warnings "$f" "$BASE" "$BOBJ") <(warnings "$f" "$SRC" "$OBJ") \
			>>"$logd/$(printf '%02d' $i)-new-warnings.txt"
		if [ -s "$logd/$(printf '%02d' $i)-new-warnings.txt" ]; then
			cat "$logd/$(printf '%02d' $i)-new-warnings.txt" >&2
			new=1
		fi
	done
	if [ $new = 1 ]; then
		log "bisect-check: [$i] $subj: builds, NEW W=1/sparse WARNINGS"
		fail=1
	else
		log "bisect-check: [$i] $subj: builds, no new W=1/sparse warnings"
	fi
done
[ $fail = 0 ] || die "bisect-check failed" "$logd"
log "bisect-check: patches ${FROM:-1}..$( [ "${TO:-9999}" -lt "$i" ] && echo "$TO" || echo "$i") of $i build on their own"
