/** Guest-side fault-in (probe/op_guest.c): a tiny KVM guest touches the region; KVM_RUN timed from the host. */
import { perGranule, type WorkloadDef } from './workload.js';

export const guestFault: WorkloadDef = {
  name: 'guest-fault',
  summary: 'a KVM guest (default VM, 32-bit, no paging) writes every page of one fresh granule; gmem via KVM_SET_USER_MEMORY_REGION2 with GUEST_MEMFD_FLAG_MMAP|INIT_SHARED',
  timed: 'one KVM_RUN: entry, the stage-2 faults on every page of the granule, and the exit at an OUT (extra.exitOnlyNs: a KVM_RUN with no fault, to subtract)',
  samplesPerRep: perGranule,
};

export const guestRefault: WorkloadDef = {
  name: 'guest-refault',
  summary: 'the same guest walk after every other granule of a touched region was punched (re-fault after a hole-punch zapped the mappings)',
  timed: 'one KVM_RUN over one punched granule',
  // every other granule of each thread's range is punched and re-faulted
  samplesPerRep: (job) => job.threads * Math.ceil(job.region / job.threads / job.granule / 2),
};
