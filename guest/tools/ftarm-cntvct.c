// SPDX-License-Identifier: GPL-2.0
/*
 * ftarm-cntvct: print the guest's virtual counter (CNTVCT_EL0) in
 * nanoseconds since the counter started, that is since QEMU reset the
 * machine. Under QEMU -icount shift=0 a guest nanosecond is an executed
 * instruction (plus the idle time the clock skips), from the first
 * instruction of the kernel on, where the kernel's own timestamps start
 * only once its sched_clock is registered (time_init()), after
 * ftrace_init() has run. Linux lets user space read the counter.
 */
#include <stdint.h>
#include <stdio.h>

int main(void)
{
	uint64_t cnt, freq;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(cnt));
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	if (!freq) {
		fprintf(stderr, "ftarm-cntvct: CNTFRQ_EL0 is 0\n");
		return 1;
	}
	printf("%llu\n", (unsigned long long)(cnt / freq * 1000000000ull +
					     cnt % freq * 1000000000ull / freq));
	return 0;
}
