// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF side of prog_tests/ftarm_bench.c: an empty fentry program on the
 * benchmark's traced function (samples/ftrace/ftrace-ops-bench.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

SEC("fentry/bench_traced_func")
int BPF_PROG(bench_empty)
{
	return 0;
}
