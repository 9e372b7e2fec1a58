// SPDX-License-Identifier: MIT
/*
 * The shared side of a converted range, as a VMM keeps it beside guest_memfd (QEMU's RAM block): a
 * memfd mapped MAP_SHARED, whose pages are discarded when the range goes private. Used by the
 * conversion ops (op_convert.c) and the guest's own conversion requests (op_guest_convert.c).
 */
#include "probe.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <unistd.h>

int shared_side_open(struct shared_side *s, uint64_t size, struct outcome *o)
{
	s->map = NULL;
	s->fd = memfd_create("gmembench-shared", MFD_CLOEXEC);
	if (s->fd < 0 || ftruncate(s->fd, (off_t)size))
		return outcome_errno(o, errno, "memfd_create/ftruncate of the shared side");
	s->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (s->map == MAP_FAILED) {
		s->map = NULL;
		return outcome_errno(o, errno, "mmap of the shared side (%llu bytes)", (unsigned long long)size);
	}
	return 0;
}

/* what a VMM does to the shared side of a range that goes private (QEMU's ram_block_discard_range) */
int shared_side_discard(struct shared_side *s, uint64_t off, uint64_t len, struct outcome *o)
{
	if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len))
		return outcome_errno(o, errno, "fallocate(shared, PUNCH_HOLE) at offset %llu", (unsigned long long)off);
	if (madvise(s->map + off, len, MADV_DONTNEED))
		return outcome_errno(o, errno, "madvise(shared, MADV_DONTNEED) at offset %llu", (unsigned long long)off);
	return 0;
}

void shared_side_close(struct shared_side *s, uint64_t size)
{
	if (s->map)
		munmap(s->map, size);
	if (s->fd >= 0)
		close(s->fd);
	s->map = NULL;
	s->fd = -1;
}
