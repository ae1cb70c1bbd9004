// SPDX-License-Identifier: GPL-2.0
/*
 * ftarm_single: no task left inside ftrace_caller() by an update may call the
 * function of the single ops that the update (or a later install) puts there.
 *
 * With one static ops registered (global_ops: the top-level function
 * tracer), the core has ftrace_caller() call that ops' function directly,
 * without the list function's filter test. A task that entered
 * ftrace_caller() from a callsite enabled for another ops (or for a
 * function that the ops' filter held then), and was preempted before the
 * call, must not make that call once the callsite is out of the ops: it
 * would record, in the top-level buffer, a function that set_ftrace_filter
 * does not hold. The core keeps the list function in ftrace_call until
 * RCU-tasks has seen every such task leave (6.1 only sent an IPI, which a
 * preempted task survives).
 *
 * The window is a few instructions wide, and QEMU's TCG takes interrupts
 * only between translation blocks, so a task is seldom found stopped in it.
 * The module parks tasks there on purpose: a kprobe on the instruction
 * before the ftrace_call label (after function_trace_op is loaded) makes
 * each hot thread that reaches it ask to be rescheduled and raise an
 * irq_work, whose interrupt, taken right after the kprobe returns, preempts
 * it with the call still to make. A kprobe on ftrace_update_ftrace_func()
 * looks at the hot threads each time ftrace_call changes: when it gets the
 * list function (an update begins) it counts those parked before the call
 * ("armed"); when it gets the top-level tracer's function_trace_call() it
 * counts the installs and, while the host script or the writer says that no
 * hot callsite is enabled any more, the parked threads ("stale": each would
 * call the function installed for a callsite it does not trace; there must
 * be none).
 *
 * The host script sets the top-level filter to ftarm_single_cold(), starts
 * the function tracer and makes the trampoline allocation fail
 * (fail_function on ftrace_tramp_alloc), so that the ops under test goes
 * through ftrace_caller(), as on a kernel without per-ops trampolines (for
 * "hot" below, before it starts the tracer). Then:
 *  - "run": NR_HOT threads at nice 19 on CPU "cpu" call ftarm_single_hot()
 *    in a loop while a writer on the same CPU, for "rounds" rounds (or
 *    "secs" seconds), registers an ops of its own (dynamic: the module's)
 *    on ftarm_single_hot(), sleeps 2 ms (the hot threads run into the ops
 *    through the list function and park), unregisters it, waits (up to
 *    10 s) until function_trace_call() is installed again and calls
 *    ftarm_single_cold() once. It prints "ftarm_single: rounds R hit H cold
 *    C armed A exercised E installed I stale S" (rounds in which the ops was
 *    called, calls of the cold function, parked threads counted when an
 *    update began, updates that began with a parked thread, rounds whose
 *    install came, stale threads) or "ftarm_single: FAIL: ..." when the
 *    setup does not hold. The script checks that the top-level buffer holds
 *    C events of ftarm_single_cold() and none of ftarm_single_hot().
 *  - "hot" 1 then 0: the same threads and kprobes with no writer; the host
 *    script adds ftarm_single_hot() to the top-level filter and takes it out
 *    again (global_ops alone: the update demotes ftrace_call to the list
 *    function and the core's work item installs the function later), with
 *    "idle" 1 between the removal and its install. Writing 0 prints
 *    "ftarm_single: shrink: armed A exercised E installed I stale S".
 */
#define pr_fmt(fmt) "ftarm_single: " fmt

#include <linux/delay.h>
#include <linux/ftrace.h>
#include <linux/irq_work.h>
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
MODULE_PARM_DESC(cpu, "CPU the hot threads and the writer run on");

static unsigned int rounds = 20;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "rounds of the writer");

static unsigned int secs = 60;
module_param(secs, uint, 0444);
MODULE_PARM_DESC(secs, "at most this long for the writer's rounds");

/* What the kprobe on ftrace_update_ftrace_func() counted */
static unsigned long installs, armed, exercised, stale;
module_param(installs, ulong, 0444);
MODULE_PARM_DESC(installs, "installs of the tracer's function in ftrace_call");
module_param(exercised, ulong, 0444);
MODULE_PARM_DESC(exercised, "updates that began with a hot thread parked before the call");
module_param(stale, ulong, 0444);
MODULE_PARM_DESC(stale, "hot threads parked before the call at an install while idle");

static bool idle;
module_param(idle, bool, 0644);
MODULE_PARM_DESC(idle, "no hot callsite is enabled: a parked thread at an install is stale");

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

#define NR_HOT	32

static struct task_struct *hot[NR_HOT];
static unsigned int nr_hot;

/* stack_trace_save_tsk() is not exported: its address comes from a kprobe */
typedef unsigned int (*save_tsk_t)(struct task_struct *, unsigned long *,
				   unsigned int, unsigned int);
static save_tsk_t save_tsk;

/*
 * Whether @t, preempted, stopped in ftrace_caller() before its call: the PC
 * the interrupt saved is in ftrace_caller, ftrace_regs_caller or
 * ftrace_common before the ftrace_call label, or on the call itself. A task
 * that runs has no saved PC to look at.
 */
static bool ftarm_single_parked(struct task_struct *t)
{
	static const char * const before[] = {
		"ftrace_caller+", "ftrace_regs_caller+", "ftrace_common+",
		"ftrace_call+0x0/",
	};
	unsigned long entries[32];
	char name[KSYM_SYMBOL_LEN];
	unsigned int n, i, j;

	if (READ_ONCE(t->on_cpu))
		return false;
	n = save_tsk(t, entries, ARRAY_SIZE(entries), 0);
	if (READ_ONCE(t->on_cpu))
		return false;
	for (i = 0; i < n; i++) {
		sprint_symbol(name, entries[i]);
		for (j = 0; j < ARRAY_SIZE(before); j++)
			if (str_has_prefix(name, before[j]))
				return true;
	}
	return false;
}

static unsigned int ftarm_single_count_parked(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < READ_ONCE(nr_hot); i++)
		if (ftarm_single_parked(hot[i]))
			n++;
	return n;
}

/* Updates of ftrace_call run under ftrace_lock: no two handlers at once. */
static int notrace ftarm_single_update_pre(struct kprobe *p,
					   struct pt_regs *regs)
{
	char name[KSYM_SYMBOL_LEN];
	unsigned int n;

	sprint_symbol(name, regs->regs[0]);
	if (str_has_prefix(name, "arch_ftrace_ops_list_func+0x0/") ||
	    str_has_prefix(name, "ftrace_ops_list_func+0x0/")) {
		n = ftarm_single_count_parked();
		armed += n;
		if (n)
			exercised++;
	} else if (!str_has_prefix(name, "ftrace_stub")) {
		/* function_trace_call(), or its pid or stack variant */
		installs++;
		if (READ_ONCE(idle))
			stale += ftarm_single_count_parked();
	}
	return 0;
}

/* Both set up afresh by each start: a kprobe is not registered twice */
static struct kprobe update_kp, park_kp;

static void ftarm_single_irq_work(struct irq_work *work)
{
}

/* The hot threads share one CPU: one irq_work serves them all. */
static struct irq_work park_work = IRQ_WORK_INIT_HARD(ftarm_single_irq_work);

/*
 * On the instruction before ftrace_call: a hot thread asks to be preempted,
 * and the irq_work's interrupt, taken once the kprobe is done, preempts it
 * right before the call.
 */
static int notrace ftarm_single_park_pre(struct kprobe *p,
					 struct pt_regs *regs)
{
	unsigned int i;

	for (i = 0; i < READ_ONCE(nr_hot); i++) {
		if (hot[i] == current) {
			set_tsk_need_resched(current);
			set_preempt_need_resched();
			irq_work_queue(&park_work);
			break;
		}
	}
	return 0;
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
		if (!(++i & 63))
			cond_resched_tasks_rcu_qs();
	}
	return 0;
}

/* Finds what the kprobes need, registers them and starts the hot threads. */
static int ftarm_single_start(void)
{
	struct kprobe kp = { .symbol_name = "stack_trace_save_tsk" };
	char name[KSYM_SYMBOL_LEN];
	unsigned long addr;
	int ret, i;

	if (READ_ONCE(nr_hot)) {
		pr_info("FAIL: already running\n");
		return -EBUSY;
	}
	if (register_kprobe(&kp)) {
		pr_info("FAIL: cannot find stack_trace_save_tsk()\n");
		return -ENOENT;
	}
	save_tsk = (save_tsk_t)kp.addr;
	unregister_kprobe(&kp);

	/* The instruction before the ftrace_call label, in ftrace_common */
	memset(&kp, 0, sizeof(kp));
	kp.symbol_name = "ftrace_common";
	if (register_kprobe(&kp)) {
		pr_info("FAIL: cannot find ftrace_common\n");
		return -ENOENT;
	}
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	for (i = 0; i < 64; i++, addr += 4) {
		sprint_symbol(name, addr + 4);
		if (str_has_prefix(name, "ftrace_call+0x0/"))
			break;
	}
	if (i == 64) {
		pr_info("FAIL: no ftrace_call label after ftrace_common\n");
		return -ENOENT;
	}
	memset(&park_kp, 0, sizeof(park_kp));
	park_kp.addr = (kprobe_opcode_t *)addr;
	park_kp.pre_handler = ftarm_single_park_pre;

	installs = armed = exercised = stale = 0;
	WRITE_ONCE(idle, false);
	memset(&update_kp, 0, sizeof(update_kp));
	update_kp.symbol_name = "ftrace_update_ftrace_func";
	update_kp.pre_handler = ftarm_single_update_pre;
	ret = register_kprobe(&update_kp);
	if (ret) {
		pr_info("FAIL: cannot probe ftrace_update_ftrace_func(): %d\n",
			ret);
		return ret;
	}
	ret = register_kprobe(&park_kp);
	if (ret) {
		unregister_kprobe(&update_kp);
		pr_info("FAIL: cannot probe %pS: %d\n", (void *)addr, ret);
		return ret;
	}
	for (i = 0; i < NR_HOT; i++) {
		hot[i] = kthread_create_on_cpu(ftarm_single_hot_fn, NULL, cpu,
					       "ftarm_single_hot/%u");
		if (IS_ERR(hot[i])) {
			ret = PTR_ERR(hot[i]);
			while (i--)
				kthread_stop(hot[i]);
			unregister_kprobe(&park_kp);
			unregister_kprobe(&update_kp);
			pr_info("FAIL: cannot create the hot threads\n");
			return ret;
		}
	}
	WRITE_ONCE(nr_hot, NR_HOT);
	for (i = 0; i < NR_HOT; i++)
		wake_up_process(hot[i]);
	return 0;
}

static void ftarm_single_stop(void)
{
	unsigned int i;

	/* No handler looks at the threads once this returns */
	unregister_kprobe(&park_kp);
	unregister_kprobe(&update_kp);
	irq_work_sync(&park_work);
	for (i = 0; i < NR_HOT; i++)
		kthread_stop(hot[i]);
	WRITE_ONCE(nr_hot, 0);
}

struct ftarm_single_result {
	unsigned long rounds, hit, installed;
	int err;
	const char *what;
	struct completion done;
};

static int ftarm_single_writer_fn(void *data)
{
	struct ftarm_single_result *res = data;
	unsigned long end = jiffies + secs * HZ;

	while (res->rounds < rounds && time_before(jiffies, end)) {
		unsigned long before, inst;
		int i;

		WRITE_ONCE(idle, false);
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
		inst = READ_ONCE(installs);
		/*
		 * The hot callsite is disabled by the update that the
		 * unregistration makes, before it installs anything.
		 */
		WRITE_ONCE(idle, true);
		res->err = unregister_ftrace_function(&hot_ops);
		if (res->err) {
			res->what = "unregister";
			break;
		}
		/* The tracer's function goes back into ftrace_call. */
		for (i = 0; i < 1000 && READ_ONCE(installs) == inst; i++)
			msleep(10);
		if (READ_ONCE(installs) != inst)
			res->installed++;
		ftarm_single_cold();
		res->rounds++;
	}
	WRITE_ONCE(idle, false);
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
	int ret;

	ret = ftrace_set_filter_ip(&hot_ops, (unsigned long)ftarm_single_hot,
				   0, 0);
	if (ret) {
		pr_info("FAIL: cannot set the ops' filter: %d\n", ret);
		return ret;
	}
	ret = ftarm_single_start();
	if (ret) {
		ftrace_free_filter(&hot_ops);
		return ret;
	}
	init_completion(&res.done);
	writer = kthread_create_on_cpu(ftarm_single_writer_fn, &res, cpu,
				       "ftarm_single_writer/%u");
	if (IS_ERR(writer)) {
		ftarm_single_stop();
		ftrace_free_filter(&hot_ops);
		pr_info("FAIL: cannot create the writer thread\n");
		return PTR_ERR(writer);
	}
	cold0 = READ_ONCE(cold_calls);
	wake_up_process(writer);
	wait_for_completion(&res.done);
	kthread_stop(writer);
	ftarm_single_stop();
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
		pr_info("rounds %lu hit %lu cold %lu armed %lu exercised %lu installed %lu stale %lu\n",
			res.rounds, res.hit, READ_ONCE(cold_calls) - cold0,
			armed, exercised, res.installed, stale);
	return res.err;
}

static const struct kernel_param_ops ftarm_single_run_ops = {
	.set = ftarm_single_run,
};
module_param_cb(run, &ftarm_single_run_ops, NULL, 0200);
MODULE_PARM_DESC(run, "write anything to run the writer's rounds");

static int ftarm_single_hot_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret;

	ret = kstrtobool(val, &on);
	if (ret)
		return ret;
	if (on)
		return ftarm_single_start();
	if (!READ_ONCE(nr_hot))
		return -EINVAL;
	ftarm_single_stop();
	pr_info("shrink: armed %lu exercised %lu installed %lu stale %lu\n",
		armed, exercised, installs, stale);
	return 0;
}

static const struct kernel_param_ops ftarm_single_hot_ops = {
	.set = ftarm_single_hot_set,
};
module_param_cb(hot, &ftarm_single_hot_ops, NULL, 0200);
MODULE_PARM_DESC(hot, "1: start the hot threads and the kprobes, 0: stop them and print");

static void __exit ftarm_single_exit(void)
{
	if (READ_ONCE(nr_hot))
		ftarm_single_stop();
}
module_exit(ftarm_single_exit);

MODULE_DESCRIPTION("ftrace: no late call of a single ops installed in ftrace_caller");
MODULE_LICENSE("GPL");
