/**
 * What a suite asks of a host that only the host can answer (its page size, its memory, its number
 * of cores for "threads: all"): checked once the host is fingerprinted and before its first job, so
 * a host that cannot run the suite measures nothing, and says which jobs and why. What is known
 * without a host is refused earlier, at load (config/suite.ts).
 */
import type { Suite } from '../config/suite.js';
import type { Fingerprint } from '../probe/fingerprint.js';
import { formatSize } from '../util/units.js';
import { DEFAULTS } from './jobs.js';
import { HostFailure } from './failure.js';
import { jobLabel } from './runner.js';

/** jobs listed in the message; the rest are counted */
const SHOWN = 5;

/** One line per job the host cannot run: "<job>: <why>". */
export function precheckProblems(suite: Suite, fp: Pick<Fingerprint, 'cpu' | 'memory'>): string[] {
  const { pageSize, totalBytes } = fp.memory;
  const d = suite.defaults ?? {};
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const w of suite.workloads) {
    const region = w.region ?? d.region ?? DEFAULTS.region;
    const threadList = (w.threads ?? d.threads ?? DEFAULTS.threads).map((t) => (t === 'all' ? fp.cpu.cores : t));
    for (const path of w.paths)
      for (const op of w.ops)
        for (const granule of w.granules)
          for (const threads of threadList) {
            const job = jobLabel({ path, op, granule, threads });
            if (seen.has(job)) continue;
            seen.add(job);
            if (pageSize > 0 && granule % pageSize)
              problems.push(
                `${job}: granule ${formatSize(granule)} is not a multiple of the host's page size ${formatSize(pageSize)}`,
              );
            else if (pageSize > 0 && region % pageSize)
              problems.push(
                `${job}: region ${formatSize(region)} is not a multiple of the host's page size ${formatSize(pageSize)}`,
              );
            else if (granule * threads > region)
              problems.push(
                `${job}: ${threads} threads x granule ${formatSize(granule)} do not fit in the region ${formatSize(region)} (the region is never enlarged)`,
              );
            else if (totalBytes > 0 && region > totalBytes)
              problems.push(
                `${job}: region ${formatSize(region)} is larger than the host's memory (${(totalBytes / 2 ** 30).toFixed(1)} GiB)`,
              );
          }
  }
  return problems;
}

/** Throws a HostFailure ('unsuitable') naming the host and its jobs that cannot run; nothing is measured then. */
export function precheckHost(host: string, suite: Suite, fp: Pick<Fingerprint, 'cpu' | 'memory'>): void {
  const problems = precheckProblems(suite, fp);
  if (problems.length === 0) return;
  const more = problems.length > SHOWN ? `; and ${problems.length - SHOWN} more job(s)` : '';
  throw new HostFailure(
    host,
    'unsuitable',
    `${host} cannot run ${problems.length} job(s) of suite ${suite.name}, nothing was measured: ${problems.slice(0, SHOWN).join('; ')}${more}`,
  );
}
