/** Hole-punch (probe/op_punch.c). */
import { defineWorkload } from './workload.js';

export const punch = defineWorkload({
  name: 'punch',
  summary: 'hole-punch: fallocate(PUNCH_HOLE|KEEP_SIZE) of one populated granule',
  timed: '`fallocate(fd, PUNCH_HOLE|KEEP_SIZE, off, granule)`',
  setup: 'the range populated by `fallocate`',
});
