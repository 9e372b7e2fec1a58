import { perGranule, type WorkloadDef } from './workload.js';

export const fault: WorkloadDef = {
  name: 'fault',
  summary: 'fault-in: first write-touch of every page of one granule through a MAP_SHARED mapping',
  timed: 'the writes to each page of one unpopulated granule (page allocation, zeroing and mapping happen in the faults); guest_memfd is mapped with GUEST_MEMFD_FLAG_MMAP|INIT_SHARED',
  samplesPerRep: perGranule,
};
