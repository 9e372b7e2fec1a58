/**
 * The run-to-run noise of a series: how far one run's figure (its p50 or p99) strays from the
 * series' typical level. Repetitions inside one run share one process, one set of pages and one
 * moment of the machine, so their spread is only a lower bound of this; a verdict about a change
 * between runs needs the spread between runs, taken from
 * - the runs being compared (several per side): each side's runs around that side's median;
 * - or a history of runs (a results folder): the series' robust CV over its segments, as regress
 *   computes it (analysis/regress.ts seriesNoise, segments from analysis/changepoint/).
 * Both are robust CVs (fractions): 1.4826 x the median absolute relative deviation.
 */
import { detectChangePoints } from './changepoint/edivisive.js';
import { seriesNoise } from './regress.js';
import { extractSeries, type HistoryRun, type Metric } from './series.js';
import { median } from './stats/describe.js';

/** Where a verdict's run-to-run noise came from. */
export type NoiseSource = 'runs' | 'history' | 'runs+history' | 'none';

/** fewest values (over the groups of 2 or more) for a noise estimate from the compared runs */
export const MIN_RUNS_FOR_NOISE = 6;
/** fewest runs of a series in a history for a noise estimate from it */
export const MIN_HISTORY_RUNS = 5;

/**
 * Robust between-run CV of groups of runs (each group one side), each run around its group's
 * median; null with fewer than MIN_RUNS_FOR_NOISE runs in groups of 2 or more. An odd group's
 * median is one of its own runs, whose deviation is 0 by construction: it is left out, or small
 * groups (5 runs a side) would read 20% quieter than they are.
 */
export function groupNoise(groups: readonly (readonly number[])[]): number | null {
  const dev: number[] = [];
  let n = 0;
  for (const g of groups) {
    if (g.length < 2) continue;
    n += g.length;
    const m = median(g);
    if (!(m > 0)) continue;
    let droppedMedian = g.length % 2 === 0;
    for (const x of g) {
      const d = Math.abs(x / m - 1);
      if (!droppedMedian && x === m) {
        droppedMedian = true;
        continue;
      }
      dev.push(d);
    }
  }
  if (n < MIN_RUNS_FOR_NOISE || dev.length === 0) return null;
  return 1.4826 * median(dev);
}

export interface HistoryNoise {
  /** robust between-run CV (fraction) */
  noise: number;
  /** runs of the series it was computed over */
  runs: number;
}

/** seriesKey#metric, the index of a history's noise */
export function noiseKey(key: string, metric: Metric): string {
  return `${key}#${metric}`;
}

/**
 * The between-run noise of every series of a history with at least MIN_HISTORY_RUNS runs, around
 * the medians of its segments (change points found as regress finds them, so a past step does
 * not count as noise). Runs in `exclude` (the candidate being judged) are left out.
 */
export function historyNoise(runs: HistoryRun[], metrics: readonly Metric[], exclude: ReadonlySet<string> = new Set()): Map<string, HistoryNoise> {
  const out = new Map<string, HistoryNoise>();
  for (const s of extractSeries(runs.filter((r) => !exclude.has(r.runId)), metrics)) {
    const values = s.points.map((p) => p.value);
    if (values.length < MIN_HISTORY_RUNS) continue;
    const cps = detectChangePoints(values).map((c) => c.index);
    out.set(noiseKey(s.key, s.metric), { noise: seriesNoise(values, cps), runs: values.length });
  }
  return out;
}
