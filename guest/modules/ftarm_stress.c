// SPDX-License-Identifier: GPL-2.0
/*
 * ftarm_stress: functions for the stress test of ftrace live patching
 * (guest/stress.sh), with exact call counts.
 *
 * Counted functions, ftarm_counted_0() .. ftarm_counted_3(), are called
 * only on request: writing "K N" to /sys/kernel/debug/ftarm_stress/call
 * calls ftarm_counted_K() N times in the writer's context.  Reading
 * .../calls gives how many times each was called since load, so a checker
 * knows exactly how many events an instance tracing one of them must show.
 *
 * Hot functions, ftarm_hot_0() .. ftarm_hot_3(), are called in a loop by
 * one kernel thread per online CPU while .../workers holds 1, so that the
 * callsites being patched by the churn are being executed on every CPU.
 * The threads run at the lowest priority and sleep briefly every 256 calls.
 *
 * ftarm_late_fn() is called in a loop by NR_SPINNERS kernel threads on
 * CPU 0 while .../spinners holds 1, at the lowest priority: they preempt
 * each other at random points of the call, and a shell on CPU 0 preempts
 * the one running as it wakes and then runs on until it sleeps, so that
 * at any time several of them may have been stopped inside the tracing of
 * a call (guest/stress.sh, the late-call check). Reading .../settle waits
 * until every spinner has blocked since (each blocks only between calls,
 * so every call in progress at the read, late or not, has ended) and
 * gives the milliseconds that took.
 *
 * Writing "on" to .../setfilter registers an ftrace_ops of this module
 * tracing ftarm_counted_3() and ftarm_late_fn(); writing a number N runs N
 * rounds in the writer's context: sleep 2 ms (the spinners run traced),
 * take ftarm_late_fn() out of the ops' filter with ftrace_set_filter()
 * (the path of in-kernel users), then, until every spinner has blocked
 * since (as .../settle), count the calls of ftarm_late_fn() the ops'
 * callback still sees, and put it back; "off" unregisters the ops.
 * Reading it gives "rounds R seen S late L first F": calls seen while
 * the function was in the filter, calls seen after a removal had
 * returned, the first round with one (guest/stress.sh, the
 * late-call-setfilter check). "other-start" and "other-end" are the
 * wait-own check's (see other_start()).
 *
 * While .../holder holds 1, a kernel thread runs that never blocks, so
 * that an RCU-tasks grace period cannot end until it stops: a filter
 * write that waits for one waits that long (the wait-unlocked check).
 *
 * Reading .../slots says, for the callsite slot of a kernel function
 * (wake_up_process()) and of one of this module (ftarm_counted_0()), found
 * by decoding the veneer before the function, whether a plain kernel store
 * to it faults: "kernel read-only", "kernel writable" or "kernel none" (no
 * veneer), then the same for "module".  The slots hold the addresses that
 * the veneers branch to and must be read-only, as text is.
 *
 * Reading .../route says where the callsites of the same two functions
 * lead: "kernel direct ADDR" when the callsite's BL goes to ADDR, "kernel
 * veneer ADDR" when it goes to the function's veneer, whose slot holds
 * ADDR, "kernel nop" when it is not traced; then the same for "module".
 * The check compares ADDR with the trampoline that enabled_functions
 * shows, so that forced-far mode is seen to go through the veneer.
 * Writing a function's address (hex) to .../route adds a line "at ..."
 * for that function's callsite.
 */
#define pr_fmt(fmt) "ftarm_stress: " fmt

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/ftrace.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/insn.h>

#include "ftarm_route.h"

#define NR_COUNTED	4
#define NR_HOT		4
#define MAX_CALLS	10000000UL

static atomic_long_t counted_calls[NR_COUNTED];
static atomic_long_t hot_calls;

/* Each writes a counter of its own, so that no two bodies are the same. */
#define FTARM_COUNTED(n)						\
static noinline void ftarm_counted_##n(void)					\
{									\
	atomic_long_inc(&counted_calls[n]);				\
}
FTARM_COUNTED(0)
FTARM_COUNTED(1)
FTARM_COUNTED(2)
FTARM_COUNTED(3)

static unsigned long hot_local[NR_HOT];

#define FTARM_HOT(n)							\
static noinline void ftarm_hot_##n(void)					\
{									\
	WRITE_ONCE(hot_local[n], READ_ONCE(hot_local[n]) + 1);		\
}
FTARM_HOT(0)
FTARM_HOT(1)
FTARM_HOT(2)
FTARM_HOT(3)

static unsigned long late_local;
static atomic_long_t late_calls;

static noinline void ftarm_late_fn(void)
{
	WRITE_ONCE(late_local, READ_ONCE(late_local) + 1);
}

static void (*const counted_funcs[NR_COUNTED])(void) = {
	ftarm_counted_0, ftarm_counted_1, ftarm_counted_2, ftarm_counted_3,
};

static void (*const hot_funcs[NR_HOT])(void) = {
	ftarm_hot_0, ftarm_hot_1, ftarm_hot_2, ftarm_hot_3,
};

static ssize_t call_write(struct file *file, const char __user *ubuf,
			  size_t count, loff_t *ppos)
{
	unsigned long k, n, i;
	char buf[48];

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(buf, "%lu %lu", &k, &n) != 2 || k >= NR_COUNTED ||
	    n > MAX_CALLS)
		return -EINVAL;

	for (i = 0; i < n; i++) {
		counted_funcs[k]();
		if ((i & 255) == 255)
			cond_resched();
	}
	return count;
}

static const struct file_operations call_fops = {
	.owner = THIS_MODULE,
	.write = call_write,
	.llseek = noop_llseek,
};

static int calls_show(struct seq_file *m, void *v)
{
	int k;

	for (k = 0; k < NR_COUNTED; k++)
		seq_printf(m, "%ld%c", atomic_long_read(&counted_calls[k]),
			   k == NR_COUNTED - 1 ? '\n' : ' ');
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(calls);

/*
 * A plain kernel store of @val to @p, which faults if @p is read-only
 * (copy_to_kernel_nofault() does the same, but is not exported).
 */
static bool store_faults(u64 *p, u64 val)
{
	pagefault_disable();
	__put_kernel_nofault(p, &val, u64, fault);
	pagefault_enable();
	return false;
fault:
	pagefault_enable();
	return true;
}

static const char *slot_state(unsigned long func)
{
	u64 *slot = ftarm_veneer_slot(func);
	u64 val;

	if (!slot || copy_from_kernel_nofault(&val, slot, sizeof(val)))
		return "none";
	/* The same value back: nothing changes if the store goes through. */
	return store_faults(slot, val) ? "read-only" : "writable";
}

/* Where the callsite of @func leads (see "route" above) */
static void route_show_one(struct seq_file *m, const char *name,
			   unsigned long func)
{
	static const char * const kinds[] = {
		[FTARM_ROUTE_UNKNOWN] = "unknown",
		[FTARM_ROUTE_NOP] = "nop",
		[FTARM_ROUTE_DIRECT] = "direct",
		[FTARM_ROUTE_VENEER] = "veneer",
	};
	unsigned long site, to = 0;
	enum ftarm_route r = ftarm_route(func, &site, &to);

	if (r == FTARM_ROUTE_DIRECT || r == FTARM_ROUTE_VENEER)
		seq_printf(m, "%s %s 0x%lx\n", name, kinds[r], to);
	else
		seq_printf(m, "%s %s\n", name, kinds[r]);
}

static unsigned long route_at;

static int route_show(struct seq_file *m, void *v)
{
	route_show_one(m, "kernel", (unsigned long)wake_up_process);
	route_show_one(m, "module", (unsigned long)ftarm_counted_0);
	if (READ_ONCE(route_at))
		route_show_one(m, "at", READ_ONCE(route_at));
	return 0;
}

static int route_open(struct inode *inode, struct file *file)
{
	return single_open(file, route_show, NULL);
}

static ssize_t route_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	unsigned long addr;
	int ret;

	ret = kstrtoul_from_user(ubuf, count, 16, &addr);
	if (ret)
		return ret;
	/* The callsite lookup reads it with copy_from_kernel_nofault(). */
	if (!addr || addr & 3)
		return -EINVAL;
	WRITE_ONCE(route_at, addr);
	return count;
}

static const struct file_operations route_fops = {
	.owner = THIS_MODULE,
	.open = route_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = route_write,
};

static int slots_show(struct seq_file *m, void *v)
{
	seq_printf(m, "kernel %s\n", slot_state((unsigned long)wake_up_process));
	seq_printf(m, "module %s\n", slot_state((unsigned long)ftarm_counted_0));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(slots);

#define NR_SPINNERS	16

/*
 * The threads of "workers" (the hot functions, one a CPU) and of "spinners"
 * (ftarm_late_fn(), NR_SPINNERS of them on CPU 0), while the file holds 1.
 */
struct thread_set {
	struct task_struct **tasks;
	int (*fn)(void *arg);
	const char *name;
	int nice;
	int on_cpu0;	/* that many threads on CPU 0, or 0: one a CPU */
	bool one;	/* or one thread, on no CPU in particular */
	atomic_long_t *calls;
};

static DEFINE_MUTEX(threads_lock);

static int worker_fn(void *arg)
{
	unsigned long n = 0;

	while (!kthread_should_stop()) {
		hot_funcs[n % NR_HOT]();
		if ((++n & 255) == 0) {
			atomic_long_add(256, &hot_calls);
			/*
			 * Sleep, not just cond_resched(): RCU-tasks, which
			 * ftrace waits for before freeing a trampoline, only
			 * sees a task leave when it blocks voluntarily (or runs
			 * in user space); a preempted task may still be in a
			 * trampoline. A thread that never blocks would hold
			 * every trampoline free, and every rmdir, forever.
			 */
			usleep_range(100, 200);
		}
	}
	return 0;
}

/* Each spinner's count of the times it blocked (spinners_settle()) */
static atomic_long_t spinner_naps[NR_SPINNERS];

static int spinner_fn(void *arg)
{
	long i = (long)arg;
	unsigned long n = 0;

	while (!kthread_should_stop()) {
		ftarm_late_fn();
		if ((++n & 1023) == 0) {
			atomic_long_add(1024, &late_calls);
			/* Block now and then, for RCU-tasks (see worker_fn()). */
			usleep_range(50, 100);
			atomic_long_inc(&spinner_naps[i]);
		}
	}
	return 0;
}

static atomic_long_t holder_loops;

static int holder_fn(void *arg)
{
	/*
	 * Never blocks (see worker_fn()): every RCU-tasks grace period
	 * started while it runs lasts until it is stopped.
	 */
	while (!kthread_should_stop()) {
		atomic_long_inc(&holder_loops);
		cpu_relax();
	}
	return 0;
}

static struct thread_set workers = {
	.fn = worker_fn, .name = "ftarm_hot/%u", .nice = MAX_NICE,
	.calls = &hot_calls,
};

static struct thread_set spinners = {
	.fn = spinner_fn, .name = "ftarm_late/%u", .nice = MAX_NICE,
	.on_cpu0 = NR_SPINNERS,
	.calls = &late_calls,
};

static struct thread_set holder = {
	.fn = holder_fn, .name = "ftarm_hold", .nice = MAX_NICE, .one = true,
	.calls = &holder_loops,
};

static int threads_nr(struct thread_set *set)
{
	return set->one ? 1 : set->on_cpu0 ?: nr_cpu_ids;
}

static void threads_stop(struct thread_set *set)
{
	int i;

	if (!set->tasks)
		return;
	for (i = 0; i < threads_nr(set); i++) {
		if (!set->tasks[i])
			continue;
		kthread_stop(set->tasks[i]);
		put_task_struct(set->tasks[i]);
	}
	kfree(set->tasks);
	set->tasks = NULL;
}

static int threads_start(struct thread_set *set)
{
	struct task_struct *t;
	int i, cpu;

	set->tasks = kcalloc(threads_nr(set), sizeof(*set->tasks), GFP_KERNEL);
	if (!set->tasks)
		return -ENOMEM;
	cpus_read_lock();
	for (i = 0; i < threads_nr(set); i++) {
		cpu = set->on_cpu0 ? 0 : i;
		if (set->one)
			t = kthread_create(set->fn, NULL, "%s", set->name);
		else if (cpu_online(cpu))
			t = kthread_create_on_cpu(set->fn, (void *)(long)i, cpu,
						  set->name);
		else
			continue;
		if (IS_ERR(t)) {
			cpus_read_unlock();
			threads_stop(set);
			return PTR_ERR(t);
		}
		set_user_nice(t, set->nice);
		/*
		 * Keep the task: one that died (an oops in a traced call)
		 * must still be there for kthread_stop().
		 */
		get_task_struct(t);
		set->tasks[i] = t;
		wake_up_process(t);
	}
	cpus_read_unlock();
	return 0;
}

static int threads_get(void *data, u64 *val)
{
	struct thread_set *set = data;

	*val = atomic_long_read(set->calls);
	return 0;
}

static int threads_set(void *data, u64 val)
{
	struct thread_set *set = data;
	int ret = 0;

	if (val > 1)
		return -EINVAL;
	mutex_lock(&threads_lock);
	if (val && !set->tasks)
		ret = threads_start(set);
	else if (!val)
		threads_stop(set);
	mutex_unlock(&threads_lock);
	return ret;
}
DEFINE_DEBUGFS_ATTRIBUTE(threads_fops, threads_get, threads_set, "%llu\n");

/*
 * Wait until every spinner has blocked since the call. A spinner blocks
 * only between two calls of ftarm_late_fn(), so every call that was in
 * progress when this was called, preempted or not, has ended by then,
 * tracing included: what a late call would do is done. Returns the
 * milliseconds it took, -ENOENT if the spinners are not running, or
 * -ETIMEDOUT after 10 s. Holds threads_lock meanwhile, so that the
 * spinners cannot be stopped (and their tasks freed) under it.
 */
static long spinners_settle(void)
{
	long naps[NR_SPINNERS];
	unsigned long t0 = jiffies;
	long ret = 0;
	int i, left;

	mutex_lock(&threads_lock);
	if (!spinners.tasks) {
		ret = -ENOENT;
		goto out;
	}
	for (i = 0; i < NR_SPINNERS; i++)
		naps[i] = atomic_long_read(&spinner_naps[i]);
	for (;;) {
		left = 0;
		for (i = 0; i < NR_SPINNERS; i++)
			if (spinners.tasks[i] &&
			    atomic_long_read(&spinner_naps[i]) == naps[i])
				left++;
		if (!left)
			break;
		if (time_after(jiffies, t0 + 10 * HZ)) {
			pr_warn("%d spinners did not block within 10 s\n", left);
			ret = -ETIMEDOUT;
			goto out;
		}
		usleep_range(500, 1000);
	}
	ret = jiffies_to_msecs(jiffies - t0);
out:
	mutex_unlock(&threads_lock);
	return ret;
}

static int settle_get(void *data, u64 *val)
{
	long ret = spinners_settle();

	if (ret < 0)
		return ret;
	*val = ret;
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(settle_fops, settle_get, NULL, "%llu\n");

/* The ops of .../setfilter, and what its callback saw. */
static DEFINE_MUTEX(setf_lock);
static bool setf_registered;
static int setf_out;	/* 1 from a removal's return to the next addition */
static atomic_long_t setf_seen, setf_late;
static unsigned long setf_rounds, setf_first;

static void notrace setf_func(unsigned long ip, unsigned long parent_ip,
			      struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	/* rec->ip is the function's address, or 8 bytes on past a BTI C */
	if (ip - (unsigned long)ftarm_late_fn >= 16)
		return;
	if (READ_ONCE(setf_out))
		atomic_long_inc(&setf_late);
	else
		atomic_long_inc(&setf_seen);
}

static struct ftrace_ops setf_ops = {
	.func = setf_func,
	.flags = FTRACE_OPS_FL_RECURSION,
};

/* PATTERN into setf_ops' filter, keeping what is there unless @reset */
static int __setf_filter(const char *pattern, int reset)
{
	char buf[KSYM_NAME_LEN];

	strscpy(buf, pattern, sizeof(buf));
	return ftrace_set_filter(&setf_ops, buf, strlen(buf), reset);
}

static int setf_filter(const char *pattern)
{
	return __setf_filter(pattern, 0);
}

static int setf_rounds_run(unsigned long n)
{
	unsigned long r;
	int ret;

	for (r = 1; r <= n; r++) {
		/* the spinners run traced, and are preempted as this wakes */
		usleep_range(2000, 2100);
		ret = setf_filter("!ftarm_late_fn");
		if (ret)
			return ret;
		/* Nothing may call the callback for it from here on. */
		smp_store_mb(setf_out, 1);
		ret = spinners_settle();
		if (ret < 0)
			return ret;
		if (atomic_long_read(&setf_late) && !setf_first)
			setf_first = setf_rounds + 1;
		WRITE_ONCE(setf_out, 0);
		setf_rounds++;
		ret = setf_filter("ftarm_late_fn");
		if (ret)
			return ret;
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

/*
 * Another caller's ftrace_set_filter() (setfilter's "other-start" and
 * "other-end", the wait-own check): a thread holds the regex_lock of
 * setf_ops' hash, and another calls ftrace_set_filter() on setf_ops with
 * a function it already traces, so that the call starts and then blocks
 * on that lock. Meanwhile a filter write elsewhere asks for a wait for
 * tasks; "other-end" lets the lock go and the call must then return
 * within 10 s: it changed nothing, and must not wait for another's change.
 */
static DECLARE_COMPLETION(other_locked);
static DECLARE_COMPLETION(other_release);
static DECLARE_COMPLETION(other_unlocked);
static DECLARE_COMPLETION(other_done);
static bool other_running, other_lock_gone;
static int other_ret;

static int other_lock_fn(void *arg)
{
	struct mutex *lock = &setf_ops.func_hash->regex_lock;

	mutex_lock(lock);
	complete(&other_locked);
	wait_for_completion(&other_release);
	mutex_unlock(lock);
	kthread_complete_and_exit(&other_unlocked, 0);
}

static int other_set_fn(void *arg)
{
	other_ret = setf_filter("ftarm_counted_3");
	kthread_complete_and_exit(&other_done, 0);
}

/* Let the lock go, once */
static void other_unlock(void)
{
	if (other_lock_gone)
		return;
	complete(&other_release);
	wait_for_completion(&other_unlocked);
	other_lock_gone = true;
}

static int other_start(void)
{
	struct task_struct *t;

	if (!setf_registered)
		return -ENOENT;
	if (other_running)
		return -EBUSY;
	reinit_completion(&other_locked);
	reinit_completion(&other_release);
	reinit_completion(&other_unlocked);
	reinit_completion(&other_done);
	other_lock_gone = false;
	t = kthread_run(other_lock_fn, NULL, "ftarm_other_lock");
	if (IS_ERR(t))
		return PTR_ERR(t);
	other_running = true;
	wait_for_completion(&other_locked);
	t = kthread_run(other_set_fn, NULL, "ftarm_other_set");
	if (IS_ERR(t)) {
		other_unlock();
		other_running = false;
		return PTR_ERR(t);
	}
	/* Let it start its call and block on the lock */
	msleep(200);
	return 0;
}

static int other_end(void)
{
	if (!other_running)
		return -ENOENT;
	other_unlock();
	if (!wait_for_completion_timeout(&other_done, 10 * HZ))
		return -ETIMEDOUT;
	other_running = false;
	return other_ret;
}

static ssize_t setf_write(struct file *file, const char __user *ubuf,
			  size_t count, loff_t *ppos)
{
	unsigned long n;
	char buf[16];
	int ret = 0;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	strim(buf);
	mutex_lock(&setf_lock);
	if (!strcmp(buf, "on")) {
		if (setf_registered) {
			ret = -EBUSY;
			goto out;
		}
		/*
		 * Not ftrace_free_filter(), which leaves the ops' hashes
		 * freed but in place: a registration after an earlier
		 * one would use them.
		 */
		ret = __setf_filter("ftarm_counted_3", 1);
		if (!ret)
			ret = setf_filter("ftarm_late_fn");
		if (!ret)
			ret = register_ftrace_function(&setf_ops);
		setf_registered = !ret;
	} else if (!strcmp(buf, "other-start")) {
		ret = other_start();
	} else if (!strcmp(buf, "other-end")) {
		ret = other_end();
	} else if (!strcmp(buf, "off")) {
		if (other_running) {
			ret = -EBUSY;
			goto out;
		}
		if (setf_registered)
			ret = unregister_ftrace_function(&setf_ops);
		setf_registered = false;
	} else if (!kstrtoul(buf, 10, &n) && n) {
		ret = setf_registered ? setf_rounds_run(n) : -ENOENT;
	} else {
		ret = -EINVAL;
	}
out:
	mutex_unlock(&setf_lock);
	return ret ? ret : (ssize_t)count;
}

static int setf_show(struct seq_file *m, void *v)
{
	seq_printf(m, "rounds %lu seen %ld late %ld first %lu\n", setf_rounds,
		   atomic_long_read(&setf_seen), atomic_long_read(&setf_late),
		   setf_first);
	return 0;
}

static int setf_open(struct inode *inode, struct file *file)
{
	return single_open(file, setf_show, NULL);
}

static const struct file_operations setf_fops = {
	.owner = THIS_MODULE,
	.open = setf_open,
	.read = seq_read,
	.write = setf_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static struct dentry *dir;

static int __init ftarm_stress_init(void)
{
	dir = debugfs_create_dir("ftarm_stress", NULL);
	debugfs_create_file("call", 0200, dir, NULL, &call_fops);
	debugfs_create_file("calls", 0444, dir, NULL, &calls_fops);
	debugfs_create_file("workers", 0600, dir, &workers, &threads_fops);
	debugfs_create_file("spinners", 0600, dir, &spinners, &threads_fops);
	debugfs_create_file("settle", 0400, dir, NULL, &settle_fops);
	debugfs_create_file("holder", 0600, dir, &holder, &threads_fops);
	debugfs_create_file("setfilter", 0600, dir, NULL, &setf_fops);
	debugfs_create_file("slots", 0444, dir, NULL, &slots_fops);
	debugfs_create_file("route", 0644, dir, NULL, &route_fops);
	return 0;
}

static void __exit ftarm_stress_exit(void)
{
	debugfs_remove_recursive(dir);
	mutex_lock(&threads_lock);
	threads_stop(&workers);
	threads_stop(&spinners);
	threads_stop(&holder);
	mutex_unlock(&threads_lock);
	if (other_running) {
		/* The threads end once the wait they may be in is over */
		other_unlock();
		wait_for_completion(&other_done);
	}
	if (setf_registered)
		unregister_ftrace_function(&setf_ops);
	ftrace_free_filter(&setf_ops);
}

module_init(ftarm_stress_init);
module_exit(ftarm_stress_exit);
MODULE_DESCRIPTION("Counted and hot functions for the ftrace stress test");
MODULE_LICENSE("GPL");
