// SPDX-License-Identifier: MIT
/*
 * migrate: move_pages(2) of the populated pages of one granule (one call per granule: the granule is
 * the batch) to another NUMA node. The per-page status array is kept: pages moved, and each refusal
 * by errno (guest_memfd folios are not migratable upstream: they come back as errors, and the result
 * says so). A host with one NUMA node has nowhere to move to: unsupported.
 */
#include "probe.h"

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MPOL_MF_MOVE	(1 << 1)
#define MAX_NODES	64
#define MAX_BATCH	4096   /* pages per call: the arrays live on the stack */

/* the errnos a page's status is counted under; any other negative status is "other" */
static const int refusals[] = { EBUSY, EFAULT, ENOENT, EACCES, ENOMEM, EINVAL, EIO, EPERM };

static struct {
	int from, to;
	uint64_t pages, moved;
	uint64_t refused[ARRAY_SIZE(refusals)];
	uint64_t stayed;                 /* status a node, not the target: left where it was, no errno */
	uint64_t other;                  /* a negative status not in refusals[] */
	uint64_t not_moved;              /* move_pages' return: pages it could not move */
	uint64_t verified, elsewhere;    /* node queried after the call (move_pages, nodes NULL) */
} stats = { .from = -1, .to = -1 };

static int page_size_of(const struct job *job)
{
	return job->path_id == PATH_HUGETLB ? (int)(2 * MiB) : (int)sysconf(_SC_PAGESIZE);
}

static int migrate_check(const struct job *job, struct outcome *o)
{
	int nodes[MAX_NODES], n = numa_online(nodes, MAX_NODES);

	if (n < 2)
		return outcome_unsupported(o, "one NUMA node (node %d): there is no other node to move pages to", nodes[0]);
	if (job->granule / (uint64_t)page_size_of(job) > MAX_BATCH)
		return outcome_failed(o, EINVAL, "migrate moves one granule per call: at most %d pages (got %llu)",
				      MAX_BATCH, (unsigned long long)(job->granule / (uint64_t)page_size_of(job)));
	return 0;
}

static long move_pages(unsigned long count, void **pages, const int *nodes, int *status)
{
	return syscall(SYS_move_pages, 0, count, pages, nodes, status, MPOL_MF_MOVE);
}

/* untimed: populate the range and pick the target: the first online node the pages are not on */
static int migrate_prepare(struct range *r, struct outcome *o)
{
	volatile char *p = r->b->map + r->off;
	void *first = r->b->map + r->off;
	int nodes[MAX_NODES], n = numa_online(nodes, MAX_NODES), where = -1;

	for (uint64_t i = 0; i < r->len; i += r->b->page_size)
		p[i] = 1;
	if (move_pages(1, &first, NULL, &where) < 0)
		return outcome_errno(o, errno, "move_pages(query node of %s page)", r->b->path);
	for (int i = 0; i < n; i++)
		if (nodes[i] != where) {
			__atomic_store_n(&stats.from, where, __ATOMIC_RELAXED);
			__atomic_store_n(&stats.to, nodes[i], __ATOMIC_RELAXED);
			return 0;
		}
	return outcome_failed(o, 0, "no online node other than %d", where);
}

static void count_status(const int *status, unsigned long n, int to)
{
	uint64_t moved = 0, stayed = 0, other = 0, refused[ARRAY_SIZE(refusals)] = { 0 };

	for (unsigned long i = 0; i < n; i++) {
		int s = status[i];
		size_t k;

		if (s == to) {
			moved++;
			continue;
		}
		if (s >= 0) {
			stayed++;
			continue;
		}
		for (k = 0; k < ARRAY_SIZE(refusals) && s != -refusals[k]; k++)
			;
		if (k < ARRAY_SIZE(refusals))
			refused[k]++;
		else
			other++;
	}
	__atomic_fetch_add(&stats.pages, n, __ATOMIC_RELAXED);
	__atomic_fetch_add(&stats.moved, moved, __ATOMIC_RELAXED);
	__atomic_fetch_add(&stats.stayed, stayed, __ATOMIC_RELAXED);
	__atomic_fetch_add(&stats.other, other, __ATOMIC_RELAXED);
	for (size_t k = 0; k < ARRAY_SIZE(refusals); k++)
		__atomic_fetch_add(&stats.refused[k], refused[k], __ATOMIC_RELAXED);
}

/* untimed: ask again where the pages moved to really are (move_pages with nodes NULL) */
static int verify_nodes(void **pages, const int *status, unsigned long n, int to, struct outcome *o)
{
	int where[MAX_BATCH];
	uint64_t ok = 0, bad = 0;

	if (move_pages(n, pages, NULL, where) < 0)
		return outcome_errno(o, errno, "move_pages(query the node of %lu pages after the move)", n);
	for (unsigned long i = 0; i < n; i++) {
		if (status[i] != to)
			continue;
		ok += where[i] == to;
		bad += where[i] != to;
	}
	__atomic_fetch_add(&stats.verified, ok, __ATOMIC_RELAXED);
	__atomic_fetch_add(&stats.elsewhere, bad, __ATOMIC_RELAXED);
	if (bad)
		return outcome_failed(o, 0, "%llu page(s) reported moved to node %d are elsewhere when queried after",
				      (unsigned long long)bad, to);
	return 0;
}

static int migrate_timed(struct range *r, uint64_t off, struct hist *h, struct outcome *o)
{
	uint64_t page = r->b->page_size, t0, t1;
	unsigned long n = (unsigned long)(r->granule / page);
	void *pages[MAX_BATCH];
	int nodes[MAX_BATCH], status[MAX_BATCH], to = __atomic_load_n(&stats.to, __ATOMIC_RELAXED);
	long ret;

	for (unsigned long i = 0; i < n; i++) {
		pages[i] = r->b->map + off + i * page;
		nodes[i] = to;
		status[i] = -1;
	}
	t0 = now_ns();
	ret = move_pages(n, pages, nodes, status);
	t1 = now_ns();
	if (ret < 0)
		return outcome_errno(o, errno, "move_pages(%lu %s pages to node %d) at offset %llu", n, r->b->path, to,
				     (unsigned long long)off);
	hist_record(h, t1 - t0);
	count_status(status, n, to);
	__atomic_fetch_add(&stats.not_moved, (uint64_t)ret, __ATOMIC_RELAXED);
	return verify_nodes(pages, status, n, to, o);
}

static void migrate_extra(const struct job *job, FILE *f)
{
	(void)job;
	json_kv_num(f, "fromNode", stats.from, false);
	json_kv_num(f, "toNode", stats.to, true);
	json_kv_num(f, "pages", (long long)stats.pages, true);
	json_kv_num(f, "moved", (long long)stats.moved, true);
	fprintf(f, ",\"refused\":{");
	for (size_t k = 0; k < ARRAY_SIZE(refusals); k++)
		json_kv_num(f, errno_name(refusals[k]), (long long)stats.refused[k], k > 0);
	json_kv_num(f, "stayed", (long long)stats.stayed, true);
	json_kv_num(f, "other", (long long)stats.other, true);
	putc('}', f);
	json_kv_num(f, "notMoved", (long long)stats.not_moved, true);
	json_kv_num(f, "verifiedOnTarget", (long long)stats.verified, true);
	json_kv_num(f, "elsewhereAfter", (long long)stats.elsewhere, true);
}

const struct op op_migrate = {
	.name = "migrate",
	.solo = true,
	.need_mmap = true,
	.check = migrate_check,
	.extra = migrate_extra,
	.prepare = migrate_prepare,
	.timed = migrate_timed,
};
