/** Page migration between NUMA nodes (probe/op_migrate.c). */
import { z } from 'zod';
import { defineWorkload } from './workload.js';

const count = z.number().int();

/** The row's `extra`, as probe/op_migrate.c writes it: per-page outcomes of the timed passes. */
export const migrateExtra = z.object({
  /** -1 until a page was queried */
  fromNode: count,
  toNode: count,
  pages: count,
  moved: count,
  /**
   * pages move_pages(2) left where they were, by the errno of their status; `stayed`: the status was
   * a node other than the target (left in place without an errno); `other`: an errno not listed
   */
  refused: z.object({
    EBUSY: count,
    EFAULT: count,
    ENOENT: count,
    EACCES: count,
    ENOMEM: count,
    EINVAL: count,
    EIO: count,
    EPERM: count,
    stayed: count,
    other: count,
  }),
  /** move_pages' return values summed: pages it could not move */
  notMoved: count,
  /** pages reported moved whose node, queried after the pass (move_pages with nodes NULL), is the target, or not */
  verifiedOnTarget: count,
  elsewhereAfter: count,
});

export const migrate = defineWorkload({
  name: 'migrate',
  solo: true,
  summary:
    'move_pages(2) of one populated granule to another NUMA node; per-page outcomes in extra (moved, EBUSY, EFAULT, ...), the node of every moved page checked after; unsupported on one node',
  timed: 'one `move_pages(2)` of the populated pages of one granule to another NUMA node (the granule is the batch)',
  setup:
    "pages populated; target = first online node they are not on; after the pass every page's node is queried again",
  extra: migrateExtra,
  note: (x) => {
    const refused = Object.entries(x.refused).filter(([, n]) => n > 0);
    return (
      `node ${x.fromNode} -> ${x.toNode}: ${x.moved}/${x.pages} pages moved` +
      (refused.length ? `; refused: ${refused.map(([e, n]) => `${e} ${n}`).join(', ')}` : '') +
      `; ${x.verifiedOnTarget} verified on node ${x.toNode} after` +
      (x.elsewhereAfter > 0 ? `, ${x.elsewhereAfter} reported moved but found elsewhere` : '')
    );
  },
});
