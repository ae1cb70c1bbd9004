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

/* The traced function's callsite as enabled_functions shows it. */
static void callsite_line(void)
{
	char line[512];
	bool next = false;
	FILE *f;

	f = fopen("/sys/kernel/tracing/enabled_functions", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (next && line[0] == '\t')
			printf("ftarm_bench: callsite: %s", line);
		next = !strncmp(line, "bench_traced_func ", 18);
		if (next)
			printf("ftarm_bench: callsite: %s", line);
	}
	fclose(f);
}

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
	/* The module's 16 warm-up calls and the timed ones. */
	printf("ftarm_bench: hits: %llu\n", (unsigned long long)skel->bss->hits);
	ASSERT_EQ(skel->bss->hits, 16 + strtoull(calls, NULL, 0), "program_hits");
	/* Where the callsite sends the call (near or through its veneer). */
	callsite_line();
out_destroy:
	ftarm_bench__destroy(skel);
out:
	close(fd);
}
