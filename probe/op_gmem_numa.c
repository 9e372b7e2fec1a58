// SPDX-License-Identifier: MIT
/*
 * gmem-numa: guest_memfd NUMA placement (6.19+). Per pass the policy is set with
 * mbind(MPOL_BIND, another node) on the guest_memfd's mmap (GUEST_MEMFD_FLAG_MMAP); then each
 * granule is allocated (fallocate) and faulted through the mapping (a write to every page): one
 * sample is the two together. After the timed loop every page's node is read back with
 * get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR) (move_pages(nodes=NULL) is reported too, but the 6.19 cover
 * letter warns it cannot verify guest_memfd placement); a page elsewhere fails the row.
 * Older kernels (the policy is accepted but ignored) and one-node hosts: unsupported.
 */
#include "probe.h"

#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MPOL_BIND	2
#define MPOL_F_NODE	(1 << 0)
#define MPOL_F_ADDR	(1 << 1)
#define MAX_NODES	64

static struct {
	int from, to;
	uint64_t pages, on_target, elsewhere, query_err, mp_on_target, mp_err, alloc_ns, fault_ns, samples;
	int query_errno, mp_errno;
} stats = { .from = -1, .to = -1 };

/* the node the calling CPU is on; the target is another online node */
static int current_node(void)
{
	unsigned int cpu = 0, node = 0;

	if (syscall(SYS_getcpu, &cpu, &node, NULL))
		return 0;
	return (int)node;
}

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

static int numa_check(const struct job *job, struct outcome *o)
{
	int nodes[MAX_NODES], n = numa_online(nodes, MAX_NODES), here = current_node();
	struct utsname u;

	if (job->path_id != PATH_GMEM)
		return outcome_unsupported(o, "gmem-numa sets a policy on the guest_memfd mapping; for %s see migrate", job->path);
	if (n < 2)
		return outcome_unsupported(o, "one NUMA node (node %d): no other node to place guest_memfd pages on", nodes[0]);
	if (!kernel_at_least(6, 19))
		return outcome_unsupported(o, "kernel %s: a NUMA mempolicy on a guest_memfd mapping is honoured from 6.19 "
					   "(earlier kernels accept mbind there but allocate on the local node)",
					   uname(&u) ? "?" : u.release);
	stats.from = here;
	stats.to = -1;
	for (int i = 0; i < n && i < MAX_NODES; i++)
		if (nodes[i] != here) {
			stats.to = nodes[i];
			break;
		}
	return 0;
}

static int numa_setup(const struct job *job, struct backing *b, struct outcome *o)
{
	unsigned long mask[MAX_NODES / (8 * sizeof(unsigned long))] = { 0 };

	(void)job;
	mask[stats.to / (8 * (int)sizeof(unsigned long))] |= 1UL << (stats.to % (8 * (int)sizeof(unsigned long)));
	if (syscall(SYS_mbind, b->map, b->size, MPOL_BIND, mask, MAX_NODES + 1, 0))
		return outcome_errno(o, errno, "mbind(guest_memfd mapping, MPOL_BIND, node %d)", stats.to);
	return 0;
}

static int numa_timed(struct range *r, uint64_t off, struct hist *h, struct outcome *o)
{
	volatile char *p = r->b->map + off;
	uint64_t t0, t1, t2;

	t0 = now_ns();
	if (backing_populate(r->b, off, r->granule, o))
		return -1;
	t1 = now_ns();
	for (uint64_t i = 0; i < r->granule; i += r->b->page_size)
		p[i] = 1;
	t2 = now_ns();
	hist_record(h, t2 - t0);
	if (!r->b->warmup) {
		__atomic_fetch_add(&stats.alloc_ns, t1 - t0, __ATOMIC_RELAXED);
		__atomic_fetch_add(&stats.fault_ns, t2 - t1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&stats.samples, 1, __ATOMIC_RELAXED);
	}
	return 0;
}

/* untimed, after the pass's timed loop: where did every page land */
static void numa_teardown(const struct job *job, struct backing *b)
{
	uint64_t n = b->size / b->page_size;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));

	(void)job;
	PROBE_ASSERT(pages && status, "placement arrays");
	if (b->warmup || !b->map) {
		free(pages);
		free(status);
		return;
	}
	for (uint64_t i = 0; i < n; i++) {
		int node = -1;

		pages[i] = b->map + i * b->page_size;
		if (syscall(SYS_get_mempolicy, &node, NULL, 0, pages[i], MPOL_F_NODE | MPOL_F_ADDR)) {
			stats.query_err++;
			stats.query_errno = errno;
		} else if (node == stats.to) {
			stats.on_target++;
		} else {
			stats.elsewhere++;
		}
	}
	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0) < 0) {
		stats.mp_err += n;
		stats.mp_errno = errno;
	} else {
		for (uint64_t i = 0; i < n; i++) {
			stats.mp_on_target += status[i] == stats.to;
			stats.mp_err += status[i] < 0;
			if (status[i] < 0)
				stats.mp_errno = -status[i];
		}
	}
	stats.pages += n;
	free(pages);
	free(status);
}

static int numa_finish(const struct job *job, struct outcome *o)
{
	(void)job;
	if (stats.query_err)
		return outcome_failed(o, stats.query_errno, "placement: get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR) failed on "
				      "%llu of %llu pages: %s", (unsigned long long)stats.query_err,
				      (unsigned long long)stats.pages, errno_name(stats.query_errno));
	if (stats.elsewhere)
		return outcome_failed(o, 0, "placement: %llu of %llu guest_memfd pages are not on node %d (the mbind policy)",
				      (unsigned long long)stats.elsewhere, (unsigned long long)stats.pages, stats.to);
	return 0;
}

static void numa_extra(const struct job *job, FILE *f)
{
	(void)job;
	json_kv_num(f, "fromNode", stats.from, false);
	json_kv_num(f, "toNode", stats.to, true);
	json_kv_num(f, "pages", (long long)stats.pages, true);
	json_kv_num(f, "onTarget", (long long)stats.on_target, true);
	json_kv_num(f, "elsewhere", (long long)stats.elsewhere, true);
	json_kv_num(f, "queryErrors", (long long)stats.query_err, true);
	json_kv_num(f, "movePagesOnTarget", (long long)stats.mp_on_target, true);
	json_kv_num(f, "movePagesErrors", (long long)stats.mp_err, true);
	json_kv_str(f, "movePagesErrno", stats.mp_err ? errno_name(stats.mp_errno) : NULL, true);
	json_kv_num(f, "allocNs", stats.samples ? (long long)(stats.alloc_ns / stats.samples) : 0, true);
	json_kv_num(f, "faultNs", stats.samples ? (long long)(stats.fault_ns / stats.samples) : 0, true);
}

const struct op op_gmem_numa = {
	.name = "gmem-numa",
	.solo = true,
	.need_mmap = true,
	.check = numa_check,
	.pass_setup = numa_setup,
	.pass_teardown = numa_teardown,
	.finish = numa_finish,
	.extra = numa_extra,
	.timed = numa_timed,
};
