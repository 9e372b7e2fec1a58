// SPDX-License-Identifier: MIT
/*
 * The set-up a confidential VM type needs before a guest_memfd memslot and the attributes ioctl work
 * on it, following the kernel's KVM selftests (lib/x86/sev.c, and the TDX series' tdx_util.c):
 *   sw-protected  nothing
 *   snp           KVM_SEV_INIT2 through KVM_MEMORY_ENCRYPT_OP, with an open /dev/sev
 *   tdx           KVM_TDX_CAPABILITIES, then KVM_TDX_INIT_VM before any vCPU, its CPUID the
 *                 host's supported CPUID limited to the bits the TDX module lets a VMM configure
 * None of this has run on SNP or TDX hardware (none was at hand): a failure names the step, the
 * errno and the firmware's or module's own error code, so that a report from such a host says which
 * step to look at. The guests these ops run are never launched (no SNP_LAUNCH_*, no TD finalize):
 * what is measured is the host side of the conversion.
 * Installed headers may predate all of it (6.1): the UAPI is defined here, from the kernel's
 * arch/x86/include/uapi/asm/kvm.h.
 */
#include "probe.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define GMB_KVM_SEV_INIT2		22   /* enum sev_cmd_id, 6.10 */
#define GMB_KVM_TDX_CAPABILITIES	0    /* enum kvm_tdx_cmd_id, 6.16 */
#define GMB_KVM_TDX_INIT_VM		1
#define CPUID_ENTRIES			256
#define XFEATURE_MASK_FPSSE		0x3ULL   /* x87 and SSE: what every TD needs */

struct gmb_sev_cmd {
	uint32_t id, pad0;
	uint64_t data;
	uint32_t error, sev_fd;
};

struct gmb_sev_init {
	uint64_t vmsa_features;
	uint32_t flags;
	uint16_t ghcb_version, pad1;
	uint32_t pad2[8];
};

struct gmb_tdx_cmd {
	uint32_t id, flags;
	uint64_t data, hw_error;
};

struct gmb_cpuid2 {
	uint32_t nent, padding;
	struct kvm_cpuid_entry2 entries[CPUID_ENTRIES];
};

struct gmb_tdx_capabilities {
	uint64_t supported_attrs, supported_xfam;
	uint64_t reserved[254];
	struct gmb_cpuid2 cpuid;   /* the configurable bits of each leaf the module lets a VMM set */
};

struct gmb_tdx_init_vm {
	uint64_t attributes, xfam;
	uint64_t mrconfigid[6], mrowner[6], mrownerconfig[6];
	uint64_t reserved[12];
	struct gmb_cpuid2 cpuid;
};

static int snp_setup(int vm_fd, struct outcome *o)
{
	struct gmb_sev_init init;
	struct gmb_sev_cmd cmd;
	int sev = open("/dev/sev", O_RDWR | O_CLOEXEC), r, err;

	if (sev < 0)
		return outcome_errno(o, errno, "SNP set-up, step 1 of 1: open(/dev/sev) for KVM_SEV_INIT2");
	memset(&init, 0, sizeof(init));   /* ghcb_version 0: KVM's default for the type */
	memset(&cmd, 0, sizeof(cmd));
	cmd.id = GMB_KVM_SEV_INIT2;
	cmd.data = (uint64_t)(uintptr_t)&init;
	cmd.sev_fd = (uint32_t)sev;
	r = ioctl(vm_fd, KVM_MEMORY_ENCRYPT_OP, &cmd);
	err = errno;
	close(sev);
	if (r)
		return outcome_errno(o, err, "SNP set-up, step 1 of 1: KVM_MEMORY_ENCRYPT_OP(KVM_SEV_INIT2), firmware error %u",
				     cmd.error);
	return 0;
}

static int tdx_op(int vm_fd, uint32_t id, void *data, uint64_t *hw_error)
{
	struct gmb_tdx_cmd cmd;
	int r;

	memset(&cmd, 0, sizeof(cmd));
	cmd.id = id;
	cmd.data = (uint64_t)(uintptr_t)data;
	r = ioctl(vm_fd, KVM_MEMORY_ENCRYPT_OP, &cmd);
	*hw_error = cmd.hw_error;
	return r;
}

/* The host's supported value of a leaf, limited to the bits the module lets a VMM configure. */
static void tdx_cpuid(struct gmb_cpuid2 *out, const struct gmb_cpuid2 *configurable, const struct gmb_cpuid2 *host)
{
	out->nent = 0;
	for (uint32_t i = 0; i < configurable->nent; i++) {
		const struct kvm_cpuid_entry2 *c = &configurable->entries[i];

		for (uint32_t j = 0; j < host->nent; j++) {
			const struct kvm_cpuid_entry2 *h = &host->entries[j];
			struct kvm_cpuid_entry2 *e;

			if (h->function != c->function || h->index != c->index)
				continue;
			e = &out->entries[out->nent++];
			*e = *h;
			e->eax &= c->eax;
			e->ebx &= c->ebx;
			e->ecx &= c->ecx;
			e->edx &= c->edx;
			break;
		}
	}
}

static int tdx_setup(int kvm_fd, int vm_fd, struct outcome *o)
{
	struct gmb_tdx_capabilities *caps = calloc(1, sizeof(*caps));
	struct gmb_tdx_init_vm *init = calloc(1, sizeof(*init));
	struct gmb_cpuid2 *host = calloc(1, sizeof(*host));
	uint64_t hw_error = 0;
	int ret = -1;

	if (!caps || !init || !host) {
		outcome_errno(o, ENOMEM, "TDX set-up: buffers for the CPUID");
		goto out;
	}
	caps->cpuid.nent = CPUID_ENTRIES;
	if (tdx_op(vm_fd, GMB_KVM_TDX_CAPABILITIES, caps, &hw_error)) {
		outcome_errno(o, errno, "TDX set-up, step 1 of 3: KVM_TDX_CAPABILITIES, TDX module error %#llx",
			      (unsigned long long)hw_error);
		goto out;
	}
	host->nent = CPUID_ENTRIES;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, host)) {
		outcome_errno(o, errno, "TDX set-up, step 2 of 3: KVM_GET_SUPPORTED_CPUID");
		goto out;
	}
	init->attributes = 0;   /* no debug, no perfmon: the plainest TD */
	init->xfam = caps->supported_xfam & XFEATURE_MASK_FPSSE;
	tdx_cpuid(&init->cpuid, &caps->cpuid, host);
	if (tdx_op(vm_fd, GMB_KVM_TDX_INIT_VM, init, &hw_error)) {
		outcome_errno(o, errno, "TDX set-up, step 3 of 3: KVM_TDX_INIT_VM (xfam %#llx, %u CPUID leaves), TDX module error %#llx",
			      (unsigned long long)init->xfam, init->cpuid.nent, (unsigned long long)hw_error);
		goto out;
	}
	ret = 0;
out:
	free(caps);
	free(init);
	free(host);
	return ret;
}

int cvm_setup(int kvm_fd, int vm_fd, int vm_type, struct outcome *o)
{
	switch (vm_type) {
	case KVM_X86_SNP_VM:
		return snp_setup(vm_fd, o);
	case KVM_X86_TDX_VM:
		return tdx_setup(kvm_fd, vm_fd, o);
	default:
		return 0;   /* default and sw-protected VMs need nothing */
	}
}
