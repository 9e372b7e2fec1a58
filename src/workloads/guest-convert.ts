/**
 * A conversion as a confidential guest asks for it (probe/op_guest_convert.c): the tiny guest's
 * KVM_HC_MAP_GPA_RANGE hypercall exits to the probe (KVM_EXIT_HYPERCALL), which answers as a VMM does
 * (attributes ioctl + discard of the other side) and resumes the guest, which then touches the range.
 */
import { z } from 'zod';
import type { WorkloadDef } from './workload.js';

/** the result's `extra` as the probe writes it */
export const guestConvertExtra = z.object({
  vmType: z.string().nullable(),
  /** vmcall (Intel) or vmmcall (AMD), patched into the guest for this host's CPU */
  hypercall: z.string().nullable(),
  tscKhz: z.number().int().nonnegative(),
  /** hypercalls of the timed passes (two per granule) */
  hypercalls: z.number().int().nonnegative(),
  /** mean time the probe spent answering one exit (attributes ioctl + discard), per direction */
  toPrivateVmmNs: z.number().int().nonnegative(),
  toSharedVmmNs: z.number().int().nonnegative(),
  /** mean time of the guest's touch of the converted range, per direction (guest TSC) */
  privateTouchNs: z.number().int().nonnegative(),
  sharedTouchNs: z.number().int().nonnegative(),
  integrityPages: z.number().int().nonnegative(),
  stalePages: z.number().int().nonnegative(),
});
export type GuestConvertExtra = z.infer<typeof guestConvertExtra>;

export const guestConvert: WorkloadDef = {
  name: 'guest-convert',
  summary: 'the guest asks for a conversion (KVM_HC_MAP_GPA_RANGE), the probe answers the KVM_EXIT_HYPERCALL as a VMM does; needs a sw-protected VM',
  timed: 'one round trip as the guest sees it (its rdtsc before the hypercall to its rdtsc on resume, KVM_GET_TSC_KHZ): the exit, KVM_SET_MEMORY_ATTRIBUTES + discard of the other side, re-entry; each granule goes shared -> private -> shared (two samples)',
  samplesPerRep: (job) => 2 * Math.floor(job.region / job.granule),
};
