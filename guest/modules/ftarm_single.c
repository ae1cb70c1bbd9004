// SPDX-License-Identifier: GPL-2.0
/*
 * ftarm_single: no task left inside ftrace_caller() by an update may call the
 * function of the single ops that the update installs there.
 *
 * With one static ops registered (global_ops: the top-level function
 * tracer), the core has ftrace_caller() call that ops' function directly,
 * without the list function's filter test. A task that entered
 * ftrace_caller() from a callsite enabled for another ops, and was preempted
 * before the call, must not make that call once the other ops is gone: it
 * would record, in the top-level buffer, a function that set_ftrace_filter
 * does not hold. The core waits for such tasks before it installs the
 * function (it only sent an IPI in 6.1, which a preempted task survives).
 *
 * The host script sets the top-level filter to ftarm_single_cold(), starts
 * the function tracer, makes the trampoline allocation fail (fail_function
 * on ftrace_tramp_alloc, so that the ops below goes through ftrace_caller,
 * as on a kernel without per-ops trampolines) and writes 1 to the module's
 * "run" parameter. Then, on one CPU:
 *  - NR_HOT threads at nice 19 call ftarm_single_hot() in a loop (the
 *    scheduler's tick switches between them at any instruction, so at any
 *    time each of those not running is stopped somewhere in its loop);
 *  - a thread at nice 0, for "secs" seconds, registers an ops of its own
 *    (dynamic: the module's) on ftarm_single_hot(), sleeps 2 ms, during
 *    which the hot threads run through ftrace_caller() and the list
 *    function into the ops, then (its wake-up preempted the hot thread
 *    running anywhere, in ftrace_caller() too) counts the hot threads
 *    stopped inside ftrace_caller() before the call at ftrace_call
 *    ("armed": their saved stacks, named by kallsyms), unregisters the ops,
 *    waits (up to 10 s) until the top-level tracer's function
 *    function_trace_call() has been installed in ftrace_call (a kprobe on
 *    ftrace_update_ftrace_func() counts the calls that install it), and
 *    calls ftarm_single_cold() once, which the top-level tracer records.
 * The write returns when the rounds are done and the module prints
 * "ftarm_single: rounds R hit H cold C armed A installed I" (rounds in which
 * the ops was called, calls of the cold function, armed threads, rounds whose
 * install came) or "ftarm_single: FAIL: ..." when the setup does not hold
 * (the ops got a trampoline, or was never called, or the install never
 * came: the test would prove nothing). With no armed thread the run checks
 * nothing either, and the script says so (a skip). The script then checks
 * that the top-level buffer holds C events of ftarm_single_cold() and none
 * of ftarm_single_hot(): an armed hot thread resumes into
 * ftrace_caller's call once the other ops is gone, and would record one if
 * it found the tracer's function there.
 */
#define pr_fmt(fmt) "ftarm_single: " fmt

#include <linux/delay.h>
#include <linux/ftrace.h>
#include <linux/jiffies.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/stacktrace.h>
#include <linux/string.h>

static unsigned int cpu;
module_param(cpu, uint, 0444);
MODULE_PARM_DESC(cpu, "CPU both threads run on");

static unsigned int secs = 20;
module_param(secs, uint, 0444);
MODULE_PARM_DESC(secs, "how long the writer registers and unregisters");

static unsigned long hot_calls, cold_calls, ops_calls;

static noinline void ftarm_single_hot(void)
{
	WRITE_ONCE(hot_calls, READ_ONCE(hot_calls) + 1);
}

static noinline void ftarm_single_cold(void)
{
	WRITE_ONCE(cold_calls, READ_ONCE(cold_calls) + 1);
}

static void notrace ftarm_single_cb(unsigned long ip, unsigned long parent_ip,
				    struct ftrace_ops *op,
				    struct ftrace_regs *fregs)
{
	WRITE_ONCE(ops_calls, READ_ONCE(ops_calls) + 1);
}

static struct ftrace_ops hot_ops = {
	.func = ftarm_single_cb,
};

/* Installs of function_trace_call() in ftrace_call */
static atomic_t installs;

static int ftarm_single_update_pre(struct kprobe *p, struct pt_regs *regs)
{
	char name[KSYM_SYMBOL_LEN];

	sprint_symbol(name, regs->regs[0]);
	if (str_has_prefix(name, "function_trace_call+0x0/"))
		atomic_inc(&installs);
	return 0;
}

static struct kprobe update_kp = {
	.symbol_name = "ftrace_update_ftrace_func",
	.pre_handler = ftarm_single_update_pre,
};

/* stack_trace_save_tsk() is not exported: its address comes from a kprobe */
typedef unsigned int (*save_tsk_t)(struct task_struct *, unsigned long *,
				   unsigned int, unsigned int);
static save_tsk_t save_tsk;

/*
 * Whether @t, preempted, stopped in ftrace_caller() before its call: the PC
 * the interrupt saved is in ftrace_caller, ftrace_regs_caller or
 * ftrace_common before the ftrace_call label, or on the call itself.
 */
static bool ftarm_single_armed(struct task_struct *t)
{
	static const char * const before[] = {
		"ftrace_caller+", "ftrace_regs_caller+", "ftrace_common+",
		"ftrace_call+0x0/",
	};
	unsigned long entries[32];
	char name[KSYM_SYMBOL_LEN];
	unsigned int n, i, j;

	n = save_tsk(t, entries, ARRAY_SIZE(entries), 0);
	for (i = 0; i < n; i++) {
		sprint_symbol(name, entries[i]);
		for (j = 0; j < ARRAY_SIZE(before); j++)
			if (str_has_prefix(name, before[j]))
				return true;
	}
	return false;
}

static int ftarm_single_hot_fn(void *unused)
{
	unsigned int i = 0;

	set_user_nice(current, MAX_NICE);
	while (!kthread_should_stop()) {
		ftarm_single_hot();
		/*
		 * A quiescent state for RCU-tasks, outside ftrace_caller(): the
		 * unregistrations wait for one (the thread is preempted, never
		 * blocked, and cond_resched() is not one with PREEMPTION).
		 */
		if (!(++i & 1023))
			cond_resched_tasks_rcu_qs();
	}
	return 0;
}

#define NR_HOT	32

struct ftarm_single_result {
	struct task_struct *hot[NR_HOT];
	unsigned long rounds, hit, armed, installed;
	int err;
	const char *what;
	struct completion done;
};

static int ftarm_single_writer_fn(void *data)
{
	struct ftarm_single_result *res = data;
	unsigned long end = jiffies + secs * HZ;

	while (time_before(jiffies, end)) {
		unsigned long before;
		int inst, i;

		res->err = register_ftrace_function(&hot_ops);
		if (res->err) {
			res->what = "register";
			break;
		}
		if (hot_ops.trampoline) {
			unregister_ftrace_function(&hot_ops);
			res->err = -EEXIST;
			res->what = "the ops got a trampoline of its own (is fail_function on ftrace_tramp_alloc set?)";
			break;
		}
		before = READ_ONCE(ops_calls);
		msleep(2);
		if (READ_ONCE(ops_calls) != before)
			res->hit++;
		for (i = 0; i < NR_HOT; i++)
			if (ftarm_single_armed(res->hot[i]))
				res->armed++;
		inst = atomic_read(&installs);
		res->err = unregister_ftrace_function(&hot_ops);
		if (res->err) {
			res->what = "unregister";
			break;
		}
		/* The tracer's function goes back into ftrace_call. */
		for (i = 0; i < 1000 && atomic_read(&installs) == inst; i++)
			msleep(10);
		if (atomic_read(&installs) != inst)
			res->installed++;
		ftarm_single_cold();
		res->rounds++;
	}
	complete(&res->done);
	/* kthread_stop() needs the thread until it is called. */
	while (!kthread_should_stop())
		msleep(1);
	return 0;
}

static int ftarm_single_run(const char *val, const struct kernel_param *kp)
{
	struct ftarm_single_result res = { };
	struct task_struct *writer;
	unsigned long cold0;
	int ret, i;

	struct kprobe save_kp = { .symbol_name = "stack_trace_save_tsk" };

	if (register_kprobe(&save_kp)) {
		pr_info("FAIL: cannot find stack_trace_save_tsk()\n");
		return -ENOENT;
	}
	save_tsk = (save_tsk_t)save_kp.addr;
	unregister_kprobe(&save_kp);
	ret = register_kprobe(&update_kp);
	if (ret) {
		pr_info("FAIL: cannot probe ftrace_update_ftrace_func(): %d\n",
			ret);
		return ret;
	}
	ret = ftrace_set_filter_ip(&hot_ops, (unsigned long)ftarm_single_hot,
				   0, 0);
	if (ret) {
		unregister_kprobe(&update_kp);
		pr_info("FAIL: cannot set the ops' filter: %d\n", ret);
		return ret;
	}
	init_completion(&res.done);
	for (i = 0; i < NR_HOT; i++) {
		res.hot[i] = kthread_create_on_cpu(ftarm_single_hot_fn, NULL, cpu,
						   "ftarm_single_hot/%u");
		if (IS_ERR(res.hot[i])) {
			ret = PTR_ERR(res.hot[i]);
			while (i--)
				kthread_stop(res.hot[i]);
			unregister_kprobe(&update_kp);
			pr_info("FAIL: cannot create the hot threads\n");
			return ret;
		}
	}
	writer = kthread_create_on_cpu(ftarm_single_writer_fn, &res, cpu,
				       "ftarm_single_writer/%u");
	if (IS_ERR(writer)) {
		for (i = 0; i < NR_HOT; i++)
			kthread_stop(res.hot[i]);
		unregister_kprobe(&update_kp);
		pr_info("FAIL: cannot create the writer thread\n");
		return PTR_ERR(writer);
	}
	cold0 = READ_ONCE(cold_calls);
	for (i = 0; i < NR_HOT; i++)
		wake_up_process(res.hot[i]);
	wake_up_process(writer);
	wait_for_completion(&res.done);
	kthread_stop(writer);
	for (i = 0; i < NR_HOT; i++)
		kthread_stop(res.hot[i]);
	unregister_kprobe(&update_kp);
	ftrace_free_filter(&hot_ops);

	if (res.err)
		pr_info("FAIL: %s: %d after %lu rounds\n", res.what, res.err,
			res.rounds);
	else if (res.hit < res.rounds / 2)
		pr_info("FAIL: the ops was called in %lu of %lu rounds: the hot threads did not run through ftrace_caller()\n",
			res.hit, res.rounds);
	else if (res.installed < res.rounds)
		pr_info("FAIL: the top-level tracer's function was installed in ftrace_call after %lu of %lu unregistrations (within 10 s)\n",
			res.installed, res.rounds);
	else
		pr_info("rounds %lu hit %lu cold %lu armed %lu installed %lu\n",
			res.rounds, res.hit, READ_ONCE(cold_calls) - cold0,
			res.armed, res.installed);
	return res.err;
}

static const struct kernel_param_ops ftarm_single_run_ops = {
	.set = ftarm_single_run,
};
module_param_cb(run, &ftarm_single_run_ops, NULL, 0200);
MODULE_PARM_DESC(run, "write anything to run the test");

MODULE_DESCRIPTION("ftrace: no late call of a single ops installed in ftrace_caller");
MODULE_LICENSE("GPL");
