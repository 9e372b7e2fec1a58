// SPDX-License-Identifier: MIT
/*
 * The floor for bench/probe-floor.ts: a minimal loop that times only the same call as the probe,
 * with no harness around it (no threads, no histogram, no JSON job).
 *   floor <shmem|gmem> <alloc|fault|punch> <granule> <region> <repetitions>
 * Prints {"p50":ns,"samples":n}.
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

static int open_fd(const char *path, uint64_t size, int mmap_flags, int *mode)
{
	struct gmem_args args = { .size = size, .flags = mmap_flags ? GMEM_FLAG_MMAP | GMEM_FLAG_INIT_SHARED : 0 };
	int fd, kvm, vm;

	*mode = 0;
	if (strcmp(path, "gmem")) {
		fd = memfd_create("floor", 0);
		if (fd < 0 || ftruncate(fd, (off_t)size))
			exit(1);
		return fd;
	}
	kvm = open("/dev/kvm", O_RDWR);
	vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	fd = vm < 0 ? -1 : ioctl(vm, CREATE_GUEST_MEMFD, &args);
	if (fd < 0)
		exit(1);
	*mode = FALLOC_FL_KEEP_SIZE;
	return fd;
}

int main(int argc, char **argv)
{
	uint64_t granule, region, n, *s, t0, t1;
	int reps, fd, mode, fault, punch, k = 0;
	char *map = NULL;

	if (argc != 6)
		return 2;
	granule = strtoull(argv[3], NULL, 10);
	region = strtoull(argv[4], NULL, 10);
	reps = atoi(argv[5]);
	fault = !strcmp(argv[2], "fault");
	punch = !strcmp(argv[2], "punch");
	n = region / granule;
	s = malloc(sizeof(*s) * n * (uint64_t)reps);
	for (int r = 0; r < reps; r++) {
		fd = open_fd(argv[1], region, fault, &mode);
		if (fault)
			map = mmap(NULL, region, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (punch && fallocate(fd, mode, 0, (off_t)region))
			return 1;
		for (uint64_t off = 0; off < region; off += granule) {
			t0 = now();
			if (fault)
				for (uint64_t i = 0; i < granule; i += 4096)
					((volatile char *)map)[off + i] = 1;
			else if (punch)
				fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)granule);
			else
				fallocate(fd, mode, (off_t)off, (off_t)granule);
			t1 = now();
			s[k++] = t1 - t0;
		}
		if (map)
			munmap(map, region);
		close(fd);
	}
	qsort(s, (size_t)k, sizeof(*s), cmp);
	printf("{\"p50\":%llu,\"samples\":%d}\n", (unsigned long long)s[k / 2], k);
	return 0;
}
