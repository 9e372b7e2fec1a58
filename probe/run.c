// SPDX-License-Identifier: MIT
/*
 * `gmembench-probe run`: one job. Each pass (warm-up, then timed repetitions) gets a fresh backing
 * file; each thread works on its own range of it, all starting together at a barrier; after each
 * timed pass the threads' histograms are merged and written as one `rep` line.
 */
#include "probe.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

static const struct op *const ops[] = {
#define OP(sym) &sym,
#include "ops.h"
#undef OP
};

struct worker {
	pthread_t tid;
	struct range range;
	const struct op *op;
	struct hist hist;
	struct outcome out;
	pthread_barrier_t *start;
	uint64_t t_start, t_end; /* the thread's timed loop, from the barrier's release to its last call */
	int cpu;             /* the CPU this thread is pinned to, -1 when not pinned */
};

/* The CPUs the job's threads are pinned to (thread i on cpus[i % ncpus]); ncpus 0: not pinned. */
static int pin_cpus[1024];
static int pin_ncpus;

/* Pin the calling thread to one CPU; sched_setaffinity(0) acts on the calling thread only. */
static void pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	PROBE_ASSERT(!sched_setaffinity(0, sizeof(set), &set), "sched_setaffinity(cpu %d)", cpu);
}

/*
 * Choose where the threads run. "auto": the CPUs allowed to the probe, highest first, so a job with
 * fewer threads than CPUs keeps off CPU 0 (where most interrupts and housekeeping land); a list ("1"
 * or "2,3") is taken as given (each must be allowed); NULL or "none" leaves it to the scheduler.
 */
static int pin_choose(const char *spec, int threads, char *err, size_t errlen)
{
	cpu_set_t allowed;
	int n = 0;

	pin_ncpus = 0;
	if (!spec || !strcmp(spec, "none"))
		return 0;
	PROBE_ASSERT(!sched_getaffinity(0, sizeof(allowed), &allowed), "sched_getaffinity");
	if (strcmp(spec, "auto")) {
		int want[1024];
		int k = numa_parse_nodes(spec, want, 1024);

		if (k < 1 || k > 1024) {
			snprintf(err, errlen, "--cpus \"%s\": not a CPU list", spec);
			return -1;
		}
		for (int i = 0; i < k; i++) {
			if (want[i] < 0 || want[i] >= CPU_SETSIZE || !CPU_ISSET(want[i], &allowed)) {
				snprintf(err, errlen, "--cpus: CPU %d is not allowed to this process", want[i]);
				return -1;
			}
			pin_cpus[n++] = want[i];
		}
	} else {
		for (int c = CPU_SETSIZE - 1; c >= 0 && n < threads; c--)
			if (CPU_ISSET(c, &allowed))
				pin_cpus[n++] = c;
	}
	pin_ncpus = n;
	return 0;
}

void print_op_names(FILE *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		fputs(i ? "," : "", f);
		json_str(f, ops[i]->name);
	}
}

static const struct op *find_op(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (!strcmp(ops[i]->name, name))
			return ops[i];
	return NULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int ok;

	if (w->cpu >= 0)
		pin_self(w->cpu);
	ok = !w->op->prepare || !w->op->prepare(&w->range, &w->out);

	/* everyone waits, so the timed loops overlap even when one thread failed to prepare */
	pthread_barrier_wait(w->start);
	w->t_start = now_ns();
	for (uint64_t off = w->range.off; ok && off < w->range.off + w->range.len; off += w->range.granule)
		ok = !w->op->timed(&w->range, off, &w->hist, &w->out);
	w->t_end = now_ns();
	return NULL;
}

/*
 * The pass's wall time: from the first thread leaving the barrier to the last one's last call.
 * Divided by the calls of all threads it is the pass's time per call (1 / throughput), which a
 * lock the threads contend for leaves alone: its p50 moves with whether the lock hands over
 * between the threads or lets one run on (shmem punch 2M at 2 threads: ~270 or ~520 us a call,
 * pass to pass, at the same ~290 us a call of wall time).
 */
static uint64_t pass_wall(const struct worker *ws, int threads)
{
	uint64_t first = ws[0].t_start, last = ws[0].t_end;

	for (int i = 1; i < threads; i++) {
		first = ws[i].t_start < first ? ws[i].t_start : first;
		last = ws[i].t_end > last ? ws[i].t_end : last;
	}
	return last - first;
}

/*
 * One pass over a fresh backing, its wall time in *wall; returns -1 with *out set when a thread
 * or the set-up failed.
 */
static int run_pass(const struct job *job, const struct op *op, struct worker *ws, bool warmup, struct outcome *out,
		    uint64_t *wall)
{
	pthread_barrier_t start;
	struct backing b;
	uint64_t per = job->region / (uint64_t)job->threads;
	int ret = 0;

	if (backing_open(job, op, &b, out)) {
		backing_close(&b);
		return -1;
	}
	b.warmup = warmup;
	if (op->pass_setup && op->pass_setup(job, &b, out)) {
		if (op->pass_teardown)
			op->pass_teardown(job, &b);
		backing_close(&b);
		return -1;
	}
	pthread_barrier_init(&start, NULL, (unsigned int)job->threads);
	for (int i = 0; i < job->threads; i++) {
		ws[i].range = (struct range){ .b = &b, .off = per * (uint64_t)i, .len = per, .granule = job->granule,
					     .index = i };
		ws[i].op = op;
		ws[i].start = &start;
		ws[i].cpu = pin_ncpus ? pin_cpus[i % pin_ncpus] : -1;
		ws[i].out.status = ST_OK;
		hist_clear(&ws[i].hist);
		PROBE_ASSERT(!pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]), "pthread_create");
	}
	for (int i = 0; i < job->threads; i++) {
		pthread_join(ws[i].tid, NULL);
		if (!ret && ws[i].out.status != ST_OK) {
			*out = ws[i].out;
			ret = -1;
		}
	}
	*wall = pass_wall(ws, job->threads);
	pthread_barrier_destroy(&start);
	if (op->pass_teardown)
		op->pass_teardown(job, &b);
	backing_close(&b);
	return ret;
}

/* "cpus": the CPU of each thread, in thread order; null when placement was left to the scheduler */
static void emit_cpus(const struct job *job)
{
	printf(",\"cpus\":");
	if (!pin_ncpus) {
		printf("null");
		return;
	}
	for (int i = 0; i < job->threads; i++)
		printf("%c%d", i ? ',' : '[', pin_cpus[i % pin_ncpus]);
	putchar(']');
}

static void emit_result(const struct job *job, const struct op *op, const struct outcome *o, uint64_t samples,
			uint64_t elapsed)
{
	static const char *const names[] = { "ok", "unsupported", "failed" };

	printf("{\"type\":\"result\"");
	json_kv_str(stdout, "path", job->path, true);
	json_kv_str(stdout, "op", job->op, true);
	json_kv_num(stdout, "granule", (long long)job->granule, true);
	json_kv_num(stdout, "threads", job->threads, true);
	json_kv_str(stdout, "status", names[o->status], true);
	json_kv_num(stdout, "samples", (long long)samples, true);
	json_kv_num(stdout, "elapsedNs", (long long)elapsed, true);
	emit_cpus(job);
	if (o->status != ST_OK)
		json_kv_str(stdout, "reason", o->reason, true);
	if (o->err) {
		json_kv_num(stdout, "errno", o->err, true);
		json_kv_str(stdout, "errnoName", errno_name(o->err), true);
	}
	if (op && op->extra) {
		printf(",\"extra\":{");
		op->extra(job, stdout);
		putchar('}');
	}
	puts("}");
	fflush(stdout);
}

/*
 * One job's side of a probe process. A process times one job, or two ("pair"): the same op on two
 * paths, their passes interleaved, so both meet the same moments of the machine and their ratio
 * is steady (bench/paired.ts: 2-3% between processes, against 9-18% for one process per path).
 */
struct side {
	struct job job;
	struct worker *ws;
	struct hist merged;
	struct outcome out;
	uint64_t samples, elapsed;
	void *state;         /* the op's state of this job while the other one runs (pairs only) */
	bool stopped;
};

static void side_init(struct side *x, const struct job *job, const struct op *op)
{
	x->job = *job;
	x->out = (struct outcome){ .status = ST_OK };
	x->ws = calloc((size_t)job->threads, sizeof(*x->ws));
	PROBE_ASSERT(x->ws, "worker allocation");
	hist_init(&x->merged, job->raw);
	for (int i = 0; i < job->threads; i++)
		hist_init(&x->ws[i].hist, job->raw);
	if (op->state) {
		x->state = malloc(op->state_size);
		PROBE_ASSERT(x->state, "op state allocation");
		memcpy(x->state, op->state, op->state_size);
	}
}

static void side_free(struct side *x)
{
	for (int i = 0; i < x->job.threads; i++)
		hist_free(&x->ws[i].hist);
	hist_free(&x->merged);
	free(x->ws);
	free(x->state);
}

/* The op's state of this job in place while it runs, and kept aside when it is done */
static void side_enter(const struct side *x, const struct op *op)
{
	if (x->state)
		memcpy(op->state, x->state, op->state_size);
}

static void side_leave(struct side *x, const struct op *op)
{
	if (x->state)
		memcpy(x->state, op->state, op->state_size);
}

/*
 * One pass of one side; a timed pass writes its rep line (naming its path when there are two) with
 * the null-syscall reference timed around it (ref.c)
 */
static void side_pass(struct side *x, const struct op *op, int pass, bool paired)
{
	static struct ref ref;
	bool warmup = pass < x->job.warmup;
	uint64_t t0 = now_ns(), wall = 0;
	double syscall_ns = 0;

	side_enter(x, op);
	if (!warmup)
		ref_time(&ref);
	x->stopped = run_pass(&x->job, op, x->ws, warmup, &x->out, &wall) != 0;
	if (!warmup) {
		ref_time(&ref);
		syscall_ns = ref_take(&ref);
	}
	if (!x->stopped && !warmup) {
		hist_clear(&x->merged);
		for (int i = 0; i < x->job.threads; i++)
			hist_merge(&x->merged, &x->ws[i].hist);
		hist_emit_rep(&x->merged, pass - x->job.warmup, paired ? x->job.path : NULL, syscall_ns,
			      op->wall ? wall : 0);
		x->samples += x->merged.n;
	}
	side_leave(x, op);
	x->elapsed += now_ns() - t0;
}

/* Every pass of n sides (1 or 2), A B B A A B ...: each side as often first as second */
static void run_sides(struct side *sides, int n, const struct op *op)
{
	int passes = sides[0].job.warmup + sides[0].job.repetitions;

	for (int pass = 0; pass < passes; pass++)
		for (int k = 0; k < n; k++) {
			struct side *x = &sides[pass % 2 ? n - 1 - k : k];

			if (!x->stopped)
				side_pass(x, op, pass, n > 1);
		}
	for (int k = 0; k < n; k++) {
		struct side *x = &sides[k];

		side_enter(x, op);
		if (x->out.status == ST_OK && op->finish)
			op->finish(&x->job, &x->out);
		emit_result(&x->job, op, &x->out, x->samples, x->elapsed);
	}
}

/* The job's up-front checks; not ok: its result line is written and it is not run */
static bool job_runs(const struct job *job, const struct op *op)
{
	struct outcome out = { .status = ST_OK };

	if (!backing_check(job, op->need_mmap, &out) && !(op->check && op->check(job, &out)))
		return true;
	emit_result(job, NULL, &out, 0, 0);
	return false;
}

int run_job(const char *json, const char *cpus)
{
	struct side sides[2] = { 0 };
	const struct op *op;
	struct job job, twin;
	int n = 0;
	char err[256];

	if (job_parse(json, &job, err, sizeof(err))) {
		fprintf(stderr, "gmembench-probe: %s\n", err);
		return 2;
	}
	if (pin_choose(cpus, job.threads, err, sizeof(err))) {
		fprintf(stderr, "gmembench-probe: %s\n", err);
		return 2;
	}
	/* the main thread's set-up (backing, VM, memslots) runs beside the first thread */
	if (pin_ncpus)
		pin_self(pin_cpus[0]);
	op = find_op(job.op);
	if (!op) {
		fprintf(stderr, "gmembench-probe: unknown op \"%s\"\n", job.op);
		return 2;
	}
	if (job.pair[0] && op->solo) {
		fprintf(stderr, "gmembench-probe: op \"%s\" runs alone: no \"pair\"\n", job.op);
		return 2;
	}
	twin = job;
	snprintf(twin.path, sizeof(twin.path), "%s", job.pair);
	twin.path_id = path_id_of(twin.path);
	if (job_runs(&job, op))
		side_init(&sides[n++], &job, op);
	if (job.pair[0] && job_runs(&twin, op))
		side_init(&sides[n++], &twin, op);
	if (n)
		run_sides(sides, n, op);
	for (int k = 0; k < n; k++)
		side_free(&sides[k]);
	return 0;
}
