// SPDX-License-Identifier: MIT
/* gmembench-probe version | fingerprint | run [--cpus auto|none|LIST] (job JSON on stdin) */
#include "probe.h"

#include <stdlib.h>
#include <string.h>

static char *read_stdin(void)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	PROBE_ASSERT(buf, "stdin buffer");
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n - 1, stdin);

		n += got;
		if (got == 0)
			break;
		if (n + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			PROBE_ASSERT(buf, "stdin buffer");
		}
	}
	buf[n] = '\0';
	return buf;
}

static int usage(void)
{
	fputs("usage: gmembench-probe version | fingerprint | run [--cpus auto|none|LIST] < job.json\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *cpus = NULL;
	char *job;
	int ret;

	if (argc == 4 && !strcmp(argv[1], "run") && !strcmp(argv[2], "--cpus"))
		cpus = argv[3];
	else if (argc != 2)
		return usage();
	if (!strcmp(argv[1], "version")) {
		printf("{\"type\":\"version\",\"probe\":\"%s\"}\n", PROBE_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "fingerprint")) {
		fingerprint();
		return 0;
	}
	if (strcmp(argv[1], "run"))
		return usage();
	job = read_stdin();
	ret = run_job(job, cpus);
	free(job);
	return ret;
}
