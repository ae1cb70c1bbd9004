#!/usr/bin/env bash
# config: make the kernel .config for one build: allnoconfig plus our
# fragments, merged by the kernel's own scripts/kconfig/merge_config.sh.
# Every option a fragment asks for must survive the merge: an option that
# Kconfig silently dropped (a missing dependency) is an error here rather
# than a surprise in the guest.
# usage: config.sh SRC OBJ FRAGMENT...
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$(realpath "$1") obj=$(realpath -m "$2"); shift 2
mkdir -p "$obj"
logf=$LOGS/config-$(basename "$obj").log
frags=()
for f in "$@"; do frags+=("$(realpath "$f")"); done

# Unchanged fragments and tree: keep the .config (and the build's mtimes).
sum=$(cat "${frags[@]}" "$src"/arch/arm64/Kconfig* "$src/kernel/trace/Kconfig" \
	"$src/lib/Kconfig.debug" | sha1sum | cut -c1-40)
if [ -f "$obj/.config" ] && [ "$(cat "$obj/.harness-config" 2>/dev/null)" = "$sum" ]; then
	exit 0
fi
log "config: merging $(printf '%s ' "${frags[@]##*/}")into $obj/.config"
(
	cd "$src"
	ARCH=arm64 CROSS_COMPILE=$CROSS KCONFIG_CONFIG="$obj/.config" \
		scripts/kconfig/merge_config.sh -n -O "$obj" "${frags[@]}"
) >"$logf" 2>&1 || die "merge_config.sh failed" "$logf"
# merge_config.sh reports requested values that did not make it.
# ALLOW_DROPPED=1 (bisect-check): an option that a later patch adds may
# not exist yet.
# A request to leave an option unset is met when the option vanished with
# what it depends on ("Actual value:" empty), so only set values count.
dropped=$(awk '/^Value requested for/ { what = $0; next }
	/^Requested value:/ { req = $0; next }
	/^Actual value:/ { if (req !~ /: +# /) print what "\n  " req "\n  " $0 }' "$logf")
if [ "${ALLOW_DROPPED:-0}" != 1 ] && [ -n "$dropped" ]; then
	echo "$dropped" >&2
	die "config: options of our fragments were dropped by Kconfig" "$logf" \
		"fix the dependency in configs/ (see the lines above)"
fi
echo "$sum" >"$obj/.harness-config"
