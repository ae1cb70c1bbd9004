// SPDX-License-Identifier: GPL-2.0
/*
 * ftarm-perf-late: late calls after a perf SET_FILTER, for guest/stress.sh
 * (late-call-perf).
 *
 * usage: ftarm-perf-late ID ROUNDS KEEP LATE
 *
 * Opens the perf event ID (events/ftrace/function/id) counting on CPU 0,
 * filtered to the function KEEP, and enables it. Each round sets the
 * filter to KEEP and LATE, sleeps 2 ms (the caller runs on CPU 0 beside
 * threads calling LATE, which are traced meanwhile and preempt each other
 * inside their traced calls), sets it back to KEEP alone, reads the count,
 * sleeps 20 ms and reads it again: nothing calls KEEP, so any event
 * counted after the second SET_FILTER has returned is a late call of
 * LATE. Prints first the line of LATE in enabled_functions while it is
 * traced (round 1), as "line: TEXT", then "ROUNDS SEEN LATE FIRST": the
 * rounds made, the events counted while LATE was in the filter, the late
 * ones and the first round with one (0 if none). Errors are printed and
 * end the program with status 1.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>

static int fd;

static void set_filter(const char *filter)
{
	if (ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter)) {
		fprintf(stderr, "ftarm-perf-late: SET_FILTER '%s': %s\n",
			filter, strerror(errno));
		exit(1);
	}
}

static uint64_t count(void)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v)) {
		perror("ftarm-perf-late: read");
		exit(1);
	}
	return v;
}

static void print_line(const char *fn)
{
	char buf[512];
	size_t n = strlen(fn);
	FILE *f = fopen("/sys/kernel/tracing/enabled_functions", "r");

	if (!f) {
		perror("ftarm-perf-late: enabled_functions");
		exit(1);
	}
	while (fgets(buf, sizeof(buf), f)) {
		if (!strncmp(buf, fn, n) && buf[n] == ' ') {
			printf("line: %s", buf);
			fclose(f);
			return;
		}
	}
	fclose(f);
	printf("line: (none)\n");
}

int main(int argc, char **argv)
{
	uint64_t c0, c1, c2, seen = 0, late = 0;
	unsigned long rounds, r, first = 0;
	struct perf_event_attr attr;
	char keep[256], both[512];
	char *end;

	if (argc != 5) {
		fprintf(stderr, "usage: ftarm-perf-late ID ROUNDS KEEP LATE\n");
		return 2;
	}
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = strtoull(argv[1], &end, 10);
	if (*end || end == argv[1]) {
		fprintf(stderr, "ftarm-perf-late: bad event id '%s'\n", argv[1]);
		return 2;
	}
	rounds = strtoul(argv[2], &end, 10);
	if (*end || end == argv[2]) {
		fprintf(stderr, "ftarm-perf-late: bad round count '%s'\n", argv[2]);
		return 2;
	}
	snprintf(keep, sizeof(keep), "ip == %s", argv[3]);
	snprintf(both, sizeof(both), "ip == %s || ip == %s", argv[3], argv[4]);
	attr.disabled = 1;
	/* Any task, on CPU 0, where the callers of LATE run */
	fd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, 0);
	if (fd < 0) {
		perror("ftarm-perf-late: perf_event_open");
		return 1;
	}
	set_filter(keep);
	if (ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		perror("ftarm-perf-late: PERF_EVENT_IOC_ENABLE");
		return 1;
	}
	for (r = 1; r <= rounds; r++) {
		c0 = count();
		set_filter(both);
		if (r == 1)
			print_line(argv[4]);
		usleep(2000);
		set_filter(keep);
		c1 = count();
		usleep(20000);
		c2 = count();
		seen += c1 - c0;
		late += c2 - c1;
		if (c2 != c1 && !first)
			first = r;
	}
	printf("%lu %llu %llu %lu\n", rounds, (unsigned long long)seen,
	       (unsigned long long)late, first);
	close(fd);
	return 0;
}
