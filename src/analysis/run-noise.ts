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
import { Xorshift32 } from './stats/bootstrap.js';

/** Where a verdict's run-to-run noise came from. */
export type NoiseSource = 'runs' | 'history' | 'runs+history' | 'none';

/** fewest values (over the groups of 2 or more) for a noise estimate from the compared runs */
export const MIN_RUNS_FOR_NOISE = 6;
/** fewest runs of a series in a history for a noise estimate from it */
export const MIN_HISTORY_RUNS = 5;

/**
 * Between-run CV of groups of runs (each group one side), each run around its group's level;
 * null with fewer than MIN_RUNS_FOR_NOISE runs in groups of 2 or more. The larger of two
 * estimates: the robust one (1.4826 x the median absolute relative deviation from the group's
 * median; an odd group's median is one of its own runs, whose deviation is 0 by construction and
 * is left out) and the classical one (the pooled standard deviation of the logs, n - groups
 * degrees of freedom). With 5 runs a side the robust estimate alone is too uncertain (37%
 * efficiency: it reads half the true noise one time in six) and the classical one counts the
 * tails; a verdict must not take a lucky quiet estimate for the series' noise.
 */
export function groupNoise(groups: readonly (readonly number[])[]): number | null {
  const dev: number[] = [];
  let n = 0;
  let ss = 0;
  let df = 0;
  for (const g of groups) {
    if (g.length < 2 || !g.every((x) => x > 0)) continue;
    n += g.length;
    const m = median(g);
    let droppedMedian = g.length % 2 === 0;
    for (const x of g) {
      if (!droppedMedian && x === m) {
        droppedMedian = true;
        continue;
      }
      dev.push(Math.abs(x / m - 1));
    }
    const logs = g.map(Math.log);
    const mean = logs.reduce((a, x) => a + x, 0) / logs.length;
    ss += logs.reduce((a, x) => a + (x - mean) ** 2, 0);
    df += g.length - 1;
  }
  if (n < MIN_RUNS_FOR_NOISE || dev.length === 0) return null;
  return Math.max(1.4826 * median(dev), Math.sqrt(ss / df));
}

/**
 * A series' run-to-run noise from few runs, raised toward its host's typical series where its own
 * runs show less: the empirical-Bayes ("moderated") variance of limma (Smyth 2004), the host's
 * median series as the prior with half the weight of the series' own runs, used only to raise.
 * Five runs a side that happened to fall in one of the machine's quiet spells read a third of the
 * series' noise (bench/compare-quality.ts: shmem guest-fault 4K x2 read 5.2% against 13% over 40
 * runs, and was marked +18% three times between quiet blocks); the series' own estimate is kept
 * where it is the larger, so a noisy series is never made quieter than its runs show.
 */
export function moderatedNoise(own: number, prior: number | undefined): number {
  if (prior === undefined || own >= prior) return own;
  return Math.sqrt((2 * own * own + prior * prior) / 3);
}

/** fewest series of a host with a noise estimate for their median to serve as the prior */
export const MIN_SERIES_FOR_PRIOR = 5;

export interface HistoryNoise {
  /** robust between-run CV (fraction) */
  noise: number;
  /**
   * root mean square of the runs' log deviation from their segment's median: the spread with its
   * tails (one slow run in twenty counts here, not in the robust CV). What a test of one run
   * against the history must use, or every such run would be a false alarm.
   */
  rms: number;
  /** runs of the series it was computed over */
  runs: number;
  /** each run's ln(value / its segment's median): the history's run-to-run deviations, steps removed */
  deviations: number[];
}

/** ln(x / segment median) of every run, segments [0, cps..., n). */
export function segmentDeviations(values: number[], cps: number[]): number[] {
  const bounds = [0, ...cps, values.length];
  const out: number[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const m = median(values, bounds[k], bounds[k + 1]);
    for (let i = bounds[k]; i < bounds[k + 1]; i++) out.push(Math.log(values[i] / m));
  }
  return out;
}

export interface HistoryTest {
  /** two-sided p: share of history splits whose |mean log difference| is at least the observed one */
  p: number;
  /** the (1 - alpha) quantile of that |difference|: the half-width of the interval, in log */
  halfWidth: number;
}

/**
 * A permutation test of a change, with the history: under no change the compared runs are
 * exchangeable with the history's runs (each as its deviation from its level: the history's from
 * its segment medians, the compared runs' from their pooled median). The pool of all of them is
 * drawn without replacement into groups of nB and nC, `resamples` times (fixed seed), and the
 * observed |mean log change| is ranked among the groups' differences. No normal assumption: the
 * tails of this machine's runs (a slow run in twenty) are the pool's own. The compared runs are in
 * the pool, so one odd run cannot look like a change: with one run a side p < 0.01 needs a pool
 * of about 200 runs, with 2 or 3 a side a history of about 20 serves.
 */
export function historyPermutationTest(
  deviations: readonly number[],
  b: readonly number[],
  c: readonly number[],
  alpha: number,
  resamples = 2000,
  seed = 0x5eed,
): HistoryTest | null {
  const nB = b.length;
  const nC = c.length;
  const lb = b.map(Math.log);
  const lc = c.map(Math.log);
  const mid = median([...lb, ...lc]);
  const pool = Float64Array.from([...deviations, ...lb.map((x) => x - mid), ...lc.map((x) => x - mid)]);
  const n = pool.length;
  if (n < nB + nC + MIN_HISTORY_RUNS) return null;
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const observed = Math.abs(mean(lc) - mean(lb));
  const rand = new Xorshift32(seed);
  const stats = new Float64Array(resamples);
  let extreme = 0;
  for (let k = 0; k < resamples; k++) {
    // partial Fisher-Yates: the first nB + nC places are a random draw without replacement
    for (let i = 0; i < nB + nC; i++) {
      const j = i + rand.index(n - i);
      const t = pool[i];
      pool[i] = pool[j];
      pool[j] = t;
    }
    let sb = 0;
    let sc = 0;
    for (let i = 0; i < nB; i++) sb += pool[i];
    for (let i = nB; i < nB + nC; i++) sc += pool[i];
    const d = Math.abs(sc / nC - sb / nB);
    stats[k] = d;
    if (d >= observed - 1e-12) extreme++;
  }
  stats.sort();
  const q = stats[Math.min(resamples - 1, Math.ceil((1 - alpha) * resamples) - 1)];
  return { p: (1 + extreme) / (1 + resamples), halfWidth: q };
}

/** RMS of ln(x / segment median) over the segments [0, cps..., n). */
export function segmentRms(values: number[], cps: number[]): number {
  const bounds = [0, ...cps, values.length];
  let sum = 0;
  let n = 0;
  for (let k = 0; k + 1 < bounds.length; k++) {
    const m = median(values, bounds[k], bounds[k + 1]);
    for (let i = bounds[k]; i < bounds[k + 1]; i++) {
      sum += Math.log(values[i] / m) ** 2;
      n++;
    }
  }
  return n > 1 ? Math.sqrt(sum / (n - 1)) : 0;
}

/** seriesKey#metric, the index of a history's noise */
export function noiseKey(key: string, metric: Metric): string {
  return `${key}#${metric}`;
}

/**
 * The between-run noise of every series of a history with at least MIN_HISTORY_RUNS runs, around
 * the medians of its segments (change points found as regress finds them, so a past step does
 * not count as noise). Runs in `exclude` (the runs being compared) are left out.
 */
export function historyNoise(
  runs: HistoryRun[],
  metrics: readonly Metric[],
  exclude: ReadonlySet<string> = new Set(),
): Map<string, HistoryNoise> {
  const out = new Map<string, HistoryNoise>();
  for (const s of extractSeries(
    runs.filter((r) => !exclude.has(r.runId)),
    metrics,
  )) {
    const values = s.points.map((p) => p.value);
    if (values.length < MIN_HISTORY_RUNS) continue;
    const cps = detectChangePoints(values).map((c) => c.index);
    out.set(noiseKey(s.key, s.metric), {
      noise: seriesNoise(values, cps),
      rms: segmentRms(values, cps),
      runs: values.length,
      deviations: segmentDeviations(values, cps),
    });
  }
  return out;
}
