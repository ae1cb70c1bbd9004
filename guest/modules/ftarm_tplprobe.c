// SPDX-License-Identifier: GPL-2.0
/*
 * ftarm_tplprobe: no kprobe may be placed on the templates of the per-ops
 * trampolines (ftrace_tramp_tpl, ftrace_regs_tramp_tpl in entry-ftrace.S).
 * Every new trampoline is a copy of one of them: a BRK that a kprobe (or a
 * kgdb breakpoint) left in a template would be copied into each trampoline
 * made while it is there, and never removed from them. The series keeps the
 * templates in .rodata, where kprobes refuse to go (not kernel text).
 *
 * kprobe_events cannot tell: it refuses any symbol without an mcount record
 * ("notrace"), and the templates have none. So this registers raw kprobes, as
 * a module or kgdb could, at the start of each template and on its call
 * instruction, and expects each registration to fail. An accepted one is
 * unregistered at once.
 * It prints one line, "ftarm_tplprobe: PASS: ..." or "ftarm_tplprobe: FAIL: ...".
 */
#define pr_fmt(fmt) "ftarm_tplprobe: " fmt

#include <linux/kprobes.h>
#include <linux/module.h>

static const char * const targets[] = {
	"ftrace_tramp_tpl",
	"ftrace_tramp_tpl_call",
	"ftrace_regs_tramp_tpl",
	"ftrace_regs_tramp_tpl_call",
};

static int __init ftarm_tplprobe_init(void)
{
	struct kprobe kp;
	int i, ret, accepted = 0;

	for (i = 0; i < ARRAY_SIZE(targets); i++) {
		memset(&kp, 0, sizeof(kp));
		kp.symbol_name = targets[i];
		ret = register_kprobe(&kp);
		if (ret == -ENOENT) {
			pr_err("FAIL: setup: no symbol %s (a kernel without per-ops trampolines?)\n",
			       targets[i]);
			return 0;
		}
		if (!ret) {
			pr_err("kprobe accepted on %s at %pS\n", targets[i], kp.addr);
			unregister_kprobe(&kp);
			accepted++;
		}
	}
	if (accepted)
		pr_err("FAIL: %d of %zu kprobes on the trampoline templates were accepted\n",
		       accepted, ARRAY_SIZE(targets));
	else
		pr_info("PASS: all %zu kprobes on the trampoline templates were refused\n",
			ARRAY_SIZE(targets));
	return 0;
}
module_init(ftarm_tplprobe_init);

static void __exit ftarm_tplprobe_exit(void)
{
}
module_exit(ftarm_tplprobe_exit);

MODULE_DESCRIPTION("Test that the ftrace trampoline templates cannot be kprobed");
MODULE_LICENSE("GPL");
