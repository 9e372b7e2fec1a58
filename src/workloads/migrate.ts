/** Page migration between NUMA nodes (probe/op_migrate.c). */
import { z } from 'zod';
import { perGranule, type WorkloadDef } from './workload.js';

export const migrate: WorkloadDef = {
  name: 'migrate',
  summary: 'move_pages(2) of one populated granule to another NUMA node; per-page outcomes in extra (moved, EBUSY, EFAULT, ...); unsupported on one node',
  timed: 'one move_pages(0, pages of the granule, target node, MPOL_MF_MOVE) call',
  samplesPerRep: perGranule,
};

const count = z.number().int().nonnegative();
/** the result's `extra` as the probe writes it */
export const migrateExtra = z.object({
  fromNode: z.number().int(),
  toNode: z.number().int(),
  pages: count,
  moved: count,
  /** per-page refusals by errno (guest_memfd folios are not migratable upstream) */
  refused: z.object({ EBUSY: count, EFAULT: count, ENOENT: count, EACCES: count, ENOMEM: count, other: count }),
  /** move_pages' return value summed: pages it could not move */
  notMoved: count,
  /** pages reported moved whose node, queried after (move_pages with nodes NULL), is the target, or not */
  verifiedOnTarget: count,
  elsewhereAfter: count,
});
export type MigrateExtra = z.infer<typeof migrateExtra>;
