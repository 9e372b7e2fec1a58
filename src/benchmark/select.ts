/** Narrow a suite to one series (host/path/op/granule/threads), keeping that workload's settings. */
import type { Suite } from '../config/suite.js';
import type { PathName } from '../config/suite.js';
import { parseSize } from '../util/units.js';

export interface SeriesSelector {
  host: string;
  path: string;
  op: string;
  granule: number;
  threads: number;
}

/** "local/shmem/alloc/4096/1" (granule may be written 4K) */
export function parseSeriesKey(v: string): SeriesSelector {
  const parts = v.split('/');
  const threads = Number(parts[4]);
  if (parts.length !== 5 || parts.some((p) => p === '') || !Number.isInteger(threads) || threads < 1) {
    throw new Error(`--series: "${v}" is not host/path/op/granule/threads (e.g. local/shmem/alloc/4K/1)`);
  }
  return { host: parts[0], path: parts[1], op: parts[2], granule: parseSize(parts[3]), threads };
}

export function restrictSuite(suite: Suite, s: SeriesSelector): Suite {
  const workloads = suite.workloads
    .filter((w) => (w.paths as string[]).includes(s.path) && (w.ops as string[]).includes(s.op) && w.granules.includes(s.granule))
    .filter((w) => {
      const t = w.threads ?? suite.defaults?.threads ?? [1];
      return t.includes(s.threads) || t.includes('all');
    })
    .slice(0, 1)
    .map((w) => ({ ...w, paths: [s.path as PathName], ops: [s.op], granules: [s.granule], threads: [s.threads] }));
  if (workloads.length === 0) {
    throw new Error(`${suite.file}: no workload measures ${s.path}/${s.op} at granule ${s.granule} with ${s.threads} thread(s)`);
  }
  return { ...suite, workloads };
}
