// SPDX-License-Identifier: MIT
/*
 * compact: with the region populated through its mapping, trigger compaction of all zones (root:
 * write 1 to /proc/sys/vm/compact_memory) and time that write: one sample per pass. Afterwards the
 * region's PFNs (from /proc/self/pagemap) tell how many of this path's pages the compaction moved, and
 * /proc/vmstat how much it did in all. Threads only populate in parallel; thread 0 compacts.
 */
#include "probe.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PFN_MASK	((1ULL << 55) - 1)
#define PM_PRESENT	(1ULL << 63)

static const char *const counters[] = {
	"pgmigrate_success", "pgmigrate_fail", "compact_migrate_scanned", "compact_free_scanned", "compact_isolated",
};
#define NCOUNTERS ARRAY_SIZE(counters)

struct compact_pass {
	uint64_t *pfn;       /* PFN of each page of the region before compaction; 0 = not present */
	size_t npages;
};

static struct {
	uint64_t passes, pages, moved, not_present;
	long long delta[NCOUNTERS];
} stats;

static int compact_check(const struct job *job, struct outcome *o)
{
	(void)job;
	if (access("/proc/sys/vm/compact_memory", F_OK))
		return outcome_unsupported(o, "no /proc/sys/vm/compact_memory (kernel without CONFIG_COMPACTION)");
	if (geteuid() != 0)
		return outcome_unsupported(o, "needs root: triggers compaction through /proc/sys/vm/compact_memory and "
					   "reads PFNs from /proc/self/pagemap");
	return 0;
}

static int compact_setup(const struct job *job, struct backing *b, struct outcome *o)
{
	struct compact_pass *c = calloc(1, sizeof(*c));

	(void)job;
	(void)o;
	PROBE_ASSERT(c, "compaction state");
	c->npages = b->size / b->page_size;
	c->pfn = calloc(c->npages, sizeof(*c->pfn));
	PROBE_ASSERT(c->pfn, "PFN table");
	b->priv = c;
	return 0;
}

static void compact_teardown(const struct job *job, struct backing *b)
{
	struct compact_pass *c = b->priv;

	(void)job;
	if (!c)
		return;
	free(c->pfn);
	free(c);
	b->priv = NULL;
}

/* the PFN of the page at addr, 0 when not present */
static uint64_t pfn_of(int pagemap, const void *addr)
{
	uint64_t e = 0;
	off_t at = (off_t)((uintptr_t)addr / (uintptr_t)sysconf(_SC_PAGESIZE) * sizeof(e));

	if (pread(pagemap, &e, sizeof(e), at) != sizeof(e) || !(e & PM_PRESENT))
		return 0;
	return e & PFN_MASK;
}

static int read_pfns(struct backing *b, uint64_t off, uint64_t len, uint64_t *out, struct outcome *o)
{
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (pm < 0)
		return outcome_errno(o, errno, "open(/proc/self/pagemap)");
	for (uint64_t i = 0; i < len; i += b->page_size)
		out[(off + i) / b->page_size] = pfn_of(pm, b->map + off + i);
	close(pm);
	return 0;
}

/* untimed, per thread: populate the range and note where its pages are */
static int compact_prepare(struct range *r, struct outcome *o)
{
	struct compact_pass *c = r->b->priv;
	volatile char *p = r->b->map + r->off;

	for (uint64_t i = 0; i < r->len; i += r->b->page_size)
		p[i] = 1;
	return read_pfns(r->b, r->off, r->len, c->pfn, o);
}

static int compact_now(struct outcome *o, uint64_t *ns)
{
	int fd = open("/proc/sys/vm/compact_memory", O_WRONLY | O_CLOEXEC);
	uint64_t t0, t1;
	ssize_t n;

	if (fd < 0)
		return outcome_errno(o, errno, "open(/proc/sys/vm/compact_memory)");
	t0 = now_ns();
	n = write(fd, "1", 1);
	t1 = now_ns();
	close(fd);
	if (n != 1)
		return outcome_errno(o, errno, "write(/proc/sys/vm/compact_memory)");
	*ns = t1 - t0;
	return 0;
}

static int count_moved(struct backing *b, struct outcome *o)
{
	struct compact_pass *c = b->priv;
	uint64_t *after = calloc(c->npages, sizeof(*after));

	PROBE_ASSERT(after, "PFN table");
	if (read_pfns(b, 0, b->size, after, o)) {
		free(after);
		return -1;
	}
	for (size_t i = 0; i < c->npages; i++) {
		stats.pages++;
		if (!c->pfn[i] || !after[i])
			stats.not_present++;
		else if (c->pfn[i] != after[i])
			stats.moved++;
	}
	free(after);
	return 0;
}

static int compact_timed(struct range *r, uint64_t off, struct hist *h, struct outcome *o)
{
	long long before[NCOUNTERS];
	uint64_t ns = 0;

	if (r->index != 0 || off != r->off)
		return 0;   /* one compaction per pass */
	for (size_t i = 0; i < NCOUNTERS; i++)
		before[i] = vmstat(counters[i]);
	if (compact_now(o, &ns))
		return -1;
	hist_record(h, ns);
	if (r->b->warmup)
		return 0;
	for (size_t i = 0; i < NCOUNTERS; i++)
		stats.delta[i] += vmstat(counters[i]) - before[i];
	stats.passes++;
	return count_moved(r->b, o);
}

static void compact_extra(const struct job *job, FILE *f)
{
	(void)job;
	json_kv_num(f, "passes", (long long)stats.passes, false);
	json_kv_num(f, "pages", (long long)stats.pages, true);
	json_kv_num(f, "pagesMoved", (long long)stats.moved, true);
	json_kv_num(f, "pagesWithoutPfn", (long long)stats.not_present, true);
	fprintf(f, ",\"vmstat\":{");
	for (size_t i = 0; i < NCOUNTERS; i++)
		json_kv_num(f, counters[i], stats.delta[i], i > 0);
	putc('}', f);
}

const struct op op_compact = {
	.name = "compact",
	.solo = true,
	.need_mmap = true,
	.check = compact_check,
	.pass_setup = compact_setup,
	.pass_teardown = compact_teardown,
	.extra = compact_extra,
	.prepare = compact_prepare,
	.timed = compact_timed,
};
