/** Run histories on disk for regress/nightly/bisect tests: real summaries with real HdrHistograms. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { encode, newHistogram, percentiles } from '../../src/analysis/histogram.js';
import { SCHEMA_VERSION, type HostEntry, type ResultRow, type RunSummary } from '../../src/results/schema.js';
import { writeSummary } from '../../src/results/store.js';
import { gaussian, rng } from './synthetic.js';

export interface FixtureSeries {
  host?: string;
  path?: string;
  op?: string;
  granule?: number;
  threads?: number;
  /** the series' typical p50 (ns) for run i */
  p50: (i: number) => number;
}

/** A row whose histogram holds `reps` repetitions of 200 samples around p50 (1% noise, a 3x tail). */
export function fixtureRow(
  host: string,
  s: Omit<FixtureSeries, 'p50'>,
  p50: number,
  seed: number,
  reps = 5,
): ResultRow {
  const r = rng(seed);
  const all = newHistogram();
  const repetitions = [];
  for (let k = 0; k < reps; k++) {
    const h = newHistogram();
    const center = p50 * (1 + 0.003 * gaussian(r));
    for (let j = 0; j < 200; j++) h.recordValue(Math.max(1, Math.round(center * (1 + 0.01 * gaussian(r)))));
    h.recordValueWithCount(Math.round(center * 3), 3);
    const p = percentiles(h);
    repetitions.push({ samples: 203, p50: p.p50, p99: p.p99, mean: h.mean });
    all.add(h);
  }
  const p = percentiles(all);
  return {
    host,
    path: s.path ?? 'shmem',
    op: s.op ?? 'alloc',
    granule: s.granule ?? 4096,
    threads: s.threads ?? 1,
    status: 'ok',
    samples: reps * 203,
    unit: 'ns',
    min: all.minNonZeroValue,
    ...p,
    max: all.maxValue,
    mean: all.mean,
    stddev: all.stdDeviation,
    histogram: encode(all),
    repetitions,
    params: { region: 8 << 20, repetitions: reps, warmup: 1 },
  };
}

export function fixtureSummary(
  i: number,
  series: FixtureSeries[],
  opts: { suite?: string; start?: number; kernel?: (i: number) => string; failedHosts?: string[] } = {},
): RunSummary {
  const startedAt = new Date((opts.start ?? Date.parse('2026-01-01T02:00:00Z')) + i * 86_400_000).toISOString();
  const suite = opts.suite ?? 'nightly';
  const hostNames = [...new Set(series.map((s) => s.host ?? 'local'))];
  const hosts: HostEntry[] = hostNames.map((name) => ({
    name,
    status: 'ok',
    labels: { platform: 'local' },
    fingerprint: {
      kernel: { release: opts.kernel?.(i) ?? '6.18.0', version: '#1', cmdline: '', machine: 'x86_64' },
    } as never,
  }));
  for (const name of opts.failedHosts ?? [])
    hosts.push({
      name,
      status: 'failed',
      subStatus: 'unreachable',
      error: 'connect ECONNREFUSED',
      labels: {},
      fingerprint: null,
    });
  return {
    schemaVersion: SCHEMA_VERSION,
    runId: `${startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}-${suite}-${String(i).padStart(4, '0')}`,
    suite: { name: suite, file: `suites/${suite}.yaml` },
    startedAt,
    finishedAt: startedAt,
    harness: { version: '0.1.0', probeSha256: 'fixture', node: process.version },
    hosts,
    results: series.map((s, k) => fixtureRow(s.host ?? 'local', s, s.p50(i), i * 101 + k + 1)),
  };
}

/** Write runs 0..n-1 under dir; returns their directories, oldest first. */
export async function writeHistory(
  dir: string,
  n: number,
  series: FixtureSeries[],
  opts: Parameters<typeof fixtureSummary>[2] = {},
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const dirs: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = fixtureSummary(i, series, opts);
    const d = join(dir, s.runId);
    await writeSummary(d, s);
    dirs.push(d);
  }
  return dirs;
}
