#!/usr/bin/env bash
# build: build Image and modules for one tree out of tree (O=), with ccache,
# and install the modules into a staging directory for the initramfs.
# usage: build.sh SRC OBJ
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$(realpath "$1") obj=$(realpath -m "$2")
name=$(basename "$obj")
logf=$LOGS/build-$name.log
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
# Kernel builds embed the build directory in few places; sloppiness lets
# the base and series trees share cache entries for identical sources.
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
export CCACHE_BASEDIR=$BUILD
export KBUILD_BUILD_TIMESTAMP="2000-01-01"
export KBUILD_BUILD_USER=ftrace-arm64 KBUILD_BUILD_HOST=harness
# LLVM=1 in the environment (the BTI variant): clang and the LLVM tools,
# with the same CROSS_COMPILE giving the target; LLVM=-16: clang-16 and
# its tools (the CFI variant).
cc="ccache ${CROSS}gcc"
case ${LLVM:-} in
1) cc="ccache clang" ;;
-*) cc="ccache clang$LLVM" ;;
esac
kmake() {
	make -C "$src" O="$obj" ARCH=arm64 CROSS_COMPILE=$CROSS \
		CC="$cc" LOCALVERSION= -j"$JOBS" "$@"
}

# A configuration without modules (a build-only variant) builds the Image.
targets=(Image modules)
grep -q '^CONFIG_MODULES=y' "$obj/.config" || targets=(Image)
# BUILD_TARGETS: only these kbuild targets (directories such as
# kernel/trace/, built as the configuration asks), no install: the quick
# compile check of a build-only variant in make test.
read -r -a only <<<"${BUILD_TARGETS:-}"
[ ${#only[@]} -gt 0 ] && targets=("${only[@]}")
log "build: $name: ${targets[*]} (-j$JOBS, log $logf)"
t0=$(date +%s)
if ! kmake "${targets[@]}" >"$logf" 2>&1; then
	echo "---- first errors ----" >&2
	grep -m 15 -E 'error:|Error [0-9]|undefined reference|\*\*\*' "$logf" >&2 || tail -n 20 "$logf" >&2
	die "build of $name failed" "$logf" "make tree, fix the patch in build/linux, make export"
fi
log "build: $name: ${targets[*]} done in $(($(date +%s) - t0))s ($(grep -c ' CC ' "$logf" || true) files compiled)"
[ ${#only[@]} -gt 0 ] && exit 0
# The ftrace selftests, installed the way users install them (the
# kernel's kselftest-install target), for the guest (initramfs.sh).
rm -rf "$obj/kselftest_install"
kmake TARGETS=ftrace KSFT_INSTALL_PATH="$obj/kselftest_install" \
	kselftest-install >>"$logf" 2>&1 ||
	die "kselftest-install of $name failed" "$logf"
rm -rf "$obj/modinstall"
[ ${#targets[@]} = 1 ] && exit 0
kmake INSTALL_MOD_PATH="$obj/modinstall" INSTALL_MOD_STRIP=1 DEPMOD=/sbin/depmod \
	modules_install >>"$logf" 2>&1 || die "modules_install of $name failed" "$logf"
