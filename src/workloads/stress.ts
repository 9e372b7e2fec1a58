/** Stress (probe/op_stress.c): a random mix on one shared region, with integrity and leak checks. */
import { z } from 'zod';
import { formatNs } from '../util/units.js';
import { defineWorkload } from './workload.js';

const flag = z.union([z.literal(0), z.literal(1)]).optional();

const params = z.object({
  durationMs: z.number().positive().max(3_600_000).optional(),
  ops: z.number().int().min(0).optional(),
  pressure: z.number().min(0).max(0.8).optional(),
  /** tests only: 1 leaves the first pass's backing populated and open, a leak of exactly the region */
  keepBacking: flag,
  /** tests only: 1 counts the leak from the backing files even where a cgroup could be made */
  noCgroup: flag,
});

const opFigures = z.object({ calls: z.number(), p50: z.number(), p99: z.number(), p999: z.number(), max: z.number() });

/** The row's `extra`, as the probe writes it: every key the stress op reports, in one place. */
export const stressExtra = z.object({
  elapsedNs: z.number(),
  calls: z.number(),
  ops: z.object({ alloc: opFigures, punch: opFigures, convert: opFigures, touch: opFigures }),
  integrity: z.object({ touchesChecked: z.number(), mismatchedPages: z.number() }),
  /** system-wide, information only: other activity moves it */
  memAvailable: z.object({ beforeBytes: z.number(), afterBytes: z.number(), pressureBytes: z.number() }),
  /** what the job still held after closing everything, beyond what it held before the first pass */
  leak: z.object({
    /** cgroup-v2 / cgroup-v1: the job's own cgroup; backing-files: its open backing files and RssShmem */
    method: z.enum(['cgroup-v2', 'cgroup-v1', 'backing-files']),
    shmemBytes: z.number(),
    guestMemfdBytes: z.number(),
    hugetlbBytes: z.number(),
    /** cgroup only, information: the job cgroup's memory.current and kernel memory at the end */
    currentBytes: z.number().optional(),
    kernelBytes: z.number().optional(),
    /** backing-files only: why no cgroup could be made */
    noCgroup: z.string().optional(),
  }),
});
export type StressExtra = z.infer<typeof stressExtra>;

const mib = (bytes: number): string => `${Math.round(bytes / 2 ** 20)} MiB`;

function note(x: StressExtra): string {
  const secs = x.elapsedNs / 1e9;
  const mix = Object.entries(x.ops)
    .map(([name, o]) => `${name} p99 ${formatNs(o.p99)}`)
    .join(', ');
  const delta = x.memAvailable.afterBytes - x.memAvailable.beforeBytes;
  const kinds = (
    [
      ['shmem', 'shmemBytes'],
      ['guest_memfd', 'guestMemfdBytes'],
      ['hugetlb', 'hugetlbBytes'],
    ] as const
  )
    .filter(([, k]) => x.leak[k] > 0)
    .map(([name, k]) => `${name} ${x.leak[k]} bytes`);
  const integ = x.integrity;
  return (
    `${Math.round(x.calls / Math.max(secs, 1e-9))} calls/s; ${mix}; ` +
    `integrity ${integ.mismatchedPages ? `FAILED (${integ.mismatchedPages} pages)` : `ok (${integ.touchesChecked} touches)`}; ` +
    `leak ${kinds.length ? `HELD ${kinds.join(', ')}` : 'none'} (${x.leak.method}); ` +
    `MemAvailable after vs before ${delta >= 0 ? '+' : '-'}${mib(Math.abs(delta))} (system-wide, information only)` +
    (x.memAvailable.pressureBytes ? `; under pressure of ${mib(x.memAvailable.pressureBytes)}` : '')
  );
}

export const stress = defineWorkload({
  name: 'stress',
  solo: true,
  summary:
    'threads run a random mix of alloc/punch/convert/touch on random granules of one shared region for params.durationMs (default 1000) or params.ops calls, optional params.pressure (share of MemAvailable held by a helper process); integrity checked, and the leak the job itself still holds (its own cgroup, else its backing files)',
  timed:
    'every call of a random mix of `alloc`, `punch`, `convert` (punch + `MADV_DONTNEED`) and `touch` (read then write a tag on each page) on random granules of one region shared by all threads',
  setup:
    "`params.durationMs` (default 1000) or `params.ops`; `params.pressure` holds that share of MemAvailable populated by a helper process; `extra.leak` is what the job still holds after closing everything, by kind (`shmemBytes`, `guestMemfdBytes`, `hugetlbBytes`), counted in a cgroup of the job's own (`method: cgroup-v2`, or `cgroup-v1` on hosts whose memory controller is on v1; root only; named `gmembench-<pid>-job`/`-side`/`-probe`, removed after) or else from its still-open backing files and RssShmem (`backing-files`, with `noCgroup` saying why; guest_memfd pages are counted by mincore, so only pages faulted in at least once)",
  params,
  extra: stressExtra,
  note,
});
