/** The host description the probe prints for `gmembench-probe fingerprint` (docs/probe-protocol.md). */
export interface Fingerprint {
  type?: 'fingerprint';
  probe: string;
  kernel: { release: string; version: string; cmdline: string; machine: string };
  cpu: { model: string; microcode: string | null; cores: number };
  memory: { totalBytes: number; availableBytes: number; pageSize: number };
  numa: { nodes: number; online: string | null };
  thp: { enabled: string | null; shmemEnabled: string | null; hpagePmdSize: number | null };
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
  [extra: string]: unknown;
}
