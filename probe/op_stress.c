// SPDX-License-Identifier: MIT
/*
 * stress: every thread runs a random mix of alloc, punch, convert and touch on random granules of
 * ONE shared region, for params.durationMs (default 1000) or until params.ops calls in all, under
 * optional memory pressure (params.pressure: that share of MemAvailable held populated elsewhere).
 *   alloc    fallocate(mode of the path) of the granule
 *   punch    fallocate(PUNCH_HOLE|KEEP_SIZE)
 *   convert  a VMM's discard on a conversion: PUNCH_HOLE + madvise(MADV_DONTNEED) of the mapping
 *   touch    read the first word of each page, then write a new tag there
 * Each call is timed alone (a per-granule lock, taken outside the clock, keeps each granule's state
 * exact). Integrity: a touch must read the last tag written to the granule, or zero after a punch or
 * convert; anything else fails the row. After the last pass MemAvailable must be back within a margin
 * of where it started (no leak).
 */
#include "probe.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum sop { S_ALLOC, S_PUNCH, S_CONVERT, S_TOUCH, S_NOPS };
static const char *const sop_names[S_NOPS] = { "alloc", "punch", "convert", "touch" };

#define LEAK_MARGIN_MIN	(128 * MiB)
#define LEAK_SETTLE_MS	3000   /* freed memory can come back late (RCU, per-CPU lists): wait this long */

struct granule_state {
	pthread_mutex_t lock;
	uint64_t tag;        /* what the first word of each page holds; 0 after punch/convert */
};

struct stress_pass {
	struct granule_state *g;
	uint64_t ngranules;
	char *pressure;
	uint64_t pressure_len;
	uint64_t duration_ns;    /* params.durationMs */
	uint64_t ops_per_thread; /* params.ops / threads; 0 = until the time is up */
};

static struct {
	pthread_mutex_t lock;
	struct hist per_op[S_NOPS];
	bool init;
	uint64_t elapsed_ns, touches_checked, mismatches, pressure_bytes;
	long long mem_before, mem_after;
} stats = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int stress_check(const struct job *job, struct outcome *o)
{
	double pressure = job_param(job, "pressure", 0);

	if (!strcmp(job->path, "secretmem"))
		return outcome_unsupported(o, "memfd_secret does not support fallocate (EOPNOTSUPP): no alloc, punch or "
					   "convert to mix");
	if (pressure < 0 || pressure > 0.8)
		return outcome_failed(o, EINVAL, "params.pressure must be between 0 and 0.8 (got %g)", pressure);
	return 0;
}

static void stress_teardown(const struct job *job, struct backing *b)
{
	struct stress_pass *s = b->priv;

	(void)job;
	if (!s)
		return;
	if (s->pressure)
		munmap(s->pressure, s->pressure_len);
	free(s->g);
	free(s);
	b->priv = NULL;
}

static int stress_setup(const struct job *job, struct backing *b, struct outcome *o)
{
	struct stress_pass *s = calloc(1, sizeof(*s));
	double pressure = job_param(job, "pressure", 0);

	(void)o;
	PROBE_ASSERT(s, "stress state");
	if (!stats.init) {   /* the first pass: where the leak check starts from */
		for (int i = 0; i < S_NOPS; i++)
			hist_init(&stats.per_op[i], false);
		stats.init = true;
		stats.mem_before = meminfo("MemAvailable");
	}
	b->priv = s;
	s->ngranules = b->size / job->granule;
	s->duration_ns = (uint64_t)(job_param(job, "durationMs", 1000) * 1e6);
	s->ops_per_thread = (uint64_t)job_param(job, "ops", 0) / (uint64_t)job->threads;
	s->g = calloc(s->ngranules, sizeof(*s->g));
	PROBE_ASSERT(s->g, "granule table");
	for (uint64_t i = 0; i < s->ngranules; i++)
		pthread_mutex_init(&s->g[i].lock, NULL);
	if (pressure > 0) {
		s->pressure_len = (uint64_t)(pressure * (double)meminfo("MemAvailable")) / MiB * MiB;
		s->pressure = mmap(NULL, s->pressure_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		PROBE_ASSERT(s->pressure != MAP_FAILED, "pressure mapping of %llu bytes", (unsigned long long)s->pressure_len);
		memset(s->pressure, 1, s->pressure_len);
		stats.pressure_bytes = s->pressure_len;
	}
	return 0;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int do_touch(struct range *r, uint64_t off, struct granule_state *g, uint64_t tag, uint64_t *bad)
{
	volatile uint64_t *p;

	*bad = 0;
	for (uint64_t i = 0; i < r->granule; i += r->b->page_size) {
		p = (volatile uint64_t *)(r->b->map + off + i);
		if (*p != g->tag)
			(*bad)++;
		*p = tag;
	}
	return 0;
}

/* one call of `op` on granule gi, timed alone; -1 with *o set on a failure */
static int stress_call(struct range *r, enum sop op, uint64_t gi, uint64_t tag, struct hist *per_op,
		       struct hist *all, struct outcome *o)
{
	struct stress_pass *s = r->b->priv;
	struct granule_state *g = &s->g[gi];
	uint64_t off = gi * r->granule, t0, t1, bad = 0;
	int ret = 0;

	pthread_mutex_lock(&g->lock);
	t0 = now_ns();
	switch (op) {
	case S_ALLOC:
		ret = fallocate(r->b->fd, r->b->alloc_mode, (off_t)off, (off_t)r->granule);
		break;
	case S_PUNCH:
		ret = fallocate(r->b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)r->granule);
		break;
	case S_CONVERT:
		ret = fallocate(r->b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)r->granule);
		ret = ret ? ret : madvise(r->b->map + off, r->granule, MADV_DONTNEED);
		break;
	default:
		do_touch(r, off, g, tag, &bad);
		break;
	}
	t1 = now_ns();
	if (!ret)
		g->tag = op == S_TOUCH ? tag : op == S_ALLOC ? g->tag : 0;
	pthread_mutex_unlock(&g->lock);
	if (ret)
		return outcome_errno(o, errno, "stress %s of %s granule %llu", sop_names[op], r->b->path,
				     (unsigned long long)gi);
	if (op == S_TOUCH) {
		if (!r->b->warmup)
			__atomic_fetch_add(&stats.touches_checked, 1, __ATOMIC_RELAXED);
		if (bad) {
			__atomic_fetch_add(&stats.mismatches, bad, __ATOMIC_RELAXED);
			return outcome_failed(o, 0, "integrity: %llu page(s) of %s granule %llu held neither the last tag "
					      "written nor zero after a punch/convert", (unsigned long long)bad,
					      r->b->path, (unsigned long long)gi);
		}
	}
	hist_record(&per_op[op], t1 - t0);
	hist_record(all, t1 - t0);
	return 0;
}

static void fold_per_op(struct hist *per_op, uint64_t elapsed)
{
	pthread_mutex_lock(&stats.lock);
	for (int i = 0; i < S_NOPS; i++)
		hist_merge(&stats.per_op[i], &per_op[i]);
	if (elapsed > stats.elapsed_ns)
		stats.elapsed_ns = elapsed;
	pthread_mutex_unlock(&stats.lock);
}

/* the whole stress loop runs in the first timed call of each thread */
static int stress_timed(struct range *r, uint64_t off, struct hist *h, struct outcome *o)
{
	struct stress_pass *s = r->b->priv;
	uint64_t rng = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)r->index + 1) * 0x2545f4914f6cdd1dULL, seq = 0;
	uint64_t t_start = now_ns(), t_end = t_start + s->duration_ns, budget = s->ops_per_thread;
	struct hist per_op[S_NOPS];
	int ret = 0;

	if (off != r->off)
		return 0;
	for (int i = 0; i < S_NOPS; i++)
		hist_init(&per_op[i], false);
	while (!ret && now_ns() < t_end && (!budget || seq < budget)) {
		enum sop op = (enum sop)(xorshift(&rng) % S_NOPS);
		uint64_t tag = ((uint64_t)(r->index + 1) << 40) | ++seq;

		ret = stress_call(r, op, xorshift(&rng) % s->ngranules, tag, per_op, h, o);
	}
	if (!r->b->warmup)
		fold_per_op(per_op, now_ns() - t_start);
	for (int i = 0; i < S_NOPS; i++)
		hist_free(&per_op[i]);
	return ret;
}

/*
 * No leak: MemAvailable is back within a margin of where it was before the first pass. It is a
 * system-wide figure, so other activity moves it too: poll for a while before calling it a leak.
 */
static int stress_finish(const struct job *job, struct outcome *o)
{
	long long margin = (long long)(job->region / 4 > LEAK_MARGIN_MIN ? job->region / 4 : LEAK_MARGIN_MIN);
	struct timespec tick = { .tv_nsec = 100 * 1000000L };

	for (int waited = 0;; waited += 100) {
		stats.mem_after = meminfo("MemAvailable");
		if (stats.mem_before <= 0 || stats.mem_before - stats.mem_after <= margin)
			return 0;
		if (waited >= LEAK_SETTLE_MS)
			break;
		nanosleep(&tick, NULL);
	}
	return outcome_failed(o, 0, "leak: MemAvailable is %lld MiB lower than before the run %d s later (margin %lld MiB)",
			      (stats.mem_before - stats.mem_after) / (long long)MiB, LEAK_SETTLE_MS / 1000,
			      margin / (long long)MiB);
}

static void stress_extra(const struct job *job, FILE *f)
{
	uint64_t total = 0;

	(void)job;
	for (int i = 0; i < S_NOPS; i++)
		total += stats.per_op[i].n;
	json_kv_num(f, "elapsedNs", (long long)stats.elapsed_ns, false);
	json_kv_num(f, "calls", (long long)total, true);
	fprintf(f, ",\"ops\":{");
	for (int i = 0; i < S_NOPS; i++) {
		const struct hist *h = &stats.per_op[i];

		fprintf(f, "%s\"%s\":{", i ? "," : "", sop_names[i]);
		json_kv_num(f, "calls", (long long)h->n, false);
		json_kv_num(f, "p50", (long long)hist_quantile(h, 0.5), true);
		json_kv_num(f, "p99", (long long)hist_quantile(h, 0.99), true);
		json_kv_num(f, "p999", (long long)hist_quantile(h, 0.999), true);
		json_kv_num(f, "max", (long long)h->max, true);
		putc('}', f);
	}
	fprintf(f, "},\"integrity\":{");
	json_kv_num(f, "touchesChecked", (long long)stats.touches_checked, false);
	json_kv_num(f, "mismatchedPages", (long long)stats.mismatches, true);
	fprintf(f, "},\"memAvailable\":{");
	json_kv_num(f, "beforeBytes", stats.mem_before, false);
	json_kv_num(f, "afterBytes", stats.mem_after, true);
	json_kv_num(f, "pressureBytes", (long long)stats.pressure_bytes, true);
	putc('}', f);
}

const struct op op_stress = {
	.name = "stress",
	.need_mmap = true,
	.check = stress_check,
	.pass_setup = stress_setup,
	.pass_teardown = stress_teardown,
	.finish = stress_finish,
	.extra = stress_extra,
	.timed = stress_timed,
};
