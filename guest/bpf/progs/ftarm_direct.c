// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF side of prog_tests/ftarm_direct.c: fentry, fexit and fmod_ret
 * programs that count the calls of the test process exactly, on a module
 * function (bpf_testmod_test_read(), reached by pread() of
 * /sys/kernel/bpf_testmod, whose offset and length the caller chooses)
 * and on a kernel function (bpf_fentry_test1(), called once by each
 * BPF_PROG_TEST_RUN of an fentry or fexit program).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

/* Set by user space: the test process, and the read length of its calls. */
int tgid;
__u64 read_len;

__u64 fentry_read, fexit_read, fexit_read_ret_ok, fmod_read;
long fexit_read_ret_want;
long fmod_read_ret;

__u64 fentry_k, fexit_k, fexit_k_ret_ok, fmod_k;

/* modify: every call of that length, and a second program to come and go. */
__u64 mod_len, mod_count, mod_other;

/* Churn: seen[off] is set by every call of the churn length at offset off. */
#define SEEN_MAX (1 << 18)
__u64 churn_len;
__u8 seen[SEEN_MAX];
/* For the report of a lost call: every run of churn_prog, and its last args */
__u64 churn_hits, churn_last_off, churn_last_len;

static bool mine(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == tgid;
}

SEC("fentry/bpf_testmod_test_read")
int BPF_PROG(fentry_read_prog, struct file *file, struct kobject *kobj,
	     struct bin_attribute *attr, char *buf, loff_t off, size_t len)
{
	if (mine() && len == read_len)
		__sync_fetch_and_add(&fentry_read, 1);
	return 0;
}

SEC("fexit/bpf_testmod_test_read")
int BPF_PROG(fexit_read_prog, struct file *file, struct kobject *kobj,
	     struct bin_attribute *attr, char *buf, loff_t off, size_t len,
	     ssize_t ret)
{
	if (!mine() || len != read_len)
		return 0;
	__sync_fetch_and_add(&fexit_read, 1);
	if (ret == fexit_read_ret_want)
		__sync_fetch_and_add(&fexit_read_ret_ok, 1);
	return 0;
}

SEC("fmod_ret/bpf_testmod_test_read")
int BPF_PROG(fmod_read_prog, struct file *file, struct kobject *kobj,
	     struct bin_attribute *attr, char *buf, loff_t off, size_t len,
	     ssize_t ret)
{
	if (!mine() || len != read_len)
		return 0;
	__sync_fetch_and_add(&fmod_read, 1);
	return fmod_read_ret;
}

SEC("fentry/bpf_fentry_test1")
int BPF_PROG(fentry_k_prog, int a)
{
	if (mine())
		__sync_fetch_and_add(&fentry_k, 1);
	return 0;
}

SEC("fexit/bpf_fentry_test1")
int BPF_PROG(fexit_k_prog, int a, int ret)
{
	if (!mine())
		return 0;
	__sync_fetch_and_add(&fexit_k, 1);
	if (a == 1 && ret == 2)
		__sync_fetch_and_add(&fexit_k_ret_ok, 1);
	return 0;
}

/* bpf_modify_return_test(a, b) does *b += 1 and returns a + *b. */
SEC("fmod_ret/bpf_modify_return_test")
int BPF_PROG(fmod_k_prog, int a, int *b, int ret)
{
	if (!mine())
		return 0;
	__sync_fetch_and_add(&fmod_k, 1);
	return 1234;
}

SEC("fentry/bpf_testmod_test_read")
int BPF_PROG(churn_prog, struct file *file, struct kobject *kobj,
	     struct bin_attribute *attr, char *buf, loff_t off, size_t len)
{
	__u64 i = off;

	__sync_fetch_and_add(&churn_hits, 1);
	if (mine()) {
		churn_last_off = off;
		churn_last_len = len;
	}
	if (!mine() || len != churn_len || i >= SEEN_MAX)
		return 0;
	seen[i] = 1;
	return 0;
}

/*
 * For the report of a lost call: copies PEEK_LEN bytes of kernel memory at
 * peek_addr (the callsite, its veneer and its slot) when the test process
 * calls bpf_fentry_test1() (a test run of this program).
 */
#define PEEK_LEN 32
__u64 peek_addr;
__u8 peek_buf[PEEK_LEN];
long peek_ret;

SEC("fentry/bpf_fentry_test1")
int BPF_PROG(peek_prog, int a)
{
	if (mine() && peek_addr)
		peek_ret = bpf_probe_read_kernel(peek_buf, sizeof(peek_buf),
						 (void *)peek_addr);
	return 0;
}

SEC("fentry/bpf_testmod_test_read")
int BPF_PROG(mod_count_prog, struct file *file, struct kobject *kobj,
	     struct bin_attribute *attr, char *buf, loff_t off, size_t len)
{
	if (mine() && len == mod_len)
		__sync_fetch_and_add(&mod_count, 1);
	return 0;
}

SEC("fexit/bpf_testmod_test_read")
int BPF_PROG(mod_other_prog, struct file *file, struct kobject *kobj,
	     struct bin_attribute *attr, char *buf, loff_t off, size_t len,
	     ssize_t ret)
{
	if (mine() && len == mod_len)
		__sync_fetch_and_add(&mod_other, 1);
	return 0;
}
