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
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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
/* qsort order of uint64_t values */
int cmp_u64(const void *a, const void *b);
/* Read a whole small file into buf (NUL-terminated, trailing newline dropped); -1 if unreadable. */
int read_text(const char *path, char *buf, size_t len);
/* A "Key:   123 kB" line of /proc/meminfo, in bytes (kB scaled) or plain count; -1 if absent. */
long long meminfo(const char *key);
/* Parse a node list such as "0", "0-1" or "0,2-3" into nodes[] (up to max); returns the count. */
int numa_parse_nodes(const char *list, int *nodes, int max);
/* The online NUMA nodes (1 node, node 0, when the kernel has no NUMA). */
int numa_online(int *nodes, int max);
/* A counter of /proc/vmstat; -1 if absent. */
long long vmstat(const char *key);

/* ---- json.c ---- */
void json_str(FILE *f, const char *s);          /* a quoted, escaped JSON string, or null */
void json_kv_str(FILE *f, const char *k, const char *v, bool comma);
void json_kv_num(FILE *f, const char *k, long long v, bool comma);

/* The backing paths, parsed from the job's "path" once (job_parse); PATH_UNKNOWN is reported by backing_check. */
enum path_id { PATH_UNKNOWN, PATH_SHMEM, PATH_GMEM, PATH_HUGETLB, PATH_SECRETMEM };

struct job {
	char path[32];       /* the name, for messages and the result line */
	enum path_id path_id;
	char op[32];
	uint64_t granule;
	uint64_t region;
	int threads;
	int repetitions;
	int warmup;
	double max_mem_share;
	bool raw;
	char params[4096];   /* the raw text of the "params" object, "{}" when absent */
	char pair[32];       /* "pair": the path timed beside this one in the same process, "" when alone */
};
/* The path of a name ("shmem", ...), PATH_UNKNOWN for any other. */
enum path_id path_id_of(const char *name);
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
/* The low edge of the bucket holding quantile q (0..1); 0 when empty. */
uint64_t hist_quantile(const struct hist *h, double q);
void hist_free(struct hist *h);
/*
 * One "rep" line; path names the job's path when the process times two (NULL: it times one);
 * syscall_ns is the null-syscall reference timed beside the pass (ref.c).
 */
/* wall_ns: the pass's wall time, 0 to leave it out */
void hist_emit_rep(const struct hist *h, int index, const char *path, double syscall_ns, uint64_t wall_ns);

/* ---- ref.c: the null-syscall reference timed beside each timed pass ---- */
#define REF_BATCHES 64
#define REF_BATCH 32
struct ref {
	uint64_t ns[REF_BATCHES];   /* what each batch of REF_BATCH calls took */
	int n;
};
/* Time REF_BATCHES / 2 batches of null syscalls into r: once just before a pass and once just after. */
void ref_time(struct ref *r);
/* The median batch's ns per call (0 if none), and r emptied. */
double ref_take(struct ref *r);

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
/* The first VM type with private memory (sw-protected, snp, tdx) whose VM reports
 * KVM_CAP_MEMORY_ATTRIBUTES with PRIVATE; -1 with the reason in why when there is none. */
int kvm_private_vm_type(char *why, size_t len);
unsigned long kvm_private_vm_type_or_default(void);   /* the one above, else the default VM type */
/* KVM_SET_USER_MEMORY_REGION2; gmem_fd < 0 for a memslot without guest_memfd. -1 with errno. */
int kvm_set_memslot(int vm_fd, uint32_t slot, uint64_t gpa, uint64_t size, void *uaddr, int gmem_fd,
		    uint64_t gmem_off);
/* KVM_SET_MEMORY_ATTRIBUTES on [gpa, gpa+size). -1 with errno. */
int kvm_set_attributes(int vm_fd, uint64_t gpa, uint64_t size, uint64_t attrs);
/* shared_side.c: a converted range's shared side, as a VMM keeps it beside guest_memfd (a memfd, mapped) */
struct shared_side {
	int fd;     /* -1 when not open */
	char *map;
};
int shared_side_open(struct shared_side *s, uint64_t size, struct outcome *o);
int shared_side_discard(struct shared_side *s, uint64_t off, uint64_t len, struct outcome *o);   /* punch + DONTNEED */
void shared_side_close(struct shared_side *s, uint64_t size);
/* vcpu.c: the vCPUs of the tiny guests (flat 32-bit protected mode, no paging) and their code slot */
#define GUEST_CODE_SIZE (64 * KiB)   /* memslot 0 at guest physical 0 */
struct kvm_run;
struct vcpu {
	int fd;              /* -1 until opened */
	struct kvm_run *run;
};
struct vcpu *vcpus_alloc(int n);
void vcpus_free(struct vcpu *v, int n, size_t run_size);
int vcpu_open(int vm_fd, int index, size_t run_size, struct vcpu *v, struct outcome *o);
int vcpu_run(struct vcpu *v, struct outcome *o);   /* one KVM_RUN, retried on EINTR */
/* GUEST_CODE_SIZE bytes holding code, bound as memslot 0; NULL with the reason in o */
char *guest_code_slot(int vm_fd, const void *code, size_t len, struct outcome *o);
/* cvm.c: what an SNP or TDX VM needs before guest_memfd and the attributes ioctl (nothing for the
 * others); -1 with the step, errno and firmware/module error in o */
int cvm_setup(int kvm_fd, int vm_fd, int vm_type, struct outcome *o);

#define KVM_CAP_USER_MEMORY2		231
#define KVM_CAP_MEMORY_FAULT_INFO	232
#define KVM_CAP_MEMORY_ATTRIBUTES	233
#define KVM_CAP_GUEST_MEMFD		234
#define KVM_CAP_VM_TYPES		235
#define KVM_CAP_PRE_FAULT_MEMORY	236
#define KVM_CAP_GUEST_MEMFD_FLAGS	244
#define GUEST_MEMFD_FLAG_MMAP		(1ULL << 0)
#define GUEST_MEMFD_FLAG_INIT_SHARED	(1ULL << 1)
#define KVM_MEMORY_ATTRIBUTE_PRIVATE	(1ULL << 3)
#define KVM_X86_DEFAULT_VM		0
#define KVM_X86_SW_PROTECTED_VM		1
#define KVM_X86_SNP_VM			4
#define KVM_X86_TDX_VM			5

/* ---- fingerprint.c ---- */
void fingerprint(void);

/* ---- backing.c: the backing paths ---- */
struct backing {
	const char *path;    /* shmem, gmem, hugetlb, secretmem */
	enum path_id path_id;
	int fd;
	int kvm_fd, vm_fd;   /* gmem, and any path whose op needs a VM (op->need_vm) */
	uint64_t size;
	uint64_t page_size;  /* the unit a fault populates: 4K, or the huge page size */
	int alloc_mode;      /* fallocate mode of an allocation on this path */
	char *map;           /* MAP_SHARED mapping of the whole file, when the op needs one */
	unsigned long vm_type; /* gmem: the KVM VM type the guest_memfd belongs to */
	int vm_err;          /* why vm_fd is -1 when an op asked for a VM (errno), else 0 */
	void *priv;          /* per-pass state of the op (pass_setup/pass_teardown) */
	bool warmup;         /* this pass is a warm-up: ops leave it out of their extra figures */
};
/* Check up front that the path can serve this job (unsupported reasons, the memory guard). */
int backing_check(const struct job *job, bool need_mmap, struct outcome *o);
struct op;
/* Open the path's file for one pass as op asks: mapped (need_mmap), with a VM (need_vm; a gmem
 * backing always has one, of op->vm_type). -1 with *o set. */
int backing_open(const struct job *job, const struct op *op, struct backing *b, struct outcome *o);
/* Populate [off, off+len) (fallocate in the path's mode); -1 with *o set. */
int backing_populate(struct backing *b, uint64_t off, uint64_t len, struct outcome *o);
/* fallocate(PUNCH_HOLE|KEEP_SIZE) of [off, off+len); -1 with *o set. */
int backing_punch(struct backing *b, uint64_t off, uint64_t len, struct outcome *o);
void backing_close(struct backing *b);

/* ---- ops: one file each (op_*.c), listed in ops.h ---- */
struct range {
	struct backing *b;
	uint64_t off, len;   /* this thread's part of the file */
	uint64_t granule;
	int index;           /* the thread's index, 0..threads-1 */
};
struct op {
	const char *name;
	bool need_mmap;
	/* runs alone in its process, never with a pair: it acts on the whole system (compaction,
	 * migration, a cgroup of its own) */
	bool solo;
	/* the timed loop does the timed calls and nothing else: its wall time over the calls is the
	 * op's time a call under concurrency (the rep line's wallNs); not so where each call's cycle
	 * has untimed steps (conversions, the guest ops) */
	bool wall;
	/* the op's figures kept across passes (for extra and finish): when a process times two jobs,
	 * run.c keeps a copy per job and swaps it in around each of that job's passes */
	void *state;
	size_t state_size;
	/* the backing comes with a default VM on every path (best effort off gmem: vm_fd -1, vm_err) */
	bool need_vm;
	/* optional: up-front check after backing_check (unsupported reasons of this op) */
	int (*check)(const struct job *job, struct outcome *o);
	/* optional: the VM type a gmem backing is created on (default: KVM_X86_DEFAULT_VM) */
	unsigned long (*vm_type)(const struct job *job);
	/* optional, main thread, untimed: once per pass after the backing is open / before it closes
	 * (e.g. a VM with a memslot on the backing); -1 with *o set stops the job */
	int (*pass_setup)(const struct job *job, struct backing *b, struct outcome *o);
	void (*pass_teardown)(const struct job *job, struct backing *b);
	/* optional: after the last pass, the backing closed: a last check that may fail the job */
	int (*finish)(const struct job *job, struct outcome *o);
	/* optional: extra result fields, written as the members of the result's "extra" object */
	void (*extra)(const struct job *job, FILE *f);
	/* untimed, per thread, before its timed loop (e.g. populate what will be punched) */
	int (*prepare)(struct range *r, struct outcome *o);
	/* one timed call at offset off: read the clock around it and record the sample */
	int (*timed)(struct range *r, uint64_t off, struct hist *h, struct outcome *o);
};
#define OP(sym) extern const struct op sym;
#include "ops.h"
#undef OP

/* ---- cgroup.c: a job's own memory cgroup (v2, else the v1 memory hierarchy) ---- */
#define CG_PATH_MAX 512
struct cg_mem { long long current, shmem, file, kernel, hugetlb; };   /* bytes; -1 when not kept */
struct cgroup_job {
	int version;                  /* 2 or 1 */
	char home[CG_PATH_MAX];       /* the probe's own cgroup */
	char base[CG_PATH_MAX];       /* where the leaves are */
	char probe_leaf[CG_PATH_MAX]; /* v2, when home was emptied into it */
	char job[CG_PATH_MAX], side[CG_PATH_MAX];   /* the job's leaf, the pressure helper's leaf */
	bool took_over, took_hugetlb, no_hugetlb;
};
/* Make the leaves (root only); -1 with the reason in why when no cgroup can be made here. */
int cg_create(struct cgroup_job *cg, char *why, size_t len);
/* Move the whole process into leaf / back to where it lives outside a job; -1 with errno. */
int cg_enter(const struct cgroup_job *cg, const char *leaf);
int cg_leave(const struct cgroup_job *cg);
/* The leaf's charges: memory.current, memory.stat shmem/file(cache)/kernel, hugetlb.2MB.current. */
int cg_read(const struct cgroup_job *cg, const char *leaf, struct cg_mem *m);
/* Remove every cgroup cg_create made and give the probe's cgroup back as it was. */
void cg_destroy(struct cgroup_job *cg);

/* ---- run.c ---- */
/* cpus: NULL or "none" = leave placement to the scheduler, "auto" = pin to CPUs the probe chooses,
 * else a CPU list */
int run_job(const char *json, const char *cpus);
/* The names of every op (ops.h), as the members of a JSON array. */
void print_op_names(FILE *f);

#endif
