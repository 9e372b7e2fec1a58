/** The registry of workloads; a suite's `ops` must name one of these. Each lives in its own file. */
import { alloc } from './alloc.js';
import { fault } from './fault.js';
import { punch } from './punch.js';
import { CONVERSION } from './conversion.js';
import { guestFault, guestRefault } from './guest.js';
import { migrate } from './migrate.js';
import { compact } from './compact.js';
import { stress } from './stress.js';
import { guestConvert } from './guest-convert.js';
import { gmemNuma } from './gmem-numa.js';
import type { WorkloadDef } from './workload.js';

export const WORKLOAD_LIST: readonly WorkloadDef[] = [
  alloc,
  fault,
  punch,
  ...CONVERSION,
  guestFault,
  guestRefault,
  migrate,
  compact,
  stress,
  guestConvert,
  gmemNuma,
];

export const WORKLOADS: Record<string, WorkloadDef> = Object.fromEntries(WORKLOAD_LIST.map((w) => [w.name, w]));

export const WORKLOAD_NAMES = Object.keys(WORKLOADS) as [string, ...string[]];
