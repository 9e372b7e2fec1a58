// SPDX-License-Identifier: MIT
/*
 * guest-fault / guest-refault: a tiny KVM guest (default VM type, 32-bit protected mode, no paging)
 * writes one byte to every page of a granule of a region backed by the job's path (gmem: guest_memfd
 * with MMAP|INIT_SHARED bound by KVM_SET_USER_MEMORY_REGION2; the others: their MAP_SHARED mapping),
 * then exits with an OUT. One sample is one KVM_RUN, timed from the host: entry, the guest's stage-2
 * faults on that granule (the host allocates, zeroes and maps the pages), and the exit.
 *   guest-fault    first touch of every granule of a fresh region
 *   guest-refault  the region is touched once (untimed), every other granule is punched
 *                  (FALLOC_FL_PUNCH_HOLE, which zaps KVM's mappings), and the punched ones are timed again
 * extra.exitOnlyNs is the median KVM_RUN that touches an already-mapped page, measured in every pass,
 * the lowest pass reported: the entry/exit cost to subtract (large under nested virtualization).
 */
#include "probe.h"

#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define CODE_GPA	0x0ULL
#define SCRATCH_GPA	(CODE_GPA + 0x8000)   /* a page of the code slot the baseline touches */
#define REGION_GPA	(1ULL << 30)
#define REGION_MAX	(2ULL << 30)          /* stays below 4 GiB: the guest has no paging */
#define IO_PORT		0x10
#define BASELINE_RUNS	64

/*
 * The guest, entered with ebx = first granule, esi = page size, edi = pages per granule, edx = bytes
 * to skip after each granule:
 *   0: mov ecx, edi        2: mov [ebx], al     4: add ebx, esi     6: dec ecx     7: jnz 2
 *   9: add ebx, edx       11: out 0x10, al     13: jmp 0
 */
static const unsigned char guest_code[] = {
	0x89, 0xf9, 0x88, 0x03, 0x01, 0xf3, 0x49, 0x75, 0xf9, 0x01, 0xd3, 0xe6, IO_PORT, 0xeb, 0xf1,
};

struct guest {
	char *code;
	size_t run_size;
	struct vcpu *vcpus;
	int nvcpus;
};

/*
 * The baseline of every pass, the lowest kept: other work on the machine only ever adds to a pass's
 * median, so the lowest is the entry/exit cost itself, not the moment one pass happened to meet.
 */
static struct {
	uint64_t exit_only_ns;   /* 0: no pass measured yet */
} stats;

static int guest_check(const struct job *job, struct outcome *o)
{
	if (job->region > REGION_MAX)
		return outcome_failed(o, EINVAL, "guest-fault region must be at most 2 GiB (the guest runs without "
				      "paging below 4 GiB); got %llu MiB", (unsigned long long)(job->region / MiB));
	if (access("/dev/kvm", R_OK | W_OK))
		return outcome_unsupported(o, "no /dev/kvm (access: %s)", errno_name(errno));
	return 0;
}

static void guest_teardown(const struct job *job, struct backing *b)
{
	struct guest *g = b->priv;

	(void)job;
	if (!g)
		return;
	vcpus_free(g->vcpus, g->nvcpus, g->run_size);
	if (g->code)
		munmap(g->code, GUEST_CODE_SIZE);
	free(g);
	b->priv = NULL;
}

static int guest_setup(const struct job *job, struct backing *b, struct outcome *o)
{
	struct guest *g = calloc(1, sizeof(*g));
	bool is_gmem = job->path_id == PATH_GMEM;

	PROBE_ASSERT(g, "guest state");
	b->priv = g;
	g->vcpus = vcpus_alloc(job->threads);
	g->nvcpus = job->threads;
	if (b->vm_fd < 0)
		return outcome_errno(o, b->vm_err, "KVM_CREATE_VM for the guest");
	g->run_size = (size_t)ioctl(b->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	g->code = guest_code_slot(b->vm_fd, guest_code, sizeof(guest_code), o);
	if (!g->code)
		return -1;
	if (kvm_set_memslot(b->vm_fd, 1, REGION_GPA, b->size, b->map, is_gmem ? b->fd : -1, 0))
		return outcome_errno(o, errno, "KVM_SET_USER_MEMORY_REGION2 (%s region of %llu bytes)", job->path,
				     (unsigned long long)b->size);
	return 0;
}

static int set_regs(struct vcpu *v, uint64_t rbx, uint64_t rsi, uint64_t rdi, uint64_t rdx, struct outcome *o)
{
	struct kvm_regs regs = { .rip = 0, .rflags = 2, .rbx = rbx, .rsi = rsi, .rdi = rdi, .rdx = rdx };

	if (ioctl(v->fd, KVM_SET_REGS, &regs))
		return outcome_errno(o, errno, "KVM_SET_REGS");
	return 0;
}

/* one KVM_RUN, which must end at the guest's OUT */
static int run_once(struct vcpu *v, struct outcome *o)
{
	if (vcpu_run(v, o))
		return -1;
	if (v->run->exit_reason != KVM_EXIT_IO || v->run->io.port != IO_PORT)
		return outcome_failed(o, 0, "KVM_RUN: unexpected exit reason %u%s", v->run->exit_reason,
				      v->run->exit_reason == 39 ? " (KVM_EXIT_MEMORY_FAULT)" : "");
	return 0;
}

/* the median KVM_RUN that touches an already-mapped page */
static int measure_exit_only(struct vcpu *v, struct outcome *o)
{
	uint64_t t[BASELINE_RUNS], t0;

	if (set_regs(v, SCRATCH_GPA, 0, 1, 0, o) || run_once(v, o))
		return -1;
	for (int i = 0; i < BASELINE_RUNS; i++) {
		t0 = now_ns();
		if (run_once(v, o))
			return -1;
		t[i] = now_ns() - t0;
	}
	qsort(t, BASELINE_RUNS, sizeof(t[0]), cmp_u64);
	if (!stats.exit_only_ns || t[BASELINE_RUNS / 2] < stats.exit_only_ns)
		stats.exit_only_ns = t[BASELINE_RUNS / 2];
	return 0;
}

/* untimed: a vCPU for this thread, the baseline, and the registers of the timed walk */
static int guest_prepare_walk(struct range *r, uint64_t skip, struct outcome *o)
{
	struct guest *g = r->b->priv;
	struct vcpu *v = &g->vcpus[r->index];
	uint64_t page = r->b->page_size;

	if (vcpu_open(r->b->vm_fd, r->index, g->run_size, v, o))
		return -1;
	if (r->index == 0 && measure_exit_only(v, o))
		return -1;
	return set_regs(v, REGION_GPA + r->off, page, r->granule / page, skip, o);
}

static int guest_fault_prepare(struct range *r, struct outcome *o)
{
	return guest_prepare_walk(r, 0, o);
}

/* touch the whole range once, punch every other granule, then walk the punched ones */
static int guest_refault_prepare(struct range *r, struct outcome *o)
{
	struct guest *g = r->b->priv;
	struct vcpu *v;

	if (guest_prepare_walk(r, 0, o))
		return -1;
	v = &g->vcpus[r->index];
	for (uint64_t off = 0; off < r->len; off += r->granule)
		if (run_once(v, o))
			return -1;
	for (uint64_t off = 0; off < r->len; off += 2 * r->granule)
		if (backing_punch(r->b, r->off + off, r->granule, o))
			return -1;
	return set_regs(v, REGION_GPA + r->off, r->b->page_size, r->granule / r->b->page_size, r->granule, o);
}

static int guest_run_timed(struct range *r, struct hist *h, struct outcome *o)
{
	struct guest *g = r->b->priv;
	struct vcpu *v = &g->vcpus[r->index];
	uint64_t t0, t1;

	t0 = now_ns();
	if (run_once(v, o))
		return -1;
	t1 = now_ns();
	hist_record(h, t1 - t0);
	return 0;
}

static int guest_fault_timed(struct range *r, uint64_t off, struct hist *h, struct outcome *o)
{
	(void)off;
	return guest_run_timed(r, h, o);
}

static int guest_refault_timed(struct range *r, uint64_t off, struct hist *h, struct outcome *o)
{
	if (((off - r->off) / r->granule) % 2)
		return 0;   /* not punched: the guest skips it */
	return guest_run_timed(r, h, o);
}

static void guest_extra(const struct job *job, FILE *f)
{
	(void)job;
	json_kv_num(f, "exitOnlyNs", (long long)stats.exit_only_ns, false);
}

/* the two guest ops differ only in what each timed call's guest does */
#define GUEST_OP(var, opname, prep, fn)                                                                          \
	const struct op var = { .name = opname, .need_mmap = true, .need_vm = true, .check = guest_check,            \
				.pass_setup = guest_setup, .pass_teardown = guest_teardown, .extra = guest_extra,        \
				.state = &stats, .state_size = sizeof(stats), .prepare = prep, .timed = fn }
GUEST_OP(op_guest_fault, "guest-fault", guest_fault_prepare, guest_fault_timed);
GUEST_OP(op_guest_refault, "guest-refault", guest_refault_prepare, guest_refault_timed);
