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
    .filter(
      (w) =>
        (w.paths as string[]).includes(s.path) && (w.ops as string[]).includes(s.op) && w.granules.includes(s.granule),
    )
    .filter((w) => {
      const t = w.threads ?? suite.defaults?.threads ?? [1];
      return t.includes(s.threads) || t.includes('all');
    })
    .slice(0, 1)
    .map((w) => ({ ...w, paths: [s.path as PathName], ops: [s.op], granules: [s.granule], threads: [s.threads] }));
  if (workloads.length === 0) {
    throw new Error(
      `${suite.file}: no workload measures ${s.path}/${s.op} at granule ${s.granule} with ${s.threads} thread(s)`,
    );
  }
  return { ...suite, workloads };
}

/** `--only op=guest-fault,path=gmem`: each key once or more (values of one key are alternatives). */
export type SuiteFilter = Partial<Record<'path' | 'op' | 'granule' | 'threads', string[]>>;
const FILTER_KEYS = ['path', 'op', 'granule', 'threads'] as const;

export function parseOnly(v: string): SuiteFilter {
  const f: SuiteFilter = {};
  for (const part of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([a-z]+)=(.+)$/.exec(part);
    const key = m?.[1] as (typeof FILTER_KEYS)[number] | undefined;
    if (!m || !key || !FILTER_KEYS.includes(key)) {
      throw new Error(
        `--only: "${part}" is not key=value with a key of ${FILTER_KEYS.join(', ')} (e.g. --only op=guest-fault,path=gmem)`,
      );
    }
    const value = key === 'granule' ? String(parseSize(m[2])) : m[2];
    f[key] = [...(f[key] ?? []), value];
  }
  if (Object.keys(f).length === 0)
    throw new Error('--only: give at least one key=value (e.g. op=guest-fault,path=gmem)');
  return f;
}

/** The suite with only the paths, ops, granules and thread counts the filter names. */
export function filterSuite(suite: Suite, f: SuiteFilter): Suite {
  const keep = <T>(xs: T[], allowed: string[] | undefined) =>
    allowed ? xs.filter((x) => allowed.includes(String(x))) : xs;
  const workloads = suite.workloads
    .map((w) => ({
      ...w,
      paths: keep(w.paths, f.path),
      ops: keep(w.ops, f.op),
      granules: keep(w.granules, f.granule),
      ...(f.threads ? { threads: keep(w.threads ?? suite.defaults?.threads ?? [1], f.threads) } : {}),
    }))
    .filter(
      (w) =>
        w.paths.length > 0 &&
        w.ops.length > 0 &&
        w.granules.length > 0 &&
        (w.threads === undefined || w.threads.length > 0),
    );
  if (workloads.length === 0) {
    const what = Object.entries(f)
      .map(([k, v]) => `${k}=${v!.join('|')}`)
      .join(', ');
    throw new Error(`--only ${what}: no workload of ${suite.file} measures that`);
  }
  return { ...suite, workloads };
}
