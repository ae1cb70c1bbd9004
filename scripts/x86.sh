#!/usr/bin/env bash
# x86: make x86.  The series' core patches (kernel/trace/, kernel/kprobes.c)
# serve every architecture; this builds the files they touch for x86_64,
# which has per-ops trampolines of its own and selects none of the new
# symbols (so the core's defaults, the weak hooks and the #ifdefs are what
# it compiles), with the host's gcc: x86_64_defconfig plus configs/x86.config.
# Every file of kernel/trace/ and kernel/ that the series changes must
# compile with no W=1 warning that the same file of the base does not have
# (the base built the same way).  Results: build/results/x86.json; logs in
# build/logs/x86/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bash "$TOP/scripts/apply.sh"
logd=$LOGS/x86
rm -rf "$logd"
mkdir -p "$logd"
hcc="ccache ${HOSTCC:-gcc}"
command -v "${HOSTCC:-gcc}" >/dev/null || die "no host C compiler" "" "make deps"
xmake() { # SRC OBJ ARGS...
	local s=$1 o=$2; shift 2
	make -C "$s" O="$o" ARCH=x86_64 CC="$hcc" LOCALVERSION= -j"$JOBS" "$@"
}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_BASEDIR=$BUILD

# The files of the series' commits under kernel/ (C only), which x86 builds.
files=$(git -C "$BUILD/src/series" diff --name-only base..HEAD -- 'kernel/*.c' 'kernel/**/*.c' |
	sort -u)
[ -n "$files" ] || die "the series changes no C file under kernel/" "" "make apply"

for k in base series; do
	src=$BUILD/src/$k obj=$BUILD/obj/x86-$k
	mkdir -p "$obj"
	log "x86: $k: x86_64_defconfig + configs/x86.config (log $logd/$k-config.log)"
	{
		xmake "$src" "$obj" x86_64_defconfig &&
		(cd "$src" && ARCH=x86_64 KCONFIG_CONFIG="$obj/.config" \
			scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" \
			"$TOP/configs/x86.config") &&
		xmake "$src" "$obj" olddefconfig
	} >"$logd/$k-config.log" 2>&1 || die "x86: the $k configuration failed" "$logd/$k-config.log"
	missing=$(grep '^CONFIG_.*=[ym]$' "$TOP/configs/x86.config" | while read -r opt; do
		grep -qx "$opt" "$obj/.config" || echo "$opt"
	done)
	[ -z "$missing" ] || die "x86: $k lacks $(echo $missing)" "$logd/$k-config.log" \
		"fix configs/x86.config"
	log "x86: $k: make prepare (log $logd/$k-prepare.log)"
	xmake "$src" "$obj" prepare >"$logd/$k-prepare.log" 2>&1 ||
		die "x86: make prepare of $k failed" "$logd/$k-prepare.log"
done

# warnings SRC OBJ FILE.c: the W=1 warnings and errors of its compile (its
# own, those of the files it includes), line numbers dropped
warnings() {
	local s=$1 o=$2 f=$3
	[ -f "$s/$f" ] || return 0
	rm -f "$o/${f%.c}.o"
	xmake "$s" "$o" W=1 "${f%.c}.o" 2>&1 | sed -E "s|^(\.\./)*$s/||; s|^(\.\./)+src/[a-z]+/||" |
		grep -E "^[^ :]+\.[ch]:[0-9]+:([0-9]+:)? (warning|error)" |
		sed -E 's/:[0-9]+:([0-9]+:)? /: /' | sort -u || true
}

fail=0 n=0 built=0 res=()
for f in $(for g in $files; do compile_unit "$BUILD/src/series" "$g"; done | sort -u); do
	n=$((n + 1))
	# A file x86's configuration does not build (an arm64-only option)
	# has no object rule to run: what the kernel makes of it is skipped.
	if ! xmake "$BUILD/src/series" "$BUILD/obj/x86-series" "${f%.c}.o" \
		>"$logd/$(echo "$f" | tr / _).log" 2>&1; then
		grep -m 5 -E 'error:|No rule' "$logd/$(echo "$f" | tr / _).log" >&2 || true
		if grep -q 'No rule to make target' "$logd/$(echo "$f" | tr / _).log"; then
			log "x86: $f: not built for x86_64 (no rule): skipped"
			res+=("{\"file\": \"$f\", \"result\": \"skip\"}")
			continue
		fi
		log "x86: $f: BUILD FAILED ($logd/$(echo "$f" | tr / _).log)"
		res+=("{\"file\": \"$f\", \"result\": \"fail\"}")
		fail=1
		continue
	fi
	new=$(comm -13 <(warnings "$BUILD/src/base" "$BUILD/obj/x86-base" "$f") \
		<(warnings "$BUILD/src/series" "$BUILD/obj/x86-series" "$f"))
	built=$((built + 1))
	if [ -n "$new" ]; then
		echo "$new" >&2
		log "x86: $f: NEW W=1 WARNINGS"
		res+=("{\"file\": \"$f\", \"result\": \"fail\"}")
		fail=1
	else
		log "x86: $f: builds, no new W=1 warning"
		res+=("{\"file\": \"$f\", \"result\": \"pass\"}")
	fi
done
(IFS=,; echo "{\"arch\": \"x86_64\", \"cc\": \"$(${HOSTCC:-gcc} --version | head -n 1)\", \"files\": [${res[*]}]}") \
	>"$RESULTS/x86.json"
[ $fail = 0 ] || die "x86: the series' core does not build cleanly for x86_64" "$logd"
log "x86: $built of $n files built for x86_64 with no new W=1 warning (build/results/x86.json)"
