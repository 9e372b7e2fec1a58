/** Page migration between NUMA nodes (probe/op_migrate.c). */
import { perGranule, type WorkloadDef } from './workload.js';

export const migrate: WorkloadDef = {
  name: 'migrate',
  summary: 'move_pages(2) of one populated granule to another NUMA node; per-page outcomes in extra (moved, EBUSY, EFAULT, ...); unsupported on one node',
  timed: 'one move_pages(0, pages of the granule, target node, MPOL_MF_MOVE) call',
  samplesPerRep: perGranule,
};
