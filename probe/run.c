// SPDX-License-Identifier: MIT
/*
 * `gmembench-probe run`: one job. Each pass (warm-up, then timed repetitions) gets a fresh backing
 * file; each thread works on its own range of it, all starting together at a barrier; after each
 * timed pass the threads' histograms are merged and written as one `rep` line.
 */
#include "probe.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const struct op *const ops[] = {
	&op_alloc, &op_fault, &op_punch,
	&op_to_private, &op_to_shared, &op_vmm_to_private, &op_vmm_to_shared, &op_touch_private, &op_touch_shared,
	&op_guest_fault, &op_guest_refault, &op_migrate, &op_compact, &op_stress,
	&op_guest_convert, &op_gmem_numa,
};

struct worker {
	pthread_t tid;
	struct range range;
	const struct op *op;
	struct hist hist;
	struct outcome out;
	pthread_barrier_t *start;
};

static const struct op *find_op(const char *name)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(ops[i]->name, name))
			return ops[i];
	return NULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int ok = !w->op->prepare || !w->op->prepare(&w->range, &w->out);

	/* everyone waits, so the timed loops overlap even when one thread failed to prepare */
	pthread_barrier_wait(w->start);
	for (uint64_t off = w->range.off; ok && off < w->range.off + w->range.len; off += w->range.granule)
		ok = !w->op->timed(&w->range, off, &w->hist, &w->out);
	return NULL;
}

/* One pass over a fresh backing; returns -1 with *out set when a thread or the set-up failed. */
static int run_pass(const struct job *job, const struct op *op, struct worker *ws, bool warmup, struct outcome *out)
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
	pthread_barrier_destroy(&start);
	if (op->pass_teardown)
		op->pass_teardown(job, &b);
	backing_close(&b);
	return ret;
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

static void run_passes(const struct job *job, const struct op *op)
{
	struct worker *ws = calloc((size_t)job->threads, sizeof(*ws));
	struct outcome out = { .status = ST_OK };
	struct hist merged;
	uint64_t samples = 0, t0 = now_ns();

	PROBE_ASSERT(ws, "worker allocation");
	hist_init(&merged, job->raw);
	for (int i = 0; i < job->threads; i++)
		hist_init(&ws[i].hist, job->raw);
	for (int pass = 0; pass < job->warmup + job->repetitions; pass++) {
		if (run_pass(job, op, ws, pass < job->warmup, &out))
			break;
		if (pass < job->warmup)
			continue;
		hist_clear(&merged);
		for (int i = 0; i < job->threads; i++)
			hist_merge(&merged, &ws[i].hist);
		hist_emit_rep(&merged, pass - job->warmup);
		samples += merged.n;
	}
	if (out.status == ST_OK && op->finish)
		op->finish(job, &out);
	emit_result(job, op, &out, samples, now_ns() - t0);
	for (int i = 0; i < job->threads; i++)
		hist_free(&ws[i].hist);
	hist_free(&merged);
	free(ws);
}

int run_job(const char *json)
{
	struct outcome out = { .status = ST_OK };
	const struct op *op;
	struct job job;
	char err[256];

	if (job_parse(json, &job, err, sizeof(err))) {
		fprintf(stderr, "gmembench-probe: %s\n", err);
		return 2;
	}
	op = find_op(job.op);
	if (!op) {
		fprintf(stderr, "gmembench-probe: unknown op \"%s\"\n", job.op);
		return 2;
	}
	if (backing_check(&job, op->need_mmap, &out) || (op->check && op->check(&job, &out)))
		emit_result(&job, NULL, &out, 0, 0);
	else
		run_passes(&job, op);
	return 0;
}
