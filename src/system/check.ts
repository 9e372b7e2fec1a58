/**
 * Is this host quiet enough to measure? The fingerprint's system section (probe/fingerprint.c)
 * judged as pyperf's `system show` does: each finding says what it is, why it adds run-to-run
 * noise and what to do. `warn`: fixable or transient noise; `info`: a fact of the host worth
 * knowing when reading its figures (e.g. it is itself a guest).
 */
import type { Fingerprint, SystemState } from '../probe/fingerprint.js';
import { formatSize } from '../util/units.js';

export interface SystemFinding {
  level: 'warn' | 'info';
  /** a short name: governor, load, swap, busy, steal, thp-defrag, shmem-thp, ksm, damon, ... */
  check: string;
  message: string;
}

/** a process using at least this share of one CPU competes with the probe */
const BUSY_PERCENT = 20;
const STEAL_PERCENT = 5;
/** the largest buddy allocator order on x86 (MAX_PAGE_ORDER): free page reporting of a larger order reports nothing */
const MAX_PAGE_ORDER = 10;

export function checkSystem(fp: Pick<Fingerprint, 'thp' | 'cpu' | 'numa' | 'system'>): SystemFinding[] {
  const s = fp.system;
  const out: SystemFinding[] = [];
  const warn = (check: string, message: string) => out.push({ level: 'warn', check, message });
  const info = (check: string, message: string) => out.push({ level: 'info', check, message });
  if (!s) {
    info('system', 'the probe did not report the machine state (an older probe)');
    return out;
  }
  const cores = fp.cpu.cores || 1;
  if (s.governor && s.governor !== 'performance') {
    warn(
      'governor',
      `CPU frequency governor is ${s.governor}: the clock moves with load (cpupower frequency-set -g performance)`,
    );
  }
  if (s.noTurbo === '0')
    info(
      'turbo',
      "turbo boost is on: the clock depends on the other cores' load (echo 1 > /sys/devices/system/cpu/intel_pstate/no_turbo)",
    );
  if (s.clocksource && s.clocksource !== 'tsc' && s.clocksource !== 'arch_sys_counter') {
    warn('clocksource', `clocksource is ${s.clocksource}: clock reads are slower and noisier than with tsc`);
  }
  // the 1-minute figure also counts the previous run's probe: only more than that is noise
  if (s.loadAvg && s.loadAvg[0] >= Math.max(1, 0.75 * cores)) {
    warn('load', `load average ${s.loadAvg.join(' ')} on ${cores} CPU(s): other work competes with the probe`);
  }
  const busy = s.busyProcesses.filter((p) => p.cpuPercent >= BUSY_PERCENT);
  if (busy.length > 0) {
    warn(
      'busy',
      `busy processes over ${s.sampleMs} ms: ${busy.map((p) => `${p.comm} (pid ${p.pid}) ${p.cpuPercent}%`).join(', ')}`,
    );
  }
  if (s.stealPercent !== null && s.stealPercent >= STEAL_PERCENT) {
    warn(
      'steal',
      `${s.stealPercent}% of CPU time stolen by the hypervisor over ${s.sampleMs} ms: the vCPUs wait for real CPUs`,
    );
  }
  if (s.swapUsedBytes > 0)
    warn('swap', `${Math.round(s.swapUsedBytes / 1048576)} MiB of swap in use: faults may wait for swap-ins`);
  if (fp.thp.defrag === 'always')
    warn(
      'thp-defrag',
      'THP defrag is always: faults stall in direct compaction (echo madvise > /sys/kernel/mm/transparent_hugepage/defrag)',
    );
  if (fp.thp.enabled === 'always')
    info(
      'thp',
      "THP enabled is always: anonymous mappings (the probe's buffers) get huge pages; khugepaged runs in the background",
    );
  if (fp.thp.shmemEnabled && !['never', 'deny'].includes(fp.thp.shmemEnabled)) {
    info(
      'shmem-thp',
      `shmem THP is ${fp.thp.shmemEnabled}: the shmem path may fault huge pages, not comparable with hosts at never`,
    );
  }
  if (s.ksmRun === '1')
    warn('ksm', 'KSM is running: ksmd scans and merges pages in the background (echo 0 > /sys/kernel/mm/ksm/run)');
  if (s.numaBalancing && s.numaBalancing !== '0' && fp.numa.nodes > 1) {
    warn(
      'numa-balancing',
      'NUMA balancing is on: pages and threads move between nodes during a job (echo 0 > /proc/sys/kernel/numa_balancing)',
    );
  }
  if (s.damonKdamonds > 0) {
    warn(
      'damon',
      `${s.damonKdamonds} DAMON kdamond(s) running: they sample and may reclaim physical pages in the background (/sys/kernel/mm/damon/admin)`,
    );
  }
  // an order above the largest buddy order (MAX_PAGE_ORDER, 10 on x86) reports no block: held off
  if (typeof s.pageReportingOrder === 'number' && s.pageReportingOrder <= MAX_PAGE_ORDER) {
    warn(
      'page-reporting',
      // the order counts base pages of 4 KiB (x86)
      `free page reporting is on (virtio balloon, blocks of ${formatSize(2 ** s.pageReportingOrder * 4096)}): memory this guest frees goes back to the hypervisor within seconds, so first touches of it fault on the host too and alloc/fault timings depend on how long ago their pages were freed (turn the balloon's free-page-reporting off in the VMM)`,
    );
  }
  if (s.hypervisor) {
    const pvm = s.kvmModules.includes('kvm_pvm');
    info(
      'virtualized',
      `this host is a guest (hypervisor CPU flag)${pvm ? '; /dev/kvm is kvm_pvm, so guest ops run nested' : ''}: a hypervisor schedules its vCPUs, expect more run-to-run noise`,
    );
  }
  return out;
}

export function noisy(findings: SystemFinding[]): boolean {
  return findings.some((f) => f.level === 'warn');
}

export function formatFindings(host: string, findings: SystemFinding[]): string[] {
  return findings.map((f) => `${host}: ${f.level === 'warn' ? 'noisy' : 'note'}: ${f.message}`);
}

/** `gmembench system show`: every field of the state, one per line, then the findings. */
export function formatSystemState(host: string, fp: Fingerprint): string {
  const s: Partial<SystemState> = fp.system ?? {};
  const v = (x: unknown) =>
    x === null || x === undefined || x === '' ? '-' : Array.isArray(x) ? x.join(' ') : String(x);
  const lines: [string, unknown][] = [
    ['kernel', fp.kernel.release],
    ['cpu', `${fp.cpu.model}, ${fp.cpu.cores} CPU(s)`],
    ['governor', s.governor ?? 'none (no cpufreq)'],
    ['clocksource', s.clocksource],
    ['isolated CPUs', s.isolatedCpus],
    ['load average', s.loadAvg],
    [
      'swap used',
      s.swapUsedBytes !== undefined
        ? `${Math.round(s.swapUsedBytes / 1048576)} MiB of ${Math.round((s.swapTotalBytes ?? 0) / 1048576)} MiB`
        : null,
    ],
    ['THP enabled / defrag', `${v(fp.thp.enabled)} / ${v(fp.thp.defrag)}`],
    ['shmem THP', fp.thp.shmemEnabled],
    ['KSM', s.ksmRun === '1' ? 'running' : s.ksmRun === undefined ? null : 'off'],
    ['NUMA balancing', s.numaBalancing],
    ['compaction proactiveness', s.compactionProactiveness],
    ['DAMON kdamonds on', s.damonKdamonds],
    [
      'free page reporting',
      s.pageReportingOrder === undefined
        ? null
        : s.pageReportingOrder === null
          ? 'off'
          : `order ${s.pageReportingOrder}`,
    ],
    ['hypervisor flag', s.hypervisor],
    ['KVM modules', s.kvmModules],
    [
      'steal',
      s.stealPercent !== undefined && s.stealPercent !== null ? `${s.stealPercent}% over ${s.sampleMs} ms` : null,
    ],
    ['busy processes', (s.busyProcesses ?? []).map((p) => `${p.comm}(${p.pid}) ${p.cpuPercent}%`).join(', ') || 'none'],
  ];
  const width = Math.max(...lines.map(([k]) => k.length));
  const findings = checkSystem(fp);
  return [
    `${host}:`,
    ...lines.map(([k, x]) => `  ${k.padEnd(width)}  ${v(x)}`),
    '',
    ...(findings.length ? formatFindings(host, findings) : [`${host}: quiet`]),
  ].join('\n');
}
