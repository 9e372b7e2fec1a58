/**
 * bisect-check's verdict for one series: is a fresh measurement slower than the baseline?
 * Values are per-repetition figures (RepStat p50 or p99) of the baseline run(s) and the fresh run.
 * bad = the median rose by at least `threshold` AND Student's t test says p < maxPValue.
 * skip (exit 125, git bisect's "cannot tell") when a side has fewer than MIN_VALUES values: one
 * sample per side never decides good or bad; and for a p99 whose repetitions have fewer than
 * TAIL_SAMPLES samples beyond it (a repetition of 32 calls: its p99 is its maximum).
 */
import { sampleStats, studentTTest } from './changepoint/ttest.js';
import { median } from './stats/describe.js';
import { formatChange } from './change.js';
import type { ResultRow } from '../results/schema.js';
import { hasTail, TAIL_SAMPLES, type Metric } from './series.js';
import { scaleFactor } from './reference-exponent.js';

export type Verdict = 'good' | 'bad' | 'skip';

export interface BisectResult {
  verdict: Verdict;
  reason: string;
  before?: number;
  after?: number;
  changePct?: number;
  pValue?: number;
}

/** A repetition's figure and the null syscall timed beside its pass (probe/ref.c), when it has one. */
export interface RepValue {
  value: number;
  syscallNs?: number;
}

export function repetitionValues(row: ResultRow | undefined, metric: Metric): RepValue[] {
  if (!row || row.status !== 'ok') return [];
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const reps = (row.repetitions ?? []).flatMap((r) =>
    finite(r[metric]) ? [{ value: r[metric], ...(r.syscallNs && { syscallNs: r.syscallNs }) }] : [],
  );
  if (reps.length > 0) return reps;
  const v = row[metric];
  return finite(v) ? [{ value: v, ...(row.syscallNs && { syscallNs: row.syscallNs }) }] : [];
}

/**
 * The values relative to each one's null syscall, in ns at `typicalNs` (reference.ts: the moment a
 * repetition met divided out; to the power `exponent`, reference-exponent.ts); null when one of
 * them has no reference (an older probe).
 */
export function perSyscallValues(values: RepValue[], typicalNs: number, exponent = 1): number[] | null {
  if (values.some((v) => !v.syscallNs)) return null;
  return values.map((v) => v.value * scaleFactor(typicalNs, v.syscallNs!, exponent));
}

/** why a row's repetitions cannot tell this metric (too few samples each beyond it), or null */
export function thinRepetitions(row: ResultRow | undefined, metric: Metric): string | null {
  if (!row || row.status !== 'ok') return null;
  const counts = row.repetitions?.length ? row.repetitions.map((r) => r.samples) : [row.samples];
  const fewest = Math.min(...counts);
  if (hasTail({ samples: fewest }, metric, TAIL_SAMPLES)) return null;
  return `its repetitions have ${fewest} samples, so their ${metric} is one of their few largest (a ${metric} needs ${TAIL_SAMPLES} samples beyond it): use p50`;
}

/** values a side needs before a verdict (fewer: skip) */
export const MIN_VALUES = 3;

export function bisectVerdict(
  baseline: number[],
  fresh: number[],
  o: { threshold: number; maxPValue: number },
): BisectResult {
  if (baseline.length === 0) return { verdict: 'skip', reason: 'no baseline values' };
  if (fresh.length === 0) return { verdict: 'skip', reason: 'no fresh values (not measured, unsupported or failed)' };
  if (baseline.length < MIN_VALUES || fresh.length < MIN_VALUES) {
    return {
      verdict: 'skip',
      reason: `too few values to decide (baseline ${baseline.length}, fresh ${fresh.length}; need ${MIN_VALUES} a side: more repetitions or baseline runs)`,
    };
  }
  const before = median(baseline);
  const after = median(fresh);
  const change = after / before - 1;
  const pValue = studentTTest(sampleStats(baseline), sampleStats(fresh)).pValue;
  const slower = change >= o.threshold && pValue < o.maxPValue;
  const pct = formatChange(change * 100);
  return {
    verdict: slower ? 'bad' : 'good',
    reason: slower
      ? `slower by ${pct} (p=${pValue.toExponential(1)}), threshold ${(o.threshold * 100).toFixed(1)}%`
      : `${pct} (p=${pValue.toExponential(1)}): within the threshold ${(o.threshold * 100).toFixed(1)}% or not significant`,
    before,
    after,
    changePct: change * 100,
    pValue,
  };
}
