// SPDX-License-Identifier: GPL-2.0
/*
 * ftarm_pid: a write to set_ftrace_pid or set_ftrace_notrace_pid that may
 * leave tasks out must not return while a task that it leaves out can
 * still be traced.
 *
 * The PID test of an ops that filters by PID (ftrace_pid_func(), or
 * function_graph's in trace_graph_entry()) runs with preemption enabled
 * when a trampoline calls it: a task preempted after the test let it
 * through makes its call, or records its event, when it runs again. The
 * list function makes the test and the call with preemption disabled, and
 * they are over a grace period after the write; the series makes such a
 * write wait for tasks (ftrace_pid_change_wait()).
 *
 * On load, this module makes the trace instance "ftarm_pid"
 * (guest/pidwait.sh removes one that is there before) and registers an ops
 * with FTRACE_OPS_FL_PID on ftarm_pid_fn(), whose private is that instance,
 * as the function tracer's ops of an instance is: the instance's
 * set_ftrace_pid and set_ftrace_notrace_pid filter it.
 * Its function counts the calls of one kernel thread, the parker, and,
 * when asked, spins there, preemptible, until released: the parker is then
 * past ftrace_pid_func()'s test, running or preempted, never sleeping
 * (RCU-tasks takes neither for a quiescent state). When it
 * is released, it counts a late call if the host script said that the
 * write it was making had returned.
 *
 * Param "ctl" (write): "park" (the parker calls ftarm_pid_fn() and spins
 * in the function, if the call reaches it), "call" (the parker calls
 * ftarm_pid_fn() once), "release", "returned" (the write has returned),
 * "reset" (before a new round). Param "state" (read): "pid P calls C
 * parked 0|1 late L rounds R" (R: calls of ftarm_pid_fn() the parker has
 * finished).
 */
#define pr_fmt(fmt) "ftarm_pid: " fmt

#include <linux/ftrace.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/trace.h>
#include <linux/wait.h>

static struct trace_array *ftarm_pid_tr;
static struct task_struct *ftarm_pid_task;
static DECLARE_WAIT_QUEUE_HEAD(ftarm_pid_wq);

/* Written by ctl, read by the parker and the ops' function */
static bool ftarm_pid_go, ftarm_pid_park, ftarm_pid_release;
static bool ftarm_pid_returned;
/* Written by the parker alone */
static unsigned long ftarm_pid_calls, ftarm_pid_late, ftarm_pid_rounds;
static bool ftarm_pid_parked;

static noinline __noclone void ftarm_pid_fn(void)
{
	barrier();
}

static void ftarm_pid_func(unsigned long ip, unsigned long parent_ip,
			   struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	if (current != READ_ONCE(ftarm_pid_task))
		return;
	ftarm_pid_calls++;
	if (!READ_ONCE(ftarm_pid_park))
		return;
	WRITE_ONCE(ftarm_pid_parked, true);
	while (!READ_ONCE(ftarm_pid_release))
		cpu_relax();
	if (READ_ONCE(ftarm_pid_returned))
		ftarm_pid_late++;
	WRITE_ONCE(ftarm_pid_parked, false);
}

static struct ftrace_ops ftarm_pid_ops = {
	.func	= ftarm_pid_func,
	.flags	= FTRACE_OPS_FL_PID,
};

/* Call @fn through a pointer, so that the compiler keeps the call */
static void ftarm_pid_call(void (*fn)(void))
{
	OPTIMIZER_HIDE_VAR(fn);
	fn();
}

static int ftarm_pid_parker(void *data)
{
	while (!kthread_should_stop()) {
		wait_event_interruptible(ftarm_pid_wq, READ_ONCE(ftarm_pid_go) ||
					 kthread_should_stop());
		if (!READ_ONCE(ftarm_pid_go))
			continue;
		WRITE_ONCE(ftarm_pid_go, false);
		ftarm_pid_call(ftarm_pid_fn);
		WRITE_ONCE(ftarm_pid_rounds, ftarm_pid_rounds + 1);
	}
	return 0;
}

static int ftarm_pid_ctl_set(const char *val, const struct kernel_param *kp)
{
	if (sysfs_streq(val, "park") || sysfs_streq(val, "call")) {
		WRITE_ONCE(ftarm_pid_park, sysfs_streq(val, "park"));
		WRITE_ONCE(ftarm_pid_go, true);
		wake_up(&ftarm_pid_wq);
	} else if (sysfs_streq(val, "release")) {
		WRITE_ONCE(ftarm_pid_release, true);
	} else if (sysfs_streq(val, "returned")) {
		WRITE_ONCE(ftarm_pid_returned, true);
	} else if (sysfs_streq(val, "reset")) {
		if (READ_ONCE(ftarm_pid_parked))
			return -EBUSY;
		WRITE_ONCE(ftarm_pid_park, false);
		WRITE_ONCE(ftarm_pid_release, false);
		WRITE_ONCE(ftarm_pid_returned, false);
	} else {
		return -EINVAL;
	}
	return 0;
}

static const struct kernel_param_ops ftarm_pid_ctl_ops = {
	.set = ftarm_pid_ctl_set,
};
module_param_cb(ctl, &ftarm_pid_ctl_ops, NULL, 0200);
MODULE_PARM_DESC(ctl, "park, call, release, returned or reset");

static int ftarm_pid_state_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "pid %d calls %lu parked %d late %lu rounds %lu\n",
			  task_pid_nr(ftarm_pid_task), READ_ONCE(ftarm_pid_calls),
			  READ_ONCE(ftarm_pid_parked), READ_ONCE(ftarm_pid_late),
			  READ_ONCE(ftarm_pid_rounds));
}

static const struct kernel_param_ops ftarm_pid_state_ops = {
	.get = ftarm_pid_state_get,
};
module_param_cb(state, &ftarm_pid_state_ops, NULL, 0444);
MODULE_PARM_DESC(state, "the parker's pid, calls, whether parked, late calls, rounds");

static void ftarm_pid_put(void)
{
	trace_array_put(ftarm_pid_tr);
	trace_array_destroy(ftarm_pid_tr);
}

static int __init ftarm_pid_init(void)
{
	struct task_struct *task;
	int ret;

	ftarm_pid_tr = trace_array_get_by_name("ftarm_pid");
	if (!ftarm_pid_tr) {
		pr_err("cannot make the instance ftarm_pid\n");
		return -ENOMEM;
	}
	ftarm_pid_ops.private = ftarm_pid_tr;
	ret = ftrace_set_filter_ip(&ftarm_pid_ops, (unsigned long)ftarm_pid_fn,
				   0, 0);
	if (ret) {
		pr_err("cannot filter on ftarm_pid_fn: %d\n", ret);
		goto put;
	}
	task = kthread_create(ftarm_pid_parker, NULL, "ftarm-pid-park");
	if (IS_ERR(task)) {
		ret = PTR_ERR(task);
		goto filter;
	}
	get_task_struct(task);
	WRITE_ONCE(ftarm_pid_task, task);
	ret = register_ftrace_function(&ftarm_pid_ops);
	if (ret) {
		pr_err("cannot register the ops: %d\n", ret);
		goto stop;
	}
	wake_up_process(task);
	return 0;
stop:
	kthread_stop(task);
	put_task_struct(task);
filter:
	ftrace_free_filter(&ftarm_pid_ops);
put:
	ftarm_pid_put();
	return ret;
}

static void __exit ftarm_pid_exit(void)
{
	WRITE_ONCE(ftarm_pid_release, true);
	kthread_stop(ftarm_pid_task);
	put_task_struct(ftarm_pid_task);
	unregister_ftrace_function(&ftarm_pid_ops);
	ftrace_free_filter(&ftarm_pid_ops);
	ftarm_pid_put();
}

module_init(ftarm_pid_init);
module_exit(ftarm_pid_exit);
MODULE_DESCRIPTION("a PID filter write waits for tasks traced past their PID test");
MODULE_LICENSE("GPL");
