import { perGranule, type WorkloadDef } from './workload.js';

export const punch: WorkloadDef = {
  name: 'punch',
  summary: 'hole-punch: fallocate(PUNCH_HOLE|KEEP_SIZE) of one populated granule',
  timed: 'one fallocate(fd, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, offset, granule) on a populated range',
  samplesPerRep: perGranule,
};
