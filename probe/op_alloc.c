// SPDX-License-Identifier: MIT
/* alloc: fallocate() of one granule on an empty range (mode 0 for memfds, KEEP_SIZE for gmem). */
#include "probe.h"

#include <fcntl.h>

static int alloc_timed(struct range *r, uint64_t off, struct hist *h, struct outcome *o)
{
	uint64_t t0, t1;
	int ret;

	t0 = now_ns();
	ret = fallocate(r->b->fd, r->b->alloc_mode, (off_t)off, (off_t)r->granule);
	t1 = now_ns();
	if (ret)
		return outcome_errno(o, errno, "fallocate(%s, mode=%#x) at offset %llu", r->b->path,
				     r->b->alloc_mode, (unsigned long long)off);
	hist_record(h, t1 - t0);
	return 0;
}

const struct op op_alloc = {
	.name = "alloc",
	.wall = true,
	.timed = alloc_timed,
};
