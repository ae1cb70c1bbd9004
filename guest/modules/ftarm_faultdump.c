// SPDX-License-Identifier: GPL-2.0
/*
 * ftarm_faultdump: at a kernel oops whose return address follows an ftrace
 * callsite (a call from a callsite that ended in an abort, such as a branch
 * into a freed trampoline: README, "QEMU and cross-modified code"), print
 * what memory holds at that callsite at that moment, and whether it leads to
 * where the CPU went:
 *
 *   ftarm_faultdump: oops at pc P from the callsite at F+OFF (S): memory
 *   holds I, KIND T (x16 X, x17 Y): VERDICT
 *
 * KIND is "nop", "a BL to" T or "a BL to the veneer, slot holds" T. VERDICT
 * is "memory leads there: the update missed this callsite" when P is T or
 * in the page after T (a trampoline is smaller; a bug of the series);
 * "undecided" when P is in X16 or X17 (the veneer's BR X16, or the exit of
 * ftrace_common into a direct trampoline, BR X17: a freed target reached
 * that way is not a stale BL) or the callsite leads to its veneer (which may
 * have loaded an older value of the slot); else "memory leads elsewhere: the
 * CPU ran an instruction memory no longer held" (a stale translation of the
 * callsite under QEMU's multi-threaded TCG, or a CPU that took no context
 * synchronization event after the callsite was written). The print happens
 * in the oops itself: a guest whose task oopsed holding ftrace_lock may hang
 * before any later check can read the callsite. The guests load it first.
 */
#define pr_fmt(fmt) "ftarm_faultdump: " fmt

#include <linux/kdebug.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/ptrace.h>

#include "ftarm_route.h"

static const char *faultdump_verdict(enum ftarm_route r, unsigned long to,
				     unsigned long pc, struct pt_regs *regs)
{
	if ((r == FTARM_ROUTE_DIRECT || r == FTARM_ROUTE_VENEER) &&
	    pc - to < SZ_4K)
		return "memory leads there: the update missed this callsite";
	/* Through the veneer's BR X16, or the direct-call exit's BR X17 */
	if (pc == regs->regs[16] || pc == regs->regs[17])
		return "undecided: the CPU came through the veneer or the direct-call exit";
	/* The veneer may have loaded an older value of the slot */
	if (r == FTARM_ROUTE_VENEER)
		return "undecided: the veneer may have loaded an older slot value";
	if (r == FTARM_ROUTE_UNKNOWN)
		return "undecided";
	return "memory leads elsewhere: the CPU ran an instruction memory no longer held";
}

static int faultdump_die(struct notifier_block *nb, unsigned long action,
			 void *data)
{
	struct die_args *args = data;
	unsigned long pc, site, func, to = 0;
	enum ftarm_route r;
	u32 insn;

	if (action != DIE_OOPS || !args->regs || user_mode(args->regs))
		return NOTIFY_DONE;
	pc = instruction_pointer(args->regs);
	site = args->regs->regs[30] - 4;
	func = ftarm_callsite_func(site);
	if (!func || !ftarm_read_insn(site, &insn))
		return NOTIFY_DONE;
	/* The callsite that ftarm_route() finds must be the one before LR. */
	r = ftarm_route(func, &func, &to);
	if (func != site)
		r = FTARM_ROUTE_UNKNOWN;
	pr_emerg("oops at pc 0x%lx from the callsite at %pS (0x%lx): memory holds %08x, %s 0x%lx (x16 0x%llx, x17 0x%llx): %s\n",
		 pc, (void *)site, site, insn,
		 r == FTARM_ROUTE_NOP ? "nop," :
		 r == FTARM_ROUTE_DIRECT ? "a BL to" :
		 r == FTARM_ROUTE_VENEER ? "a BL to the veneer, slot holds" :
		 "not a callsite,", to, args->regs->regs[16],
		 args->regs->regs[17], faultdump_verdict(r, to, pc, args->regs));
	return NOTIFY_DONE;
}

static struct notifier_block faultdump_nb = {
	.notifier_call = faultdump_die,
};

static int __init faultdump_init(void)
{
	return register_die_notifier(&faultdump_nb);
}

static void __exit faultdump_exit(void)
{
	unregister_die_notifier(&faultdump_nb);
}

module_init(faultdump_init);
module_exit(faultdump_exit);
MODULE_DESCRIPTION("Print an ftrace callsite as memory holds it at an oops it led to");
MODULE_LICENSE("GPL");
