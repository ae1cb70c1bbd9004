// SPDX-License-Identifier: GPL-2.0
/*
 * ftarm-perf: change the filter of a perf ftrace:function event with
 * PERF_EVENT_IOC_SET_FILTER (what "perf record -e ftrace:function
 * --filter" does) for guest/stress.sh. ID is the event's id
 * (events/ftrace/function/id).
 *
 * ftarm-perf wait ID DIR FILTER1 FILTER2 (perf-wait-unlocked)
 *   Opens the event counting for this task, sets FILTER1, enables the
 *   event and creates DIR/ready; once DIR/go exists, creates DIR/calling,
 *   sets FILTER2 and writes the ioctl's result (0, or "errno N (text)")
 *   to DIR/set; once DIR/done exists, closes the event and exits.
 *   DIR/done before DIR/go ends it without FILTER2.
 *
 * ftarm-perf late ID ROUNDS KEEP LATE SETTLE (late-call-perf)
 *   Opens the event counting on CPU 0, filtered to the function KEEP,
 *   which nothing calls, and enables it. Each round: set the filter to
 *   KEEP and LATE; read LATE's line in enabled_functions; sleep 2 ms
 *   (the caller runs on CPU 0, above the threads there that call LATE,
 *   which are traced meanwhile and preempt each other inside their
 *   traced calls); set the filter back to KEEP alone and read the count
 *   (on CPU 0 nothing runs in between); read SETTLE (ftarm_stress's
 *   settle, which returns once every caller of LATE has blocked, so that
 *   every call in progress has ended) and read the count again. Prints
 *   a line "ROUND STATE SEEN LATE" a round: STATE "ok" if LATE went
 *   through the event's own trampoline alone ("(1)" and "tramp:" in its
 *   line), else "shared" (and a line "line ROUND: TEXT"); SEEN, the
 *   events while LATE was in the filter; LATE, those counted after the
 *   second SET_FILTER had returned, which must be none.
 *
 * Any failure is printed and ends the program with status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>

static const char *dir;
static int fd;

static void die(const char *what)
{
	fprintf(stderr, "ftarm-perf: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned long number(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s) {
		fprintf(stderr, "ftarm-perf: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

/* Open the event ID for task PID on CPU, disabled, with FILTER */
static void open_event(const char *id, int pid, int cpu, const char *filter)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.config = number(id, "event id");
	attr.disabled = 1;
	fd = syscall(__NR_perf_event_open, &attr, pid, cpu, -1, 0);
	if (fd < 0)
		die("perf_event_open");
	if (ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter))
		die("PERF_EVENT_IOC_SET_FILTER (first)");
	if (ioctl(fd, PERF_EVENT_IOC_ENABLE, 0))
		die("PERF_EVENT_IOC_ENABLE");
}

/* ---- wait ---- */

static void put(const char *name, const char *text)
{
	char tmp[4096], path[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.%s", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%s\n", text) < 0 || fclose(f) ||
	    rename(tmp, path))
		die(path);
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

static int wait_main(char **argv)
{
	char res[128] = "0";

	dir = argv[1];
	/* This task, any CPU: registers the event's ftrace_ops */
	open_event(argv[0], 0, -1, argv[2]);
	put("ready", "1");
	if (await("go")) {
		put("calling", "1");
		if (ioctl(fd, PERF_EVENT_IOC_SET_FILTER, argv[3]))
			snprintf(res, sizeof(res), "errno %d (%s)", errno,
				 strerror(errno));
		put("set", res);
		await("done");
	}
	close(fd);
	return 0;
}

/* ---- late ---- */

static void set_filter(const char *filter)
{
	if (ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter))
		die(filter);
}

static uint64_t count(void)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		die("read of the count");
	return v;
}

/* Whether FN goes through one ops' own trampoline; else print its line */
static int alone(const char *fn, unsigned long round)
{
	char buf[512];
	size_t n = strlen(fn);
	FILE *f = fopen("/sys/kernel/tracing/enabled_functions", "r");
	int ok = 0, found = 0;

	if (!f)
		die("enabled_functions");
	while (fgets(buf, sizeof(buf), f)) {
		if (strncmp(buf, fn, n) || buf[n] != ' ')
			continue;
		found = 1;
		ok = strstr(buf, " (1) ") && strstr(buf, "tramp:");
		if (!ok)
			printf("line %lu: %s", round, buf);
		break;
	}
	fclose(f);
	if (!found)
		printf("line %lu: (none)\n", round);
	return ok;
}

static void settle(const char *path)
{
	char buf[64];
	int s = open(path, O_RDONLY);

	if (s < 0 || read(s, buf, sizeof(buf)) <= 0)
		die(path);
	close(s);
}

static int late_main(char **argv)
{
	unsigned long rounds = number(argv[1], "round count"), r;
	char keep[256], both[512];
	uint64_t c0, c1, c2;
	int ok;

	snprintf(keep, sizeof(keep), "ip == %s", argv[2]);
	snprintf(both, sizeof(both), "ip == %s || ip == %s", argv[2], argv[3]);
	/* Any task, on CPU 0, where the callers of LATE run */
	open_event(argv[0], -1, 0, keep);
	for (r = 1; r <= rounds; r++) {
		c0 = count();
		set_filter(both);
		ok = alone(argv[3], r);
		usleep(2000);
		set_filter(keep);
		c1 = count();
		settle(argv[4]);
		c2 = count();
		printf("%lu %s %llu %llu\n", r, ok ? "ok" : "shared",
		       (unsigned long long)(c1 - c0),
		       (unsigned long long)(c2 - c1));
		fflush(stdout);
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "wait"))
		return wait_main(argv + 2);
	if (argc == 7 && !strcmp(argv[1], "late"))
		return late_main(argv + 2);
	fprintf(stderr, "usage: ftarm-perf wait ID DIR FILTER1 FILTER2\n"
		"       ftarm-perf late ID ROUNDS KEEP LATE SETTLE\n");
	return 2;
}
