// SPDX-License-Identifier: MIT
/*
 * A job's own memory cgroup, so a leak check counts only what the job itself holds.
 *
 * cgroup v2 first. The leaves go under the probe's own cgroup P when P holds nothing but the probe:
 * P then takes +memory (+hugetlb) in cgroup.subtree_control, which the "no internal processes" rule
 * only allows once the probe sits in a leaf of its own (gmembench-<pid>-probe) beside the job's
 * (gmembench-<pid>-job) and the pressure helper's (gmembench-<pid>-side). When P holds other processes
 * (a login shell), the leaves go under P's nearest ancestor that already has the memory controller
 * in its subtree. Without the memory controller on v2 (a hybrid host), the v1 memory hierarchy:
 * children of the probe's v1 memory cgroup, where no such rule exists.
 * Pages are charged to the cgroup of the task that allocates them and stay charged there until freed,
 * so the probe enters the job leaf only around each pass's work and leaves before writing output.
 * Everything made here is removed by cg_destroy (also at exit); nothing else is touched.
 */
#include "probe.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CG2_ROOT	"/sys/fs/cgroup"
#define CG2_HYBRID	"/sys/fs/cgroup/unified"
#define CG1_MEMORY	"/sys/fs/cgroup/memory"

static struct cgroup_job *active;   /* removed at exit when the probe dies in a job */

static int write_text(const char *dir, const char *file, const char *text)
{
	char path[CG_PATH_MAX + 64];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	return ret;
}

static bool has_word(const char *dir, const char *file, const char *word)
{
	char path[CG_PATH_MAX + 64], buf[1024], *tok, *save;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_text(path, buf, sizeof(buf)))
		return false;
	for (tok = strtok_r(buf, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, word))
			return true;
	return false;
}

/* the path of this process's cgroup: on v2 (controller NULL), or in the v1 hierarchy of controller */
static int self_cgroup(const char *controller, char *out, size_t len)
{
	char line[CG_PATH_MAX], *ctl, *path, *tok, *save;
	FILE *f = fopen("/proc/self/cgroup", "r");
	int ret = -1;

	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		ctl = strchr(line, ':');
		path = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = '\0';
		*ctl++ = '\0';
		if (!controller && !strcmp(line, "0") && !*ctl)
			ret = 0;
		for (tok = strtok_r(ctl, ",", &save); controller && tok && ret; tok = strtok_r(NULL, ",", &save))
			ret = strcmp(tok, controller) ? -1 : 0;
		if (!ret)
			snprintf(out, len, "%s", path);
	}
	fclose(f);
	return ret;
}

static bool only_self(const char *dir)
{
	char path[CG_PATH_MAX + 64], buf[4096];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if (read_text(path, buf, sizeof(buf)))
		return false;
	return strtol(buf, NULL, 10) == getpid() && !strchr(buf, '\n');
}

static int move_self(const char *dir)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d\n", getpid());
	return write_text(dir, "cgroup.procs", pid);
}

static int make_leaf(const struct cgroup_job *cg, const char *name, char *out)
{
	if (snprintf(out, CG_PATH_MAX, "%s/gmembench-%d-%s", cg->base, getpid(), name) >= CG_PATH_MAX)
		return errno = ENAMETOOLONG, -1;
	return mkdir(out, 0755);
}

/* v2: the probe's own cgroup when it can be emptied into a leaf, else the nearest ancestor with memory */
static int v2_base(struct cgroup_job *cg, const char *mnt, const char *self)
{
	char dir[CG_PATH_MAX];

	if (snprintf(cg->home, sizeof(cg->home), "%s%s", mnt, strcmp(self, "/") ? self : "") >= CG_PATH_MAX)
		return errno = ENAMETOOLONG, -1;
	if (has_word(cg->home, "cgroup.subtree_control", "memory")) {   /* only the root cgroup gets here */
		snprintf(cg->base, sizeof(cg->base), "%s", cg->home);
		return 0;
	}
	if (has_word(cg->home, "cgroup.controllers", "memory") && only_self(cg->home)) {
		snprintf(cg->base, sizeof(cg->base), "%s", cg->home);
		if (make_leaf(cg, "probe", cg->probe_leaf) || move_self(cg->probe_leaf))
			return -1;
		cg->took_over = true;
		if (write_text(cg->home, "cgroup.subtree_control", "+memory"))
			return -1;
		cg->took_hugetlb = has_word(cg->home, "cgroup.controllers", "hugetlb") &&
				   !write_text(cg->home, "cgroup.subtree_control", "+hugetlb");
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s", cg->home);
	while (strlen(dir) > strlen(mnt)) {
		*strrchr(dir, '/') = '\0';
		if (has_word(dir, "cgroup.subtree_control", "memory")) {
			snprintf(cg->base, sizeof(cg->base), "%s", dir);
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

static int v2_create(struct cgroup_job *cg, char *why, size_t len)
{
	const char *mnt = has_word(CG2_ROOT, "cgroup.controllers", "memory") ? CG2_ROOT : CG2_HYBRID;
	char self[CG_PATH_MAX];

	if (self_cgroup(NULL, self, sizeof(self)) || access(mnt, F_OK))
		return snprintf(why, len, "no cgroup v2 hierarchy"), -1;
	cg->version = 2;
	if (v2_base(cg, mnt, self))
		return snprintf(why, len, "cgroup v2 at %s has no memory controller to give a child (%s)", mnt,
				errno_name(errno)), -1;
	return 0;
}

static int v1_create(struct cgroup_job *cg, char *why, size_t len)
{
	char self[CG_PATH_MAX];

	if (self_cgroup("memory", self, sizeof(self)) || access(CG1_MEMORY "/memory.stat", F_OK))
		return snprintf(why + strlen(why), len - strlen(why), "; no cgroup v1 memory hierarchy either"), -1;
	cg->version = 1;
	if (snprintf(cg->home, sizeof(cg->home), "%s%s", CG1_MEMORY, strcmp(self, "/") ? self : "") >= CG_PATH_MAX)
		return snprintf(why, len, "cgroup path too long"), -1;
	snprintf(cg->base, sizeof(cg->base), "%s", cg->home);
	return 0;
}

static void cg_atexit(void)
{
	if (active)
		cg_destroy(active);
}

int cg_create(struct cgroup_job *cg, char *why, size_t len)
{
	memset(cg, 0, sizeof(*cg));
	why[0] = '\0';
	if (geteuid())
		return snprintf(why, len, "not root: no cgroup of its own"), -1;
	if (v2_create(cg, why, len)) {
		cg_destroy(cg);
		memset(cg, 0, sizeof(*cg));
		if (v1_create(cg, why, len))
			return -1;
	}
	if (make_leaf(cg, "job", cg->job) || make_leaf(cg, "side", cg->side)) {
		snprintf(why, len, "mkdir %s: %s", cg->job, errno_name(errno));
		cg_destroy(cg);
		return -1;
	}
	if (cg->version == 2 && !has_word(cg->base, "cgroup.subtree_control", "hugetlb"))
		cg->no_hugetlb = true;
	if (!active)
		atexit(cg_atexit);
	active = cg;
	return 0;
}

int cg_enter(const struct cgroup_job *cg, const char *leaf)
{
	(void)cg;
	return move_self(leaf);
}

int cg_leave(const struct cgroup_job *cg)
{
	return move_self(cg->took_over ? cg->probe_leaf : cg->home);
}

static long long stat_key(const char *dir, const char *key)
{
	char path[CG_PATH_MAX + 64], line[256];
	size_t klen = strlen(key);
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.stat", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (v < 0 && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			v = strtoll(line + klen + 1, NULL, 10);
	fclose(f);
	return v;
}

static long long file_num(const char *dir, const char *file)
{
	char path[CG_PATH_MAX + 64], buf[64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return read_text(path, buf, sizeof(buf)) ? -1 : strtoll(buf, NULL, 10);
}

int cg_read(const struct cgroup_job *cg, const char *leaf, struct cg_mem *m)
{
	bool v2 = cg->version == 2;

	m->current = file_num(leaf, v2 ? "memory.current" : "memory.usage_in_bytes");
	m->shmem = stat_key(leaf, "shmem");
	m->file = stat_key(leaf, v2 ? "file" : "cache");
	m->kernel = v2 ? stat_key(leaf, "kernel") : file_num(leaf, "memory.kmem.usage_in_bytes");
	m->hugetlb = v2 && !cg->no_hugetlb ? file_num(leaf, "hugetlb.2MB.current") : -1;
	return m->current < 0 || m->shmem < 0 || m->file < 0 ? -1 : 0;
}

static void remove_leaf(char *leaf)
{
	if (leaf[0])
		rmdir(leaf);
	leaf[0] = '\0';
}

void cg_destroy(struct cgroup_job *cg)
{
	if (cg->job[0] || cg->side[0])
		cg_leave(cg);
	remove_leaf(cg->job);
	remove_leaf(cg->side);
	if (cg->took_over) {   /* give P back as it was: no controllers below it, the probe inside */
		if (cg->took_hugetlb)
			write_text(cg->home, "cgroup.subtree_control", "-hugetlb");
		write_text(cg->home, "cgroup.subtree_control", "-memory");
		move_self(cg->home);
		remove_leaf(cg->probe_leaf);
		cg->took_over = false;
	}
	if (active == cg)
		active = NULL;
}
