/** Pairs of runs with known differences for compare tests: real summaries, controlled repetitions. */
import type { RunSummary } from '../../src/results/schema.js';
import { fixtureSummary, type FixtureSeries } from './regress-fixtures.js';
import { gaussian, rng } from './synthetic.js';

/** Four series over shmem and gmem at 4K and 2M; p50s in ns. */
export const BASE_SERIES: FixtureSeries[] = [
  { path: 'shmem', op: 'alloc', granule: 4096, p50: () => 1500 },
  { path: 'gmem', op: 'alloc', granule: 4096, p50: () => 1200 },
  { path: 'shmem', op: 'punch', granule: 2 << 20, p50: () => 250_000 },
  { path: 'gmem', op: 'punch', granule: 2 << 20, p50: () => 180_000 },
  { path: 'shmem', op: 'fault', granule: 4096, p50: () => 2600 },
  { path: 'gmem', op: 'fault', granule: 4096, p50: () => 2500 },
];

/**
 * Run i of a series set: same distributions for every i (fixtureSummary seeds by i, so two indexes
 * are two independent draws), with optional per-series factors applied to run `i`'s p50s.
 */
export function runOf(
  i: number,
  factors: Record<number, number> = {},
  opts: { reps?: number; kernel?: string } = {},
): RunSummary {
  const series = BASE_SERIES.map((s, k) => ({ ...s, p50: (j: number) => s.p50(j) * (factors[k] ?? 1) }));
  const run = fixtureSummary(i, series, { kernel: () => opts.kernel ?? '6.18.0' });
  return run;
}

/**
 * Runs i0, i0+1, ... of the BASE_SERIES with a known run-to-run noise: each run's level of each
 * series is its typical p50 times exp(noise x N(0, 1)) (seeded by run and series), times the
 * optional per-series factor (a step). Within each run the repetitions spread 0.3%, as before.
 */
export function noisyRuns(
  i0: number,
  n: number,
  opts: { noise: number; factors?: Record<number, number>; suite?: string },
): RunSummary[] {
  const out: RunSummary[] = [];
  for (let i = i0; i < i0 + n; i++) {
    const series = BASE_SERIES.map((s, k) => {
      const r = rng(i * 7919 + k * 104729 + 17);
      return { ...s, p50: (j: number) => s.p50(j) * Math.exp(opts.noise * gaussian(r)) * (opts.factors?.[k] ?? 1) };
    });
    out.push(fixtureSummary(i, series, { ...(opts.suite && { suite: opts.suite }) }));
  }
  return out;
}
