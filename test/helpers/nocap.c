// SPDX-License-Identifier: MIT
/*
 * nocap LIMIT_KIB PROGRAM ARGS...: run PROGRAM as a root without CAP_SYS_RESOURCE (dropped from the
 * bounding set, so the exec'd program never gets it back) under RLIMIT_MEMLOCK = LIMIT_KIB, soft
 * and hard: a root that cannot raise its locked-memory limit, as in a container. For the lab test
 * of secretmem past that limit (busybox has no capsh or setpriv).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/capability.h>

int main(int argc, char **argv)
{
	struct rlimit rl;

	if (argc < 3) {
		fprintf(stderr, "usage: nocap LIMIT_KIB PROGRAM ARGS...\n");
		return 2;
	}
	rl.rlim_cur = rl.rlim_max = strtoull(argv[1], NULL, 10) << 10;
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0) || setrlimit(RLIMIT_MEMLOCK, &rl)) {
		perror("nocap");
		return 1;
	}
	execv(argv[2], argv + 2);
	perror("nocap: execv");
	return 1;
}
