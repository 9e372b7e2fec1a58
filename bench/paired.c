// SPDX-License-Identifier: MIT
/*
 * For bench/paired.ts: two backing paths timed in ONE process, their passes interleaved (A B B A
 * A B ...), against each path in a process of its own.
 *   paired <alloc|fault|punch> <granule> <region> <passes> <path> [<path>]
 * path: shmem (a memfd) or gmem (KVM_CREATE_GUEST_MEMFD on a default VM). Each path gets one
 * warm-up pass, then <passes> timed passes over a fresh file each. Prints {"p50":[ns, ...]}, one
 * median per path in the order given; exits 1 when a path cannot be opened here.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

enum op { OP_ALLOC, OP_FAULT, OP_PUNCH };

struct path {
	const char *name;
	int vm;              /* gmem: the VM its files belong to */
	uint64_t *samples;
	uint64_t n;
};

static void need(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(1);
	}
}

static int open_file(struct path *p, uint64_t size, enum op op, int *mode)
{
	struct gmem_args args = { .size = size, .flags = op == OP_FAULT ? GMEM_FLAG_MMAP | GMEM_FLAG_INIT_SHARED : 0 };
	int fd;

	*mode = 0;
	if (strcmp(p->name, "gmem")) {
		fd = memfd_create("paired", 0);
		need(fd >= 0 && !ftruncate(fd, (off_t)size), "memfd");
		return fd;
	}
	fd = ioctl(p->vm, CREATE_GUEST_MEMFD, &args);
	need(fd >= 0, "KVM_CREATE_GUEST_MEMFD");
	*mode = FALLOC_FL_KEEP_SIZE;
	return fd;
}

/* One pass over a fresh file; timed passes add one sample per granule. */
static void run_pass(struct path *p, enum op op, uint64_t granule, uint64_t region, int timed)
{
	char *map = NULL;
	int mode, fd = open_file(p, region, op, &mode);

	if (op == OP_FAULT) {
		map = mmap(NULL, region, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		need(map != MAP_FAILED, "mmap");
	}
	if (op == OP_PUNCH)
		need(!fallocate(fd, mode, 0, (off_t)region), "fallocate");
	for (uint64_t off = 0; off < region; off += granule) {
		uint64_t t0 = now();

		if (op == OP_FAULT)
			for (uint64_t i = 0; i < granule; i += 4096)
				((volatile char *)map)[off + i] = 1;
		else if (op == OP_PUNCH)
			fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)granule);
		else
			fallocate(fd, mode, (off_t)off, (off_t)granule);
		if (timed)
			p->samples[p->n++] = now() - t0;
	}
	if (map)
		munmap(map, region);
	close(fd);
}

int main(int argc, char **argv)
{
	struct path paths[2] = { 0 };
	uint64_t granule, region;
	int passes, npaths = argc - 5;
	enum op op;

	if (argc < 6 || argc > 7)
		return 2;
	op = !strcmp(argv[1], "fault") ? OP_FAULT : !strcmp(argv[1], "punch") ? OP_PUNCH : OP_ALLOC;
	granule = strtoull(argv[2], NULL, 10);
	region = strtoull(argv[3], NULL, 10);
	passes = atoi(argv[4]);
	for (int i = 0; i < npaths; i++) {
		paths[i].name = argv[5 + i];
		paths[i].samples = malloc(sizeof(uint64_t) * (region / granule) * (uint64_t)passes);
		need(paths[i].samples != NULL, "malloc");
		if (!strcmp(paths[i].name, "gmem")) {
			int kvm = open("/dev/kvm", O_RDWR);

			paths[i].vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
			need(paths[i].vm >= 0, "KVM_CREATE_VM");
		}
	}
	for (int i = 0; i < npaths; i++)
		run_pass(&paths[i], op, granule, region, 0);
	/* A B B A A B ...: each path as often first as second, so a drift inside the process cancels */
	for (int r = 0; r < passes; r++)
		for (int i = 0; i < npaths; i++)
			run_pass(&paths[r % 2 ? npaths - 1 - i : i], op, granule, region, 1);
	printf("{\"p50\":[");
	for (int i = 0; i < npaths; i++) {
		qsort(paths[i].samples, paths[i].n, sizeof(uint64_t), cmp);
		printf("%s%llu", i ? "," : "", (unsigned long long)paths[i].samples[paths[i].n / 2]);
	}
	printf("]}\n");
	return 0;
}
