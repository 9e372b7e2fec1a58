/** guest_memfd NUMA placement, 6.19+ (probe/op_gmem_numa.c): mbind on the guest_memfd mapping steers its allocations. */
import { z } from 'zod';
import { perGranule, type WorkloadDef } from './workload.js';

/** the result's `extra` as the probe writes it */
export const gmemNumaExtra = z.object({
  fromNode: z.number().int(),
  toNode: z.number().int(),
  /** pages of the timed passes whose node was read back after the pass */
  pages: z.number().int().nonnegative(),
  /** get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR): on the policy's node, elsewhere, or the query failed */
  onTarget: z.number().int().nonnegative(),
  elsewhere: z.number().int().nonnegative(),
  queryErrors: z.number().int().nonnegative(),
  /** move_pages(nodes = NULL) for comparison: it may not see guest_memfd pages */
  movePagesOnTarget: z.number().int().nonnegative(),
  movePagesErrors: z.number().int().nonnegative(),
  movePagesErrno: z.string().nullable(),
  /** mean fallocate and fault parts of one sample */
  allocNs: z.number().int().nonnegative(),
  faultNs: z.number().int().nonnegative(),
});
export type GmemNumaExtra = z.infer<typeof gmemNumaExtra>;

export const gmemNuma: WorkloadDef = {
  name: 'gmem-numa',
  summary: 'guest_memfd placed on another NUMA node by mbind(MPOL_BIND) on its mapping (6.19+), placement verified after; unsupported on older kernels or one node',
  timed: 'fallocate(guest_memfd, KEEP_SIZE) of one granule plus a write to each of its pages through the mbind()ed mapping',
  samplesPerRep: perGranule,
};
