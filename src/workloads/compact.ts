/** Compaction with the region populated (probe/op_compact.c). */
import { z } from 'zod';
import { defineWorkload } from './workload.js';

const count = z.number().int();

/** The row's `extra`, as probe/op_compact.c writes it. */
export const compactExtra = z.object({
  passes: count,
  pages: count,
  pagesMoved: count,
  pagesWithoutPfn: count,
  /** /proc/vmstat deltas over the timed passes (pgmigrate_success, compact_isolated, ...) */
  vmstat: z.record(z.string(), z.number()),
});

export const compact = defineWorkload({
  name: 'compact',
  solo: true,
  summary:
    "compaction of all zones with the region populated; extra: how many of the region's pages moved (pagemap PFNs) and /proc/vmstat deltas (root)",
  timed: 'one write of `1` to `/proc/sys/vm/compact_memory` (one sample per pass; root)',
  setup: 'the region populated through its mapping; PFNs read from `/proc/self/pagemap` before and after',
  extra: compactExtra,
  note: (x) =>
    `${x.pagesMoved}/${x.pages} pages of the region moved over ${x.passes} compactions; system: ${x.vmstat.pgmigrate_success ?? 0} pages migrated`,
});
