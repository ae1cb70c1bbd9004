// SPDX-License-Identifier: GPL-2.0
/*
 * ftarm_xmc: cross-modifying code without ftrace, to tell a fault of the
 * emulator from one of the series (README, "QEMU and cross-modified code").
 *
 * A function of the module's own, ftarm_xmc_target(), returns the immediate
 * of its first instruction, MOVZ W0, #imm. The module's init rewrites that
 * instruction "rounds" times, to MOVZ W0, #k for k = 1, 2, ..., each time as
 * ftrace writes a callsite: aarch64_insn_patch_text_nosync() (a store through
 * the text-poke fixmap, then the cache maintenance to the point of
 * unification), kick_all_cpus_sync() (an IPI that every other CPU takes: an
 * exception, which is a context synchronization event), and then publishes
 * k with a store-release; the patcher stays on its CPU (migrate_disable()),
 * which no runner shares. Meanwhile a kernel thread on every other CPU loads
 * the published k with a load-acquire and then calls the function. Any CPU
 * that has taken the IPI after the write must then execute the new
 * instruction (Arm ARM, "Concurrent modification and execution of
 * instructions"): a call that returns less than the k it loaded ran an
 * instruction that memory no longer held after that CPU's context
 * synchronization. The read-only parameters give the counts: calls, "stale"
 * (such calls) and the first one's values. On hardware "stale" is 0; a
 * non-zero count under QEMU's multi-threaded TCG is the emulator keeping a
 * translation of code that another vCPU rewrote.
 *
 * aarch64_insn_patch_text_nosync() is not exported; its address comes from
 * kallsyms_lookup_name(), whose own address a kprobe gives.
 */
#define pr_fmt(fmt) "ftarm_xmc: " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/mutex.h>

static unsigned int rounds = 20000;
module_param(rounds, uint, 0444);
MODULE_PARM_DESC(rounds, "how many times the instruction is rewritten (1..65535)");

static unsigned long calls, stale, stale_got, stale_want;
static int stale_cpu = -1;
module_param(calls, ulong, 0444);
module_param(stale, ulong, 0444);
module_param(stale_got, ulong, 0444);
module_param(stale_want, ulong, 0444);
module_param(stale_cpu, int, 0444);

/* int ftarm_xmc_target(void): MOVZ W0, #imm; RET (after a BTI C) */
asm(".pushsection .text, \"ax\"\n"
	".balign 8\n"
	".type ftarm_xmc_target, %function\n"
	"ftarm_xmc_target:\n"
	"	hint	#34\n"		/* BTI C */
	"ftarm_xmc_insn:\n"
	"	movz	w0, #0\n"
	"	ret\n"
	".size ftarm_xmc_target, . - ftarm_xmc_target\n"
	".popsection\n");

int ftarm_xmc_target(void);
extern u32 ftarm_xmc_insn[];

static DEFINE_MUTEX(counts_lock);
static unsigned long epoch;
static bool stop;
static atomic_t running;

static int runner(void *unused)
{
	unsigned long want, got, n = 0, s = 0;

	atomic_inc(&running);
	while (!READ_ONCE(stop)) {
		/* Pairs with the patcher's release: its IPI came before */
		want = smp_load_acquire(&epoch);
		got = ftarm_xmc_target();
		n++;
		if (got < want) {
			if (!s++ && cmpxchg(&stale_cpu, -1, raw_smp_processor_id()) == -1) {
				stale_got = got;
				stale_want = want;
			}
		}
		if (!(n & 1023))
			cond_resched();
	}
	mutex_lock(&counts_lock);
	calls += n;
	stale += s;
	mutex_unlock(&counts_lock);
	atomic_dec(&running);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ);
	return 0;
}

static unsigned long lookup(const char *name)
{
	static unsigned long (*kln)(const char *name);
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };

	if (!kln) {
		if (register_kprobe(&kp))
			return 0;
		kln = (void *)kp.addr;
		unregister_kprobe(&kp);
	}
	return kln(name);
}

static int __init ftarm_xmc_init(void)
{
	int (*patch)(void *addr, u32 insn);
	struct task_struct **threads;
	unsigned int k, nr = 0;
	int cpu, ret = 0;
	u32 insn;

	if (!rounds || rounds > 65535)
		return -EINVAL;
	patch = (void *)lookup("aarch64_insn_patch_text_nosync");
	if (!patch) {
		pr_err("no aarch64_insn_patch_text_nosync\n");
		return -ENOENT;
	}
	if (ftarm_xmc_target() != 0)
		return -EIO;
	threads = kcalloc(nr_cpu_ids, sizeof(*threads), GFP_KERNEL);
	if (!threads)
		return -ENOMEM;

	/*
	 * The patcher stays on its CPU: kick_all_cpus_sync() skips it, and the
	 * ISB of its own (after the write's cache maintenance) covers only it.
	 */
	migrate_disable();
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		if (cpu == smp_processor_id())
			continue;
		threads[cpu] = kthread_create_on_cpu(runner, NULL, cpu, "ftarm_xmc/%u");
		if (IS_ERR(threads[cpu])) {
			threads[cpu] = NULL;
			continue;
		}
		wake_up_process(threads[cpu]);
		nr++;
	}
	cpus_read_unlock();
	while (atomic_read(&running) < nr)
		msleep(1);

	for (k = 1; k <= rounds; k++) {
		insn = 0x52800000 | k << 5;	/* MOVZ W0, #k */
		ret = patch(ftarm_xmc_insn, insn);
		if (ret)
			break;
		kick_all_cpus_sync();
		isb();
		/* After the IPI: a runner that sees k has taken it */
		smp_store_release(&epoch, k);
		if (!(k & 255))
			cond_resched();
	}
	WRITE_ONCE(stop, true);
	migrate_enable();
	while (atomic_read(&running))
		msleep(1);
	for_each_possible_cpu(cpu)
		if (threads[cpu])
			kthread_stop(threads[cpu]);
	kfree(threads);
	pr_info("%u rounds on %u other CPU(s): %lu calls, %lu stale%s\n",
		k - 1, nr, calls, stale, ret ? " (a write failed)" : "");
	if (stale)
		pr_info("first stale call on CPU %d: returned %lu after loading %lu\n",
			stale_cpu, stale_got, stale_want);
	return ret;
}

static void __exit ftarm_xmc_exit(void)
{
}

module_init(ftarm_xmc_init);
module_exit(ftarm_xmc_exit);
MODULE_DESCRIPTION("Cross-modifying code without ftrace: does every CPU run the new instruction after its IPI?");
MODULE_LICENSE("GPL");
