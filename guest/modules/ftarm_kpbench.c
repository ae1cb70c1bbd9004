// SPDX-License-Identifier: GPL-2.0
/*
 * ftarm_kpbench: one probe on one function, for make bench to time (the
 * probe points of guest/bench.sh). mode= chooses the probe:
 *
 *   kprobe       a kprobe with a pre_handler;
 *   kretprobe    a kretprobe with a return handler and no entry handler;
 *   fprobe       an fprobe with an entry handler;
 *   fprobe_exit  an fprobe with an entry and an exit handler, so that each
 *                call also takes a rethook and returns through it.
 *
 * sym= names the function, by default bench_traced_func(), which
 * samples/ftrace/ftrace-ops-bench.c calls and times: load that module first
 * (with no ops of its own), then this one, then write the number of calls to
 * its rerun parameter.
 *
 * The handlers do nothing but count the calls in which the probe ran to its
 * last handler, with one plain increment (the benchmark's BPF fentry program
 * does the same), so that a timed run is known to have run the probe. The
 * count and the probe's misses (nmissed: a recursion, or no free instance
 * for a return probe) are printed when the module is removed: a run in which
 * the probe missed calls timed something cheaper than the probe.
 *
 * A kprobe on a function's entry takes a BRK exception and a single-step on
 * the base, and is served by the function's ftrace callsite with the series
 * (HAVE_KPROBES_ON_FTRACE). The line printed at load says which: "[FTRACE]",
 * as the kprobes list in debugfs shows such a probe, or "BRK" (arm64 has no
 * optimized kprobes, so a probe not on ftrace is a BRK), so that a figure
 * says what it measured.
 *
 * fprobe needs CONFIG_FPROBE, which needs the architecture's rethook: the
 * 6.1 arm64 base has none. Without it the module does not load
 * (-EOPNOTSUPP) and prints "ftarm_kpbench: MODE: cannot attach: REASON".
 */
#define pr_fmt(fmt) "ftarm_kpbench: " fmt

#include <linux/fprobe.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

enum kpb_mode {
	KPB_KPROBE,
	KPB_KRETPROBE,
	KPB_FPROBE,
	KPB_FPROBE_EXIT,
};

static const char * const kpb_modes[] = {
	[KPB_KPROBE]		= "kprobe",
	[KPB_KRETPROBE]		= "kretprobe",
	[KPB_FPROBE]		= "fprobe",
	[KPB_FPROBE_EXIT]	= "fprobe_exit",
};

static char mode[16] = "kprobe";
module_param_string(mode, mode, sizeof(mode), 0444);
MODULE_PARM_DESC(mode, "kprobe, kretprobe, fprobe or fprobe_exit (default kprobe)");

static char sym[KSYM_NAME_LEN] = "bench_traced_func";
module_param_string(sym, sym, sizeof(sym), 0444);
MODULE_PARM_DESC(sym, "the function to probe (default bench_traced_func)");

/* Set by init, which fails on a mode it does not know: exit needs it. */
static enum kpb_mode kpb_mode;

/*
 * Calls in which the probe ran to its last handler. Only the benchmark's
 * task calls the function, never nested, so a plain increment counts
 * exactly; it is read once the probe is unregistered.
 */
static unsigned long kpb_hits;

/*
 * Instances of a return probe (kretprobe, fprobe with an exit handler) in
 * use at once: one for each call of the function still running. The
 * benchmark makes one call at a time from one task, so one would do; more
 * cost nothing on the timed path. Too few would make the probe miss calls,
 * which the count of misses shows.
 */
#define KPB_MAXACTIVE	4

static int kpb_pre_handler(struct kprobe *p, struct pt_regs *regs)
{
	kpb_hits++;
	return 0;
}

static int kpb_ret_handler(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	kpb_hits++;
	return 0;
}

static struct kprobe kpb_kprobe = {
	.pre_handler	= kpb_pre_handler,
};

static struct kretprobe kpb_kretprobe = {
	.handler	= kpb_ret_handler,
	.maxactive	= KPB_MAXACTIVE,
};

/* What serves @p: its function's ftrace callsite, or a BRK. */
static void kpb_report_kprobe(struct kprobe *p)
{
	pr_info("%s: registered on %s at %pS: %s\n", kpb_modes[kpb_mode], sym,
		p->addr, kprobe_ftrace(p) ? "[FTRACE]" : "BRK");
}

static int kpb_register_kprobe(void)
{
	int ret;

	kpb_kprobe.symbol_name = sym;
	ret = register_kprobe(&kpb_kprobe);
	if (ret) {
		pr_err("%s: cannot register on %s: %d\n", kpb_modes[kpb_mode],
		       sym, ret);
		return ret;
	}
	kpb_report_kprobe(&kpb_kprobe);
	return 0;
}

static int kpb_register_kretprobe(void)
{
	int ret;

	kpb_kretprobe.kp.symbol_name = sym;
	ret = register_kretprobe(&kpb_kretprobe);
	if (ret) {
		pr_err("%s: cannot register on %s: %d\n", kpb_modes[kpb_mode],
		       sym, ret);
		return ret;
	}
	kpb_report_kprobe(&kpb_kretprobe.kp);
	return 0;
}

#ifdef CONFIG_FPROBE
static void kpb_fprobe_entry(struct fprobe *fp, unsigned long entry_ip,
			     struct pt_regs *regs, void *entry_data)
{
	kpb_hits++;
}

/* With an exit handler, the exit handler is the one that counts. */
static void kpb_fprobe_entry_empty(struct fprobe *fp, unsigned long entry_ip,
				   struct pt_regs *regs, void *entry_data)
{
}

static void kpb_fprobe_exit(struct fprobe *fp, unsigned long entry_ip,
			    struct pt_regs *regs, void *entry_data)
{
	kpb_hits++;
}

static struct fprobe kpb_fprobe;

static int kpb_register_fprobe(void)
{
	int ret;

	if (kpb_mode == KPB_FPROBE_EXIT) {
		kpb_fprobe.entry_handler = kpb_fprobe_entry_empty;
		kpb_fprobe.exit_handler = kpb_fprobe_exit;
		kpb_fprobe.nr_maxactive = KPB_MAXACTIVE;
	} else {
		kpb_fprobe.entry_handler = kpb_fprobe_entry;
	}

	/*
	 * By filter, not by register_fprobe_syms(): 6.1 resolves the names
	 * given to that with kallsyms_on_each_symbol(), which walks vmlinux
	 * only, so it cannot find a module's function such as
	 * bench_traced_func(). The filter matches every callsite of that
	 * name, the module's included, as set_ftrace_filter does.
	 */
	ret = register_fprobe(&kpb_fprobe, sym, NULL);
	if (ret) {
		pr_err("%s: cannot register on %s: %d\n", kpb_modes[kpb_mode],
		       sym, ret);
		return ret;
	}
	pr_info("%s: registered on %s: an ftrace_ops, %s\n", kpb_modes[kpb_mode],
		sym, kpb_fprobe.exit_handler ? "entry and exit handlers (rethook)" :
		"entry handler");
	return 0;
}

static unsigned long kpb_unregister_fprobe(void)
{
	unregister_fprobe(&kpb_fprobe);
	return kpb_fprobe.nmissed;
}
#else
static int kpb_register_fprobe(void)
{
	pr_info("%s: cannot attach: no CONFIG_FPROBE\n", kpb_modes[kpb_mode]);
	return -EOPNOTSUPP;
}

/* Never called: without fprobe, init fails in the fprobe modes. */
static unsigned long kpb_unregister_fprobe(void)
{
	return 0;
}
#endif

static int __init ftarm_kpbench_init(void)
{
	int ret;

	ret = match_string(kpb_modes, ARRAY_SIZE(kpb_modes), mode);
	if (ret < 0) {
		pr_err("unknown mode '%s': kprobe, kretprobe, fprobe or fprobe_exit\n",
		       mode);
		return -EINVAL;
	}
	kpb_mode = ret;

	switch (kpb_mode) {
	case KPB_KPROBE:
		return kpb_register_kprobe();
	case KPB_KRETPROBE:
		return kpb_register_kretprobe();
	case KPB_FPROBE:
	case KPB_FPROBE_EXIT:
		return kpb_register_fprobe();
	}
	return -EINVAL;
}
module_init(ftarm_kpbench_init);

static void __exit ftarm_kpbench_exit(void)
{
	unsigned long missed = 0;

	switch (kpb_mode) {
	case KPB_KPROBE:
		unregister_kprobe(&kpb_kprobe);
		missed = kpb_kprobe.nmissed;
		break;
	case KPB_KRETPROBE:
		unregister_kretprobe(&kpb_kretprobe);
		/* No free instance, or the entry kprobe hit in a handler */
		missed = kpb_kretprobe.nmissed + kpb_kretprobe.kp.nmissed;
		break;
	case KPB_FPROBE:
	case KPB_FPROBE_EXIT:
		missed = kpb_unregister_fprobe();
		break;
	}
	pr_info("%s: unregistered from %s: hits=%lu missed=%lu\n",
		kpb_modes[kpb_mode], sym, kpb_hits, missed);
}
module_exit(ftarm_kpbench_exit);

MODULE_DESCRIPTION("One kprobe, kretprobe or fprobe on a function, for make bench");
MODULE_LICENSE("GPL");
