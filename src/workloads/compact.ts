/** Compaction with the region populated (probe/op_compact.c). */
import type { WorkloadDef } from './workload.js';

export const compact: WorkloadDef = {
  name: 'compact',
  summary: "compaction of all zones with the region populated; extra: how many of the region's pages moved (pagemap PFNs) and /proc/vmstat deltas (root)",
  timed: 'one write of 1 to /proc/sys/vm/compact_memory (one sample per pass)',
  samplesPerRep: () => 1,
};
