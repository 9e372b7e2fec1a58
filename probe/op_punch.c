// SPDX-License-Identifier: MIT
/* punch: fallocate(PUNCH_HOLE | KEEP_SIZE) of one granule of a populated range. */
#include "probe.h"

#include <fcntl.h>
#include <linux/falloc.h>

static int punch_prepare(struct range *r, struct outcome *o)
{
	return backing_populate(r->b, r->off, r->len, o);
}

static int punch_timed(struct range *r, uint64_t off, struct hist *h, struct outcome *o)
{
	uint64_t t0, t1;
	int ret;

	t0 = now_ns();
	ret = fallocate(r->b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)r->granule);
	t1 = now_ns();
	if (ret)
		return outcome_errno(o, errno, "fallocate(%s, PUNCH_HOLE|KEEP_SIZE) at offset %llu", r->b->path,
				     (unsigned long long)off);
	hist_record(h, t1 - t0);
	return 0;
}

const struct op op_punch = {
	.name = "punch",
	.wall = true,
	.prepare = punch_prepare,
	.timed = punch_timed,
};
