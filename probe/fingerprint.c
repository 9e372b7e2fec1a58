// SPDX-License-Identifier: MIT
/* `gmembench-probe fingerprint`: what this host is and what it can do, as one JSON line. */
#include "probe.h"

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
	json_kv_num(stdout, "guestMemfd", kvm_check(ask, KVM_CAP_GUEST_MEMFD), false);
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

void fingerprint(void)
{
	printf("{\"type\":\"fingerprint\",\"probe\":\"%s\"", PROBE_VERSION);
	emit_kernel();
	emit_cpu_memory();
	emit_thp_hugetlb();
	emit_secretmem();
	emit_kvm();
	puts("}");
	fflush(stdout);
}
