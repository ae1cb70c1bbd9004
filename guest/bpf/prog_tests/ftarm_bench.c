// SPDX-License-Identifier: GPL-2.0
/*
 * make bench's BPF row: the cost of a call of the benchmark's traced
 * function (samples/ftrace/ftrace-ops-bench.c, loaded by guest/bench.sh
 * with no ops of its own) with one empty fentry program attached. The
 * module times the calls when its rerun parameter is written and prints
 * the figures ("ftrace-ops-bench: rerun ..."), which scripts/bench.py
 * reads from the kernel log; this test prints "ftarm_bench: attach: ERR"
 * when the program cannot attach (the base: no direct calls on 6.1 arm64).
 */
#include <test_progs.h>
#include "ftarm_bench.skel.h"

#define RERUN "/sys/module/ftrace_ops_bench/parameters/rerun"

void test_ftarm_bench(void)
{
	const char *calls = getenv("FTARM_BENCH_CALLS") ?: "100000";
	struct ftarm_bench *skel;
	int fd, err;

	fd = open(RERUN, O_WRONLY);
	if (fd < 0) {
		printf("ftarm_bench: no %s: load ftrace-ops-bench first\n", RERUN);
		test__skip();
		return;
	}
	skel = ftarm_bench__open_and_load();
	if (!ASSERT_OK_PTR(skel, "skel_open_and_load"))
		goto out;
	err = ftarm_bench__attach(skel);
	printf("ftarm_bench: attach: %d\n", err);
	if (!ASSERT_OK(err, "attach"))
		goto out_destroy;
	err = write(fd, calls, strlen(calls)) < 0 ? -errno : 0;
	ASSERT_OK(err, "rerun");
out_destroy:
	ftarm_bench__destroy(skel);
out:
	close(fd);
}
