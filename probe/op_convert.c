// SPDX-License-Identifier: MIT
/*
 * Private<->shared conversion, modelled on what a VMM does (QEMU's kvm_convert_memory):
 *   to private: KVM_SET_MEMORY_ATTRIBUTES(PRIVATE) where the VM type has private memory, then discard
 *               the shared backing: fallocate(PUNCH_HOLE|KEEP_SIZE) on its memfd + madvise(DONTNEED)
 *   to shared:  KVM_SET_MEMORY_ATTRIBUTES(0) where available, then fallocate(PUNCH_HOLE|KEEP_SIZE) on
 *               the private backing (the guest_memfd; for the shmem path a memfd, as the 2022
 *               MFD_INACCESSIBLE design held private memory)
 * followed each time by the first touch of the new side (private: its allocation, as KVM's fault into
 * guest_memfd does; shared: a write to every page through the mapping).
 *
 * Every granule goes once around the whole cycle in each pass; each op times one part of it:
 *   to-private / to-shared          the attributes ioctl alone
 *   vmm-to-private / vmm-to-shared  the whole VMM sequence (ioctl where available + discard)
 *   touch-private / touch-shared    the first touch after the conversion
 * and every op checks integrity: data written to shared memory before the round trip must read back
 * as zero after it, never stale; a mismatch fails the row.
 */
#include "probe.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CONV_GPA	(4ULL << 30)   /* where the region sits in guest physical memory */
#define STALE_BYTE	0xa5

enum phase { P_ATTR_PRIVATE, P_VMM_PRIVATE, P_TOUCH_PRIVATE, P_ATTR_SHARED, P_VMM_SHARED, P_TOUCH_SHARED };

struct conv_pass {
	struct shared_side side;   /* the shared side, as the VMM keeps it */
	bool memslot;        /* the region is a memslot (so discards also zap KVM's mappings) */
	bool attrs;          /* the VM has private memory: KVM_SET_MEMORY_ATTRIBUTES is part of the sequence */
	bool skip_discard;   /* params.skipSharedDiscard: a deliberate bug, so tests see the integrity check fail */
};

/* what the result's "extra" reports, summed over passes and threads */
static struct {
	int vm_type;
	bool attrs, memslot;
	uint64_t pages_checked, stale_pages;
} stats = { .vm_type = -1 };

static unsigned long conv_vm_type(const struct job *job)
{
	(void)job;
	return kvm_private_vm_type_or_default();
}

static int conv_check(const struct job *job, struct outcome *o)
{
	if (job->path_id != PATH_SHMEM && job->path_id != PATH_GMEM)
		return outcome_unsupported(o, "conversion is modelled for shmem (private memory in a memfd, as the "
					   "2022 design) and gmem (guest_memfd); %s has no private/shared split", job->path);
	return 0;
}

static int attr_check(const struct job *job, struct outcome *o)
{
	char why[512];

	if (job->path_id != PATH_GMEM)
		return outcome_unsupported(o, "KVM_SET_MEMORY_ATTRIBUTES converts guest_memfd-bound memory; the shmem "
					   "path has no private fd upstream (MFD_INACCESSIBLE was not merged): see "
					   "vmm-to-private/vmm-to-shared for its modelled sequence");
	if (kvm_private_vm_type(why, sizeof(why)) < 0)
		return outcome_unsupported(o, "%s", why);
	return 0;
}

static void conv_teardown(const struct job *job, struct backing *b)
{
	struct conv_pass *p = b->priv;

	(void)job;
	if (!p)
		return;
	shared_side_close(&p->side, b->size);
	free(p);
	b->priv = NULL;
}

static int conv_setup(const struct job *job, struct backing *b, struct outcome *o)
{
	struct conv_pass *p = calloc(1, sizeof(*p));
	bool is_gmem = job->path_id == PATH_GMEM;

	PROBE_ASSERT(p, "conversion state");
	b->priv = p;
	if (shared_side_open(&p->side, b->size, o))
		return -1;
	/* a memslot over the region, as a VMM has: discards then also zap KVM's mappings */
	p->memslot = b->vm_fd >= 0 && !kvm_set_memslot(b->vm_fd, 0, CONV_GPA, b->size, p->side.map, is_gmem ? b->fd : -1, 0);
	/* before 6.18 only VMs with private memory take a guest_memfd memslot; such a VM answers 0 here */
	if (is_gmem && !p->memslot && errno == EINVAL && !kvm_check(b->vm_fd, KVM_CAP_GUEST_MEMFD))
		return outcome_unsupported(o, "a %s VM cannot bind a guest_memfd to a memslot on this kernel "
					   "(KVM_CAP_GUEST_MEMFD is 0 on the VM; default VMs can since 6.18)",
					   kvm_vm_type_name((int)b->vm_type));
	if (is_gmem && !p->memslot)
		return outcome_errno(o, errno, "KVM_SET_USER_MEMORY_REGION2 binding the guest_memfd (VM type %s)",
				     kvm_vm_type_name((int)b->vm_type));
	p->attrs = is_gmem && b->vm_type != KVM_X86_DEFAULT_VM;
	p->skip_discard = job_param(job, "skipSharedDiscard", 0) != 0;
	stats.vm_type = (int)b->vm_type;
	stats.attrs = p->attrs;
	stats.memslot = p->memslot;
	return 0;
}

/* untimed, per thread: the shared side starts populated with data that must not survive */
static int conv_prepare(struct range *r, struct outcome *o)
{
	struct conv_pass *p = r->b->priv;

	(void)o;
	memset(p->side.map + r->off, STALE_BYTE, r->len);
	return 0;
}

static int set_attrs(struct backing *b, uint64_t off, uint64_t len, uint64_t attrs, struct outcome *o)
{
	struct conv_pass *p = b->priv;

	if (!p->attrs)
		return 0;
	if (kvm_set_attributes(b->vm_fd, CONV_GPA + off, len, attrs))
		return outcome_errno(o, errno, "KVM_SET_MEMORY_ATTRIBUTES(%s) at offset %llu", attrs ? "PRIVATE" : "0",
				     (unsigned long long)off);
	return 0;
}

static int discard_shared(struct conv_pass *p, uint64_t off, uint64_t len, struct outcome *o)
{
	if (p->skip_discard)
		return 0;
	return shared_side_discard(&p->side, off, len, o);
}

static void touch_shared(struct conv_pass *p, uint64_t off, uint64_t len, uint64_t page)
{
	volatile char *s = p->side.map + off;

	for (uint64_t i = 0; i < len; i += page)
		s[i] = 1;
}

/* after the round trip and the touch (which wrote byte 0 of each page) the rest reads as zero */
static int check_integrity(struct conv_pass *p, uint64_t off, uint64_t len, uint64_t page, struct outcome *o)
{
	uint64_t stale = 0, first = 0;

	for (uint64_t i = 0; i < len; i += page) {
		unsigned char a = (unsigned char)p->side.map[off + i + 1], z = (unsigned char)p->side.map[off + i + page - 1];

		if (a || z) {
			if (!stale++)
				first = off + i;
		}
	}
	__atomic_fetch_add(&stats.pages_checked, len / page, __ATOMIC_RELAXED);   /* warm-ups are checked too */
	if (!stale)
		return 0;
	__atomic_fetch_add(&stats.stale_pages, stale, __ATOMIC_RELAXED);
	return outcome_failed(o, 0, "integrity: %llu page(s) read stale data after a shared->private->shared round "
			      "trip (first at offset %llu; expected zero-fill)", (unsigned long long)stale,
			      (unsigned long long)first);
}

/* one granule once around the cycle; only the part `timed` names is recorded */
static int conv_cycle(struct range *r, uint64_t off, enum phase timed, struct hist *h, struct outcome *o)
{
	struct backing *b = r->b;
	struct conv_pass *p = b->priv;
	uint64_t len = r->granule, page = b->page_size, t0, t1, t2;

	t0 = now_ns();
	if (set_attrs(b, off, len, KVM_MEMORY_ATTRIBUTE_PRIVATE, o))
		return -1;
	t1 = now_ns();
	if (discard_shared(p, off, len, o))
		return -1;
	t2 = now_ns();
	if (timed == P_ATTR_PRIVATE || timed == P_VMM_PRIVATE)
		hist_record(h, timed == P_ATTR_PRIVATE ? t1 - t0 : t2 - t0);

	t0 = now_ns();
	if (backing_populate(b, off, len, o))
		return -1;
	t1 = now_ns();
	if (timed == P_TOUCH_PRIVATE)
		hist_record(h, t1 - t0);

	t0 = now_ns();
	if (set_attrs(b, off, len, 0, o))
		return -1;
	t1 = now_ns();
	if (backing_punch(b, off, len, o))
		return -1;
	t2 = now_ns();
	if (timed == P_ATTR_SHARED || timed == P_VMM_SHARED)
		hist_record(h, timed == P_ATTR_SHARED ? t1 - t0 : t2 - t0);

	t0 = now_ns();
	touch_shared(p, off, len, page);
	t1 = now_ns();
	if (timed == P_TOUCH_SHARED)
		hist_record(h, t1 - t0);
	return check_integrity(p, off, len, page, o);
}

static void conv_extra(const struct job *job, FILE *f)
{
	(void)job;
	json_kv_str(f, "vmType", stats.vm_type < 0 ? NULL : kvm_vm_type_name(stats.vm_type), false);
	fprintf(f, ",\"attributesIoctl\":%s,\"memslot\":%s", stats.attrs ? "true" : "false",
		stats.memslot ? "true" : "false");
	json_kv_num(f, "integrityPages", (long long)stats.pages_checked, true);
	json_kv_num(f, "stalePages", (long long)stats.stale_pages, true);
}

#define CONV_TIMED(fn, ph) \
	static int fn(struct range *r, uint64_t off, struct hist *h, struct outcome *o) \
	{ return conv_cycle(r, off, ph, h, o); }
CONV_TIMED(attr_private_timed, P_ATTR_PRIVATE)
CONV_TIMED(vmm_private_timed, P_VMM_PRIVATE)
CONV_TIMED(touch_private_timed, P_TOUCH_PRIVATE)
CONV_TIMED(attr_shared_timed, P_ATTR_SHARED)
CONV_TIMED(vmm_shared_timed, P_VMM_SHARED)
CONV_TIMED(touch_shared_timed, P_TOUCH_SHARED)

#define CONV_OP(var, opname, chk, fn) \
	const struct op var = { .name = opname, .need_vm = true, .check = chk, .vm_type = conv_vm_type, .pass_setup = conv_setup, \
				.pass_teardown = conv_teardown, .extra = conv_extra, .prepare = conv_prepare, .timed = fn, \
				.state = &stats, .state_size = sizeof(stats) }
CONV_OP(op_to_private, "to-private", attr_check, attr_private_timed);
CONV_OP(op_to_shared, "to-shared", attr_check, attr_shared_timed);
CONV_OP(op_vmm_to_private, "vmm-to-private", conv_check, vmm_private_timed);
CONV_OP(op_vmm_to_shared, "vmm-to-shared", conv_check, vmm_shared_timed);
CONV_OP(op_touch_private, "touch-private", conv_check, touch_private_timed);
CONV_OP(op_touch_shared, "touch-shared", conv_check, touch_shared_timed);
