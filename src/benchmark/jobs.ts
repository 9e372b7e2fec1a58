/** Expand a suite into the probe jobs for one host (the cartesian product of each workload). */
import type { Suite } from '../config/suite.js';
import type { Fingerprint } from '../probe/fingerprint.js';
import type { ProbeJob } from '../probe/protocol.js';

export const DEFAULTS = {
  region: 16 * 1024 * 1024,
  repetitions: 5,
  warmup: 1,
  threads: [1] as (number | 'all')[],
  maxMemShare: 0.5,
};

export interface JobOptions {
  raw?: boolean;
  maxMemShare?: number;
}

export function expandJobs(suite: Suite, fp: Pick<Fingerprint, 'cpu'> | null, opts: JobOptions = {}): ProbeJob[] {
  const jobs: ProbeJob[] = [];
  const seen = new Set<string>();
  const cores = fp?.cpu.cores ?? 1;
  for (const w of suite.workloads) {
    const d = suite.defaults ?? {};
    const threadList = w.threads ?? d.threads ?? DEFAULTS.threads;
    for (const path of w.paths)
      for (const op of w.ops)
        for (const granule of w.granules)
          for (const t of threadList) {
            const threads = t === 'all' ? cores : t;
            const job: ProbeJob = {
              path,
              op,
              granule,
              region: fitRegion(w.region ?? d.region ?? DEFAULTS.region, granule, threads),
              threads,
              repetitions: w.repetitions ?? d.repetitions ?? DEFAULTS.repetitions,
              warmup: w.warmup ?? d.warmup ?? DEFAULTS.warmup,
              maxMemShare: opts.maxMemShare ?? suite.maxMemShare ?? DEFAULTS.maxMemShare,
              raw: opts.raw ?? false,
              params: { ...(d.params ?? {}), ...(w.params ?? {}) },
            };
            // "all" may equal an explicit count on a small host: measure each combination once
            const key = `${path}/${op}/${granule}/${threads}/${job.region}`;
            if (seen.has(key)) continue;
            seen.add(key);
            jobs.push(job);
          }
  }
  return jobs;
}

/** Each thread gets an equal range of whole granules: round the region down to fit (never to 0). */
export function fitRegion(region: number, granule: number, threads: number): number {
  const unit = granule * threads;
  return region >= unit ? Math.floor(region / unit) * unit : unit;
}
