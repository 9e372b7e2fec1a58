/** Guest-side fault-in (probe/op_guest.c): a tiny KVM guest touches the region; KVM_RUN timed from the host. */
import { z } from 'zod';
import { formatNs } from '../util/units.js';
import { defineWorkload } from './workload.js';

/** The row's `extra`, as probe/op_guest.c writes it. */
export const guestExtra = z.object({
  /** the median KVM_RUN that faults nothing: the entry/exit cost to subtract */
  exitOnlyNs: z.number(),
});

const note = (x: z.infer<typeof guestExtra>) => `KVM_RUN without a fault (entry + exit): ${formatNs(x.exitOnlyNs)}`;

export const guestFault = defineWorkload({
  name: 'guest-fault',
  summary:
    'a KVM guest (default VM, 32-bit, no paging) writes every page of one fresh granule; gmem via KVM_SET_USER_MEMORY_REGION2 with GUEST_MEMFD_FLAG_MMAP|INIT_SHARED',
  timed:
    'one `KVM_RUN` of a tiny guest that writes every page of one fresh granule and exits with an `OUT`: entry, stage-2 faults (host allocation, zeroing, mapping) and exit',
  setup:
    "a default VM, 32-bit protected mode without paging; the region is memslot 1: guest_memfd (`MMAP|INIT_SHARED`, `KVM_SET_USER_MEMORY_REGION2` with `KVM_MEM_GUEST_MEMFD`) or the path's `MAP_SHARED` mapping; one vCPU per thread",
  extra: guestExtra,
  note,
});

export const guestRefault = defineWorkload({
  name: 'guest-refault',
  summary:
    'the same guest walk after every other granule of a touched region was punched (re-fault after a hole-punch zapped the mappings)',
  timed: "the same `KVM_RUN` over a granule that was touched, then punched (the punch zapped KVM's mappings)",
  setup: 'the whole region touched once, every other granule punched',
  extra: guestExtra,
  note,
});
