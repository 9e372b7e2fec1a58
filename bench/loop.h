/* SPDX-License-Identifier: MIT */
/*
 * What the benchmarks' minimal C loops share (bench/floor.c, bench/paired.c): the clock the probe
 * reads, a sort order for samples, and guest_memfd's ioctl (the installed headers predate it).
 */
#ifndef GMEMBENCH_BENCH_LOOP_H
#define GMEMBENCH_BENCH_LOOP_H

#include <linux/kvm.h>
#include <stdint.h>
#include <time.h>

struct gmem_args { uint64_t size, flags, reserved[6]; };
#define CREATE_GUEST_MEMFD _IOWR(KVMIO, 0xd4, struct gmem_args)
#define GMEM_FLAG_MMAP (1ULL << 0)
#define GMEM_FLAG_INIT_SHARED (1ULL << 1)

static inline uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* qsort order of uint64_t samples */
static inline int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#endif
