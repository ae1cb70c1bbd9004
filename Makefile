# ftrace-arm64: per-ops dynamic ftrace trampolines for Linux 6.1 arm64.
# The product is patches/; these targets build, boot, test and edit it.
# Each target runs one script of scripts/; logs land in build/logs/,
# results in build/results/.

SHELL := /bin/bash
S := scripts
export HARNESS_T0 := $(shell date +%s)

.PHONY: help deps base apply checkpatch build run test baseline tree export \
	bisect-check variants bench stress bpf-selftests ftracetest-full x86 readme \
	clean distclean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | \
		awk -F':.*## ' '{ printf "  make %-12s %s\n", $$1, $$2 }'

deps: ## install what is missing (Debian packages, arm64 busybox)
	@bash $(S)/deps.sh

base: deps ## unpack linux-source-6.1 into build/src/base (one git commit)
	@bash $(S)/base.sh

apply: base ## apply patches/series onto the base in build/src/series
	@bash $(S)/apply.sh

checkpatch: base ## scripts/checkpatch.pl --strict on every patch
	@bash $(S)/checkpatch.sh

build: base ## build the series kernel, modules and initramfs
	@bash $(S)/kernel.sh series "" ""

run: base ## build, boot and show per-instance tracing working
	@bash $(S)/run.sh

test: base ## what CI runs: checkpatch, build, boot, all tests, baseline
	@bash $(S)/test.sh

baseline: base ## test the unpatched base with the same config
	@bash $(S)/kernel.sh base near ftracetest
	@python3 $(S)/results.py summary --out-md build/results/baseline.md \
		build/results/base-near.json

tree: base ## build/linux: git tree, base + one commit per patch
	@bash $(S)/tree.sh

export: ## write build/linux's commits back into patches/
	@bash $(S)/export.sh

clean: ## remove builds and results, keep the unpacked base and ccache
	rm -rf build/obj build/results build/logs

distclean: ## remove everything under build/
	rm -rf build

bisect-check: base ## each patch builds alone; no new W=1/sparse warnings
	@bash $(S)/bisect-check.sh

variants: base ## the series without fgraph, without modules, with BTI (booted)
	@bash $(S)/variants.sh

bench: base ## base vs series, cost per traced call under QEMU -icount
	@bash $(S)/bench.sh

stress: base ## debug kernel, SMP churn of live patching, near and far (DURATION=s)
	@bash $(S)/stress.sh

ftracetest-full: base ## the whole ftracetest in near and far mode (make test: far runs the ops cases)
	@bash $(S)/ftracetest-full.sh

bpf-selftests: base ## BPF test_progs (fentry/fexit...) on base and series, near and far
	@bash $(S)/bpf.sh

x86: base ## the files of kernel/ the series changes, built for x86_64 (host gcc, W=1)
	@bash $(S)/x86.sh

readme: ## regenerate README.md's results and timing tables from build/results
	@python3 $(S)/readme.py README.md build/results
