// SPDX-License-Identifier: MIT
/*
 * Log-linear latency histogram: values below 2048 ns are exact; above, each power of two is split
 * into 1024 sub-buckets (relative error < 0.1%, three significant digits), like HdrHistogram.
 * The controller re-records the buckets into a real HdrHistogram.
 */
#include "probe.h"

#include <stdlib.h>
#include <string.h>

#define SUB_BITS	10
#define SUB_COUNT	(1U << SUB_BITS)          /* 1024 */
#define EXACT_LIMIT	(2U * SUB_COUNT)          /* 2048: values below are their own bucket */
#define MAX_SHIFT	44                        /* up to ~2^55 ns */
#define NBUCKETS	(EXACT_LIMIT + MAX_SHIFT * SUB_COUNT)

static unsigned int bucket_of(uint64_t v)
{
	unsigned int shift;

	if (v < EXACT_LIMIT)
		return (unsigned int)v;
	shift = 63 - __builtin_clzll(v) - SUB_BITS;   /* v >> shift is in [1024, 2048) */
	if (shift > MAX_SHIFT)           /* over 200 days: the last bucket */
		return NBUCKETS - 1;
	return EXACT_LIMIT + (shift - 1) * SUB_COUNT + (unsigned int)((v >> shift) - SUB_COUNT);
}

static uint64_t bucket_low(unsigned int i)
{
	unsigned int shift;

	if (i < EXACT_LIMIT)
		return i;
	shift = (i - EXACT_LIMIT) / SUB_COUNT + 1;
	return ((uint64_t)((i - EXACT_LIMIT) % SUB_COUNT) + SUB_COUNT) << shift;
}

void hist_init(struct hist *h, bool keep_raw)
{
	memset(h, 0, sizeof(*h));
	h->counts = calloc(NBUCKETS, sizeof(uint64_t));
	PROBE_ASSERT(h->counts, "histogram allocation");
	h->keep_raw = keep_raw;
	h->min = UINT64_MAX;
}

static void raw_push(struct hist *h, uint64_t ns)
{
	if (h->nraw == h->capraw) {
		h->capraw = h->capraw ? h->capraw * 2 : 4096;
		h->raw = realloc(h->raw, h->capraw * sizeof(uint64_t));
		PROBE_ASSERT(h->raw, "raw sample buffer");
	}
	h->raw[h->nraw++] = ns;
}

void hist_record(struct hist *h, uint64_t ns)
{
	h->counts[bucket_of(ns)]++;
	h->n++;
	h->sum += (double)ns;
	h->sumsq += (double)ns * (double)ns;
	if (ns < h->min)
		h->min = ns;
	if (ns > h->max)
		h->max = ns;
	if (h->keep_raw)
		raw_push(h, ns);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	for (unsigned int i = 0; i < NBUCKETS; i++)
		dst->counts[i] += src->counts[i];
	dst->n += src->n;
	dst->sum += src->sum;
	dst->sumsq += src->sumsq;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	for (size_t i = 0; dst->keep_raw && i < src->nraw; i++)
		raw_push(dst, src->raw[i]);
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t want = (uint64_t)(q * (double)h->n), seen = 0;

	for (unsigned int i = 0; h->n && i < NBUCKETS; i++) {
		seen += h->counts[i];
		if (seen > want || seen == h->n)
			return bucket_low(i) > h->max ? h->max : bucket_low(i);
	}
	return 0;
}

void hist_clear(struct hist *h)
{
	memset(h->counts, 0, NBUCKETS * sizeof(uint64_t));
	h->n = 0;
	h->sum = h->sumsq = 0;
	h->min = UINT64_MAX;
	h->max = 0;
	h->nraw = 0;
}

void hist_free(struct hist *h)
{
	free(h->counts);
	free(h->raw);
	memset(h, 0, sizeof(*h));
}

void hist_emit_rep(const struct hist *h, int index, const char *path, double syscall_ns, uint64_t wall_ns)
{
	bool first = true;

	printf("{\"type\":\"rep\",\"index\":%d,\"samples\":%llu,\"min\":%llu,\"max\":%llu,"
	       "\"sum\":%.17g,\"sumsq\":%.17g,\"syscallNs\":%.1f,",
	       index, (unsigned long long)h->n, (unsigned long long)(h->n ? h->min : 0),
	       (unsigned long long)h->max, h->sum, h->sumsq, syscall_ns);
	if (wall_ns)
		printf("\"wallNs\":%llu,", (unsigned long long)wall_ns);
	fputs("\"buckets\":[", stdout);
	for (unsigned int i = 0; i < NBUCKETS; i++) {
		if (!h->counts[i])
			continue;
		printf("%s[%llu,%llu]", first ? "" : ",", (unsigned long long)bucket_low(i),
		       (unsigned long long)h->counts[i]);
		first = false;
	}
	putchar(']');
	if (path)
		json_kv_str(stdout, "path", path, true);
	if (h->keep_raw) {
		fputs(",\"raw\":[", stdout);
		for (size_t i = 0; i < h->nraw; i++)
			printf("%s%llu", i ? "," : "", (unsigned long long)h->raw[i]);
		putchar(']');
	}
	puts("}");
	fflush(stdout);
}
