// SPDX-License-Identifier: MIT
/*
 * gmemcap: print whether this kernel's KVM has guest_memfd (KVM_CAP_GUEST_MEMFD on a default VM
 * or on /dev/kvm) and its GUEST_MEMFD_FLAGS, as "guest_memfd N flags N". For the tests of the
 * gmem rows, which skip where it is absent (/dev/kvm alone does not tell: a kernel may build KVM
 * without CONFIG_KVM_GUEST_MEMFD). Exit 1 when /dev/kvm or KVM_CREATE_VM fails.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#define KVM_CAP_GUEST_MEMFD 234
#define KVM_CAP_GUEST_MEMFD_FLAGS 244

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, cap, flags;

	if (kvm < 0 || (vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0) {
		perror("gmemcap");
		return 1;
	}
	cap = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD) > 0 ||
	      ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD) > 0;
	flags = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD_FLAGS);
	printf("guest_memfd %d flags %d\n", cap, flags < 0 ? 0 : flags);
	return 0;
}
