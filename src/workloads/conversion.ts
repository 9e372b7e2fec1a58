/**
 * Private<->shared conversion (probe/op_convert.c): every granule goes once around
 * shared -> private -> shared per pass; each op times one part of that cycle, and every op checks
 * that data written to shared memory before the round trip reads back as zero after it.
 */
import { z } from 'zod';
import { defineWorkload, type WorkloadDef } from './workload.js';

/** skipSharedDiscard: 1 leaves the shared side undiscarded: a deliberate bug, to see the integrity check fail */
const params = z.object({ skipSharedDiscard: z.union([z.literal(0), z.literal(1)]).optional() });

/** The row's `extra`, as probe/op_convert.c writes it (the same for every conversion op). */
export const conversionExtra = z.object({
  /** the VM type the guest_memfd was bound to; null before a VM was made */
  vmType: z.string().nullable(),
  attributesIoctl: z.boolean(),
  memslot: z.boolean(),
  /** pages checked for stale data after the round trip, warm-ups included */
  integrityPages: z.number().int(),
  stalePages: z.number().int(),
});

function note(x: z.infer<typeof conversionExtra>): string {
  const ioctl = x.attributesIoctl
    ? 'with KVM_SET_MEMORY_ATTRIBUTES'
    : 'userspace part only (no attributes ioctl on this VM type)';
  const integrity =
    x.stalePages === 0 ? `integrity ok (${x.integrityPages} pages zero-filled)` : `STALE DATA in ${x.stalePages} pages`;
  return `${x.vmType ?? '?'} VM, ${ioctl}; ${integrity}`;
}

const cycle = 'each granule goes shared -> private -> shared once per pass, the rest of the cycle untimed';

function conversion(def: Pick<WorkloadDef, 'name' | 'summary' | 'timed'>): WorkloadDef {
  return defineWorkload({
    ...def,
    setup: `${cycle}: see *Conversion* in the README`,
    params,
    extra: conversionExtra,
    note,
  });
}

export const toPrivate = conversion({
  name: 'to-private',
  summary:
    'KVM_SET_MEMORY_ATTRIBUTES(PRIVATE) on one granule of a guest_memfd-bound memslot (needs a VM type with private memory)',
  timed: 'the `KVM_SET_MEMORY_ATTRIBUTES(PRIVATE)` ioctl alone on one granule of a guest_memfd-bound memslot',
});

export const toShared = conversion({
  name: 'to-shared',
  summary: 'KVM_SET_MEMORY_ATTRIBUTES(0) on one private granule (needs a VM type with private memory)',
  timed: 'the `KVM_SET_MEMORY_ATTRIBUTES(0)` ioctl alone on one private granule of a guest_memfd-bound memslot',
});

export const vmmToPrivate = conversion({
  name: 'vmm-to-private',
  summary:
    "a VMM's conversion to private (QEMU kvm_convert_memory): attributes ioctl where available, then discard the shared side",
  timed:
    "the VMM's whole sequence: `[KVM_SET_MEMORY_ATTRIBUTES(PRIVATE)]` + `fallocate(shared memfd, PUNCH_HOLE|KEEP_SIZE)` + `madvise(MADV_DONTNEED)`",
});

export const vmmToShared = conversion({
  name: 'vmm-to-shared',
  summary:
    "a VMM's conversion to shared: attributes ioctl where available, then punch the private side (guest_memfd, or the shmem path's private memfd)",
  timed: '`[KVM_SET_MEMORY_ATTRIBUTES(0)]` + `fallocate(private fd, PUNCH_HOLE|KEEP_SIZE)`',
});

export const touchPrivate = conversion({
  name: 'touch-private',
  summary:
    'first use of the private side after a conversion to private: its allocation, as KVM does on a private fault',
  timed:
    "the first use of the private side after a conversion to private: `fallocate` of the granule on the private fd (what KVM's fault into guest_memfd allocates)",
});

export const touchShared = conversion({
  name: 'touch-shared',
  summary: 'first touch of the shared side after a conversion back to shared (fault-in of a discarded range)',
  timed: 'the first write to every page of the granule through the shared mapping after the conversion back',
});

export const CONVERSION = [toPrivate, toShared, vmmToPrivate, vmmToShared, touchPrivate, touchShared];
