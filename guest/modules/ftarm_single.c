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
 *  - a thread at nice 19 calls ftarm_single_hot() in a loop;
 *  - a thread at nice 0, for "secs" seconds, registers an ops of its own
 *    (dynamic: the module's) on ftarm_single_hot(), sleeps 2 ms, during
 *    which the hot thread runs through ftrace_caller() and the list
 *    function into the ops, unregisters it (its wake-up preempted the hot
 *    thread anywhere, in ftrace_caller() too), and calls ftarm_single_cold()
 *    once, which the top-level tracer records.
 * The write returns when the rounds are done and the module prints
 * "ftarm_single: rounds R hit H cold C" (rounds in which the ops was called,
 * calls of the cold function) or "ftarm_single: FAIL: ..." when the setup
 * does not hold (the ops got a trampoline, or was never called: the test
 * would prove nothing). The script then checks that the top-level buffer
 * holds C events of ftarm_single_cold() and none of ftarm_single_hot().
 */
#define pr_fmt(fmt) "ftarm_single: " fmt

#include <linux/delay.h>
#include <linux/ftrace.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>

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

struct ftarm_single_result {
	unsigned long rounds, hit;
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
		res->err = unregister_ftrace_function(&hot_ops);
		if (res->err) {
			res->what = "unregister";
			break;
		}
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
	struct task_struct *hot, *writer;
	unsigned long cold0;
	int ret;

	ret = ftrace_set_filter_ip(&hot_ops, (unsigned long)ftarm_single_hot,
				   0, 0);
	if (ret) {
		pr_info("FAIL: cannot set the ops' filter: %d\n", ret);
		return ret;
	}
	init_completion(&res.done);
	hot = kthread_create_on_cpu(ftarm_single_hot_fn, NULL, cpu,
				    "ftarm_single_hot/%u");
	if (IS_ERR(hot)) {
		pr_info("FAIL: cannot create the hot thread\n");
		return PTR_ERR(hot);
	}
	writer = kthread_create_on_cpu(ftarm_single_writer_fn, &res, cpu,
				       "ftarm_single_writer/%u");
	if (IS_ERR(writer)) {
		kthread_stop(hot);
		pr_info("FAIL: cannot create the writer thread\n");
		return PTR_ERR(writer);
	}
	cold0 = READ_ONCE(cold_calls);
	wake_up_process(hot);
	wake_up_process(writer);
	wait_for_completion(&res.done);
	kthread_stop(writer);
	kthread_stop(hot);
	ftrace_free_filter(&hot_ops);

	if (res.err)
		pr_info("FAIL: %s: %d after %lu rounds\n", res.what, res.err,
			res.rounds);
	else if (res.hit < res.rounds / 2)
		pr_info("FAIL: the ops was called in %lu of %lu rounds: the hot thread did not run through ftrace_caller()\n",
			res.hit, res.rounds);
	else
		pr_info("rounds %lu hit %lu cold %lu\n", res.rounds, res.hit,
			READ_ONCE(cold_calls) - cold0);
	return res.err;
}

static const struct kernel_param_ops ftarm_single_run_ops = {
	.set = ftarm_single_run,
};
module_param_cb(run, &ftarm_single_run_ops, NULL, 0200);
MODULE_PARM_DESC(run, "write anything to run the test");

MODULE_DESCRIPTION("ftrace: no late call of a single ops installed in ftrace_caller");
MODULE_LICENSE("GPL");
