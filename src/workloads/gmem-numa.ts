/** guest_memfd NUMA placement, 6.19+ (probe/op_gmem_numa.c): mbind on the guest_memfd mapping steers its allocations. */
import { z } from 'zod';
import { formatNs } from '../util/units.js';
import { defineWorkload } from './workload.js';

const count = z.number().int().nonnegative();

/** The row's `extra`, as probe/op_gmem_numa.c writes it. */
export const gmemNumaExtra = z.object({
  fromNode: z.number().int(),
  toNode: z.number().int(),
  /** pages of the timed passes whose node was read back after the pass */
  pages: count,
  /** get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR): on the policy's node, elsewhere, or the query failed */
  onTarget: count,
  elsewhere: count,
  queryErrors: count,
  /** move_pages(nodes = NULL) for comparison: it may not see guest_memfd pages */
  movePagesOnTarget: count,
  movePagesErrors: count,
  movePagesErrno: z.string().nullable(),
  /** mean fallocate and fault parts of one sample */
  allocNs: count,
  faultNs: count,
});

export const gmemNuma = defineWorkload({
  name: 'gmem-numa',
  solo: true,
  summary:
    'guest_memfd placed on another NUMA node by mbind(MPOL_BIND) on its mapping (6.19+), placement verified after; unsupported on older kernels or one node',
  timed:
    '`fallocate(guest_memfd, KEEP_SIZE)` of one granule plus a write to each of its pages through the `mbind()`ed mapping',
  setup:
    "guest_memfd with `MMAP|INIT_SHARED`, mapped; `mbind(MPOL_BIND)` of the mapping to a node other than the current one; after the pass every page's node is read back",
  extra: gmemNumaExtra,
  note: (x) =>
    `mbind to node ${x.toNode}: ${x.onTarget}/${x.pages} pages there (get_mempolicy)` +
    (x.elsewhere > 0 ? `, ${x.elsewhere} elsewhere` : '') +
    `; alloc ${formatNs(x.allocNs)}, fault ${formatNs(x.faultNs)}`,
});
