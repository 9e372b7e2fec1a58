/** Stress (probe/op_stress.c): a random mix on one shared region, with integrity and leak checks. */
import { z } from 'zod';
import type { WorkloadDef } from './workload.js';

const flag = z.union([z.literal(0), z.literal(1)]).optional();

const params = z.object({
  durationMs: z.number().positive().max(3_600_000).optional(),
  ops: z.number().int().min(0).optional(),
  pressure: z.number().min(0).max(0.8).optional(),
  /** tests only: 1 leaves the first pass's backing populated and open, a leak of exactly the region */
  keepBacking: flag,
  /** tests only: 1 counts the leak from the backing files even where a cgroup could be made */
  noCgroup: flag,
});

const opFigures = z.object({ calls: z.number(), p50: z.number(), p99: z.number(), p999: z.number(), max: z.number() });

/** The row's `extra`, as the probe writes it: every key the stress op reports, in one place. */
export const stressExtra = z.object({
  elapsedNs: z.number(),
  calls: z.number(),
  ops: z.object({ alloc: opFigures, punch: opFigures, convert: opFigures, touch: opFigures }),
  integrity: z.object({ touchesChecked: z.number(), mismatchedPages: z.number() }),
  /** system-wide, information only: other activity moves it */
  memAvailable: z.object({ beforeBytes: z.number(), afterBytes: z.number(), pressureBytes: z.number() }),
  /** what the job still held after closing everything, beyond what it held before the first pass */
  leak: z.object({
    /** cgroup-v2 / cgroup-v1: the job's own cgroup; backing-files: its open backing files and RssShmem */
    method: z.enum(['cgroup-v2', 'cgroup-v1', 'backing-files']),
    shmemBytes: z.number(),
    guestMemfdBytes: z.number(),
    hugetlbBytes: z.number(),
    /** cgroup only, information: the job cgroup's memory.current and kernel memory at the end */
    currentBytes: z.number().optional(),
    kernelBytes: z.number().optional(),
    /** backing-files only: why no cgroup could be made */
    noCgroup: z.string().optional(),
  }),
});
export type StressExtra = z.infer<typeof stressExtra>;

export const stress: WorkloadDef = {
  name: 'stress',
  summary: 'threads run a random mix of alloc/punch/convert/touch on random granules of one shared region for params.durationMs (default 1000) or params.ops calls, optional params.pressure (share of MemAvailable held by a helper process); integrity checked, and the leak the job itself still holds (its own cgroup, else its backing files)',
  timed: 'each call alone (per-op tails and throughput in extra.ops); the row histogram holds every call',
  params,
  samplesPerRep: () => null,
};
