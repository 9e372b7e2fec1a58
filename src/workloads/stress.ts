/** Stress (probe/op_stress.c): a random mix on one shared region, with integrity and leak checks. */
import type { WorkloadDef } from './workload.js';

export const stress: WorkloadDef = {
  name: 'stress',
  summary: 'threads run a random mix of alloc/punch/convert/touch on random granules of one shared region for params.durationMs (default 1000) or params.ops calls, optional params.pressure (share of MemAvailable held); integrity and leak checked',
  timed: 'each call alone (per-op tails and throughput in extra.ops); the row histogram holds every call',
  samplesPerRep: () => null,
};
