#!/usr/bin/env bash
# deps: install what the harness needs from Debian, only what is missing.
#   host: the arm64 cross toolchain and its C library, QEMU, ccache, the
#         kernel build dependencies, sparse, gnuplot, clang and pahole
#         (dwarves) for BTF and the BPF selftests;
#   base: linux-source-6.1 (the kernel we patch);
#   guest: arm64 user space from Debian through multiarch (busybox, the
#          libraries it needs, libelf and zlib for test_progs), unpacked
#          under build/sysroot.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

HOST_PKGS=(gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-system-arm
	qemu-system-data ccache make gcc flex bison bc libssl-dev libelf-dev
	cpio kmod xz-utils rsync python3 python3-ply python3-git perl git sparse
	gnuplot-nox clang lld llvm clang-16 lld-16 llvm-16
	dwarves libc6-dev-arm64-cross zlib1g-dev file
	)
# Guest packages, fetched for arm64 and unpacked, never installed: busybox
# for the shell and most tools, and the few tools ftracetest uses that
# Debian's busybox lacks (nice from coreutils, chrt from util-linux; see
# GUEST_TOOLS in initramfs.sh), and the libraries the BPF selftests'
# test_progs links (libelf, zlib: scripts/bpf-selftests.sh builds against
# their -dev packages here and the guest gets the shared objects).
GUEST_PKGS=(busybox libc6 coreutils util-linux libelf1 libelf-dev zlib1g zlib1g-dev)

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in "${HOST_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
need_update=0
[ ${#missing[@]} -gt 0 ] && need_update=1
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	log "deps: enabling the arm64 architecture for guest packages"
	$SUDO dpkg --add-architecture arm64
	need_update=1
fi
if [ $need_update = 1 ]; then
	log "deps: apt-get update"
	run_logged "$LOGS/apt-update.log" $SUDO apt-get update ||
		die "apt-get update failed" "$LOGS/apt-update.log" \
			"check the network access to Debian's archive"
fi
if [ ${#missing[@]} -gt 0 ]; then
	log "deps: installing ${missing[*]}"
	run_logged "$LOGS/apt-install.log" $SUDO apt-get install -y \
		--no-install-recommends "${missing[@]}" ||
		die "apt-get install failed" "$LOGS/apt-install.log" \
			"apt-cache policy <package> for each package above"
fi

# Guest user space: Debian's arm64 busybox (the dynamic build, whose shell
# execs programs rather than re-running itself through /proc/self/exe, so a
# process started as "ping" is called "ping") and the C library it needs.
SYSROOT=$BUILD/sysroot
if [ "$(cat "$SYSROOT/.packages" 2>/dev/null)" != "${GUEST_PKGS[*]}" ]; then
	log "deps: fetching arm64 guest packages: ${GUEST_PKGS[*]}"
	dl=$BUILD/debs
	rm -rf "$dl" "$SYSROOT"
	mkdir -p "$dl" "$SYSROOT"
	pkgs=()
	for p in "${GUEST_PKGS[@]}"; do pkgs+=("$p:arm64"); done
	if ! (cd "$dl" && run_logged "$LOGS/apt-download.log" apt-get download "${pkgs[@]}"); then
		log "deps: download failed, refreshing the package lists once"
		run_logged "$LOGS/apt-update.log" $SUDO apt-get update || true
		(cd "$dl" && run_logged "$LOGS/apt-download.log" apt-get download "${pkgs[@]}") ||
			die "cannot download arm64 guest packages" "$LOGS/apt-download.log" \
				"dpkg --print-foreign-architectures must list arm64"
	fi
	for d in "$dl"/*.deb; do dpkg -x "$d" "$SYSROOT"; done
	[ -x "$SYSROOT/bin/busybox" ] || die "no bin/busybox in the arm64 busybox package" "$LOGS/apt-download.log"
	echo "${GUEST_PKGS[*]}" >"$SYSROOT/.packages"
fi
# The base kernel, pinned.  Debian's security archive keeps a few older
# versions; when the pin is gone, take the newest one with a warning and
# record what was used (scripts/base.sh writes it into every result).
BASE_PIN=${BASE_PIN:-$(cat "$TOP/configs/base-version")}
have=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || true)
if [ "$have" != "$BASE_PIN" ]; then
	if apt-cache madison linux-source-6.1 | awk '{print $3}' | grep -qx "$BASE_PIN"; then
		log "deps: installing linux-source-6.1=$BASE_PIN"
		run_logged "$LOGS/apt-install-base.log" $SUDO apt-get install -y \
			--allow-downgrades --no-install-recommends "linux-source-6.1=$BASE_PIN" ||
			die "cannot install linux-source-6.1=$BASE_PIN" "$LOGS/apt-install-base.log"
	elif [ -z "$have" ]; then
		log "deps: WARNING: linux-source-6.1 $BASE_PIN is no longer in the archive; using the newest available"
		run_logged "$LOGS/apt-install-base.log" $SUDO apt-get install -y \
			--no-install-recommends linux-source-6.1 ||
			die "cannot install linux-source-6.1" "$LOGS/apt-install-base.log" \
				"apt-cache madison linux-source-6.1 lists what the archive has"
	else
		log "deps: WARNING: linux-source-6.1 $BASE_PIN is not in the archive; keeping the installed $have"
	fi
fi
log "deps: all present (linux-source-6.1 $(dpkg-query -W -f='${Version}' linux-source-6.1))"
