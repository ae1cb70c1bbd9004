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
 * Reading .../slots says, for the callsite slot of a kernel function
 * (wake_up_process()) and of one of this module (ftarm_counted_0()), found
 * by decoding the veneer before the function, whether a plain kernel store
 * to it faults: "kernel read-only", "kernel writable" or "kernel none" (no
 * veneer), then the same for "module".  The slots hold the addresses that
 * the veneers branch to and must be read-only, as text is.
 */
#define pr_fmt(fmt) "ftarm_stress: " fmt

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/sizes.h>
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

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
 * The slot that the veneer before @func loads (ADRP X16; LDR X16, [X16, #off];
 * BR X16, the three instructions before the function), or NULL.
 */
static u64 *veneer_slot(unsigned long func)
{
	u32 adrp, ldr, br;
	s64 page;

	if (copy_from_kernel_nofault(&adrp, (void *)(func - 12), 4) ||
	    copy_from_kernel_nofault(&ldr, (void *)(func - 8), 4) ||
	    copy_from_kernel_nofault(&br, (void *)(func - 4), 4))
		return NULL;
	adrp = le32_to_cpu(adrp);
	ldr = le32_to_cpu(ldr);
	br = le32_to_cpu(br);
	if ((adrp & 0x9f00001f) != 0x90000010 ||	/* ADRP X16 */
	    (ldr & 0xffc003ff) != 0xf9400210 ||		/* LDR X16, [X16] */
	    br != 0xd61f0200)				/* BR X16 */
		return NULL;

	/* immhi:immlo, a signed count of 4 KiB pages */
	page = sign_extend64((((adrp >> 5) & 0x7ffff) << 2) | ((adrp >> 29) & 3), 20) * SZ_4K;
	return (u64 *)(((func - 12) & ~0xfffUL) + page + ((ldr >> 10) & 0xfff) * 8);
}

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
	u64 *slot = veneer_slot(func);
	u64 val;

	if (!slot || copy_from_kernel_nofault(&val, slot, sizeof(val)))
		return "none";
	/* The same value back: nothing changes if the store goes through. */
	return store_faults(slot, val) ? "read-only" : "writable";
}

static int slots_show(struct seq_file *m, void *v)
{
	seq_printf(m, "kernel %s\n", slot_state((unsigned long)wake_up_process));
	seq_printf(m, "module %s\n", slot_state((unsigned long)ftarm_counted_0));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(slots);

/* The worker threads, one a CPU, while "workers" holds 1. */
static DEFINE_MUTEX(workers_lock);
static struct task_struct **workers;

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

static void workers_stop(void)
{
	int cpu;

	if (!workers)
		return;
	for_each_possible_cpu(cpu)
		if (workers[cpu])
			kthread_stop(workers[cpu]);
	kfree(workers);
	workers = NULL;
}

static int workers_start(void)
{
	struct task_struct *t;
	int cpu;

	workers = kcalloc(nr_cpu_ids, sizeof(*workers), GFP_KERNEL);
	if (!workers)
		return -ENOMEM;
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		t = kthread_create_on_cpu(worker_fn, NULL, cpu, "ftarm_hot/%u");
		if (IS_ERR(t)) {
			cpus_read_unlock();
			workers_stop();
			return PTR_ERR(t);
		}
		set_user_nice(t, MAX_NICE);
		workers[cpu] = t;
		wake_up_process(t);
	}
	cpus_read_unlock();
	return 0;
}

static int workers_get(void *data, u64 *val)
{
	*val = atomic_long_read(&hot_calls);
	return 0;
}

static int workers_set(void *data, u64 val)
{
	int ret = 0;

	if (val > 1)
		return -EINVAL;
	mutex_lock(&workers_lock);
	if (val && !workers)
		ret = workers_start();
	else if (!val)
		workers_stop();
	mutex_unlock(&workers_lock);
	return ret;
}
DEFINE_DEBUGFS_ATTRIBUTE(workers_fops, workers_get, workers_set, "%llu\n");

static struct dentry *dir;

static int __init ftarm_stress_init(void)
{
	dir = debugfs_create_dir("ftarm_stress", NULL);
	debugfs_create_file("call", 0200, dir, NULL, &call_fops);
	debugfs_create_file("calls", 0444, dir, NULL, &calls_fops);
	debugfs_create_file("workers", 0600, dir, NULL, &workers_fops);
	debugfs_create_file("slots", 0444, dir, NULL, &slots_fops);
	return 0;
}

static void __exit ftarm_stress_exit(void)
{
	debugfs_remove_recursive(dir);
	mutex_lock(&workers_lock);
	workers_stop();
	mutex_unlock(&workers_lock);
}

module_init(ftarm_stress_init);
module_exit(ftarm_stress_exit);
MODULE_DESCRIPTION("Counted and hot functions for the ftrace stress test");
MODULE_LICENSE("GPL");
