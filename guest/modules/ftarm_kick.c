// SPDX-License-Identifier: GPL-2.0
/*
 * ftarm_kick: every CPU must take a context synchronization event between an
 * update that writes callsites or a live trampoline and the core's wait for
 * tasks that precedes freeing a trampoline (or that ends a filter change).
 *
 * RCU-tasks sees tasks leave a trampoline, but it does not make a CPU discard
 * instructions it fetched before the update: a CPU that takes no exception or
 * ISB may still execute a callsite's old BL to a trampoline after the wait,
 * once the trampoline is freed. The series makes every CPU take an IPI
 * (kick_all_cpus_sync()) at the end of each update and after changing the
 * function of a live trampoline. This cannot be observed from outside (no
 * CPU under QEMU keeps a stale fetch), so the module checks the order of the
 * steps in the task that makes the updates (param "pid": the test's shell, or
 * a modprobe it starts, whose module registers a direct call):
 * kprobes on the functions that write callsites and trampolines
 * (ftrace_make_call(), ftrace_make_nop() and ftrace_modify_call(), once per
 * callsite, so that an IPI sent in the middle of an update does not count for
 * the writes after it; ftrace_replace_code(), ftrace_update_ftrace_func(),
 * arch_ftrace_update_trampoline()) mark a write as pending, a kprobe on
 * kick_all_cpus_sync() clears it, and the waits (synchronize_rcu_tasks_rude(),
 * the first step of every wait for tasks of the core, and
 * synchronize_rcu_tasks(), which unregister_ftrace_direct() calls alone
 * before its caller frees the direct trampoline) and frees
 * (arch_ftrace_trampoline_free()) that find one pending are counted as
 * "unsynced". The read-only params give the counts; the host script runs the
 * tracefs writes and expects waits, frees and no unsynced one.
 */
#define pr_fmt(fmt) "ftarm_kick: " fmt

#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/sched.h>

static int pid;
module_param(pid, int, 0644);
MODULE_PARM_DESC(pid, "the task whose ftrace updates are checked");

static unsigned int writes, kicks, waits, frees, unsynced;
module_param(writes, uint, 0444);
module_param(kicks, uint, 0444);
module_param(waits, uint, 0444);
module_param(frees, uint, 0444);
module_param(unsynced, uint, 0444);

/* Only the watched task touches these: no two handlers run at once. */
static bool pending;

static bool watched(void)
{
	return pid && current->pid == READ_ONCE(pid);
}

enum step { STEP_WRITE, STEP_KICK, STEP_WAIT };

struct step_probe {
	struct kprobe kp;
	enum step step;
	unsigned int *count;
};

/* A write leaves the update pending, an IPI ends it, a wait or free checks */
static int step_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct step_probe *sp = container_of(p, struct step_probe, kp);

	if (!watched())
		return 0;
	(*sp->count)++;
	if (sp->step == STEP_WRITE)
		pending = true;
	else if (sp->step == STEP_KICK)
		pending = false;
	else if (pending)
		unsynced++;
	return 0;
}

#define STEP(sym, s, c) \
	{ .kp = { .symbol_name = sym, .pre_handler = step_pre }, .step = s, .count = &c }

static struct step_probe probes[] = {
	STEP("ftrace_make_call", STEP_WRITE, writes),
	STEP("ftrace_make_nop", STEP_WRITE, writes),
	STEP("ftrace_modify_call", STEP_WRITE, writes),
	STEP("ftrace_replace_code", STEP_WRITE, writes),
	STEP("ftrace_update_ftrace_func", STEP_WRITE, writes),
	STEP("arch_ftrace_update_trampoline", STEP_WRITE, writes),
	STEP("kick_all_cpus_sync", STEP_KICK, kicks),
	STEP("synchronize_rcu_tasks_rude", STEP_WAIT, waits),
	STEP("synchronize_rcu_tasks", STEP_WAIT, waits),
	STEP("arch_ftrace_trampoline_free", STEP_WAIT, frees),
};

static int __init ftarm_kick_init(void)
{
	int i, ret;

	for (i = 0; i < ARRAY_SIZE(probes); i++) {
		ret = register_kprobe(&probes[i].kp);
		if (ret) {
			pr_err("FAIL: setup: cannot probe %s: %d\n",
			       probes[i].kp.symbol_name, ret);
			while (--i >= 0)
				unregister_kprobe(&probes[i].kp);
			return ret;
		}
	}
	return 0;
}

static void __exit ftarm_kick_exit(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(probes); i++)
		unregister_kprobe(&probes[i].kp);
}

module_init(ftarm_kick_init);
module_exit(ftarm_kick_exit);
MODULE_DESCRIPTION("ftrace: CPUs synchronize before the wait that precedes a free");
MODULE_LICENSE("GPL");
