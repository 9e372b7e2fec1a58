/**
 * bisect-check's verdict for one series: is a fresh measurement slower than the baseline?
 * Values are per-repetition figures (RepStat p50 or p99) of the baseline run(s) and the fresh run.
 * bad = the median rose by at least `threshold` AND Student's t test says p < maxPValue (with a
 * single value on a side no test is possible: the threshold alone decides).
 */
import { sampleStats, studentTTest } from './changepoint/ttest.js';
import { median } from './stats/describe.js';
import type { ResultRow } from '../results/schema.js';
import type { Metric } from './series.js';

export type Verdict = 'good' | 'bad' | 'skip';

export interface BisectResult {
  verdict: Verdict;
  reason: string;
  before?: number;
  after?: number;
  changePct?: number;
  pValue?: number;
}

export function repetitionValues(row: ResultRow | undefined, metric: Metric): number[] {
  if (!row || row.status !== 'ok') return [];
  const reps = (row.repetitions ?? []).map((r) => r[metric]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (reps.length > 0) return reps;
  const v = row[metric];
  return typeof v === 'number' && Number.isFinite(v) ? [v] : [];
}

export function bisectVerdict(baseline: number[], fresh: number[], o: { threshold: number; maxPValue: number }): BisectResult {
  if (baseline.length === 0) return { verdict: 'skip', reason: 'no baseline values' };
  if (fresh.length === 0) return { verdict: 'skip', reason: 'no fresh values (not measured, unsupported or failed)' };
  const before = median(baseline);
  const after = median(fresh);
  const change = after / before - 1;
  const pValue = baseline.length > 1 && fresh.length > 1 ? studentTTest(sampleStats(baseline), sampleStats(fresh)).pValue : 0;
  const slower = change >= o.threshold && pValue < o.maxPValue;
  const pct = `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}%`;
  return {
    verdict: slower ? 'bad' : 'good',
    reason: slower
      ? `slower by ${pct} (p=${pValue.toExponential(1)}), threshold ${(o.threshold * 100).toFixed(1)}%`
      : `${pct} (p=${pValue.toExponential(1)}): within the threshold ${(o.threshold * 100).toFixed(1)}% or not significant`,
    before, after, changePct: change * 100, pValue,
  };
}
