/**
 * Private<->shared conversion (probe/op_convert.c): every granule goes once around
 * shared -> private -> shared per pass; each op times one part of that cycle, and every op checks
 * that data written to shared memory before the round trip reads back as zero after it.
 */
import { z } from 'zod';
import { perGranule, type WorkloadDef } from './workload.js';

/** skipSharedDiscard: 1 leaves the shared side undiscarded: a deliberate bug, to see the integrity check fail */
const params = z.object({ skipSharedDiscard: z.union([z.literal(0), z.literal(1)]).optional() });

const cycle = 'each granule goes shared -> private -> shared once per pass (the rest of the cycle is untimed)';

export const toPrivate: WorkloadDef = {
  name: 'to-private',
  summary: 'KVM_SET_MEMORY_ATTRIBUTES(PRIVATE) on one granule of a guest_memfd-bound memslot (needs a VM type with private memory)',
  timed: `one KVM_SET_MEMORY_ATTRIBUTES ioctl with KVM_MEMORY_ATTRIBUTE_PRIVATE; ${cycle}`,
  params,
  samplesPerRep: perGranule,
};

export const toShared: WorkloadDef = {
  name: 'to-shared',
  summary: 'KVM_SET_MEMORY_ATTRIBUTES(0) on one private granule (needs a VM type with private memory)',
  timed: `one KVM_SET_MEMORY_ATTRIBUTES ioctl with attributes 0; ${cycle}`,
  params,
  samplesPerRep: perGranule,
};

export const vmmToPrivate: WorkloadDef = {
  name: 'vmm-to-private',
  summary: "a VMM's conversion to private (QEMU kvm_convert_memory): attributes ioctl where available, then discard the shared side",
  timed: `[KVM_SET_MEMORY_ATTRIBUTES(PRIVATE)] + fallocate(shared memfd, PUNCH_HOLE|KEEP_SIZE) + madvise(MADV_DONTNEED); ${cycle}`,
  params,
  samplesPerRep: perGranule,
};

export const vmmToShared: WorkloadDef = {
  name: 'vmm-to-shared',
  summary: "a VMM's conversion to shared: attributes ioctl where available, then punch the private side (guest_memfd, or the shmem path's private memfd)",
  timed: `[KVM_SET_MEMORY_ATTRIBUTES(0)] + fallocate(private fd, PUNCH_HOLE|KEEP_SIZE); ${cycle}`,
  params,
  samplesPerRep: perGranule,
};

export const touchPrivate: WorkloadDef = {
  name: 'touch-private',
  summary: 'first use of the private side after a conversion to private: its allocation, as KVM does on a private fault',
  timed: `one fallocate(private fd, mode of the path) of the granule; ${cycle}`,
  params,
  samplesPerRep: perGranule,
};

export const touchShared: WorkloadDef = {
  name: 'touch-shared',
  summary: 'first touch of the shared side after a conversion back to shared (fault-in of a discarded range)',
  timed: `a write to every page of the granule through the shared memfd mapping; ${cycle}`,
  params,
  samplesPerRep: perGranule,
};

export const CONVERSION = [toPrivate, toShared, vmmToPrivate, vmmToShared, touchPrivate, touchShared];
