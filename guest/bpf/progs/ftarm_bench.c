// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF side of prog_tests/ftarm_bench.c: an fentry program on the
 * benchmark's traced function (samples/ftrace/ftrace-ops-bench.c) that
 * only counts (one plain add: the module calls from one task).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

/* Calls seen, so that the row is known to have run the program. */
__u64 hits;

SEC("fentry/bench_traced_func")
int BPF_PROG(bench_empty)
{
	hits++;
	return 0;
}
