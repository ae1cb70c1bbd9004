// SPDX-License-Identifier: GPL-2.0
/*
 * fentry, fexit and fmod_ret through arm64's direct calls (the ftrace-arm64
 * series), counted exactly:
 *
 *  counts, counts_shared: a module function (bpf_testmod_test_read()) and
 *    a kernel function (bpf_fentry_test1(), bpf_modify_return_test()), each
 *    called CALLS times: every program sees every call, fexit sees the
 *    return value, fmod_ret changes it, and nothing is seen once the
 *    programs are detached. counts_shared does the same while a tracefs
 *    instance traces those functions, so that the callsite is shared
 *    between the direct call and an ftrace ops; the instance must see every
 *    call too.
 *    Each also checks that the callsite calls the BPF trampoline itself
 *    when nothing else traces the function (enabled_functions: one user,
 *    D, direct-->), and shares it with the instance otherwise.
 *  modify: an fentry program stays attached and counts every call of two
 *    threads while the callsite goes through every direct-call transition
 *    under it: a second program attached and detached (the BPF trampoline
 *    replaced: modify of a live direct call), and the instance's tracer
 *    switched on and off (direct-only <-> shared). Each call must be
 *    counted exactly once (or be one of the program's recursion misses).
 *  graph: fentry and fexit while the top-level function_graph tracer
 *    traces the same function, whose return it hooks: the direct call then
 *    gets return_to_handler as the function's return address. Counts,
 *    return value and the graph tracer's own events must all be exact.
 *  churn, churn_shared: attach and detach an fentry program in a loop
 *    while two threads call the module function. A call made entirely
 *    while the program was attached (the attach had returned, the detach
 *    had not started) must be seen; one made entirely while it was
 *    detached must not. The first caller to find a call lost reports, at
 *    once, what the callsite looks like (enabled_functions, the text of
 *    the entry and veneer, the slot: read by peek_prog) and whether calls
 *    are seen again; the rounds that lost calls are listed at the end.
 *    With FTARM_CHURN_TRACE set, each attach and detach is marked in the
 *    kernel log too, to line the report up with the kernel's messages.
 *
 * FTARM_DIRECT_ROUNDS=N makes churn, churn_shared and modify run at most N
 * rounds (default 60, 60 and 40): guest/stress.sh runs them again and
 * again beside its churn, where shorter runs end sooner after it stops.
 *
 * Every call is a system call of this process, which orders it after the
 * attach or detach that came before it (a system call is a context
 * synchronisation event on arm64).
 */
#include <test_progs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include "trace_helpers.h"
#include "ftarm_direct.skel.h"

#define CALLS 1000
#define COUNT_LEN 13
#define CHURN_LEN 17
#define SEEN_MAX (1 << 18)
#define PEEK_LEN 32
#define CHURN_ROUNDS 60
#define MOD_LEN 19
#define MOD_ROUNDS 40
#define INSTANCE "/sys/kernel/tracing/instances/ftarm_bpf"
#define TESTMOD_FILE "/sys/kernel/bpf_testmod"

static int testmod_fd = -1;

/* At most FTARM_DIRECT_ROUNDS rounds, when it is set to a number from 1. */
static int max_rounds(int dflt)
{
	const char *s = getenv("FTARM_DIRECT_ROUNDS");
	char *end;
	long n;

	if (!s || !*s)
		return dflt;
	n = strtol(s, &end, 10);
	if (*end || n < 1)
		return dflt;
	return n < dflt ? n : dflt;
}

/*
 * Write all of s: tracefs filter files take one word a write() and return
 * what they consumed, so the rest must be written again, as echo does.
 */
static int write_file(const char *path, const char *s, int flags)
{
	size_t len = strlen(s);
	ssize_t n = 0;
	int fd, err = 0;

	fd = open(path, O_WRONLY | flags);
	if (fd < 0)
		return -errno;
	while (len) {
		n = write(fd, s, len);
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		s += n;
		len -= n;
	}
	close(fd);
	return err;
}

/* The functions in the instance's filter. */
static int filter_lines(void)
{
	char line[256];
	int n = 0;
	FILE *f;

	f = fopen(INSTANCE "/set_ftrace_filter", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += line[0] != '#';
	fclose(f);
	return n;
}

/* The instance traces the functions the programs attach to. */
static int instance_on(void)
{
	int err;

	if (mkdir(INSTANCE, 0755) && errno != EEXIST)
		return -errno;
	err = write_file(INSTANCE "/buffer_size_kb", "1024", 0);
	err = err ?: write_file(INSTANCE "/set_ftrace_filter",
				"bpf_testmod_test_read bpf_fentry_test1 bpf_modify_return_test",
				O_TRUNC);
	err = err ?: write_file(INSTANCE "/current_tracer", "function", 0);
	err = err ?: write_file(INSTANCE "/trace", "", O_TRUNC);
	if (!err && filter_lines() != 3)
		err = -EINVAL;
	return err;
}

/*
 * The instance stays (creating one takes many seconds on a debug kernel
 * under TCG); test_ftarm_direct() removes it at the end.
 */
static void instance_off(void)
{
	write_file(INSTANCE "/current_tracer", "nop", 0);
	write_file(INSTANCE "/set_ftrace_filter", "", O_TRUNC);
}

/*
 * The instance's events of func since the last clear, or -1 when the
 * buffer lost events (the count would prove nothing).
 */
static int instance_count(const char *func)
{
	char line[512], pat[128];
	long in_buf = -1, written = -2;
	int n = 0;
	FILE *f;

	snprintf(pat, sizeof(pat), ": %s <-", func);
	f = fopen(INSTANCE "/trace", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#') {
			sscanf(line, "# entries-in-buffer/entries-written: %ld/%ld",
			       &in_buf, &written);
			continue;
		}
		if (strstr(line, pat))
			n++;
	}
	fclose(f);
	write_file(INSTANCE "/trace", "", O_TRUNC);
	return in_buf == written ? n : -1;
}

/*
 * The callsite of func as enabled_functions shows it: its line and, for a
 * direct call, the "direct-->" line after it, in buf; false if it is not
 * enabled.
 */
static bool callsite(const char *func, char *buf, size_t size)
{
	char line[512];
	size_t n = strlen(func);
	bool found = false;
	FILE *f;

	buf[0] = 0;
	f = fopen("/sys/kernel/tracing/enabled_functions", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (found) {
			if (line[0] == '\t')
				strncat(buf, line, size - strlen(buf) - 1);
			break;
		}
		if (!strncmp(line, func, n) && line[n] == ' ') {
			found = true;
			snprintf(buf, size, "%s", line);
		}
	}
	fclose(f);
	return found;
}

/* PEEK_LEN bytes of kernel memory at addr into buf (peek_prog); 0 or < 0. */
static int peek(struct ftarm_direct *skel, unsigned long addr, void *buf)
{
	struct ftarm_direct__bss *bss = skel->bss;
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	int err;

	bss->peek_addr = addr;
	bss->peek_ret = -1;
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.peek_prog), &topts);
	bss->peek_addr = 0;
	if (err)
		return err;
	if (bss->peek_ret)
		return bss->peek_ret;
	memcpy(buf, bss->peek_buf, sizeof(bss->peek_buf));
	return 0;
}

/*
 * The slot that the veneer in w (PEEK_LEN bytes of text at base) names:
 * ADRP X16 then LDR X16, [X16, #imm]; 0 if there is none.
 */
static unsigned long veneer_slot(unsigned long base, const __u32 *w)
{
	int i;

	for (i = 0; i + 1 < PEEK_LEN / 4; i++) {
		if ((w[i] & 0x9f00001f) == 0x90000010 &&
		    (w[i + 1] & 0xffc003ff) == 0xf9400210) {
			long hi = ((w[i] >> 5) & 0x7ffff) << 2 | ((w[i] >> 29) & 3);

			hi = (hi << 43) >> 31;	/* sign-extend, << 12 */
			return ((base + 4 * i) & ~0xfffUL) + hi +
			       (((w[i + 1] >> 10) & 0xfff) << 3);
		}
	}
	return 0;
}

#define INSN_BTI_MASK	0xffffff3f	/* BTI, BTI C, BTI J, BTI JC */
#define INSN_BTI	0xd503241f
#define INSN_MOV_X9_LR	0xaa1e03e9
#define BL_RANGE	(128UL << 20)

/* The target of the BL insn at pc, or 0 if insn is not a BL. */
static unsigned long bl_target(unsigned long pc, __u32 insn)
{
	if ((insn & 0xfc000000) != 0x94000000)
		return 0;
	return pc + ((long)(__s32)((insn & 0x03ffffff) << 6) >> 4);
}

/*
 * How many symbols called name /proc/kallsyms lists, and their addresses
 * in addrs (beyond max, the last one in addrs[max - 1]):
 * a BPF trampoline replaced under a callsite keeps its name, and the old
 * image stays listed until it is freed, after RCU-tasks.
 */
static int kallsyms_all(const char *name, unsigned long long *addrs, int max)
{
	char type, sym[500];
	unsigned long long value;
	int n = 0;
	FILE *f;

	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return -errno;
	while (fscanf(f, "%llx %c %499s%*[^\n]\n", &value, &type, sym) > 0)
		if (!strcmp(sym, name))
			addrs[n++ < max ? n - 1 : max - 1] = value;
	fclose(f);
	return n;
}

/*
 * Whether the kernel has set trampolines: the architecture's own (T)
 * arch_ftrace_set_tramp_create(), not the core's weak default (W).
 */
static bool set_trampolines(void)
{
	char type, sym[500];
	unsigned long long value;
	bool found = false;
	FILE *f;

	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return false;
	while (!found && fscanf(f, "%llx %c %499s%*[^\n]\n", &value, &type, sym) > 0)
		found = (type == 'T' || type == 't') &&
			!strcmp(sym, "arch_ftrace_set_tramp_create");
	fclose(f);
	return found;
}

/*
 * Whether the command line forces the far paths (ftrace_tramp_far=, a
 * boolean; the harness checks in the log that the kernel took it).
 */
static bool forced_far(void)
{
	char line[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	return strstr(line, "ftrace_tramp_far=1") || strstr(line, "ftrace_tramp_far=y") ||
	       strstr(line, "ftrace_tramp_far=on");
}

/*
 * What the callsite's text does, read with peek_prog (attached by the
 * caller): where its BL goes and, when that is the veneer before the
 * function, the slot's value. Not shared, it must reach the BPF trampoline
 * that enabled_functions names (cs: its lines): by a BL to it when that is
 * in range and the far paths are not forced, else through the veneer.
 * Shared, it must reach the trampoline of its set of ops when the kernel
 * has set trampolines and enabled_functions names one ("set:"), else
 * ftrace_regs_caller; either continues into the BPF trampoline (the same
 * BL or veneer rule).
 */
static void check_text(struct ftarm_direct *skel, const char *func, bool shared,
		       const char *cs)
{
	unsigned long long fn = 0, image = 0, regs_caller = 0, set = 0, want, images[4];
	const char *set_line = strstr(cs, "set: ");
	unsigned long base, pc, target, slot, reached;
	__u32 w[PEEK_LEN / 4];
	__u64 v[PEEK_LEN / 8];
	const char *d = strstr(cs, "direct-->");
	char name[128] = "", msg[256];
	int i, k, n = 0;
	bool near;

	/* Two users and set trampolines: the callsite must have its set's */
	if (shared && set_trampolines() && !ASSERT_OK_PTR(set_line, "text_set_line"))
		return;
	if (set_line && !ASSERT_EQ(sscanf(set_line + strlen("set: "), "%llx", &set), 1,
				   "text_set_address"))
		return;
	if (!ASSERT_OK_PTR(d, "text_direct_line") ||
	    !ASSERT_EQ(sscanf(d + strlen("direct-->"), "%127[^+ \n]", name), 1,
		       "text_direct_name"))
		return;
	/* The image replaced by the last attach, if any, goes within seconds */
	for (k = 0; k < 30; k++) {
		n = kallsyms_all(name, images, ARRAY_SIZE(images));
		if (shared || n != 2)
			break;
		usleep(100000);
	}
	if (!ASSERT_GT(n, 0, "text_image_symbol") ||
	    !ASSERT_OK(kallsyms_find(func, &fn), "text_func_symbol") ||
	    !ASSERT_OK(kallsyms_find("ftrace_regs_caller", &regs_caller),
		       "text_regs_caller_symbol"))
		return;
	base = fn - 12;
	if (!ASSERT_OK(peek(skel, base, w), "text_peek"))
		return;
	/* veneer (3), a BTI if any, MOV X9, LR, then the callsite */
	i = (w[3] & INSN_BTI_MASK) == INSN_BTI ? 4 : 3;
	if (!ASSERT_EQ(w[i], INSN_MOV_X9_LR, "text_mov_x9_lr"))
		return;
	pc = base + 4 * (i + 1);
	target = bl_target(pc, w[i + 1]);
	if (!ASSERT_NEQ(target, 0, "text_callsite_is_bl")) {
		printf("%s: callsite %lx: %08x\n", func, pc, w[i + 1]);
		return;
	}
	reached = target;
	if (target == base) {
		slot = veneer_slot(base, w);
		if (!ASSERT_NEQ(slot, 0, "text_veneer") ||
		    !ASSERT_OK(peek(skel, slot, v), "text_peek_slot"))
			return;
		reached = v[0];
	}
	/*
	 * Not shared: the newest image of that name (BPF symbols are listed
	 * in the order they were added), not one being freed.
	 */
	image = images[(n < (int)ARRAY_SIZE(images) ? n : (int)ARRAY_SIZE(images)) - 1];
	want = !shared ? image : set ? set : regs_caller;
	near = !forced_far() && want - pc + BL_RANGE < 2 * BL_RANGE;
	/* To the kernel log too: test_progs shows a passing test's output only with -v */
	snprintf(msg, sizeof(msg),
		 "ftarm_direct: %s: callsite %lx: BL %lx%s, reaches %lx (%s %llx%s, %s)\n",
		 func, pc, target, target == base ? " (veneer)" : "", reached,
		 !shared ? name : set ? "set trampoline" : "ftrace_regs_caller", want,
		 !shared && n > 1 ? ", and an image being replaced" : "",
		 near ? "near" : "far");
	fputs(msg, stdout);
	write_file("/dev/kmsg", msg, 0);
	ASSERT_EQ(reached, want, "text_reaches_target");
	if (near)
		ASSERT_EQ(target, want, "text_bl_to_target");
	else
		ASSERT_EQ(target, base, "text_bl_to_veneer");
}

/*
 * The callsite of func calls a BPF trampoline: directly when it is the
 * only user (one user, flag D), or from the ops path when the instance
 * shares it (two users); in enabled_functions, and in its text
 * (check_text()). Calls bpf_fentry_test1() (peek_prog): the caller zeroes
 * what that counted.
 */
static void check_direct(struct ftarm_direct *skel, const char *func, bool shared)
{
	struct bpf_link *peek_link;
	char buf[1024];

	/* First: attached to bpf_fentry_test1, it may replace its trampoline. */
	peek_link = bpf_program__attach(skel->progs.peek_prog);
	if (!ASSERT_OK_PTR(peek_link, "attach_peek"))
		return;
	if (!ASSERT_TRUE(callsite(func, buf, sizeof(buf)), "callsite_enabled"))
		goto out;
	if (!ASSERT_OK_PTR(strstr(buf, shared ? "(2)" : "(1)"), "callsite_users") ||
	    !ASSERT_TRUE(strstr(buf, " D\n") || strstr(buf, " D\t"), "callsite_direct_flag") ||
	    !ASSERT_OK_PTR(strstr(buf, "direct-->bpf_trampoline_"), "callsite_direct_target"))
		printf("%s: %s", func, buf);
	else
		check_text(skel, func, shared, buf);
out:
	bpf_link__destroy(peek_link);
}

/* A program's recursion misses: calls it did not run for. */
static __u64 recursion_misses(struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (!ASSERT_OK(bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len),
		       "prog_info"))
		return 0;
	return info.recursion_misses;
}

/* One call of bpf_testmod_test_read(..., off, len): 0 or -errno. */
static int read_at(size_t len, off_t off)
{
	char buf[32];

	return pread(testmod_fd, buf, len, off) < 0 ? -errno : 0;
}

static void zero_counts(struct ftarm_direct__bss *bss)
{
	bss->fentry_read = bss->fexit_read = bss->fexit_read_ret_ok = 0;
	bss->fmod_read = 0;
	bss->fentry_k = bss->fexit_k = bss->fexit_k_ret_ok = bss->fmod_k = 0;
}

/* CALLS reads; how many failed with the errno wanted. */
static int reads(int want)
{
	int i, ok = 0;

	for (i = 0; i < CALLS; i++)
		ok += read_at(COUNT_LEN, i) == want;
	return ok;
}

/* CALLS test runs of prog; how many returned retval. */
static int test_runs(struct bpf_program *prog, __u32 retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	int i, ok = 0;

	for (i = 0; i < CALLS; i++) {
		topts.retval = ~retval;
		if (!bpf_prog_test_run_opts(bpf_program__fd(prog), &topts) &&
		    topts.retval == retval)
			ok++;
	}
	return ok;
}

/*
 * fentry and fexit on the module function (links[0], links[1]), then
 * CALLS reads: each program sees every one, fexit with its return value.
 * shared: something else traces the function too (two users of the
 * callsite). False if the programs could not attach.
 */
static bool fentry_fexit_reads(struct ftarm_direct *skel, struct bpf_link **links,
			       bool shared)
{
	struct ftarm_direct__bss *bss = skel->bss;

	zero_counts(bss);
	bss->read_len = COUNT_LEN;
	bss->fexit_read_ret_want = -EIO;
	links[0] = bpf_program__attach(skel->progs.fentry_read_prog);
	links[1] = bpf_program__attach(skel->progs.fexit_read_prog);
	if (!ASSERT_OK_PTR(links[0], "attach_fentry_read") ||
	    !ASSERT_OK_PTR(links[1], "attach_fexit_read"))
		return false;
	check_direct(skel, "bpf_testmod_test_read", shared);
	ASSERT_EQ(reads(-EIO), CALLS, "read_eio");
	ASSERT_EQ(bss->fentry_read, CALLS, "fentry_read");
	ASSERT_EQ(bss->fexit_read, CALLS, "fexit_read");
	ASSERT_EQ(bss->fexit_read_ret_ok, CALLS, "fexit_read_ret");
	return true;
}

static void run_counts(struct ftarm_direct *skel, bool shared)
{
	struct ftarm_direct__bss *bss = skel->bss;
	struct bpf_link *links[5] = {};
	int i;

	if (shared && !ASSERT_OK(instance_on(), "instance_on"))
		goto out;
	/* The module function: fentry and fexit. */
	if (!fentry_fexit_reads(skel, links, shared))
		goto out;
	if (shared)
		ASSERT_EQ(instance_count("bpf_testmod_test_read"), CALLS, "instance_read");

	/* And fmod_ret: the function is skipped and returns -ENOSPC. */
	zero_counts(bss);
	bss->fmod_read_ret = -ENOSPC;
	bss->fexit_read_ret_want = -ENOSPC;
	links[2] = bpf_program__attach(skel->progs.fmod_read_prog);
	if (!ASSERT_OK_PTR(links[2], "attach_fmod_read"))
		goto out;
	ASSERT_EQ(reads(-ENOSPC), CALLS, "read_enospc");
	ASSERT_EQ(bss->fentry_read, CALLS, "fentry_read_fmod");
	ASSERT_EQ(bss->fmod_read, CALLS, "fmod_read");
	ASSERT_EQ(bss->fexit_read, CALLS, "fexit_read_fmod");
	ASSERT_EQ(bss->fexit_read_ret_ok, CALLS, "fexit_read_ret_fmod");
	if (shared)
		ASSERT_EQ(instance_count("bpf_testmod_test_read"), CALLS,
			  "instance_read_fmod");

	/* Detached: the function is itself again, no program sees it. */
	for (i = 0; i < 3; i++) {
		bpf_link__destroy(links[i]);
		links[i] = NULL;
	}
	zero_counts(bss);
	ASSERT_EQ(reads(-EIO), CALLS, "read_eio_detached");
	ASSERT_EQ(bss->fentry_read + bss->fexit_read + bss->fmod_read, 0,
		  "detached_read");
	if (shared)
		ASSERT_EQ(instance_count("bpf_testmod_test_read"), CALLS,
			  "instance_read_detached");

	/* The kernel function: fentry and fexit, then fmod_ret. */
	links[3] = bpf_program__attach(skel->progs.fentry_k_prog);
	links[4] = bpf_program__attach(skel->progs.fexit_k_prog);
	if (!ASSERT_OK_PTR(links[3], "attach_fentry_k") ||
	    !ASSERT_OK_PTR(links[4], "attach_fexit_k"))
		goto out;
	check_direct(skel, "bpf_fentry_test1", shared);
	zero_counts(bss);
	if (shared)
		write_file(INSTANCE "/trace", "", O_TRUNC);
	ASSERT_EQ(test_runs(skel->progs.fentry_k_prog, 0), CALLS, "test_run_k");
	ASSERT_EQ(bss->fentry_k, CALLS, "fentry_k");
	ASSERT_EQ(bss->fexit_k, CALLS, "fexit_k");
	ASSERT_EQ(bss->fexit_k_ret_ok, CALLS, "fexit_k_ret");
	if (shared)
		ASSERT_EQ(instance_count("bpf_fentry_test1"), CALLS, "instance_k");
	for (i = 3; i < 5; i++) {
		bpf_link__destroy(links[i]);
		links[i] = NULL;
	}
	/* Detached: the function is called, no program sees it. */
	ASSERT_EQ(test_runs(skel->progs.fentry_k_prog, 0), CALLS, "test_run_k_detached");
	ASSERT_EQ(bss->fentry_k, CALLS, "fentry_k_detached");
	ASSERT_EQ(bss->fexit_k, CALLS, "fexit_k_detached");
	if (shared)
		ASSERT_EQ(instance_count("bpf_fentry_test1"), CALLS,
			  "instance_k_detached");
	/* Unmodified: side effect on b (bit 16) and 1 + 3. */
	ASSERT_EQ(test_runs(skel->progs.fmod_k_prog, (1 << 16) | 4), CALLS,
		  "test_run_fmod_k_off");
	links[0] = bpf_program__attach(skel->progs.fmod_k_prog);
	if (!ASSERT_OK_PTR(links[0], "attach_fmod_k"))
		goto out;
	ASSERT_EQ(test_runs(skel->progs.fmod_k_prog, 1234), CALLS, "test_run_fmod_k");
	ASSERT_EQ(bss->fmod_k, CALLS, "fmod_k");
	bpf_link__destroy(links[0]);
	links[0] = NULL;
	/* Detached: unmodified again, and not counted. */
	ASSERT_EQ(test_runs(skel->progs.fmod_k_prog, (1 << 16) | 4), CALLS,
		  "test_run_fmod_k_detached");
	ASSERT_EQ(bss->fmod_k, CALLS, "fmod_k_detached");
	if (shared)
		ASSERT_EQ(instance_count("bpf_modify_return_test"), 3 * CALLS,
			  "instance_fmod_k");
out:
	for (i = 0; i < 5; i++)
		bpf_link__destroy(links[i]);
	if (shared)
		instance_off();
}

#define TOP "/sys/kernel/tracing"

static void run_graph(struct ftarm_direct *skel)
{
	struct bpf_link *links[2] = {};
	char line[512];
	int i, n = 0, err;
	FILE *f;

	/* Room for every event: the top-level buffer may be one page a CPU. */
	err = write_file(TOP "/buffer_size_kb", "1024", 0);
	err = err ?: write_file(TOP "/set_ftrace_filter", "bpf_testmod_test_read", O_TRUNC);
	err = err ?: write_file(TOP "/current_tracer", "function_graph", 0);
	err = err ?: write_file(TOP "/trace", "", O_TRUNC);
	if (!ASSERT_OK(err, "function_graph_on"))
		goto out;
	/* Shared with the graph tracer's ops: two users. */
	if (!fentry_fexit_reads(skel, links, true))
		goto out;
	write_file(TOP "/tracing_on", "0", 0);
	f = fopen(TOP "/trace", "r");
	if (ASSERT_OK_PTR(f, "open_trace")) {
		/* Only the function is traced: one leaf line a call. */
		while (fgets(line, sizeof(line), f)) {
			bool hit = line[0] != '#' && strstr(line, "bpf_testmod_test_read");

			if (line[0] == '#' || !hit || n < 3)
				printf("trace: %s", line);
			n += hit;
		}
		fclose(f);
	}
	ASSERT_EQ(n, CALLS, "graph_events");
out:
	for (i = 0; i < 2; i++)
		bpf_link__destroy(links[i]);
	write_file(TOP "/current_tracer", "nop", 0);
	write_file(TOP "/set_ftrace_filter", "", O_TRUNC);
	write_file(TOP "/tracing_on", "1", 0);
}

struct churn {
	atomic_uint gen;	/* 4k + 1: attached; 4k + 3: detached */
	atomic_uint next;	/* the next offset to read at */
	atomic_bool stop;
	atomic_bool reported;	/* a lost call was reported */
	struct ftarm_direct *skel;
	unsigned long func;	/* bpf_testmod_test_read, from kallsyms */
	unsigned char class[SEEN_MAX];	/* 1: must be seen, 2: must not */
	unsigned char round[SEEN_MAX];	/* the round of each call */
};

/*
 * What a call that was lost while the program was attached found: the
 * callsite in enabled_functions, the text around the function's entry
 * (veneer, BTI, MOV X9, LR and the callsite's BL or NOP), the slot the
 * veneer's ADRP and LDR name, and whether new calls are seen now.
 */
static void churn_report(struct churn *c, unsigned int off, unsigned int gen)
{
	struct ftarm_direct__bss *bss = c->skel->bss;
	unsigned long base = c->func - 12, slot = 0;
	unsigned int g_start, g_snap, g_end, o[3];
	int i, n = 0, seen[3], text_ok, slot_ok = 0, tramp_ok = 0;
	__u64 v[PEEK_LEN / 8], runs[3], last_off[3], last_len[3];
	__u32 w[PEEK_LEN / 4], t[PEEK_LEN / 4];
	char buf[1024];

	/*
	 * First the snapshot, with nothing slow in it (no printing, no
	 * tracefs): the text of the callsite and veneer, the slot, the start
	 * of the trampoline it names, and three new calls, each with whether
	 * the program ran and with which arguments. The generation before
	 * and after says whether all of it was taken while the program was
	 * still attached (4k + 1), which a loaded guest does not guarantee.
	 */
	g_start = atomic_load(&c->gen);
	text_ok = c->func && !peek(c->skel, base, w);
	slot = text_ok ? veneer_slot(base, w) : 0;
	slot_ok = slot && !peek(c->skel, slot, v);
	tramp_ok = slot_ok && !peek(c->skel, v[0], t);
	for (n = 0; n < 3; n++) {
		__u64 hits = bss->churn_hits;

		o[n] = atomic_fetch_add(&c->next, 1);
		if (o[n] >= SEEN_MAX)
			break;
		read_at(CHURN_LEN, o[n]);
		seen[n] = bss->seen[o[n]];
		runs[n] = bss->churn_hits - hits;
		last_off[n] = bss->churn_last_off;
		last_len[n] = bss->churn_last_len;
	}
	g_snap = atomic_load(&c->gen);

	snprintf(buf, sizeof(buf), "churn: LOST at round %u\n", gen / 4);
	write_file("/dev/kmsg", buf, 0);
	printf("churn: lost call at offset %u, round %u; snapshot taken in generations %u to %u%s\n",
	       off, gen / 4, g_start, g_snap,
	       g_start == gen && g_snap == gen ? " (still attached)" : " (NOT all while attached)");
	for (i = 0; text_ok && i < PEEK_LEN / 4; i++)
		printf("churn: %lx: %08x\n", base + 4 * i, w[i]);
	if (slot_ok)
		printf("churn: slot %lx: %llx\n", slot, (unsigned long long)v[0]);
	for (i = 0; tramp_ok && i < PEEK_LEN / 4; i++)
		printf("churn: %llx: %08x\n", (unsigned long long)v[0] + 4 * i, t[i]);
	for (i = 0; i < n; i++)
		printf("churn: a call at offset %u: %s, program runs %llu, last of ours off %llu len %llu\n",
		       o[i], seen[i] ? "seen" : "not seen", (unsigned long long)runs[i],
		       (unsigned long long)last_off[i], (unsigned long long)last_len[i]);
	/* Slow, and last: the core's view of the callsite, by now. */
	g_start = atomic_load(&c->gen);
	printf("churn: enabled_functions: %s",
	       callsite("bpf_testmod_test_read", buf, sizeof(buf)) ? buf : "(not enabled)\n");
	g_end = atomic_load(&c->gen);
	printf("churn: enabled_functions read in generations %u to %u\n", g_start, g_end);
}

static void *churn_caller(void *arg)
{
	struct churn *c = arg;
	unsigned int off, g1, g2;

	while (!atomic_load(&c->stop)) {
		off = atomic_fetch_add(&c->next, 1);
		if (off >= SEEN_MAX)
			break;
		g1 = atomic_load(&c->gen);
		read_at(CHURN_LEN, off);
		g2 = atomic_load(&c->gen);
		c->round[off] = g1 / 4;
		if (g1 == g2 && g1 % 4 == 1) {
			c->class[off] = 1;
			/* The program ran in the call, if it ran at all. */
			if (!c->skel->bss->seen[off] && !atomic_exchange(&c->reported, true))
				churn_report(c, off, g1);
		} else if (g1 == g2 && g1 % 4 == 3) {
			c->class[off] = 2;
		}
	}
	return NULL;
}

/* The rounds that lost calls: calls, lost, and the first and last lost. */
static void churn_rounds(struct churn *c, unsigned int end)
{
	struct ftarm_direct__bss *bss = c->skel->bss;
	unsigned int r, i, must, lost, first, last;

	for (r = 0; r < CHURN_ROUNDS; r++) {
		must = lost = first = last = 0;
		for (i = 0; i < end; i++) {
			if (c->round[i] != r || c->class[i] != 1)
				continue;
			must++;
			if (!bss->seen[i]) {
				if (!lost++)
					first = must;
				last = must;
			}
		}
		if (lost)
			printf("churn: round %u: %u calls while attached, %u lost (from the %uth to the %uth)\n",
			       r, must, lost, first, last);
	}
}

static void run_churn(struct ftarm_direct *skel, bool shared)
{
	struct ftarm_direct__bss *bss = skel->bss;
	int i, n, must = 0, mustnot = 0, lost = 0, stray = 0, fails = 0;
	struct bpf_link *peek_link;
	unsigned int k, end;
	pthread_t thr[2];
	char msg[256];
	__u64 misses, misses0;
	struct churn *c;

	c = calloc(1, sizeof(*c));
	if (!ASSERT_OK_PTR(c, "calloc"))
		return;
	c->skel = skel;
	/* 0 if unknown: the report then shows no text */
	c->func = load_kallsyms() ? 0 : ksym_get_addr("bpf_testmod_test_read");
	/*
	 * Attached now, not when a call is lost: an attach takes long enough
	 * on a loaded guest for the round to end before the report is taken.
	 */
	peek_link = bpf_program__attach(skel->progs.peek_prog);
	ASSERT_OK_PTR(peek_link, "attach_peek");
	if (shared && !ASSERT_OK(instance_on(), "instance_on"))
		goto out;
	memset(bss->seen, 0, sizeof(bss->seen));
	bss->churn_len = CHURN_LEN;
	/* churn and churn_shared run the same program: count this run's */
	misses0 = recursion_misses(skel->progs.churn_prog);
	for (n = 0; n < 2; n++)
		if (!ASSERT_OK(pthread_create(&thr[n], NULL, churn_caller, c), "pthread_create"))
			break;
	for (k = 0; k < (unsigned int)max_rounds(CHURN_ROUNDS) && atomic_load(&c->next) < SEEN_MAX; k++) {
		struct bpf_link *link = bpf_program__attach(skel->progs.churn_prog);

		if (!link) {
			fails++;
			continue;
		}
		if (getenv("FTARM_CHURN_TRACE")) {
			snprintf(msg, sizeof(msg), "churn: round %u attached\n", k);
			write_file("/dev/kmsg", msg, 0);
		}
		atomic_store(&c->gen, 4 * k + 1);
		usleep(20000);
		atomic_store(&c->gen, 4 * k + 2);
		if (getenv("FTARM_CHURN_TRACE")) {
			snprintf(msg, sizeof(msg), "churn: round %u detaching\n", k);
			write_file("/dev/kmsg", msg, 0);
		}
		bpf_link__destroy(link);
		atomic_store(&c->gen, 4 * k + 3);
		usleep(10000);
		atomic_store(&c->gen, 4 * k + 4);
	}
	atomic_store(&c->stop, true);
	for (i = 0; i < n; i++)
		pthread_join(thr[i], NULL);
	misses = recursion_misses(skel->progs.churn_prog) - misses0;
	end = atomic_load(&c->next);
	if (end > SEEN_MAX)
		end = SEEN_MAX;
	for (i = 0; i < end; i++) {
		if (c->class[i] == 1) {
			must++;
			lost += !bss->seen[i];
		} else if (c->class[i] == 2) {
			mustnot++;
			stray += bss->seen[i];
		}
	}
	if (lost)
		churn_rounds(c, end);
	/*
	 * The figures go to the kernel log too, which the harness keeps:
	 * test_progs shows a passing test's output only with -v.
	 */
	snprintf(msg, sizeof(msg),
		 "ftarm_direct: churn%s: %u rounds, %u calls: %d while attached (%d lost), %d while detached (%d stray), %llu recursion misses\n",
		 shared ? "_shared" : "", k, end, must, lost, mustnot, stray,
		 (unsigned long long)misses);
	fputs(msg, stdout);
	write_file("/dev/kmsg", msg, 0);
	ASSERT_EQ(fails, 0, "attach_failures");
	ASSERT_EQ(n, 2, "callers");
	ASSERT_GT(must, 0, "calls_while_attached");
	ASSERT_GT(mustnot, 0, "calls_while_detached");
	/*
	 * A caller preempted inside the program makes the other caller's
	 * call on that CPU a recursion miss (the program runs with migration,
	 * not preemption, disabled): such a call is not seen, and is not
	 * lost by the callsite.
	 */
	ASSERT_LE(lost, misses, "lost_calls");
	ASSERT_EQ(stray, 0, "stray_calls");
out:
	if (shared)
		instance_off();
	bpf_link__destroy(peek_link);
	free(c);
}

struct modify {
	atomic_bool stop;
	atomic_ulong calls;
};

static void *modify_caller(void *arg)
{
	struct modify *m = arg;

	while (!atomic_load(&m->stop)) {
		read_at(MOD_LEN, 0);
		atomic_fetch_add(&m->calls, 1);
	}
	return NULL;
}

static void run_modify(struct ftarm_direct *skel)
{
	struct ftarm_direct__bss *bss = skel->bss;
	struct bpf_link *count = NULL, *other;
	struct modify m = {};
	int i, n, k, fails = 0;
	__u64 misses, calls;
	pthread_t thr[2];
	char msg[256];

	/* The instance's filter is set once; its tracer is switched below. */
	if (!ASSERT_OK(instance_on(), "instance_on"))
		goto out;
	write_file(INSTANCE "/current_tracer", "nop", 0);
	bss->mod_len = MOD_LEN;
	bss->mod_count = bss->mod_other = 0;
	count = bpf_program__attach(skel->progs.mod_count_prog);
	if (!ASSERT_OK_PTR(count, "attach_count"))
		goto out;
	for (n = 0; n < 2; n++)
		if (!ASSERT_OK(pthread_create(&thr[n], NULL, modify_caller, &m),
			       "pthread_create"))
			break;
	for (k = 0; k < max_rounds(MOD_ROUNDS); k++) {
		other = bpf_program__attach(skel->progs.mod_other_prog);
		if (!other)
			fails++;
		usleep(5000);
		if (write_file(INSTANCE "/current_tracer", k % 2 ? "nop" : "function", 0))
			fails++;
		usleep(5000);
		bpf_link__destroy(other);
		usleep(5000);
	}
	atomic_store(&m.stop, true);
	for (i = 0; i < n; i++)
		pthread_join(thr[i], NULL);
	calls = atomic_load(&m.calls);
	misses = recursion_misses(skel->progs.mod_count_prog);
	snprintf(msg, sizeof(msg),
		 "ftarm_direct: modify: %d rounds, %llu calls, counted %llu, %llu recursion misses, second program %llu\n",
		 k, (unsigned long long)calls, (unsigned long long)bss->mod_count,
		 (unsigned long long)misses, (unsigned long long)bss->mod_other);
	fputs(msg, stdout);
	write_file("/dev/kmsg", msg, 0);
	ASSERT_EQ(fails, 0, "transition_failures");
	ASSERT_EQ(n, 2, "callers");
	ASSERT_GT(calls, 0, "calls");
	ASSERT_GT(bss->mod_other, 0, "second_program_ran");
	ASSERT_EQ(bss->mod_count + misses, calls, "counted_exactly_once");
out:
	bpf_link__destroy(count);
	instance_off();
}

void test_ftarm_direct(void)
{
	struct ftarm_direct *skel;

	testmod_fd = open(TESTMOD_FILE, O_RDONLY);
	if (!ASSERT_GE(testmod_fd, 0, "open " TESTMOD_FILE))
		return;
	skel = ftarm_direct__open_and_load();
	if (!ASSERT_OK_PTR(skel, "skel_open_and_load"))
		goto out;
	skel->bss->tgid = getpid();

	if (test__start_subtest("counts"))
		run_counts(skel, false);
	if (test__start_subtest("churn"))
		run_churn(skel, false);
	if (test__start_subtest("counts_shared"))
		run_counts(skel, true);
	if (test__start_subtest("churn_shared"))
		run_churn(skel, true);
	if (test__start_subtest("modify"))
		run_modify(skel);
	if (test__start_subtest("graph"))
		run_graph(skel);
	ftarm_direct__destroy(skel);
	rmdir(INSTANCE);
out:
	close(testmod_fd);
	testmod_fd = -1;
}
