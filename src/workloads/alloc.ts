/** Allocation (probe/op_alloc.c). */
import { defineWorkload } from './workload.js';

export const alloc = defineWorkload({
  name: 'alloc',
  summary: 'allocation: fallocate() of one granule on an empty range',
  timed:
    '`fallocate(fd, mode, off, granule)`: mode 0 on memfds, `FALLOC_FL_KEEP_SIZE` on guest_memfd (it refuses anything else)',
  setup: 'an empty file of `region` bytes',
});
