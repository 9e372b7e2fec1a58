/** The host description the probe prints for `gmembench-probe fingerprint` (docs/probe-protocol.md). */
export interface Fingerprint {
  type?: 'fingerprint';
  probe: string;
  kernel: { release: string; version: string; cmdline: string; machine: string };
  cpu: { model: string; microcode: string | null; cores: number };
  memory: { totalBytes: number; availableBytes: number; pageSize: number };
  numa: { nodes: number; online: string | null };
  thp: { enabled: string | null; shmemEnabled: string | null; defrag?: string | null; hpagePmdSize: number | null };
  hugetlb: { defaultSize: number | null; total: number; free: number; reserved: number };
  secretmem: { available: boolean; reason: string | null };
  kvm: {
    present: boolean;
    reason: string | null;
    apiVersion: number | null;
    caps: {
      guestMemfd: number;
      guestMemfdFlags: number;
      guestMemfdFlagNames: string[];
      memoryAttributes: number;
      vmTypes: number;
      vmTypeNames: string[];
      userMemory2: number;
      [cap: string]: unknown;
    } | null;
    params: Record<string, string | null>;
  };
  /** tcg | kvm | none: set by the controller (src/lab/emulation.ts), not the probe */
  emulation?: 'tcg' | 'kvm' | 'none';
  /** the machine's state when it was fingerprinted (probes before it lack it) */
  system?: SystemState;
  [extra: string]: unknown;
}

/** What makes runs noisy, read as pyperf's `system show` does (probe/fingerprint.c emit_system). */
export interface SystemState {
  governor: string | null;
  cpufreqDriver: string | null;
  noTurbo: string | null;
  clocksource: string | null;
  isolatedCpus: string | null;
  loadAvg: [number, number, number] | null;
  swapTotalBytes: number;
  swapUsedBytes: number;
  ksmRun: string | null;
  numaBalancing: string | null;
  compactionProactiveness: string | null;
  damonKdamonds: number;
  /** the CPU's hypervisor flag: this host is itself a guest */
  hypervisor: boolean;
  kvmModules: string[];
  kvmIntelNested: string | null;
  kvmAmdNested: string | null;
  /** the window the steal and busy figures were sampled over */
  sampleMs: number;
  stealPercent: number | null;
  /** the top CPU consumers over the window (>= 5% of one CPU), the probe and its caller left out */
  busyProcesses: { pid: number; comm: string; cpuPercent: number }[];
}
