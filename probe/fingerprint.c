// SPDX-License-Identifier: MIT
/* `gmembench-probe fingerprint`: what this host is and what it can do, as one JSON line. */
#include "probe.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif

/* The value of a "key : value" line of /proc/cpuinfo (first CPU), or NULL. */
static char *cpuinfo(const char *key, char *out, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");
	char *found = NULL;

	if (!f)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon || strncmp(line, key, strlen(key)))
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(out, len, "%s", colon);
		found = out;
	}
	fclose(f);
	return found;
}

/* "[never]" out of "always within_size advise [never] deny force" */
static char *bracketed(const char *path, char *out, size_t len)
{
	char buf[64], *l, *r;

	if (read_text(path, buf, sizeof(buf)))
		return NULL;
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!l || !r)
		snprintf(out, len, "%s", buf);
	else
		snprintf(out, len, "%.*s", (int)(r - l - 1), l + 1);
	return out;
}

static void emit_file(const char *key, const char *path, bool comma)
{
	char buf[256];

	json_kv_str(stdout, key, read_text(path, buf, sizeof(buf)) ? NULL : buf, comma);
}

static void emit_kernel(void)
{
	struct utsname u;
	char cmdline[4096];

	uname(&u);
	printf(",\"kernel\":{");
	json_kv_str(stdout, "release", u.release, false);
	json_kv_str(stdout, "version", u.version, true);
	json_kv_str(stdout, "cmdline", read_text("/proc/cmdline", cmdline, sizeof(cmdline)) ? "" : cmdline, true);
	json_kv_str(stdout, "machine", u.machine, true);
	putchar('}');
}

static void emit_cpu_memory(void)
{
	char model[256], ucode[64], online[64];

	printf(",\"cpu\":{");
	json_kv_str(stdout, "model", cpuinfo("model name", model, sizeof(model)) ?: "unknown", false);
	json_kv_str(stdout, "microcode", cpuinfo("microcode", ucode, sizeof(ucode)), true);
	json_kv_num(stdout, "cores", sysconf(_SC_NPROCESSORS_ONLN), true);
	printf("},\"memory\":{");
	json_kv_num(stdout, "totalBytes", meminfo("MemTotal"), false);
	json_kv_num(stdout, "availableBytes", meminfo("MemAvailable"), true);
	json_kv_num(stdout, "pageSize", sysconf(_SC_PAGESIZE), true);
	printf("},\"numa\":{");
	if (read_text("/sys/devices/system/node/online", online, sizeof(online))) {
		json_kv_num(stdout, "nodes", 1, false);
		json_kv_str(stdout, "online", NULL, true);
	} else {
		json_kv_num(stdout, "nodes", numa_parse_nodes(online, NULL, 0), false);
		json_kv_str(stdout, "online", online, true);
	}
	putchar('}');
}

static void emit_thp_hugetlb(void)
{
	char en[64], shm[64], pmd[64];

	printf(",\"thp\":{");
	json_kv_str(stdout, "enabled", bracketed("/sys/kernel/mm/transparent_hugepage/enabled", en, sizeof(en)), false);
	json_kv_str(stdout, "shmemEnabled", bracketed("/sys/kernel/mm/transparent_hugepage/shmem_enabled", shm, sizeof(shm)), true);
	json_kv_str(stdout, "defrag", bracketed("/sys/kernel/mm/transparent_hugepage/defrag", pmd, sizeof(pmd)), true);
	if (read_text("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", pmd, sizeof(pmd)))
		printf(",\"hpagePmdSize\":null");
	else
		printf(",\"hpagePmdSize\":%s", pmd);
	printf("},\"hugetlb\":{");
	json_kv_num(stdout, "defaultSize", meminfo("Hugepagesize"), false);
	json_kv_num(stdout, "total", meminfo("HugePages_Total"), true);
	json_kv_num(stdout, "free", meminfo("HugePages_Free"), true);
	json_kv_num(stdout, "reserved", meminfo("HugePages_Rsvd"), true);
	putchar('}');
}

static void emit_secretmem(void)
{
	int fd = (int)syscall(SYS_memfd_secret, 0);
	char why[128];

	printf(",\"secretmem\":{");
	if (fd >= 0) {
		close(fd);
		printf("\"available\":true,\"reason\":null}");
		return;
	}
	snprintf(why, sizeof(why), "memfd_secret: %s%s", errno_name(errno),
		 errno == ENOSYS ? " (boot with secretmem.enable=1, or the kernel lacks CONFIG_SECRETMEM)" : "");
	printf("\"available\":false");
	json_kv_str(stdout, "reason", why, true);
	putchar('}');
}

static void emit_vm_types(int types)
{
	bool first = true;

	printf(",\"vmTypeNames\":[");
	for (int t = 0; t < 32; t++) {
		const char *name = kvm_vm_type_name(t);

		if (!(types & (1 << t)))
			continue;
		printf("%s", first ? "" : ",");
		if (name)
			json_str(stdout, name);
		else
			printf("\"type-%d\"", t);
		first = false;
	}
	putchar(']');
}

static void emit_kvm_caps(int kvm)
{
	int vm = kvm_create_vm(kvm, 0);
	/* some caps are per VM: ask the VM when there is one, else the system fd */
	int ask = vm >= 0 ? vm : kvm;
	int types = kvm_check(kvm, KVM_CAP_VM_TYPES);
	int flags = kvm_check(ask, KVM_CAP_GUEST_MEMFD_FLAGS);

	if (!types)
		types = 1;   /* before KVM_CAP_VM_TYPES (6.8) there was only the default type */
	printf(",\"caps\":{");
	/* before 6.18 a VM without private memory answers 0 although it can create one: /dev/kvm too */
	json_kv_num(stdout, "guestMemfd", kvm_check(ask, KVM_CAP_GUEST_MEMFD) || kvm_check(kvm, KVM_CAP_GUEST_MEMFD), false);
	json_kv_num(stdout, "guestMemfdFlags", flags, true);
	printf(",\"guestMemfdFlagNames\":[%s%s%s]", flags & GUEST_MEMFD_FLAG_MMAP ? "\"mmap\"" : "",
	       (flags & GUEST_MEMFD_FLAG_MMAP) && (flags & GUEST_MEMFD_FLAG_INIT_SHARED) ? "," : "",
	       flags & GUEST_MEMFD_FLAG_INIT_SHARED ? "\"init-shared\"" : "");
	json_kv_num(stdout, "memoryAttributes", vm >= 0 ? kvm_check(vm, KVM_CAP_MEMORY_ATTRIBUTES) : 0, true);
	json_kv_num(stdout, "vmTypes", types, true);
	emit_vm_types(types);
	json_kv_num(stdout, "userMemory2", kvm_check(kvm, KVM_CAP_USER_MEMORY2), true);
	json_kv_num(stdout, "memoryFaultInfo", kvm_check(kvm, KVM_CAP_MEMORY_FAULT_INFO), true);
	json_kv_num(stdout, "preFaultMemory", kvm_check(ask, KVM_CAP_PRE_FAULT_MEMORY), true);
	putchar('}');
	if (vm >= 0)
		close(vm);
}

static void emit_kvm(void)
{
	int kvm = kvm_open();
	char why[128];

	printf(",\"kvm\":{");
	if (kvm < 0) {
		snprintf(why, sizeof(why), "no /dev/kvm (open: %s)", errno_name(errno));
		printf("\"present\":false");
		json_kv_str(stdout, "reason", why, true);
		printf(",\"apiVersion\":null,\"caps\":null");
	} else {
		printf("\"present\":true,\"reason\":null");
		json_kv_num(stdout, "apiVersion", ioctl(kvm, KVM_GET_API_VERSION, 0), true);
		emit_kvm_caps(kvm);
		close(kvm);
	}
	printf(",\"params\":{");
	emit_file("kvm_intel.tdx", "/sys/module/kvm_intel/parameters/tdx", false);
	emit_file("kvm_amd.sev", "/sys/module/kvm_amd/parameters/sev", true);
	emit_file("kvm_amd.sev_es", "/sys/module/kvm_amd/parameters/sev_es", true);
	emit_file("kvm_amd.sev_snp", "/sys/module/kvm_amd/parameters/sev_snp", true);
	emit_file("kvm.tdp_mmu", "/sys/module/kvm/parameters/tdp_mmu", true);
	printf("}}");
}

/* ---- the machine's state, as pyperf's `system show` reads it: what makes runs noisy ---- */

#define MAX_PROCS 4096
struct proc_ticks { int pid; unsigned long long ticks; char comm[32]; };

/* utime + stime of every process but the probe and its caller (and its comm); returns the count */
static int proc_scan(struct proc_ticks *p, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while (n < max && (e = readdir(d))) {
		char path[64], buf[1024], *rp;
		unsigned long long ut, st;
		int pid = atoi(e->d_name);

		if (pid <= 0 || pid == getpid() || pid == getppid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (read_text(path, buf, sizeof(buf)))
			continue;
		/* "pid (comm) S ppid ...": comm may hold spaces and parentheses, the last ')' ends it */
		rp = strrchr(buf, ')');
		if (!rp || sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
			continue;
		p[n].pid = pid;
		p[n].ticks = ut + st;
		snprintf(p[n].comm, sizeof(p[n].comm), "%.*s", (int)(rp - strchr(buf, '(') - 1), strchr(buf, '(') + 1);
		n++;
	}
	closedir(d);
	return n;
}

/* The aggregate "cpu" line of /proc/stat: total and steal ticks. */
static void cpu_ticks(unsigned long long *total, unsigned long long *steal)
{
	unsigned long long v[8] = { 0 };
	char buf[512];

	*total = *steal = 0;
	if (read_text("/proc/stat", buf, sizeof(buf)))
		return;
	if (sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &v[6], &v[7]) < 8)
		return;
	for (int i = 0; i < 8; i++)
		*total += v[i];
	*steal = v[7];
}

static int by_delta(const void *a, const void *b)
{
	const struct proc_ticks *x = a, *y = b;

	return x->ticks < y->ticks ? 1 : x->ticks > y->ticks ? -1 : 0;
}

/* Sample every process's CPU time over a short window: the top consumers and the vCPU steal. */
static void emit_busy(void)
{
	static struct proc_ticks before[MAX_PROCS], after[MAX_PROCS];
	const long hz = sysconf(_SC_CLK_TCK), window_ms = 250;
	unsigned long long t0, s0, t1, s1;
	struct timespec pause = { 0, window_ms * 1000000L };
	int nb, na, shown = 0;

	nb = proc_scan(before, MAX_PROCS);
	cpu_ticks(&t0, &s0);
	nanosleep(&pause, NULL);
	na = proc_scan(after, MAX_PROCS);
	cpu_ticks(&t1, &s1);
	for (int i = 0; i < na; i++) {
		unsigned long long prev = after[i].ticks;   /* a process born in the window counts from 0 */

		for (int j = 0; j < nb; j++)
			if (before[j].pid == after[i].pid) {
				prev = before[j].ticks;
				break;
			}
		after[i].ticks = after[i].ticks >= prev && prev != after[i].ticks ? after[i].ticks - prev : 0;
	}
	qsort(after, (size_t)na, sizeof(after[0]), by_delta);
	printf(",\"sampleMs\":%ld,\"stealPercent\":", window_ms);
	if (t1 > t0)
		printf("%.1f", 100.0 * (double)(s1 - s0) / (double)(t1 - t0));
	else
		printf("null");
	printf(",\"busyProcesses\":[");
	for (int i = 0; i < na && shown < 5; i++) {
		double pct = 100.0 * (double)after[i].ticks / (double)hz / (window_ms / 1000.0);

		if (pct < 5.0)
			break;
		printf("%s{\"pid\":%d", shown ? "," : "", after[i].pid);
		json_kv_str(stdout, "comm", after[i].comm, true);
		printf(",\"cpuPercent\":%.0f}", pct);
		shown++;
	}
	putchar(']');
}

/* Which KVM modules are loaded (kvm_pvm: KVM inside a PVM guest; kvm_intel/kvm_amd: hardware). */
static void emit_kvm_modules(void)
{
	static const char *const mods[] = { "kvm", "kvm_intel", "kvm_amd", "kvm_pvm" };
	char path[96];
	bool first = true;

	printf(",\"kvmModules\":[");
	for (size_t i = 0; i < ARRAY_SIZE(mods); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s", mods[i]);
		if (access(path, F_OK))
			continue;
		printf("%s\"%s\"", first ? "" : ",", mods[i]);
		first = false;
	}
	putchar(']');
	emit_file("kvmIntelNested", "/sys/module/kvm_intel/parameters/nested", true);
	emit_file("kvmAmdNested", "/sys/module/kvm_amd/parameters/nested", true);
}

/* How many DAMON kdamonds are on (a paddr pageout scheme reclaims pages in the background). */
static int damon_running(void)
{
	char path[96], state[16];
	int on = 0;

	for (int i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/mm/damon/admin/kdamonds/%d/state", i);
		if (read_text(path, state, sizeof(state)))
			break;
		on += !strcmp(state, "on");
	}
	return on;
}

/*
 * Free page reporting: a virtio balloon (device 5) that offered VIRTIO_BALLOON_F_REPORTING (bit 5 of
 * its features string) hands free blocks of 2^page_reporting_order pages back to the hypervisor,
 * which discards them: the next first touch of such a page faults on the host as well.
 * The reporting order, or -1 when nothing reports.
 */
static int page_reporting_order(void)
{
	DIR *d = opendir("/sys/bus/virtio/devices");
	char path[300], buf[256];
	struct dirent *e;
	bool reporting = false;

	if (!d)
		return -1;
	while (!reporting && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/device", e->d_name);
		if (read_text(path, buf, sizeof(buf)) || strtol(buf, NULL, 16) != 5)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/virtio/devices/%s/features", e->d_name);
		reporting = !read_text(path, buf, sizeof(buf)) && strlen(buf) > 5 && buf[5] == '1';
	}
	closedir(d);
	if (!reporting || read_text("/sys/module/page_reporting/parameters/page_reporting_order", buf, sizeof(buf)))
		return -1;
	return (int)strtol(buf, NULL, 10);
}

static void emit_system(void)
{
	char buf[256], flags[8192];
	double l1 = -1, l5 = -1, l15 = -1;
	long long swap_total = meminfo("SwapTotal"), swap_free = meminfo("SwapFree");
	int order;

	printf(",\"system\":{");
	emit_file("governor", "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", false);
	emit_file("cpufreqDriver", "/sys/devices/system/cpu/cpu0/cpufreq/scaling_driver", true);
	emit_file("noTurbo", "/sys/devices/system/cpu/intel_pstate/no_turbo", true);
	emit_file("clocksource", "/sys/devices/system/clocksource/clocksource0/current_clocksource", true);
	emit_file("isolatedCpus", "/sys/devices/system/cpu/isolated", true);
	if (!read_text("/proc/loadavg", buf, sizeof(buf)))
		sscanf(buf, "%lf %lf %lf", &l1, &l5, &l15);
	if (l1 >= 0)
		printf(",\"loadAvg\":[%.2f,%.2f,%.2f]", l1, l5, l15);
	else
		printf(",\"loadAvg\":null");
	json_kv_num(stdout, "swapTotalBytes", swap_total, true);
	json_kv_num(stdout, "swapUsedBytes", swap_total >= 0 && swap_free >= 0 ? swap_total - swap_free : -1, true);
	emit_file("ksmRun", "/sys/kernel/mm/ksm/run", true);
	emit_file("numaBalancing", "/proc/sys/kernel/numa_balancing", true);
	emit_file("compactionProactiveness", "/proc/sys/vm/compaction_proactiveness", true);
	json_kv_num(stdout, "damonKdamonds", damon_running(), true);
	order = page_reporting_order();
	if (order >= 0)
		json_kv_num(stdout, "pageReportingOrder", order, true);
	else
		printf(",\"pageReportingOrder\":null");
	printf(",\"hypervisor\":%s", cpuinfo("flags", flags, sizeof(flags)) && strstr(flags, " hypervisor") ? "true" : "false");
	emit_kvm_modules();
	emit_busy();
	putchar('}');
}

void fingerprint(void)
{
	printf("{\"type\":\"fingerprint\",\"probe\":\"%s\"", PROBE_VERSION);
	emit_kernel();
	emit_cpu_memory();
	emit_thp_hugetlb();
	emit_secretmem();
	emit_kvm();
	emit_system();
	puts("}");
	fflush(stdout);
}
