// SPDX-License-Identifier: MIT
/*
 * guest-convert: a conversion as a confidential guest asks for it. A tiny guest on a VM with private
 * memory (sw-protected) issues KVM_HC_MAP_GPA_RANGE for one granule; with KVM_CAP_EXIT_HYPERCALL
 * enabled for that hypercall, KVM exits to the probe with KVM_EXIT_HYPERCALL, and the probe answers
 * as a VMM does (QEMU's kvm_convert_memory):
 *   to private: KVM_SET_MEMORY_ATTRIBUTES(PRIVATE), then discard the shared backing
 *               (fallocate(PUNCH_HOLE|KEEP_SIZE) on its memfd + madvise(MADV_DONTNEED))
 *   to shared:  KVM_SET_MEMORY_ATTRIBUTES(0), then fallocate(PUNCH_HOLE|KEEP_SIZE) on the guest_memfd
 * and re-enters; the guest then writes every page of the range (its faults land on the new side).
 * One sample is one round trip as the guest sees it: rdtsc before its hypercall to rdtsc after it
 * resumes (exit, the probe's handling, re-entry), converted with KVM_GET_TSC_KHZ. Each granule goes
 * shared -> private -> shared once per pass: two samples per granule.
 * Integrity: after the private touch the shared memfd must read zero (the guest's private writes did
 * not land there and the stale shared data was discarded); after the shared touch each page holds the
 * guest's byte 0 and zero elsewhere.
 * Modelled on the kernel's x86/private_mem_conversions_test (which checks the flow, not its time).
 */
#include "probe.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef KVM_HC_MAP_GPA_RANGE
#define KVM_HC_MAP_GPA_RANGE 12
#endif
#ifndef KVM_CAP_EXIT_HYPERCALL
#define KVM_CAP_EXIT_HYPERCALL 201
#endif
#define MAP_GPA_ENCRYPTED	(1ULL << 4)   /* KVM_MAP_GPA_RANGE_ENCRYPTED */

#define CODE_GPA	0x0ULL
#define SCRATCH_OFF	0x8000ULL              /* per-vCPU 256-byte records in the code slot */
#define REGION_GPA	(1ULL << 30)
#define REGION_MAX	(2ULL << 30)          /* below 4 GiB: the guest runs without paging */
#define IO_PORT		0x10
#define STALE_BYTE	0xa5
#define PRIVATE_BYTE	0x3c
#define SHARED_BYTE	0x5a

/*
 * The guest, 32-bit protected mode without paging, entered at 0 with ebx = gpa, edi = pages,
 * ebp = MAP_GPA_RANGE attributes, esi = page size, esp = its scratch record (no stack is used):
 *   +0 tsc before the hypercall  +8 tsc after it  +16 tsc after the touch  +24 hypercall return
 *   +32 the byte to write into each page
 */
__asm__(".pushsection .rodata\n"
	".code32\n"
	"gc_start:\n"
	"	rdtsc\n"
	"	mov %eax, 0(%esp)\n"
	"	mov %edx, 4(%esp)\n"
	"	mov $12, %eax\n"              /* KVM_HC_MAP_GPA_RANGE */
	"	mov %edi, %ecx\n"
	"	mov %ebp, %edx\n"
	"gc_hcall:\n"
	"	vmcall\n"                     /* patched to vmmcall on AMD */
	"	mov %eax, 24(%esp)\n"
	"	rdtsc\n"
	"	mov %eax, 8(%esp)\n"
	"	mov %edx, 12(%esp)\n"
	"	movb 32(%esp), %dl\n"
	"	mov %ebx, %eax\n"
	"	mov %edi, %ecx\n"
	"gc_touch:\n"
	"	movb %dl, (%eax)\n"
	"	add %esi, %eax\n"
	"	dec %ecx\n"
	"	jnz gc_touch\n"
	"	rdtsc\n"
	"	mov %eax, 16(%esp)\n"
	"	mov %edx, 20(%esp)\n"
	"	out %al, $0x10\n"
	"	jmp gc_start\n"
	"gc_end:\n"
	".code64\n"
	".popsection\n");
extern const unsigned char gc_start[], gc_hcall[], gc_end[];

struct gc_record {
	uint64_t tsc_req, tsc_resume, tsc_touched, hc_ret;
	uint8_t touch;
};

struct gc_pass {
	char *code;
	struct shared_side side;
	size_t run_size;
	struct vcpu *vcpus;
	int nvcpus;
	uint64_t tsc_khz;
};

/* summed over passes and threads, for the result's "extra" */
static struct {
	int vm_type;
	uint64_t tsc_khz, hypercalls, vmm_ns[2], touch_ns[2], rounds[2], pages_checked, stale_pages;
	char hypercall_insn[8];
} stats = { .vm_type = -1 };

static unsigned long gc_vm_type(const struct job *job)
{
	(void)job;
	return kvm_private_vm_type_or_default();
}

static int gc_check(const struct job *job, struct outcome *o)
{
	char why[512];
	int type;

	if (job->path_id != PATH_GMEM)
		return outcome_unsupported(o, "guest-convert converts guest_memfd-bound memory (KVM_HC_MAP_GPA_RANGE on a "
					   "VM with private memory); %s has no private side upstream", job->path);
	if (job->region > REGION_MAX)
		return outcome_failed(o, EINVAL, "guest-convert region must be at most 2 GiB (the guest runs without "
				      "paging below 4 GiB); got %llu MiB", (unsigned long long)(job->region / MiB));
	if (job->threads * 256 > (int)(GUEST_CODE_SIZE - SCRATCH_OFF))
		return outcome_failed(o, EINVAL, "guest-convert runs at most %d vCPUs", (int)((GUEST_CODE_SIZE - SCRATCH_OFF) / 256));
	type = kvm_private_vm_type(why, sizeof(why));
	if (type < 0)
		return outcome_unsupported(o, "%s", why);
	if (type != KVM_X86_SW_PROTECTED_VM)
		return outcome_unsupported(o, "guest-convert's tiny guest runs on sw-protected VMs only; a %s guest needs "
					   "its launch flow (measured, encrypted boot state) before it can run",
					   kvm_vm_type_name(type));
	return 0;
}

/* Intel has vmcall, AMD vmmcall (KVM would emulate the other, but patch it first: no #UD exit) */
static bool cpu_is_amd(void)
{
	unsigned int a = 0, b, c, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
	return b == 0x68747541;   /* "Auth"enticAMD */
}

static void gc_teardown(const struct job *job, struct backing *b)
{
	struct gc_pass *p = b->priv;

	(void)job;
	if (!p)
		return;
	vcpus_free(p->vcpus, p->nvcpus, p->run_size);
	if (p->code)
		munmap(p->code, GUEST_CODE_SIZE);
	shared_side_close(&p->side, b->size);
	free(p);
	b->priv = NULL;
}

static int gc_setup(const struct job *job, struct backing *b, struct outcome *o)
{
	struct gc_pass *p = calloc(1, sizeof(*p));
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_HYPERCALL, .args = { 1ULL << KVM_HC_MAP_GPA_RANGE } };
	bool amd = cpu_is_amd();

	PROBE_ASSERT(p, "guest-convert state");
	b->priv = p;
	p->side.fd = -1;
	p->vcpus = vcpus_alloc(job->threads);
	p->nvcpus = job->threads;
	stats.vm_type = (int)b->vm_type;
	if (!(kvm_check(b->vm_fd, KVM_CAP_EXIT_HYPERCALL) & (1 << KVM_HC_MAP_GPA_RANGE)))
		return outcome_unsupported(o, "KVM_CAP_EXIT_HYPERCALL lacks KVM_HC_MAP_GPA_RANGE (reports %#x)",
					   kvm_check(b->vm_fd, KVM_CAP_EXIT_HYPERCALL));
	if (ioctl(b->vm_fd, KVM_ENABLE_CAP, &cap))
		return outcome_errno(o, errno, "KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL, MAP_GPA_RANGE)");
	p->run_size = (size_t)ioctl(b->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	p->code = guest_code_slot(b->vm_fd, gc_start, (size_t)(gc_end - gc_start), o);
	if (!p->code)
		return -1;
	if (amd)
		p->code[gc_hcall - gc_start + 2] = (char)0xd9;   /* 0f 01 c1 vmcall -> 0f 01 d9 vmmcall */
	snprintf(stats.hypercall_insn, sizeof(stats.hypercall_insn), "%s", amd ? "vmmcall" : "vmcall");
	if (shared_side_open(&p->side, b->size, o))
		return -1;
	if (kvm_set_memslot(b->vm_fd, 1, REGION_GPA, b->size, p->side.map, b->fd, 0))
		return outcome_errno(o, errno, "KVM_SET_USER_MEMORY_REGION2 binding the guest_memfd (VM type %s)",
				     kvm_vm_type_name((int)b->vm_type));
	return 0;
}

static struct gc_record *record_of(struct gc_pass *p, int index)
{
	return (struct gc_record *)(void *)(p->code + SCRATCH_OFF + 256 * (uint64_t)index);
}

/* untimed, per thread: its vCPU, and the shared side filled with data that must not survive */
static int gc_prepare(struct range *r, struct outcome *o)
{
	struct gc_pass *p = r->b->priv;
	struct vcpu *v = &p->vcpus[r->index];
	int khz;

	if (vcpu_open(r->b->vm_fd, r->index, p->run_size, v, o))
		return -1;
	khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0)
		return outcome_errno(o, khz < 0 ? errno : EINVAL, "KVM_GET_TSC_KHZ (converts the guest's rdtsc)");
	p->tsc_khz = (uint64_t)khz;
	stats.tsc_khz = (uint64_t)khz;
	memset(p->side.map + r->off, STALE_BYTE, r->len);
	return 0;
}

/* what the VMM does on the exit; returns its time in ns */
static int vmm_convert(struct backing *b, struct gc_pass *p, uint64_t gpa, uint64_t len, bool to_private,
		       uint64_t *ns, struct outcome *o)
{
	uint64_t off = gpa - REGION_GPA, t0 = now_ns();

	if (kvm_set_attributes(b->vm_fd, gpa, len, to_private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0))
		return outcome_errno(o, errno, "KVM_SET_MEMORY_ATTRIBUTES(%s) answering MAP_GPA_RANGE at gpa %#llx",
				     to_private ? "PRIVATE" : "0", (unsigned long long)gpa);
	if (to_private) {
		if (shared_side_discard(&p->side, off, len, o))
			return -1;
	} else if (backing_punch(b, off, len, o)) {
		return -1;
	}
	*ns = now_ns() - t0;
	return 0;
}

static uint64_t tsc_ns(const struct gc_pass *p, uint64_t ticks)
{
	return ticks * 1000000ULL / p->tsc_khz;
}

/* one guest request and its answer; records the round trip */
static int round_trip(struct range *r, uint64_t off, bool to_private, struct hist *h, struct outcome *o)
{
	struct backing *b = r->b;
	struct gc_pass *p = b->priv;
	struct vcpu *v = &p->vcpus[r->index];
	volatile struct gc_record *rec = record_of(p, r->index);
	uint64_t gpa = REGION_GPA + off, page = b->page_size, vmm_ns = 0;
	struct kvm_regs regs = { .rip = CODE_GPA, .rflags = 2, .rbx = gpa, .rdi = r->granule / page,
				 .rbp = to_private ? MAP_GPA_ENCRYPTED : 0, .rsi = page,
				 .rsp = SCRATCH_OFF + 256 * (uint64_t)r->index };

	rec->touch = to_private ? PRIVATE_BYTE : SHARED_BYTE;
	if (ioctl(v->fd, KVM_SET_REGS, &regs))
		return outcome_errno(o, errno, "KVM_SET_REGS");
	if (vcpu_run(v, o))
		return -1;
	if (v->run->exit_reason != KVM_EXIT_HYPERCALL || v->run->hypercall.nr != KVM_HC_MAP_GPA_RANGE)
		return outcome_failed(o, 0, "KVM_RUN: expected KVM_EXIT_HYPERCALL(MAP_GPA_RANGE), got exit %u (nr %llu)",
				      v->run->exit_reason, (unsigned long long)v->run->hypercall.nr);
	if (v->run->hypercall.args[0] != gpa || v->run->hypercall.args[1] != r->granule / page)
		return outcome_failed(o, 0, "MAP_GPA_RANGE exit for gpa %#llx, %llu pages; the guest asked for %#llx, %llu",
				      (unsigned long long)v->run->hypercall.args[0], (unsigned long long)v->run->hypercall.args[1],
				      (unsigned long long)gpa, (unsigned long long)(r->granule / page));
	if (vmm_convert(b, p, gpa, r->granule, (v->run->hypercall.args[2] & MAP_GPA_ENCRYPTED) != 0, &vmm_ns, o))
		return -1;
	v->run->hypercall.ret = 0;
	if (vcpu_run(v, o))
		return -1;
	if (v->run->exit_reason != KVM_EXIT_IO || v->run->io.port != IO_PORT)
		return outcome_failed(o, 0, "KVM_RUN after the conversion: exit reason %u%s, not the guest's OUT",
				      v->run->exit_reason, v->run->exit_reason == 39 ? " (KVM_EXIT_MEMORY_FAULT)" : "");
	if (rec->hc_ret)
		return outcome_failed(o, 0, "the guest's MAP_GPA_RANGE returned %lld", (long long)rec->hc_ret);
	hist_record(h, tsc_ns(p, rec->tsc_resume - rec->tsc_req));
	if (!b->warmup) {
		__atomic_fetch_add(&stats.hypercalls, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&stats.rounds[to_private], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&stats.vmm_ns[to_private], vmm_ns, __ATOMIC_RELAXED);
		__atomic_fetch_add(&stats.touch_ns[to_private], tsc_ns(p, rec->tsc_touched - rec->tsc_resume),
				   __ATOMIC_RELAXED);
	}
	return 0;
}

/* after the private touch: the shared memfd reads zero (pread of a hole does not allocate);
 * after the shared touch: byte 0 is the guest's, the rest zero */
static int check_integrity(struct range *r, uint64_t off, bool after_private, struct outcome *o)
{
	struct gc_pass *p = r->b->priv;
	uint64_t page = r->b->page_size, stale = 0, first = 0;

	for (uint64_t i = 0; i < r->granule; i += page) {
		unsigned char a, z, want0 = after_private ? 0 : SHARED_BYTE;

		if (after_private) {
			if (pread(p->side.fd, &a, 1, (off_t)(off + i)) != 1 ||
			    pread(p->side.fd, &z, 1, (off_t)(off + i + page - 1)) != 1)
				return outcome_errno(o, errno, "pread(shared) checking offset %llu", (unsigned long long)(off + i));
		} else {
			a = (unsigned char)p->side.map[off + i];
			z = (unsigned char)p->side.map[off + i + page - 1];
		}
		if (a != want0 || z || (!after_private && p->side.map[off + i + 1])) {
			if (!stale++)
				first = off + i;
		}
	}
	__atomic_fetch_add(&stats.pages_checked, r->granule / page, __ATOMIC_RELAXED);
	if (!stale)
		return 0;
	__atomic_fetch_add(&stats.stale_pages, stale, __ATOMIC_RELAXED);
	return outcome_failed(o, 0, "integrity: %llu page(s) of the shared side wrong after the guest's %s touch (first at "
			      "offset %llu)", (unsigned long long)stale, after_private ? "private" : "shared",
			      (unsigned long long)first);
}

static int gc_timed(struct range *r, uint64_t off, struct hist *h, struct outcome *o)
{
	if (round_trip(r, off, true, h, o) || check_integrity(r, off, true, o))
		return -1;
	if (round_trip(r, off, false, h, o) || check_integrity(r, off, false, o))
		return -1;
	return 0;
}

static long long mean(uint64_t sum, uint64_t n)
{
	return n ? (long long)(sum / n) : 0;
}

static void gc_extra(const struct job *job, FILE *f)
{
	(void)job;
	json_kv_str(f, "vmType", stats.vm_type < 0 ? NULL : kvm_vm_type_name(stats.vm_type), false);
	json_kv_str(f, "hypercall", stats.hypercall_insn[0] ? stats.hypercall_insn : NULL, true);
	json_kv_num(f, "tscKhz", (long long)stats.tsc_khz, true);
	json_kv_num(f, "hypercalls", (long long)stats.hypercalls, true);
	json_kv_num(f, "toPrivateVmmNs", mean(stats.vmm_ns[1], stats.rounds[1]), true);
	json_kv_num(f, "toSharedVmmNs", mean(stats.vmm_ns[0], stats.rounds[0]), true);
	json_kv_num(f, "privateTouchNs", mean(stats.touch_ns[1], stats.rounds[1]), true);
	json_kv_num(f, "sharedTouchNs", mean(stats.touch_ns[0], stats.rounds[0]), true);
	json_kv_num(f, "integrityPages", (long long)stats.pages_checked, true);
	json_kv_num(f, "stalePages", (long long)stats.stale_pages, true);
}

const struct op op_guest_convert = {
	.name = "guest-convert",
	.check = gc_check,
	.vm_type = gc_vm_type,
	.pass_setup = gc_setup,
	.pass_teardown = gc_teardown,
	.extra = gc_extra,
	.state = &stats,
	.state_size = sizeof(stats),
	.prepare = gc_prepare,
	.timed = gc_timed,
};
