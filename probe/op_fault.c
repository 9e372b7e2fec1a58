// SPDX-License-Identifier: MIT
/*
 * fault: the first write to every page of one unpopulated granule through a MAP_SHARED mapping.
 * The faults allocate, zero and map the pages; one sample covers the whole granule.
 */
#include "probe.h"

static int fault_timed(struct range *r, uint64_t off, struct hist *h, struct outcome *o)
{
	volatile char *p = r->b->map + off;
	uint64_t step = r->b->page_size, t0, t1;

	(void)o;
	t0 = now_ns();
	for (uint64_t i = 0; i < r->granule; i += step)
		p[i] = 1;
	t1 = now_ns();
	hist_record(h, t1 - t0);
	return 0;
}

const struct op op_fault = {
	.name = "fault",
	.wall = true,
	.need_mmap = true,
	.timed = fault_timed,
};
