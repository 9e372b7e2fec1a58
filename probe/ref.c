// SPDX-License-Identifier: MIT
/*
 * The reference timed beside every timed pass: the cost of a null system call (getppid), timed in
 * batches of REF_BATCH calls (one clock read per batch: the clock's steps are tens of ns here), half
 * the batches just before the pass and half just after, the median batch's cost per call. On a nested or shared host the
 * cost of entering the kernel moves by tens of percent from one second to the next and every op
 * moves with it (measured on kvm_pvm: over 30 processes gmem alloc 4K and the null syscall correlate
 * 0.91; over 20 smoke runs a row divided by its reference moves 6.2% run to run, against 11.2%), so a
 * row's figures over its own reference keep what the memory path costs, not the moment it met.
 */
#include "probe.h"

#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

void ref_time(struct ref *r)
{
	for (int i = 0; i < REF_BATCHES / 2 && r->n < REF_BATCHES; i++) {
		uint64_t t0 = now_ns();

		for (int k = 0; k < REF_BATCH; k++)
			syscall(SYS_getppid);
		r->ns[r->n++] = now_ns() - t0;
	}
}

double ref_take(struct ref *r)
{
	double median;

	if (!r->n)
		return 0;
	qsort(r->ns, (size_t)r->n, sizeof(r->ns[0]), cmp_u64);
	median = (double)r->ns[r->n / 2] / REF_BATCH;
	r->n = 0;
	return median;
}
