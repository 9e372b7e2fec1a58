/** Stress (probe/op_stress.c): a random mix on one shared region, with integrity and leak checks. */
import { z } from 'zod';
import type { WorkloadDef } from './workload.js';

export const stress: WorkloadDef = {
  name: 'stress',
  summary: 'threads run a random mix of alloc/punch/convert/touch on random granules of one shared region for params.durationMs (default 1000) or params.ops calls, optional params.pressure (share of MemAvailable held); integrity and leak checked',
  timed: 'each call alone (per-op tails and throughput in extra.ops); the row histogram holds every call',
  params: z.object({
    durationMs: z.number().positive().max(3_600_000).optional(),
    ops: z.number().int().min(0).optional(),
    pressure: z.number().min(0).max(0.8).optional(),
  }),
  samplesPerRep: () => null,
};
