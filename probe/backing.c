// SPDX-License-Identifier: MIT
/*
 * The backing paths: where a guest's memory lives.
 *   shmem     memfd_create(): the shmem path (and what backs shared memory)
 *   gmem      KVM_CREATE_GUEST_MEMFD on a default VM: the dedicated-fd path
 *   hugetlb   memfd_create(MFD_HUGETLB | MFD_HUGE_2MB)
 *   secretmem memfd_secret(): memory removed from the kernel's direct map
 */
#include "probe.h"

#include <fcntl.h>
#include <signal.h>
#include <linux/falloc.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21U << 26)
#endif

#define HUGE_2M (2 * MiB)

static int check_hugetlb(const struct job *job, struct outcome *o)
{
	long long free_pages = meminfo("HugePages_Free");
	long long need = (long long)(job->region / HUGE_2M);

	if (job->granule % HUGE_2M)
		return outcome_unsupported(o, "hugetlb granule must be a multiple of 2 MiB (got %llu bytes)",
					   (unsigned long long)job->granule);
	if (meminfo("Hugepagesize") != (long long)HUGE_2M)
		return outcome_unsupported(o, "hugetlb default page size is not 2 MiB (Hugepagesize=%lld)",
					   meminfo("Hugepagesize"));
	if (free_pages < need)
		return outcome_unsupported(o, "no hugetlb pages reserved (HugePages_Free=%lld, need %lld); "
					   "reserve with: echo %lld > /proc/sys/vm/nr_hugepages",
					   free_pages < 0 ? 0 : free_pages, need, need);
	return 0;
}

static int check_gmem(bool need_mmap, struct outcome *o)
{
	int kvm = kvm_open(), vm, flags;

	if (kvm < 0)
		return outcome_unsupported(o, "no /dev/kvm (open: %s)", errno_name(errno));
	vm = kvm_create_vm(kvm, 0);
	if (vm < 0) {
		int err = errno;

		close(kvm);
		return outcome_unsupported(o, "KVM_CREATE_VM: %s", errno_name(err));
	}
	flags = kvm_check(vm, KVM_CAP_GUEST_MEMFD_FLAGS);
	/* before 6.18 a VM without private memory answers 0 although it can create one: ask /dev/kvm too */
	if (!kvm_check(vm, KVM_CAP_GUEST_MEMFD) && !kvm_check(kvm, KVM_CAP_GUEST_MEMFD)) {
		close(vm);
		close(kvm);
		return outcome_unsupported(o, "KVM_CAP_GUEST_MEMFD is 0: the kernel has no guest_memfd (merged in 6.8)");
	}
	close(vm);
	close(kvm);
	if (need_mmap && !(flags & GUEST_MEMFD_FLAG_MMAP))
		return outcome_unsupported(o, "guest_memfd cannot be mmap()ed here: KVM_CAP_GUEST_MEMFD_FLAGS lacks "
					   "GUEST_MEMFD_FLAG_MMAP (merged in 6.18)");
	return 0;
}

int backing_check(const struct job *job, bool need_mmap, struct outcome *o)
{
	long long avail = meminfo("MemAvailable");
	long page = sysconf(_SC_PAGESIZE);

	if (job->path_id == PATH_UNKNOWN)
		return outcome_failed(o, EINVAL, "unknown path \"%s\" (shmem, gmem, hugetlb, secretmem)", job->path);
	if (job->granule % (uint64_t)page)
		return outcome_failed(o, EINVAL, "granule %llu is not a multiple of the page size %ld",
				      (unsigned long long)job->granule, page);
	if (job->region % ((uint64_t)job->threads * job->granule))
		return outcome_failed(o, EINVAL, "region %llu is not a multiple of threads x granule",
				      (unsigned long long)job->region);
	if (avail > 0 && (double)job->region > job->max_mem_share * (double)avail)
		return outcome_failed(o, ENOMEM, "memory guard: job needs %llu MiB, more than %.0f%% of MemAvailable "
				      "(%lld MiB); lower region or raise maxMemShare",
				      (unsigned long long)(job->region / MiB), job->max_mem_share * 100, avail / (long long)MiB);
	if (job->path_id == PATH_HUGETLB)
		return check_hugetlb(job, o);
	if (job->path_id == PATH_GMEM)
		return check_gmem(need_mmap, o);
	return 0;
}

static int open_gmem(struct backing *b, bool need_mmap, struct outcome *o)
{
	/* MMAP lets the host touch the memory; INIT_SHARED makes it faultable (no private memory here) */
	uint64_t flags = need_mmap ? GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED : 0;

	b->kvm_fd = kvm_open();
	if (b->kvm_fd < 0)
		return outcome_unsupported(o, "no /dev/kvm (open: %s)", errno_name(errno));
	b->vm_fd = kvm_create_vm(b->kvm_fd, b->vm_type);
	if (b->vm_fd < 0)
		return outcome_errno(o, errno, "KVM_CREATE_VM(type %s)", kvm_vm_type_name((int)b->vm_type));
	if (cvm_setup(b->kvm_fd, b->vm_fd, (int)b->vm_type, o))
		return -1;
	b->fd = kvm_create_guest_memfd(b->vm_fd, b->size, flags);
	if (b->fd < 0)
		return outcome_errno(o, errno, "KVM_CREATE_GUEST_MEMFD(size=%llu, flags=%#llx)",
				     (unsigned long long)b->size, (unsigned long long)flags);
	b->alloc_mode = FALLOC_FL_KEEP_SIZE;   /* guest_memfd refuses fallocate without it */
	return 0;
}

/*
 * secretmem pages count as locked memory, and on some kernels (Debian's 6.12 and 7.3 in the lab) a
 * fault past RLIMIT_MEMLOCK is a SIGBUS that kills the probe: raise the soft limit to unlimited
 * where allowed (CAP_SYS_RESOURCE), else to the hard limit. Returns the limit still below `size`
 * (bytes), or 0 when the region fits.
 */
static uint64_t secretmem_memlock(uint64_t size)
{
	struct rlimit rl, unlimited = { .rlim_cur = RLIM_INFINITY, .rlim_max = RLIM_INFINITY };

	if (getrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= size)
		return 0;
	if (!setrlimit(RLIMIT_MEMLOCK, &unlimited))
		return 0;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_MEMLOCK, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= size)
		return 0;
	return rl.rlim_cur;
}

/*
 * Whether writing every page of `size` bytes of secretmem survives on this kernel, past a limit
 * that could not be raised: a child process tries, so a SIGBUS kills the child, not the probe.
 * Kernels that do not enforce the limit at fault time (6.18 here) measure the job. Asked once per
 * size: every pass opens a fresh backing.
 */
static bool secretmem_faults_survive(uint64_t size)
{
	static uint64_t asked;
	static bool answer;
	long page = sysconf(_SC_PAGESIZE);
	int status;
	pid_t pid;

	if (asked == size)
		return answer;
	pid = fork();
	PROBE_ASSERT(pid >= 0, "fork of the secretmem trial");
	if (pid == 0) {
		int fd = (int)syscall(SYS_memfd_secret, O_CLOEXEC);
		char *p;

		if (fd < 0 || ftruncate(fd, (off_t)size))
			_exit(0); /* the job itself reports this */
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			_exit(0);
		for (uint64_t off = 0; off < size; off += (uint64_t)page)
			p[off] = 1;
		_exit(0);
	}
	PROBE_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid of the secretmem trial");
	asked = size;
	answer = !(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS);
	return answer;
}

static int open_memfd(struct backing *b, struct outcome *o)
{
	bool huge = b->path_id == PATH_HUGETLB;

	if (b->path_id == PATH_SECRETMEM) {
		uint64_t limit = secretmem_memlock(b->size);

		if (limit && !secretmem_faults_survive(b->size))
			return outcome_unsupported(o, "memfd_secret: a fault past RLIMIT_MEMLOCK (%llu KiB) is a SIGBUS on this "
						   "kernel, and the limit cannot be raised to the region's %llu KiB (no "
						   "CAP_SYS_RESOURCE): lower region or raise the hard limit (ulimit -l)",
						   (unsigned long long)(limit >> 10), (unsigned long long)(b->size >> 10));
		b->fd = (int)syscall(SYS_memfd_secret, O_CLOEXEC);
		if (b->fd < 0 && errno == ENOSYS)
			return outcome_unsupported(o, "memfd_secret: ENOSYS (boot with secretmem.enable=1, or the "
						   "kernel lacks CONFIG_SECRETMEM)");
		if (b->fd < 0)
			return outcome_errno(o, errno, "memfd_secret");
	} else {
		b->fd = memfd_create(huge ? "gmembench-hugetlb" : "gmembench-shmem",
				     MFD_CLOEXEC | (huge ? MFD_HUGETLB | MFD_HUGE_2MB : 0));
		if (b->fd < 0)
			return outcome_errno(o, errno, "memfd_create(%s)", huge ? "MFD_HUGETLB" : "0");
	}
	if (huge)
		b->page_size = HUGE_2M;
	if (ftruncate(b->fd, (off_t)b->size))
		return outcome_errno(o, errno, "ftruncate(%s, %llu)", b->path, (unsigned long long)b->size);
	return 0;
}

/* a default VM beside a memfd, for ops that make the region a memslot; none without KVM */
static void open_side_vm(struct backing *b)
{
	b->kvm_fd = kvm_open();
	b->vm_fd = b->kvm_fd < 0 ? -1 : kvm_create_vm(b->kvm_fd, KVM_X86_DEFAULT_VM);
	b->vm_err = b->vm_fd < 0 ? errno : 0;
}

int backing_open(const struct job *job, const struct op *op, struct backing *b, struct outcome *o)
{
	bool need_mmap = op->need_mmap;

	memset(b, 0, sizeof(*b));
	b->vm_type = op->vm_type ? op->vm_type(job) : KVM_X86_DEFAULT_VM;
	b->path = job->path;
	b->path_id = job->path_id;
	b->fd = b->kvm_fd = b->vm_fd = -1;
	b->size = job->region;
	b->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	if (job->path_id == PATH_GMEM ? open_gmem(b, need_mmap, o) : open_memfd(b, o))
		return -1;
	if (op->need_vm && b->vm_fd < 0)
		open_side_vm(b);
	if (!need_mmap)
		return 0;
	b->map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		return outcome_errno(o, errno, "mmap(%s, %llu, MAP_SHARED)", b->path, (unsigned long long)b->size);
	}
	return 0;
}

void backing_close(struct backing *b)
{
	if (b->map)
		munmap(b->map, b->size);
	if (b->fd >= 0)
		close(b->fd);
	if (b->vm_fd >= 0)
		close(b->vm_fd);
	if (b->kvm_fd >= 0)
		close(b->kvm_fd);
	b->map = NULL;
	b->fd = b->vm_fd = b->kvm_fd = -1;
}

int backing_populate(struct backing *b, uint64_t off, uint64_t len, struct outcome *o)
{
	if (fallocate(b->fd, b->alloc_mode, (off_t)off, (off_t)len))
		return outcome_errno(o, errno, "fallocate(%s, mode=%#x) populating %llu bytes at %llu", b->path,
				     b->alloc_mode, (unsigned long long)len, (unsigned long long)off);
	return 0;
}

int backing_punch(struct backing *b, uint64_t off, uint64_t len, struct outcome *o)
{
	if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len))
		return outcome_errno(o, errno, "fallocate(%s, PUNCH_HOLE) at offset %llu", b->path, (unsigned long long)off);
	return 0;
}
