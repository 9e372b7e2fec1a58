// SPDX-License-Identifier: MIT
/*
 * The vCPUs of the probe's tiny guests (guest-fault, guest-refault, guest-convert), as the KVM
 * selftests' kvm_util does it: a vCPU per thread in flat 32-bit protected mode without paging, its
 * kvm_run mapped, KVM_RUN retried on EINTR, and a code slot at guest physical 0.
 */
#include "probe.h"

#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

struct vcpu *vcpus_alloc(int n)
{
	struct vcpu *v = calloc((size_t)n, sizeof(*v));

	PROBE_ASSERT(v, "vcpu table");
	for (int i = 0; i < n; i++)
		v[i].fd = -1;
	return v;
}

void vcpus_free(struct vcpu *v, int n, size_t run_size)
{
	if (!v)
		return;
	for (int i = 0; i < n; i++) {
		if (v[i].run)
			munmap(v[i].run, run_size);
		if (v[i].fd >= 0)
			close(v[i].fd);
	}
	free(v);
}

/* flat 32-bit protected mode, no paging, caches on */
static void protected_mode(struct kvm_sregs *s)
{
	struct kvm_segment seg = {
		.base = 0, .limit = 0xffffffff, .selector = 1 << 3, .present = 1, .type = 11,
		.dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};

	s->cr0 = 0x11;   /* PE | ET */
	s->cs = seg;
	seg.type = 3;
	seg.selector = 2 << 3;
	s->ds = s->es = s->fs = s->gs = s->ss = seg;
}

int vcpu_open(int vm_fd, int index, size_t run_size, struct vcpu *v, struct outcome *o)
{
	struct kvm_sregs sregs;

	v->fd = ioctl(vm_fd, KVM_CREATE_VCPU, index);
	if (v->fd < 0)
		return outcome_errno(o, errno, "KVM_CREATE_VCPU(%d)", index);
	v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return outcome_errno(o, errno, "mmap(kvm_run)");
	}
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs))
		return outcome_errno(o, errno, "KVM_GET_SREGS");
	protected_mode(&sregs);
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs))
		return outcome_errno(o, errno, "KVM_SET_SREGS");
	return 0;
}

int vcpu_run(struct vcpu *v, struct outcome *o)
{
	int ret;

	do {
		ret = ioctl(v->fd, KVM_RUN, 0);
	} while (ret && errno == EINTR);
	if (ret)
		return outcome_errno(o, errno, "KVM_RUN");
	return 0;
}

char *guest_code_slot(int vm_fd, const void *code, size_t len, struct outcome *o)
{
	char *slot = mmap(NULL, GUEST_CODE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	PROBE_ASSERT(slot != MAP_FAILED, "code mapping");
	PROBE_ASSERT(len <= GUEST_CODE_SIZE, "guest code fits its slot");
	memcpy(slot, code, len);
	if (kvm_set_memslot(vm_fd, 0, 0, GUEST_CODE_SIZE, slot, -1, 0)) {
		outcome_errno(o, errno, "KVM_SET_USER_MEMORY_REGION2 (code slot)");
		munmap(slot, GUEST_CODE_SIZE);
		return NULL;
	}
	return slot;
}
