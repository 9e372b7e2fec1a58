/** The registry of workloads; a suite's `ops` must name one of these. */
import { alloc } from './alloc.js';
import { fault } from './fault.js';
import { punch } from './punch.js';
import type { WorkloadDef } from './workload.js';

export const WORKLOADS: Record<string, WorkloadDef> = Object.fromEntries(
  [alloc, fault, punch].map((w) => [w.name, w]),
);

export const WORKLOAD_NAMES = Object.keys(WORKLOADS) as [string, ...string[]];
