// SPDX-License-Identifier: GPL-2.0
/*
 * ftarm_orphan: what happens to an ops' trampoline once ftrace has shut
 * itself down (ftrace_bug() -> ftrace_kill(), ftrace_disabled set).
 *
 * From then on the core no longer patches callsites, so one that leads to a
 * trampoline keeps leading there after the ops is unregistered (which fails
 * with -ENODEV), and the ops' owner may free the ops and its callback. The
 * series keeps such a trampoline but makes it call ftrace_stub() instead of
 * the ops' function ("orphan"), rather than free code that runs or go on
 * calling into an ops that may be gone, and takes the ops out of the ops
 * list, which ftrace_caller still calls (6.1 left it there).
 *
 * On load, this module:
 *  1. registers an ops with a counting callback on ftarm_orphan_one(), and
 *     two on ftarm_orphan_two() (whose callsite then goes to ftrace_caller
 *     and the ops list), and checks that the first got a trampoline of its
 *     own and that all count exactly;
 *  2. registers a fourth ops on ftarm_orphan_one(), whose callsite must then
 *     move from the first ops' trampoline to ftrace_caller (an update of
 *     the callsites, which a third ops on ftarm_orphan_two() would not
 *     need), and calls ftrace_kill() (not exported: its address comes from
 *     a kprobe registered on it and removed at once) from a kretprobe on
 *     ftrace_modify_call() once that callsite has moved, as ftrace_bug()
 *     does when a later callsite of an update cannot be patched: ftrace is
 *     disabled halfway through that registration's update, with a callsite
 *     already leading to the list function. The registration must fail
 *     with -ENODEV and leave the ops neither enabled nor adding, its
 *     unregistration must fail with -ENODEV, quietly, and the ops must
 *     never be called;
 *  3. unregisters the first three, which must fail with -ENODEV and leave the
 *     first without a trampoline (the core handed it to the architecture);
 *  4. checks that both callsites still branch (a BL in the function's first
 *     instructions: the test would prove nothing otherwise), calls the
 *     functions again and checks that no callback is called any more,
 *     neither from the orphaned trampoline nor from the ops list;
 *  5. registers a fifth ops, which must fail with -ENODEV, and unregisters
 *     it as a careless owner would: that must fail with -ENODEV too, and
 *     quietly (the ops never got in): the host fails the run on any WARN in
 *     the kernel log (scripts/results.py, kernel-log).
 * The three ops unregistered in 3. must have lost FTRACE_OPS_FL_ENABLED.
 * It prints one line, "ftarm_orphan: PASS: ..." or "ftarm_orphan: FAIL: ...".
 * ftrace stays disabled until the next boot: load it last.
 */
#define pr_fmt(fmt) "ftarm_orphan: " fmt

#include <linux/errno.h>
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <asm/insn.h>

#define NR_CALLS	100

/*
 * ftarm_orphan_one() is traced by one ops, through its trampoline;
 * ftarm_orphan_two() by two, so its callsite goes to ftrace_caller and the
 * ops list function.
 */
static unsigned long calls[2];
static unsigned long callbacks[5];

static noinline void ftarm_orphan_one(void)
{
	WRITE_ONCE(calls[0], READ_ONCE(calls[0]) + 1);
}

static noinline void ftarm_orphan_two(void)
{
	WRITE_ONCE(calls[1], READ_ONCE(calls[1]) + 1);
}

#define FTARM_CALLBACK(n)						\
static void notrace ftarm_orphan_cb##n(unsigned long ip,			\
				       unsigned long parent_ip,		\
				       struct ftrace_ops *op,		\
				       struct ftrace_regs *fregs)	\
{									\
	WRITE_ONCE(callbacks[n], READ_ONCE(callbacks[n]) + 1);		\
}
FTARM_CALLBACK(0)
FTARM_CALLBACK(1)
FTARM_CALLBACK(2)
FTARM_CALLBACK(3)
FTARM_CALLBACK(4)

static struct ftrace_ops ops[5] = {
	{ .func = ftarm_orphan_cb0 },
	{ .func = ftarm_orphan_cb1 },
	{ .func = ftarm_orphan_cb2 },
	{ .func = ftarm_orphan_cb3 },
	{ .func = ftarm_orphan_cb4 },
};

static void call_both(int n)
{
	void (*volatile one)(void) = ftarm_orphan_one;
	void (*volatile two)(void) = ftarm_orphan_two;

	while (n--) {
		one();
		two();
	}
}

/* Whether one of the function's first three instructions is a BL. */
static bool callsite_branches(void *func)
{
	u32 *p = func;
	int i;

	for (i = 0; i < 3; i++)
		if (aarch64_insn_is_bl(le32_to_cpu(READ_ONCE(p[i]))))
			return true;
	return false;
}

static void (*find_ftrace_kill(void))(void)
{
	struct kprobe kp = { .symbol_name = "ftrace_kill" };
	void *addr;

	if (register_kprobe(&kp))
		return NULL;
	addr = kp.addr;
	unregister_kprobe(&kp);
	return addr;
}

/* ftrace_kill() after a callsite's successful move, once armed. */
static void (*kill_in_update)(void);
static int kill_hits;

static int ftarm_orphan_modified(struct kretprobe_instance *ri,
				 struct pt_regs *regs)
{
	void (*kill)(void) = READ_ONCE(kill_in_update);

	if (kill && !regs_return_value(regs)) {
		WRITE_ONCE(kill_in_update, NULL);
		kill();
		kill_hits++;
	}
	return 0;
}

static struct kretprobe update_rp = {
	.kp.symbol_name	= "ftrace_modify_call",
	.handler	= ftarm_orphan_modified,
	.maxactive	= 4,
};

/*
 * Registers ops[3] while ftrace_kill() happens halfway through its update;
 * returns whether it went as it must.
 */
static bool kill_during_register(void (*kill)(void))
{
	unsigned long bad;
	int ret;

	ret = ftrace_set_filter_ip(&ops[3], (unsigned long)ftarm_orphan_one, 0, 0);
	if (ret) {
		pr_err("FAIL: setup: filter of ops 3: %d\n", ret);
		return false;
	}
	ret = register_kretprobe(&update_rp);
	if (ret) {
		pr_err("FAIL: setup: kretprobe on ftrace_modify_call: %d\n", ret);
		return false;
	}
	WRITE_ONCE(kill_in_update, kill);
	ret = register_ftrace_function(&ops[3]);
	WRITE_ONCE(kill_in_update, NULL);
	unregister_kretprobe(&update_rp);
	if (kill_hits != 1) {
		pr_err("FAIL: setup: ftrace_kill() ran %d times after a callsite moved during the registration, not once\n",
		       kill_hits);
		return false;
	}
	if (ret != -ENODEV) {
		pr_err("FAIL: registering while ftrace is killed during the update returned %d, not -ENODEV\n",
		       ret);
		return false;
	}
	bad = ops[3].flags & (FTRACE_OPS_FL_ENABLED | FTRACE_OPS_FL_ADDING);
	if (bad) {
		pr_err("FAIL: the ops that ftrace turned away during its update is still marked%s%s\n",
		       bad & FTRACE_OPS_FL_ENABLED ? " enabled" : "",
		       bad & FTRACE_OPS_FL_ADDING ? " adding" : "");
		return false;
	}
	ret = unregister_ftrace_function(&ops[3]);
	if (ret != -ENODEV) {
		pr_err("FAIL: unregistering the ops turned away during its update returned %d, not -ENODEV\n",
		       ret);
		return false;
	}
	return true;
}

static int __init ftarm_orphan_init(void)
{
	void (*kill)(void) = find_ftrace_kill();
	int i, ret = 0, nr = 0;

	if (!kill) {
		pr_err("FAIL: setup: ftrace_kill() not found\n");
		return 0;
	}
	for (i = 0; i < 3 && !ret; i++) {
		ret = ftrace_set_filter_ip(&ops[i], i ? (unsigned long)ftarm_orphan_two :
					   (unsigned long)ftarm_orphan_one, 0, 0);
		if (!ret)
			ret = register_ftrace_function(&ops[i]);
		if (!ret)
			nr++;
	}
	if (ret) {
		pr_err("FAIL: setup: cannot register ops %d: %d\n", nr, ret);
		goto out_unregister;
	}
	call_both(NR_CALLS);
	if (!ops[0].trampoline || callbacks[0] != NR_CALLS ||
	    callbacks[1] != NR_CALLS || callbacks[2] != NR_CALLS) {
		pr_err("FAIL: setup: trampoline %pS, callbacks %lu %lu %lu for %d calls\n",
		       (void *)ops[0].trampoline, callbacks[0], callbacks[1],
		       callbacks[2], NR_CALLS);
		goto out_unregister;
	}

	if (!kill_during_register(kill))
		return 0;
	for (i = 0; i < 3; i++) {
		ret = unregister_ftrace_function(&ops[i]);
		if (ret != -ENODEV) {
			pr_err("FAIL: unregister of ops %d after ftrace_kill() returned %d, not -ENODEV\n",
			       i, ret);
			return 0;
		}
	}
	for (i = 0; i < 3; i++) {
		if (ops[i].flags & FTRACE_OPS_FL_ENABLED) {
			pr_err("FAIL: ops %d is still marked enabled after its unregister\n",
			       i);
			return 0;
		}
	}
	if (ops[0].trampoline) {
		pr_err("FAIL: the ops still has its trampoline %pS\n",
		       (void *)ops[0].trampoline);
		return 0;
	}
	if (!callsite_branches(ftarm_orphan_one) ||
	    !callsite_branches(ftarm_orphan_two)) {
		pr_err("FAIL: a callsite no longer branches: nothing to test\n");
		return 0;
	}
	call_both(NR_CALLS);
	if (callbacks[0] != NR_CALLS || callbacks[1] != NR_CALLS ||
	    callbacks[2] != NR_CALLS || callbacks[3] ||
	    calls[0] != 2 * NR_CALLS || calls[1] != 2 * NR_CALLS) {
		pr_err("FAIL: after unregister: callbacks %lu (trampoline) %lu %lu (list), want %d each, %lu (turned away), want 0; calls %lu %lu\n",
		       callbacks[0], callbacks[1], callbacks[2], NR_CALLS,
		       callbacks[3], calls[0], calls[1]);
		return 0;
	}

	ret = ftrace_set_filter_ip(&ops[4], (unsigned long)ftarm_orphan_one, 0, 0);
	if (ret != -ENODEV) {
		pr_err("FAIL: setting a filter after ftrace_kill() returned %d, not -ENODEV\n",
		       ret);
		return 0;
	}
	ret = register_ftrace_function(&ops[4]);
	if (ret != -ENODEV) {
		pr_err("FAIL: registering after ftrace_kill() returned %d, not -ENODEV\n",
		       ret);
		return 0;
	}
	ret = unregister_ftrace_function(&ops[4]);
	if (ret != -ENODEV) {
		pr_err("FAIL: unregistering an ops that never got in returned %d, not -ENODEV\n",
		       ret);
		return 0;
	}
	pr_info("PASS: an ops turned away during its update is not left enabled, the callsites still branch, neither the orphaned trampoline nor the list calls the unregistered ops (%d calls each), and an ops that could not register gets -ENODEV from its unregister\n",
		NR_CALLS);
	return 0;

out_unregister:
	while (nr--)
		unregister_ftrace_function(&ops[nr]);
	return 0;
}
module_init(ftarm_orphan_init);

/* Never unloaded: the callsite may still lead to its old trampoline. */
MODULE_DESCRIPTION("Test of ftrace trampolines orphaned by ftrace_kill()");
MODULE_LICENSE("GPL");
