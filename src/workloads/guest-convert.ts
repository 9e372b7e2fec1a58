/**
 * A conversion as a confidential guest asks for it (probe/op_guest_convert.c): the tiny guest's
 * KVM_HC_MAP_GPA_RANGE hypercall exits to the probe (KVM_EXIT_HYPERCALL), which answers as a VMM does
 * (attributes ioctl + discard of the other side) and resumes the guest, which then touches the range.
 */
import { z } from 'zod';
import { formatNs } from '../util/units.js';
import { defineWorkload } from './workload.js';

const count = z.number().int().nonnegative();

/** The row's `extra`, as probe/op_guest_convert.c writes it. */
export const guestConvertExtra = z.object({
  vmType: z.string().nullable(),
  /** vmcall (Intel) or vmmcall (AMD), patched into the guest for this host's CPU */
  hypercall: z.string().nullable(),
  tscKhz: count,
  /** hypercalls of the timed passes (two per granule) */
  hypercalls: count,
  /** mean time the probe spent answering one exit (attributes ioctl + discard), per direction */
  toPrivateVmmNs: count,
  toSharedVmmNs: count,
  /** mean time of the guest's touch of the converted range, per direction (guest TSC) */
  privateTouchNs: count,
  sharedTouchNs: count,
  integrityPages: count,
  stalePages: count,
});

export const guestConvert = defineWorkload({
  name: 'guest-convert',
  summary:
    'the guest asks for a conversion (KVM_HC_MAP_GPA_RANGE), the probe answers the KVM_EXIT_HYPERCALL as a VMM does; needs a VM type with private memory (sw-protected, SNP, TDX)',
  timed:
    'one round trip as the guest sees it (its `rdtsc` before the hypercall to its `rdtsc` on resume, scaled by `KVM_GET_TSC_KHZ`): the exit, `KVM_SET_MEMORY_ATTRIBUTES` + discard of the other side, re-entry; each granule goes shared -> private -> shared (two samples)',
  setup:
    'a VM with private memory and `KVM_CAP_EXIT_HYPERCALL` for `KVM_HC_MAP_GPA_RANGE`; the region is guest_memfd bound by `KVM_SET_USER_MEMORY_REGION2`; after each round trip the guest touches the range and the probe checks its contents',
  extra: guestConvertExtra,
  note: (x) =>
    `${x.vmType ?? '?'} VM, ${x.hypercalls} MAP_GPA_RANGE exits; VMM answer to private ${formatNs(x.toPrivateVmmNs)}, to shared ${formatNs(x.toSharedVmmNs)}; ` +
    (x.stalePages === 0 ? `integrity ok (${x.integrityPages} pages)` : `STALE DATA in ${x.stalePages} pages`),
});
