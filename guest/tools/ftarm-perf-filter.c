// SPDX-License-Identifier: GPL-2.0
/*
 * ftarm-perf-filter: change the filter of a perf ftrace:function event
 * with PERF_EVENT_IOC_SET_FILTER (what "perf record -e ftrace:function
 * --filter" does) at a moment the caller chooses, for guest/stress.sh.
 *
 * usage: ftarm-perf-filter ID DIR FILTER1 FILTER2
 *
 * Opens the event ID (events/ftrace/function/id) counting for this task,
 * sets FILTER1, enables the event and creates DIR/ready; once DIR/go
 * exists, creates DIR/calling, sets FILTER2 and writes the ioctl's result
 * (0, or "errno N (text)") to DIR/set; once DIR/done exists, closes the
 * event and exits. DIR/done before DIR/go ends it without FILTER2. Any
 * other failure is printed and ends the program with status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>

static const char *dir;

static void put(const char *name, const char *text)
{
	char tmp[4096], path[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.%s", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", text) < 0 || fclose(f) ||
	    rename(tmp, path)) {
		fprintf(stderr, "ftarm-perf-filter: cannot write %s: %s\n",
			path, strerror(errno));
		exit(1);
	}
}

static int there(const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !access(path, F_OK);
}

/* Wait for DIR/name; false if DIR/done came first */
static int await(const char *name)
{
	while (!there(name)) {
		if (there("done"))
			return 0;
		usleep(10000);
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct perf_event_attr attr;
	char res[128] = "0";
	char *end;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: ftarm-perf-filter ID DIR FILTER1 FILTER2\n");
		return 2;
	}
	dir = argv[2];
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = strtoull(argv[1], &end, 10);
	if (*end || end == argv[1]) {
		fprintf(stderr, "ftarm-perf-filter: bad event id '%s'\n", argv[1]);
		return 2;
	}
	attr.disabled = 1;
	/* This task, any CPU: registers the event's ftrace_ops */
	fd = syscall(__NR_perf_event_open, &attr, 0, -1, -1, 0);
	if (fd < 0) {
		perror("ftarm-perf-filter: perf_event_open");
		return 1;
	}
	if (ioctl(fd, PERF_EVENT_IOC_SET_FILTER, argv[3])) {
		perror("ftarm-perf-filter: PERF_EVENT_IOC_SET_FILTER (first)");
		return 1;
	}
	if (ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		perror("ftarm-perf-filter: PERF_EVENT_IOC_ENABLE");
		return 1;
	}
	put("ready", "1");
	if (await("go")) {
		put("calling", "1");
		if (ioctl(fd, PERF_EVENT_IOC_SET_FILTER, argv[4]))
			snprintf(res, sizeof(res), "errno %d (%s)", errno,
				 strerror(errno));
		put("set", res);
		await("done");
	}
	close(fd);
	return 0;
}
