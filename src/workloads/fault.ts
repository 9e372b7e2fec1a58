/** Fault-in through a mapping (probe/op_fault.c). */
import { defineWorkload } from './workload.js';

export const fault = defineWorkload({
  name: 'fault',
  summary: 'fault-in: first write-touch of every page of one granule through a MAP_SHARED mapping',
  timed:
    'the first write to every page of one granule through a `MAP_SHARED` mapping (allocation, zeroing and mapping happen in the faults); guest_memfd is created with `GUEST_MEMFD_FLAG_MMAP|INIT_SHARED`',
  setup: 'an empty, mapped file',
});
