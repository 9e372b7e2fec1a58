// SPDX-License-Identifier: MIT
/* KVM helpers. The installed headers may predate guest_memfd: its UAPI is defined here. */
#include "probe.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct gmb_create_guest_memfd {
	uint64_t size;
	uint64_t flags;
	uint64_t reserved[6];
};
#define GMB_KVM_CREATE_GUEST_MEMFD _IOWR(KVMIO, 0xd4, struct gmb_create_guest_memfd)

int kvm_open(void)
{
	return open("/dev/kvm", O_RDWR | O_CLOEXEC);
}

int kvm_check(int fd, long cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

int kvm_create_vm(int kvm_fd, unsigned long type)
{
	int fd;

	/* KVM_CREATE_VM may fail with EINTR while the kernel sets up the VM's mm: retry */
	do {
		fd = ioctl(kvm_fd, KVM_CREATE_VM, type);
	} while (fd < 0 && errno == EINTR);
	return fd;
}

int kvm_create_guest_memfd(int vm_fd, uint64_t size, uint64_t flags)
{
	struct gmb_create_guest_memfd args;

	memset(&args, 0, sizeof(args));
	args.size = size;
	args.flags = flags;
	return ioctl(vm_fd, GMB_KVM_CREATE_GUEST_MEMFD, &args);
}

const char *kvm_vm_type_name(int type)
{
	static const char *const names[] = { "default", "sw-protected", "sev", "sev-es", "snp", "tdx" };

	if (type >= 0 && type < (int)ARRAY_SIZE(names))
		return names[type];
	return NULL;
}

struct gmb_memory_region2 {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t guest_memfd_offset;
	uint32_t guest_memfd;
	uint32_t pad1;
	uint64_t pad2[14];
};
#define GMB_KVM_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct gmb_memory_region2)
#define GMB_KVM_MEM_GUEST_MEMFD (1U << 2)

struct gmb_memory_attributes {
	uint64_t address;
	uint64_t size;
	uint64_t attributes;
	uint64_t flags;
};
#define GMB_KVM_SET_MEMORY_ATTRIBUTES _IOW(KVMIO, 0xd2, struct gmb_memory_attributes)

int kvm_set_memslot(int vm_fd, uint32_t slot, uint64_t gpa, uint64_t size, void *uaddr, int gmem_fd,
		    uint64_t gmem_off)
{
	struct gmb_memory_region2 r;

	memset(&r, 0, sizeof(r));
	r.slot = slot;
	r.guest_phys_addr = gpa;
	r.memory_size = size;
	r.userspace_addr = (uint64_t)(uintptr_t)uaddr;
	if (gmem_fd >= 0) {
		r.flags = GMB_KVM_MEM_GUEST_MEMFD;
		r.guest_memfd = (uint32_t)gmem_fd;
		r.guest_memfd_offset = gmem_off;
	}
	return ioctl(vm_fd, GMB_KVM_SET_USER_MEMORY_REGION2, &r);
}

int kvm_set_attributes(int vm_fd, uint64_t gpa, uint64_t size, uint64_t attrs)
{
	struct gmb_memory_attributes a = { .address = gpa, .size = size, .attributes = attrs };

	return ioctl(vm_fd, GMB_KVM_SET_MEMORY_ATTRIBUTES, &a);
}

static int find_private_vm_type(char *why, size_t len)
{
	static const int candidates[] = { KVM_X86_SW_PROTECTED_VM, KVM_X86_SNP_VM, KVM_X86_TDX_VM };
	int kvm = kvm_open(), types;

	if (kvm < 0) {
		snprintf(why, len, "no /dev/kvm (open: %s)", errno_name(errno));
		return -1;
	}
	types = kvm_check(kvm, KVM_CAP_VM_TYPES);
	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
		int t = candidates[i], vm;

		if (!(types & (1 << t)))
			continue;
		vm = kvm_create_vm(kvm, (unsigned long)t);
		if (vm < 0)
			continue;
		if (kvm_check(vm, KVM_CAP_MEMORY_ATTRIBUTES) & KVM_MEMORY_ATTRIBUTE_PRIVATE) {
			close(vm);
			close(kvm);
			return t;
		}
		close(vm);
	}
	close(kvm);
	snprintf(why, len, "no VM type with private memory: KVM_CAP_VM_TYPES=%#x (%s); KVM_SET_MEMORY_ATTRIBUTES "
		 "needs sw-protected (CONFIG_KVM_SW_PROTECTED_VM, kvm.tdp_mmu=Y), snp (kvm_amd.sev_snp=Y) or tdx "
		 "(kvm_intel.tdx=Y)", types, types <= 1 ? "default only" : "none of them reports attributes");
	return -1;
}

/* The probe asks once: creating a VM of each candidate type is not free. */
int kvm_private_vm_type(char *why, size_t len)
{
	static int cached = -2;
	static char cached_why[512];

	if (cached == -2)
		cached = find_private_vm_type(cached_why, sizeof(cached_why));
	if (why)
		snprintf(why, len, "%s", cached_why);
	return cached;
}

unsigned long kvm_private_vm_type_or_default(void)
{
	int t = kvm_private_vm_type(NULL, 0);

	return t < 0 ? KVM_X86_DEFAULT_VM : (unsigned long)t;
}
