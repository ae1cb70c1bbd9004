// SPDX-License-Identifier: GPL-2.0
/*
 * ftarm_victim: a module that guest/stress.sh loads and unloads while its
 * function is traced.  Writing N to /sys/module/ftarm_victim/parameters/call
 * calls ftarm_victim_fn() N times; reading it gives the calls since load.
 */
#define pr_fmt(fmt) "ftarm_victim: " fmt

#include <linux/atomic.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>

static atomic_long_t victim_calls;

static noinline void ftarm_victim_fn(void)
{
	atomic_long_inc(&victim_calls);
}

static int call_set(const char *val, const struct kernel_param *kp)
{
	unsigned long n, i;
	int ret;

	ret = kstrtoul(val, 0, &n);
	if (ret)
		return ret;
	if (n > 1000000)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		ftarm_victim_fn();
		if ((i & 255) == 255)
			cond_resched();
	}
	return 0;
}

static int call_get(char *buf, const struct kernel_param *kp)
{
	return sprintf(buf, "%ld\n", atomic_long_read(&victim_calls));
}

static const struct kernel_param_ops call_ops = {
	.set = call_set,
	.get = call_get,
};
module_param_cb(call, &call_ops, NULL, 0600);
MODULE_PARM_DESC(call, "Write N: call ftarm_victim_fn() N times");

static int __init ftarm_victim_init(void)
{
	return 0;
}

static void __exit ftarm_victim_exit(void)
{
}

module_init(ftarm_victim_init);
module_exit(ftarm_victim_exit);
MODULE_DESCRIPTION("A traced module loaded and unloaded by the stress test");
MODULE_LICENSE("GPL");
