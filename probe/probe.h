/* SPDX-License-Identifier: MIT */
/*
 * gmembench-probe: times guest-memory operations with raw syscalls and ioctls and writes JSON
 * lines (docs/probe-protocol.md). Built as one static binary from the probe/ sources, so it runs on hosts
 * without Node.js or any library.
 */
#ifndef GMEMBENCH_PROBE_H
#define GMEMBENCH_PROBE_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define PROBE_VERSION "0.1.0"

#define KiB (1024ULL)
#define MiB (1024ULL * KiB)

/* ---- util.c ---- */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* The one assert helper, as in the KVM selftests: exit with the failed condition and errno. */
#define PROBE_ASSERT(cond, fmt, ...) \
	do { if (!(cond)) die("%s:%d: %s: " fmt, __FILE__, __LINE__, #cond, ##__VA_ARGS__); } while (0)
/* CLOCK_MONOTONIC in ns; inline so nothing but the vDSO read sits between a sample's bounds */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
const char *errno_name(int err);
/* Read a whole small file into buf (NUL-terminated, trailing newline dropped); -1 if unreadable. */
int read_text(const char *path, char *buf, size_t len);
/* A "Key:   123 kB" line of /proc/meminfo, in bytes (kB scaled) or plain count; -1 if absent. */
long long meminfo(const char *key);

/* ---- json.c ---- */
void json_str(FILE *f, const char *s);          /* a quoted, escaped JSON string, or null */
void json_kv_str(FILE *f, const char *k, const char *v, bool comma);
void json_kv_num(FILE *f, const char *k, long long v, bool comma);

struct job {
	char path[32];
	char op[32];
	uint64_t granule;
	uint64_t region;
	int threads;
	int repetitions;
	int warmup;
	double max_mem_share;
	bool raw;
	char params[4096];   /* the raw text of the "params" object, "{}" when absent */
};
/* Parse the job object; on error return -1 with a message in err. */
int job_parse(const char *text, struct job *job, char *err, size_t errlen);
/* A number in job->params ("params":{"batch":64}), or def when absent. */
double job_param(const struct job *job, const char *key, double def);

/* ---- hist.c: log-linear latency histogram, 1024 sub-buckets per power of two ---- */
struct hist {
	uint64_t *counts;
	uint64_t n, min, max;
	double sum, sumsq;
	uint64_t *raw;       /* every sample when the job asks for raw output */
	size_t nraw, capraw;
	bool keep_raw;
};
void hist_init(struct hist *h, bool keep_raw);
void hist_record(struct hist *h, uint64_t ns);
void hist_merge(struct hist *dst, const struct hist *src);
void hist_clear(struct hist *h);
void hist_free(struct hist *h);
void hist_emit_rep(const struct hist *h, int index);

/* ---- outcome of a job: the status rules of the protocol ---- */
enum status { ST_OK, ST_UNSUPPORTED, ST_FAILED };
struct outcome {
	enum status status;
	int err;             /* errno of a failure, 0 if none */
	char reason[512];
};
/* Classify a failed syscall: EOPNOTSUPP/ENOSYS/ENOTTY mean the host cannot, others are failures. */
int outcome_errno(struct outcome *o, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int outcome_unsupported(struct outcome *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int outcome_failed(struct outcome *o, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- kvm.c ---- */
int kvm_open(void);                                  /* -1 with errno when there is no /dev/kvm */
int kvm_check(int fd, long cap);                     /* KVM_CHECK_EXTENSION, 0 when unknown */
int kvm_create_vm(int kvm_fd, unsigned long type);   /* -1 with errno */
int kvm_create_guest_memfd(int vm_fd, uint64_t size, uint64_t flags); /* -1 with errno */
const char *kvm_vm_type_name(int type);

#define KVM_CAP_USER_MEMORY2		231
#define KVM_CAP_MEMORY_FAULT_INFO	232
#define KVM_CAP_MEMORY_ATTRIBUTES	233
#define KVM_CAP_GUEST_MEMFD		234
#define KVM_CAP_VM_TYPES		235
#define KVM_CAP_PRE_FAULT_MEMORY	236
#define KVM_CAP_GUEST_MEMFD_FLAGS	244
#define GUEST_MEMFD_FLAG_MMAP		(1ULL << 0)
#define GUEST_MEMFD_FLAG_INIT_SHARED	(1ULL << 1)

/* ---- fingerprint.c ---- */
void fingerprint(void);

/* ---- backing.c: the backing paths ---- */
struct backing {
	const char *path;    /* shmem, gmem, hugetlb, secretmem */
	int fd;
	int kvm_fd, vm_fd;   /* gmem only */
	uint64_t size;
	uint64_t page_size;  /* the unit a fault populates: 4K, or the huge page size */
	int alloc_mode;      /* fallocate mode of an allocation on this path */
	char *map;           /* MAP_SHARED mapping of the whole file, when the op needs one */
};
/* Check up front that the path can serve this job (unsupported reasons, the memory guard). */
int backing_check(const struct job *job, bool need_mmap, struct outcome *o);
int backing_open(const struct job *job, bool need_mmap, struct backing *b, struct outcome *o);
void backing_close(struct backing *b);

/* ---- ops: one file each (op_*.c), listed in run.c ---- */
struct range {
	struct backing *b;
	uint64_t off, len;   /* this thread's part of the file */
	uint64_t granule;
};
struct op {
	const char *name;
	bool need_mmap;
	/* optional, main thread, untimed: once per pass after the backing is open / before it closes
	 * (e.g. a VM with a memslot on the backing); -1 with *o set stops the job */
	int (*pass_setup)(const struct job *job, struct backing *b, struct outcome *o);
	void (*pass_teardown)(const struct job *job, struct backing *b);
	/* optional: extra result fields, written as the members of the result's "extra" object */
	void (*extra)(const struct job *job, FILE *f);
	/* untimed, per thread, before its timed loop (e.g. populate what will be punched) */
	int (*prepare)(struct range *r, struct outcome *o);
	/* one timed call at offset off: read the clock around it and record the sample */
	int (*timed)(struct range *r, uint64_t off, struct hist *h, struct outcome *o);
};
extern const struct op op_alloc, op_fault, op_punch;

/* ---- run.c ---- */
int run_job(const char *json);

#endif
