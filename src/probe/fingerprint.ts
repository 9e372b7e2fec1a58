/**
 * The host description the probe prints for `gmembench-probe fingerprint` (docs/probe-protocol.md),
 * as a zod schema: the client checks the line against it. Objects are loose: a newer probe may add
 * sections and caps, which are kept.
 */
import { z } from 'zod';

const str = z.string();
const strOrNull = z.string().nullable();
const int = z.number().int();
const intOrNull = int.nullable();

/** What makes runs noisy, read as pyperf's `system show` does (probe/fingerprint.c emit_system). */
export const systemStateSchema = z.object({
  governor: strOrNull,
  cpufreqDriver: strOrNull,
  noTurbo: strOrNull,
  clocksource: strOrNull,
  isolatedCpus: strOrNull,
  loadAvg: z.tuple([z.number(), z.number(), z.number()]).nullable(),
  swapTotalBytes: z.number(),
  swapUsedBytes: z.number(),
  ksmRun: strOrNull,
  numaBalancing: strOrNull,
  compactionProactiveness: strOrNull,
  damonKdamonds: int,
  /**
   * free page reporting (a virtio balloon with VIRTIO_BALLOON_F_REPORTING): free blocks of
   * 2^order pages go back to the hypervisor; null when nothing reports (absent: an older probe)
   */
  pageReportingOrder: intOrNull.optional(),
  /** the CPU's hypervisor flag: this host is itself a guest */
  hypervisor: z.boolean(),
  kvmModules: z.array(str),
  kvmIntelNested: strOrNull,
  kvmAmdNested: strOrNull,
  /** the window the steal and busy figures were sampled over */
  sampleMs: z.number(),
  stealPercent: z.number().nullable(),
  /** the top CPU consumers over the window (>= 5% of one CPU), the probe and its caller left out */
  busyProcesses: z.array(z.object({ pid: int, comm: str, cpuPercent: z.number() })),
});
export type SystemState = z.infer<typeof systemStateSchema>;

export const fingerprintSchema = z.looseObject({
  type: z.literal('fingerprint').optional(),
  probe: str,
  kernel: z.object({ release: str, version: str, cmdline: str, machine: str }),
  cpu: z.object({ model: str, microcode: strOrNull, cores: int }),
  memory: z.object({ totalBytes: z.number(), availableBytes: z.number(), pageSize: int }),
  numa: z.object({ nodes: int, online: strOrNull }),
  thp: z.object({ enabled: strOrNull, shmemEnabled: strOrNull, defrag: strOrNull.optional(), hpagePmdSize: intOrNull }),
  hugetlb: z.object({ defaultSize: intOrNull, total: int, free: int, reserved: int }),
  secretmem: z.object({ available: z.boolean(), reason: strOrNull }),
  kvm: z.object({
    present: z.boolean(),
    reason: strOrNull,
    apiVersion: intOrNull,
    caps: z
      .looseObject({
        guestMemfd: int,
        guestMemfdFlags: int,
        guestMemfdFlagNames: z.array(str),
        memoryAttributes: int,
        vmTypes: int,
        vmTypeNames: z.array(str),
        userMemory2: int,
      })
      .nullable(),
    params: z.record(str, strOrNull),
  }),
  /** tcg | kvm | none: set by the controller (src/lab/emulation.ts), not the probe */
  emulation: z.enum(['tcg', 'kvm', 'none']).optional(),
  /** the machine's state when it was fingerprinted (probes before it lack it) */
  system: systemStateSchema.optional(),
});
export type Fingerprint = z.infer<typeof fingerprintSchema>;
