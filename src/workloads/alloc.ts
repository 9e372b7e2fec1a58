import { perGranule, type WorkloadDef } from './workload.js';

export const alloc: WorkloadDef = {
  name: 'alloc',
  summary: 'allocation: fallocate() of one granule on an empty range',
  timed: 'one fallocate(fd, mode, offset, granule); mode is 0 for memfds and FALLOC_FL_KEEP_SIZE for guest_memfd',
  samplesPerRep: perGranule,
};
