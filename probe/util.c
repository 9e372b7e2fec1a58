// SPDX-License-Identifier: MIT
#include "probe.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fputs("gmembench-probe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, " (errno %d %s)", err, errno_name(err));
	fputc('\n', stderr);
	exit(2);
}

static const struct { int err; const char *name; } errnos[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" }, { EIO, "EIO" },
	{ ENXIO, "ENXIO" }, { E2BIG, "E2BIG" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
	{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { EMFILE, "EMFILE" },
	{ ENOTTY, "ENOTTY" }, { EFBIG, "EFBIG" }, { ENOSPC, "ENOSPC" }, { ESPIPE, "ESPIPE" },
	{ ERANGE, "ERANGE" }, { ENOSYS, "ENOSYS" }, { EOPNOTSUPP, "EOPNOTSUPP" },
	{ EHWPOISON, "EHWPOISON" }, { ETIMEDOUT, "ETIMEDOUT" },
};

const char *errno_name(int err)
{
	for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
		if (errnos[i].err == err)
			return errnos[i].name;
	return "E?";
}

int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int read_text(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

long long meminfo(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		v = strtoll(line + klen + 1, NULL, 10);
		if (strstr(line, " kB"))
			v *= 1024;
		break;
	}
	fclose(f);
	return v;
}

static int outcome_set(struct outcome *o, enum status st, int err, const char *fmt, va_list ap)
{
	o->status = st;
	o->err = err;
	vsnprintf(o->reason, sizeof(o->reason), fmt, ap);
	return -1;
}

int outcome_unsupported(struct outcome *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	outcome_set(o, ST_UNSUPPORTED, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int outcome_failed(struct outcome *o, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	outcome_set(o, ST_FAILED, err, fmt, ap);
	va_end(ap);
	return -1;
}

int outcome_errno(struct outcome *o, int err, const char *fmt, ...)
{
	bool cannot = err == EOPNOTSUPP || err == ENOSYS || err == ENOTTY;
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (cannot)
		return outcome_unsupported(o, "%s: %s (the kernel does not support it here)", what, errno_name(err));
	return outcome_failed(o, err, "%s: %s", what, errno_name(err));
}

int numa_parse_nodes(const char *list, int *nodes, int max)
{
	int n = 0;

	while (*list) {
		char *end;
		long a = strtol(list, &end, 10), b = a;

		if (end == list)
			break;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (long i = a; i <= b; i++, n++)
			if (nodes && n < max)
				nodes[n] = (int)i;
		list = *end == ',' ? end + 1 : end;
	}
	return n;
}

int numa_online(int *nodes, int max)
{
	char online[256];

	if (read_text("/sys/devices/system/node/online", online, sizeof(online))) {
		if (max > 0)
			nodes[0] = 0;
		return 1;
	}
	return numa_parse_nodes(online, nodes, max);
}

long long vmstat(const char *key)
{
	FILE *f = fopen("/proc/vmstat", "r");
	char name[64];
	long long v, found = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &v) == 2)
		if (!strcmp(name, key)) {
			found = v;
			break;
		}
	fclose(f);
	return found;
}
