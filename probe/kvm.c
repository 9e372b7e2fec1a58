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

	if (type >= 0 && type < (int)(sizeof(names) / sizeof(names[0])))
		return names[type];
	return NULL;
}
