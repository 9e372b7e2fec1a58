// SPDX-License-Identifier: MIT
/*
 * stress: every thread runs a random mix of alloc, punch, convert and touch on random granules of
 * ONE shared region, for params.durationMs (default 1000) or until params.ops calls in all, under
 * optional memory pressure (params.pressure: that share of MemAvailable held populated by a helper
 * process).
 *   alloc    fallocate(mode of the path) of the granule
 *   punch    fallocate(PUNCH_HOLE|KEEP_SIZE)
 *   convert  a VMM's discard on a conversion: PUNCH_HOLE + madvise(MADV_DONTNEED) of the mapping
 *   touch    read the first word of each page, then write a new tag there
 * Each call is timed alone (a per-granule lock, taken outside the clock, keeps each granule's state
 * exact). Integrity: a touch must read the last tag written to the granule, or zero after a punch or
 * convert; anything else fails the row.
 * Leak: what the job itself still holds once every backing is closed, by kind (shmem, guest_memfd,
 * hugetlb). Counted in a cgroup of the job's own (cgroup.c): its memory.stat shmem, its file pages
 * that are not shmem (guest_memfd's page cache: it charges there, as measured on 6.18) and
 * hugetlb.2MB.current; the pressure helper lives in a sibling cgroup. Without a cgroup (or with
 * params.noCgroup): the blocks still allocated in each backing file the probe still has open, plus its
 * RssShmem; guest_memfd keeps st_blocks at 0, so its pages are counted by mincore(), which sees only
 * pages faulted in at least once (fallocated ones are zeroed lazily and count as absent).
 * MemAvailable before and after is information only: it is system-wide.
 * params.keepBacking (tests only): the first pass leaves its backing populated, faulted in and open:
 * a leak of exactly the region's size.
 */
#include "probe.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum sop { S_ALLOC, S_PUNCH, S_CONVERT, S_TOUCH, S_NOPS };
static const char *const sop_names[S_NOPS] = { "alloc", "punch", "convert", "touch" };

#define LEAK_SETTLE_MS	3000   /* cgroup stats are flushed every 2 s, RCU frees come late: wait this long */

enum kind { K_SHMEM, K_GMEM, K_HUGETLB, K_NKINDS };
static const char *const kind_names[K_NKINDS] = { "shmemBytes", "guestMemfdBytes", "hugetlbBytes" };

struct granule_state {
	pthread_mutex_t lock;
	uint64_t tag;        /* what the first word of each page holds; 0 after punch/convert */
};

struct stress_pass {
	struct granule_state *g;
	uint64_t ngranules;
	pid_t pressure_pid;      /* the helper holding params.pressure of MemAvailable, 0 if none */
	uint64_t duration_ns;    /* params.durationMs */
	uint64_t ops_per_thread; /* params.ops / threads; 0 = until the time is up */
};

static struct {
	pthread_mutex_t lock;
	struct hist per_op[S_NOPS];
	bool init;
	uint64_t elapsed_ns, touches_checked, mismatches, pressure_bytes;
	long long mem_before, mem_after;
	struct cgroup_job cg;
	bool in_cg;                        /* the job has its own cgroup */
	char cg_why[256];                  /* why not */
	struct cg_mem cg_before, cg_after;
	long long before[K_NKINDS], leak[K_NKINDS];
	int kept_fd;                       /* params.keepBacking: the backing left open, else -1 */
} stats = { .lock = PTHREAD_MUTEX_INITIALIZER, .kept_fd = -1 };

static int stress_check(const struct job *job, struct outcome *o)
{
	double pressure = job_param(job, "pressure", 0);

	if (job->path_id == PATH_SECRETMEM)
		return outcome_unsupported(o, "memfd_secret does not support fallocate (EOPNOTSUPP): no alloc, punch or "
					   "convert to mix");
	if (pressure < 0 || pressure > 0.8)
		return outcome_failed(o, EINVAL, "params.pressure must be between 0 and 0.8 (got %g)", pressure);
	return 0;
}

/* RssShmem of this process, in bytes */
static long long rss_shmem(void)
{
	char line[256];
	long long v = 0;
	FILE *f = fopen("/proc/self/status", "r");

	PROBE_ASSERT(f, "/proc/self/status");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "RssShmem:", 9))
			v = strtoll(line + 9, NULL, 10) * 1024;
	fclose(f);
	return v;
}

/* the kind of memory an open file of a backing holds, or -1 when the fd is none of ours */
static int fd_kind(const char *target)
{
	if (!strncmp(target, "/memfd:gmembench-shmem", 22))
		return K_SHMEM;
	if (!strncmp(target, "/memfd:gmembench-hugetlb", 24))
		return K_HUGETLB;
	return strstr(target, "kvm-gmem") ? K_GMEM : -1;
}

/* guest_memfd keeps st_blocks at 0 and has no SEEK_DATA: count its page cache through mincore() */
static long long gmem_resident(int fd, off_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t npages = (size_t)(size / page);
	unsigned char *vec = calloc(npages ? npages : 1, 1);
	long long n = 0;
	void *map;

	PROBE_ASSERT(vec, "mincore vector");
	map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	if (map != MAP_FAILED && !mincore(map, (size_t)size, vec))
		for (size_t i = 0; i < npages; i++)
			n += vec[i] & 1;
	if (map != MAP_FAILED)
		munmap(map, (size_t)size);
	free(vec);
	return n * page;
}

/* without a cgroup: the blocks allocated in every backing file still open, plus RssShmem */
static void held_by_files(long long held[K_NKINDS])
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	PROBE_ASSERT(d, "/proc/self/fd");
	memset(held, 0, sizeof(long long) * K_NKINDS);
	while ((e = readdir(d))) {
		char link[300], target[256];
		struct stat st;
		ssize_t n;
		int k;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		k = fd_kind(target);
		if (k < 0 || stat(link, &st))
			continue;
		held[k] += k == K_GMEM ? gmem_resident((int)strtol(e->d_name, NULL, 10), st.st_size)
					 : (long long)st.st_blocks * 512;
	}
	closedir(d);
	held[K_SHMEM] += rss_shmem();
}

/* with a cgroup: the job leaf's charges by kind (guest_memfd: its file pages that are not shmem) */
static void held_by_cgroup(long long held[K_NKINDS], struct cg_mem *m)
{
	PROBE_ASSERT(!cg_read(&stats.cg, stats.cg.job, m), "reading %s", stats.cg.job);
	held[K_SHMEM] = m->shmem;
	held[K_GMEM] = m->file - m->shmem;
	held[K_HUGETLB] = m->hugetlb > 0 ? m->hugetlb : 0;
}

static void held_now(long long held[K_NKINDS], struct cg_mem *m)
{
	if (stats.in_cg)
		held_by_cgroup(held, m);
	else
		held_by_files(held);
}

static void stress_init(const struct job *job)
{
	for (int i = 0; i < S_NOPS; i++)
		hist_init(&stats.per_op[i], false);
	stats.init = true;
	stats.mem_before = meminfo("MemAvailable");
	if (job_param(job, "noCgroup", 0))
		snprintf(stats.cg_why, sizeof(stats.cg_why), "params.noCgroup");
	else
		stats.in_cg = !cg_create(&stats.cg, stats.cg_why, sizeof(stats.cg_why));
	held_now(stats.before, &stats.cg_before);
}

/* the pressure helper: a child in the side cgroup that holds len bytes populated until killed */
static pid_t pressure_start(uint64_t len)
{
	int fds[2];
	char c = 0;
	pid_t pid;

	PROBE_ASSERT(!pipe(fds), "pipe");
	pid = fork();
	PROBE_ASSERT(pid >= 0, "fork of the pressure helper");
	if (!pid) {
		char *p;

		if (stats.in_cg && cg_enter(&stats.cg, stats.cg.side))
			_exit(3);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(4);
		memset(p, 1, len);
		if (write(fds[1], &c, 1) != 1)
			_exit(5);
		for (;;)
			pause();
	}
	close(fds[1]);
	PROBE_ASSERT(read(fds[0], &c, 1) == 1, "the pressure helper of %llu bytes died", (unsigned long long)len);
	close(fds[0]);
	return pid;
}

static void pressure_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void stress_teardown(const struct job *job, struct backing *b)
{
	struct stress_pass *s = b->priv;
	struct outcome o;

	if (!s)
		return;
	if (s->pressure_pid)
		pressure_stop(s->pressure_pid);
	if (job_param(job, "keepBacking", 0) && stats.kept_fd < 0 && !b->warmup) {
		PROBE_ASSERT(!backing_populate(b, 0, b->size, &o), "keepBacking: %s", o.reason);
		for (uint64_t i = 0; i < b->size; i += b->page_size)   /* and faulted in: mincore sees it */
			b->map[i] = 1;
		stats.kept_fd = dup(b->fd);   /* never closed: the deliberate leak */
		PROBE_ASSERT(stats.kept_fd >= 0, "keepBacking: dup");
	}
	if (stats.in_cg)
		PROBE_ASSERT(!cg_leave(&stats.cg), "leaving %s", stats.cg.job);
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
	if (!stats.init)   /* the first pass: where the leak check starts from */
		stress_init(job);
	if (stats.in_cg)   /* from here on, what the pass allocates is charged to the job's cgroup */
		PROBE_ASSERT(!cg_enter(&stats.cg, stats.cg.job), "entering %s", stats.cg.job);
	b->priv = s;
	s->ngranules = b->size / job->granule;
	s->duration_ns = (uint64_t)(job_param(job, "durationMs", 1000) * 1e6);
	s->ops_per_thread = (uint64_t)job_param(job, "ops", 0) / (uint64_t)job->threads;
	s->g = calloc(s->ngranules, sizeof(*s->g));
	PROBE_ASSERT(s->g, "granule table");
	for (uint64_t i = 0; i < s->ngranules; i++)
		pthread_mutex_init(&s->g[i].lock, NULL);
	if (pressure > 0) {
		stats.pressure_bytes = (uint64_t)(pressure * (double)meminfo("MemAvailable")) / MiB * MiB;
		s->pressure_pid = pressure_start(stats.pressure_bytes);
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


static bool leak_measure(void)
{
	long long held[K_NKINDS];
	bool any = false;

	held_now(held, &stats.cg_after);
	for (int k = 0; k < K_NKINDS; k++) {
		stats.leak[k] = held[k] > stats.before[k] ? held[k] - stats.before[k] : 0;
		any |= stats.leak[k] > 0;
	}
	return any;
}

static const char *leak_method(void)
{
	return !stats.in_cg ? "backing-files" : stats.cg.version == 2 ? "cgroup-v2" : "cgroup-v1";
}

/*
 * No leak: once every backing is closed the job holds no shmem, guest_memfd or hugetlb memory beyond
 * what it held before the first pass. Freed pages can be counted late (RCU, the cgroup's periodic
 * stat flush): poll for a while before calling it a leak.
 */
static int stress_finish(const struct job *job, struct outcome *o)
{
	struct timespec tick = { .tv_nsec = 100 * 1000000L };
	bool leak;

	(void)job;
	for (int waited = 0; (leak = leak_measure()) && waited < LEAK_SETTLE_MS; waited += 100)
		nanosleep(&tick, NULL);
	stats.mem_after = meminfo("MemAvailable");
	if (stats.in_cg)
		cg_destroy(&stats.cg);
	if (!leak)
		return 0;
	return outcome_failed(o, 0, "leak: %d s after closing everything the job still holds %lld bytes of shmem, "
			      "%lld of guest_memfd, %lld of hugetlb (%s)", LEAK_SETTLE_MS / 1000, stats.leak[K_SHMEM],
			      stats.leak[K_GMEM], stats.leak[K_HUGETLB], leak_method());
}

static void leak_extra(FILE *f)
{
	fprintf(f, ",\"leak\":{");
	json_kv_str(f, "method", leak_method(), false);
	for (int k = 0; k < K_NKINDS; k++)
		json_kv_num(f, kind_names[k], stats.leak[k], true);
	if (stats.in_cg) {
		json_kv_num(f, "currentBytes", stats.cg_after.current, true);
		json_kv_num(f, "kernelBytes", stats.cg_after.kernel, true);
	} else {
		json_kv_str(f, "noCgroup", stats.cg_why, true);
	}
	putc('}', f);
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
	leak_extra(f);
}

const struct op op_stress = {
	.name = "stress",
	.solo = true,
	.need_mmap = true,
	.check = stress_check,
	.pass_setup = stress_setup,
	.pass_teardown = stress_teardown,
	.finish = stress_finish,
	.extra = stress_extra,
	.timed = stress_timed,
};
