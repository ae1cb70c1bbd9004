#!/usr/bin/env bash
# bench: make bench.  Builds the unpatched base and the series with the
# same configuration (configs/base, ftrace and bench), builds the series'
# ftrace-ops-bench sample and our probe module (guest/modules/
# ftarm_kpbench.c) out of tree against each, boots base, series and
# the series in forced-far mode under QEMU -icount shift=0,sleep=off (the
# guest clock counts executed instructions: deterministic, independent of
# the host and of its load, so the guests run side by side), runs
# the matrix of guest/bench.sh in each, and boots base and series again
# with ftrace=function for guest/benchboot.sh, and writes build/results/bench.json,
# bench.md and bench.png (scripts/bench.py).
#
#   BENCH_MATRIX  R/I/S points (relevant ops, irrelevant ops, save_regs),
#                 comma separated; default every point of
#                 R in 0 1 2 3 4 5 6 7 8 10, I in 0 1 10 100, S in 0 1.
#   BENCH_CALLS   timed calls a point (the module's nr_calls), default 100000
#   BENCH_REPS    times the function tracer is enabled on all functions
#   BENCH_REF     the reference kernel: the series up to this patch, built
#                 with the series' configuration, in which only enabling
#                 the function tracer on all functions is timed
#                 (guest/benchenable.sh), for issue 12's "no slower than
#                 now"; default 47, the series before set trampolines
#                 (patches 48-55); 0: none
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ -z "${BENCH_MATRIX:-}" ]; then
	pts=()
	for r in 0 1 2 3 4 5 6 7 8 10; do
		for i in 0 1 10 100; do
			for s in 0 1; do pts+=("$r/$i/$s"); done
		done
	done
	BENCH_MATRIX=$(IFS=,; echo "${pts[*]}")
fi
command -v gnuplot >/dev/null || die "gnuplot is missing" "" "make deps"

bash "$TOP/scripts/apply.sh"
bench_src=$BUILD/src/series/samples/ftrace/ftrace-ops-bench.c
[ -f "$bench_src" ] || die "the series has no $bench_src" "" \
	"patches/ must carry the ftrace-ops-bench sample"
# configs/bpf.config: BPF and BTF, for the BPF fentry point (its test
# program, guest/bpf's ftarm_bench, built by scripts/bpf-selftests.sh).
frags=("$TOP/configs/base.config" "$TOP/configs/ftrace.config" "$TOP/configs/bench.config"
	"$TOP/configs/bpf.config")

for k in base series; do
	src=$BUILD/src/$k obj=$BUILD/obj/bench-$k
	kfrags=("${frags[@]}")
	[ $k = series ] && kfrags+=("$TOP/configs/bench-series.config")
	bash "$TOP/scripts/config.sh" "$src" "$obj" "${kfrags[@]}"
	bash "$TOP/scripts/build.sh" "$src" "$obj"
	# The same source, built the same way for both kernels (the base has
	# no Kconfig symbol for it).
	mod=$obj/ops-bench logf=$LOGS/build-bench-$k-module.log
	mkdir -p "$mod"
	cmp -s "$bench_src" "$mod/ftrace-ops-bench.c" || cp "$bench_src" "$mod/"
	echo 'obj-m := ftrace-ops-bench.o' >"$mod/Kbuild"
	log "bench: ftrace-ops-bench.ko for $k (log $logf)"
	ext_modules "$src" "$obj" "$mod" "$logf" ||
		die "the benchmark module does not build against $k" "$logf"
	# The probe points' module (guest/modules/ftarm_kpbench.c), from its
	# own directory so that only it is built, installed beside the sample
	# for the initramfs; W=1 and no warning, as the other harness modules.
	mod=$obj/kpbench logf=$LOGS/build-bench-$k-kpbench.log
	mkdir -p "$mod"
	kpb=$TOP/guest/modules/ftarm_kpbench.c
	cmp -s "$kpb" "$mod/ftarm_kpbench.c" || cp "$kpb" "$mod/"
	echo 'obj-m := ftarm_kpbench.o' >"$mod/Kbuild"
	log "bench: ftarm_kpbench.ko for $k (log $logf)"
	ext_modules "$src" "$obj" "$mod" "$logf" W=1 || {
		grep -m 10 -E 'error:|warning:' "$logf" >&2 || tail -n 20 "$logf" >&2
		die "ftarm_kpbench does not build against $k" "$logf" \
			"fix guest/modules/ftarm_kpbench.c"
	}
	if grep -m 5 'warning:' "$logf" >&2; then
		die "ftarm_kpbench builds with warnings against $k" "$logf" \
			"fix guest/modules/ftarm_kpbench.c"
	fi
	BPF_TESTS=ftarm_bench bash "$TOP/scripts/bpf-selftests.sh" "$src" "$obj" "$obj/bpf"
	bash "$TOP/scripts/initramfs.sh" "$src" "$obj"
done

# The reference kernel (BENCH_REF): a worktree of build/src/series (the
# base and one commit a patch) at that patch's commit, built as the series
# is; a new reference checks out only the files that differ, so its build
# stays incremental.
ref=${BENCH_REF:-47}
case $ref in ''|*[!0-9]*) die "BENCH_REF must be a patch number, not '$ref'" ;; esac
if [ "$ref" != 0 ]; then
	npatches=$(grep -c . "$TOP/patches/series")
	[ "$ref" -lt "$npatches" ] ||
		die "BENCH_REF=$ref: the series has $npatches patches; the reference must be an earlier one"
	sha=$(git -C "$BUILD/src/series" rev-list --reverse HEAD | sed -n "$((ref + 1))p")
	[ -n "$sha" ] || die "no commit for patch $ref in $BUILD/src/series" "" "make apply"
	src=$BUILD/src/bench-ref obj=$BUILD/obj/bench-ref
	if ! git -C "$src" rev-parse -q --verify HEAD >/dev/null 2>&1; then
		log "bench: the reference, patches 1-$ref: a worktree of the series in $src"
		rm -rf "$src"
		git -C "$BUILD/src/series" worktree prune
		git -C "$BUILD/src/series" worktree add -q -f --detach "$src" "$sha" ||
			die "cannot make the reference's worktree $src"
	fi
	git -C "$src" checkout -q -f --detach "$sha" ||
		die "cannot check out patch $ref's commit in $src"
	bash "$TOP/scripts/config.sh" "$src" "$obj" "${frags[@]}" "$TOP/configs/bench-series.config"
	bash "$TOP/scripts/build.sh" "$src" "$obj"
	bash "$TOP/scripts/initramfs.sh" "$src" "$obj"
fi

# Without modules (BENCH_NOMODULES=0 skips it): base and series built with
# the benchmark sample built in, which the base's tree does not have and
# the series' Kconfig allows only as a module. Each gets a copy of its tree
# made of hard links, in which only the two files changed here are new
# files; the sample runs once at boot, with its parameters on the command
# line, under the function tracer started by ftrace=function.
nomod=()
if [ "${BENCH_NOMODULES:-1}" = 1 ]; then
	for k in base series; do
		src=$BUILD/src/bench-nomodules-$k obj=$BUILD/obj/bench-nomodules-$k
		log "bench: $k without modules: linking a copy of its tree into $src"
		rm -rf "$src"
		cp -al "$BUILD/src/$k" "$src"
		rm -rf "$src/.git"
		for mk in samples/Makefile samples/ftrace/Makefile; do
			rm -f "$src/$mk"
			cp "$BUILD/src/$k/$mk" "$src/$mk"
		done
		echo 'obj-y += ftrace/' >>"$src/samples/Makefile"
		echo 'obj-y += ftrace-ops-bench.o' >>"$src/samples/ftrace/Makefile"
		rm -f "$src/samples/ftrace/ftrace-ops-bench.c"
		cp "$bench_src" "$src/samples/ftrace/"
		# No configs/bpf.config: its fentry point attaches to the module.
		bash "$TOP/scripts/config.sh" "$src" "$obj" "$TOP/configs/base.config" \
			"$TOP/configs/ftrace.config" "$TOP/configs/bench.config" \
			"$TOP/configs/variants/nomodules.config" \
			"$TOP/configs/bench-nomodules.config"
		grep -q '^CONFIG_MODULES=y' "$obj/.config" &&
			die "bench: $obj/.config has modules" "$LOGS/config-bench-nomodules-$k.log"
		bash "$TOP/scripts/build.sh" "$src" "$obj"
		bash "$TOP/scripts/initramfs.sh" "$src" "$obj"
		nomod+=("$k")
	done
fi

# Both kernels boot without KASLR so that every run places the kernel and
# the module the same way; far mode is forced by the series' knob.
export QEMU_ICOUNT=shift=0,sleep=off GUEST_CPUS=1 BENCH=$BENCH_MATRIX
export BOOT_EXTRA="nokaslr ftarm.bench_reps=${BENCH_REPS:-3}"
[ -n "${BENCH_CALLS:-}" ] && BOOT_EXTRA="$BOOT_EXTRA ftarm.bench_calls=$BENCH_CALLS"
npts=$(($(tr -cd , <<<"$BENCH_MATRIX" | wc -c) + 1))
log "bench: $npts points: booting base, series and series (far) side by side"
pids=()
for km in base:near series:near series:far; do
	bash "$TOP/scripts/boot.sh" "bench-${km%:*}" "${km#*:}" bench "${BENCH_TIMEOUT:-5400}" &
	pids+=($!)
done
# The top-level function tracer started at boot (guest/benchboot.sh).
for k in base series; do
	BOOT_EXTRA="$BOOT_EXTRA ftrace=function" \
		bash "$TOP/scripts/boot.sh" "bench-$k" near benchboot "${BENCH_TIMEOUT:-5400}" &
	pids+=($!)
done
# The reference: enabling the function tracer on all functions alone.
if [ "$ref" != 0 ]; then
	bash "$TOP/scripts/boot.sh" bench-ref near benchenable "${BENCH_TIMEOUT:-5400}" &
	pids+=($!)
fi
# The built-in sample, with no ops of its own (R=0, I=0), timed at boot.
for k in "${nomod[@]}"; do
	p=ftrace_ops_bench
	extra="ftrace=function ftrace_filter=bench_traced_func"
	extra="$extra $p.nr_relevant=0 $p.nr_irrelevant=0"
	extra="$extra $p.nr_calls=${BENCH_CALLS:-100000}"
	BOOT_EXTRA="$BOOT_EXTRA $extra" \
		bash "$TOP/scripts/boot.sh" "bench-nomodules-$k" near benchboot \
		"${BENCH_TIMEOUT:-5400}" &
	pids+=($!)
done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
[ $fail = 0 ] || die "a benchmark guest did not finish (see above)"

refarg=()
[ "$ref" = 0 ] || refarg=(--ref "$ref=$LOGS/console-bench-ref-near-benchenable.log")
python3 "$TOP/scripts/bench.py" --results "$RESULTS" --cross "$CROSS" \
	--matrix "$BENCH_MATRIX" \
	base:near="$LOGS/console-bench-base-near-bench.log":"$BUILD/obj/bench-base/vmlinux" \
	series:near="$LOGS/console-bench-series-near-bench.log":"$BUILD/obj/bench-series/vmlinux" \
	series:far="$LOGS/console-bench-series-far-bench.log":"$BUILD/obj/bench-series/vmlinux" \
	--boot base:near="$LOGS/console-bench-base-near-benchboot.log" \
	--boot series:near="$LOGS/console-bench-series-near-benchboot.log" \
	"${refarg[@]}" \
	$(for k in "${nomod[@]}"; do
		echo "--boot $k:near=$LOGS/console-bench-nomodules-$k-near-benchboot.log"
	done) ||
	die "the benchmark results are incomplete (see above)"
log "bench: done: build/results/bench.md, bench.json, bench.png"
