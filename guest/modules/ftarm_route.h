/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where an ftrace callsite leads, decoded from the text as memory holds it
 * (for the guest modules; nothing here asks ftrace). The series' layout is
 * the 5,3 one of Documentation/arm64/ftrace.rst: a veneer (ADRP X16; LDR
 * X16, [X16, #off]; BR X16) in the three instructions before the function,
 * then an optional BTI, MOV X9, LR and the callsite. The base's 2,0 layout
 * (MOV X9, LR and the callsite at the function's start) decodes too, without
 * a veneer.
 */
#ifndef FTARM_ROUTE_H
#define FTARM_ROUTE_H

#include <linux/bits.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>
#include <asm/insn.h>

#define FTARM_INSN_NOP		0xd503201f
#define FTARM_INSN_MOV_X9_LR	0xaa1e03e9
#define FTARM_INSN_BTI_C	0xd503245f
#define FTARM_INSN_BTI_JC	0xd50324df

/* The instruction at @addr as memory holds it; false if it cannot be read */
static inline bool ftarm_read_insn(unsigned long addr, u32 *insn)
{
	__le32 v;

	if (copy_from_kernel_nofault(&v, (void *)addr, sizeof(v)))
		return false;
	*insn = le32_to_cpu(v);
	return true;
}

/*
 * The slot that the veneer before @func loads (ADRP X16; LDR X16, [X16, #off];
 * BR X16, the three instructions before the function), or NULL.
 */
static inline u64 *ftarm_veneer_slot(unsigned long func)
{
	u32 adrp, ldr, br;
	s64 page;

	if (!ftarm_read_insn(func - 12, &adrp) ||
	    !ftarm_read_insn(func - 8, &ldr) ||
	    !ftarm_read_insn(func - 4, &br))
		return NULL;
	if ((adrp & 0x9f00001f) != 0x90000010 ||	/* ADRP X16 */
	    (ldr & 0xffc003ff) != 0xf9400210 ||		/* LDR X16, [X16] */
	    br != 0xd61f0200)				/* BR X16 */
		return NULL;

	/* immhi:immlo, a signed count of 4 KiB pages */
	page = sign_extend64((((adrp >> 5) & 0x7ffff) << 2) | ((adrp >> 29) & 3), 20) * SZ_4K;
	return (u64 *)(((func - 12) & ~0xfffUL) + page + ((ldr >> 10) & 0xfff) * 8);
}

/* The target of @insn at @pc if it is a BL, else 0 */
static inline unsigned long ftarm_bl_target(unsigned long pc, u32 insn)
{
	if (!aarch64_insn_is_bl(insn))
		return 0;
	return pc + sign_extend64((insn & 0x03ffffff) << 2, 27);
}

enum ftarm_route {
	FTARM_ROUTE_UNKNOWN,	/* no callsite found, or unreadable */
	FTARM_ROUTE_NOP,	/* the callsite is a NOP */
	FTARM_ROUTE_DIRECT,	/* a BL to *@to */
	FTARM_ROUTE_VENEER,	/* a BL to the veneer, whose slot holds *@to */
};

/*
 * Where the callsite of @func leads. The callsite is the first BL or NOP
 * among the first three instructions of the function (after a BTI C and the
 * MOV X9, LR); *@site is set to it, *@to to where it leads.
 */
static inline enum ftarm_route ftarm_route(unsigned long func,
					   unsigned long *site,
					   unsigned long *to)
{
	unsigned long pc, target;
	u64 *slot, val;
	u32 insn;

	for (pc = func; pc < func + 12; pc += 4) {
		if (!ftarm_read_insn(pc, &insn))
			break;
		*site = pc;
		if (insn == FTARM_INSN_NOP)
			return FTARM_ROUTE_NOP;
		target = ftarm_bl_target(pc, insn);
		if (!target)
			continue;
		if (target != func - 12) {
			*to = target;
			return FTARM_ROUTE_DIRECT;
		}
		slot = ftarm_veneer_slot(func);
		if (!slot || copy_from_kernel_nofault(&val, slot, sizeof(val)))
			break;
		*to = val;
		return FTARM_ROUTE_VENEER;
	}
	return FTARM_ROUTE_UNKNOWN;
}

/*
 * The function whose callsite is at @site (the instruction before a return
 * address), or 0 if @site does not follow a MOV X9, LR.
 */
static inline unsigned long ftarm_callsite_func(unsigned long site)
{
	u32 insn;

	if (!ftarm_read_insn(site - 4, &insn) || insn != FTARM_INSN_MOV_X9_LR)
		return 0;
	if (ftarm_read_insn(site - 8, &insn) &&
	    (insn == FTARM_INSN_BTI_C || insn == FTARM_INSN_BTI_JC))
		return site - 8;
	return site - 4;
}

#endif /* FTARM_ROUTE_H */
