/**
 * Change points in one series with E-divisive means (Matteson & James 2014, the energy statistic
 * with alpha = 1) and a Student t test, the method Apache Otava (formerly Hunter, DataStax) runs on
 * performance histories:
 *
 * 1. bisection: in a segment, the split maximizing the energy statistic q̂ is the candidate; it is
 *    kept when Student's t test between the two sides gives p < maxPValue, then both sides are
 *    searched again. Every side must hold at least `minSegment` runs, so one outlier can never be a
 *    segment of its own;
 * 2. merge (as Otava's `merge`): each change point is re-tested against its neighbours' segments
 *    only; the weakest one failing the p-value or the minimum magnitude is dropped and the rest are
 *    re-tested, until all pass.
 *
 * Two departures, on purpose, both measured in bench/regress-quality.ts: the magnitude (and the
 * before/after values reported) compare the segments' MEDIANS, not their means, so a single slow
 * run inside a short segment moves neither; and by default the t test runs on RANKS (option
 * `test`), which keeps the heavy tails of latency runs from hiding steps or raising false alarms.
 * Written by hand: the npm ports of E-divisive are unmaintained, and Otava is Python.
 */
import { sampleStats, studentTTest } from './ttest.js';
import { median } from '../stats/describe.js';

export interface ChangePointOptions {
  /** a change point must have a two-sided p-value below this */
  maxPValue: number;
  /** and |median after / median before - 1| at least this (0.05 = 5%) */
  minMagnitude: number;
  /** runs each side of a change point must hold (>= 2) */
  minSegment: number;
  /**
   * 'rank' (default): Student's t on the ranks of the two segments (the rank transform of
   * Conover & Iman 1981, close to Mann-Whitney U), robust to the heavy tails of latency runs;
   * 'student': Student's t on the values, exactly as Otava/Hunter;
   * 'robust': Student's t on the values winsorized at each segment's median +- 2.5 robust sigmas
   * (1.4826 x the median absolute relative deviation of both segments): the power of the t test on
   * values (a step can be told after 3 runs) without letting one slow run make or hide a change.
   */
  test: 'rank' | 'student' | 'robust';
}

export const DEFAULT_CHANGEPOINT_OPTIONS: ChangePointOptions = {
  maxPValue: 0.03,
  minMagnitude: 0.03,
  minSegment: 3,
  test: 'rank',
};

export interface ChangePoint {
  /** index of the first value of the new segment */
  index: number;
  pValue: number;
  /** median of the segment before / after (bounded by the neighbouring change points) */
  before: number;
  after: number;
  /** after / before - 1 */
  change: number;
  /** runs in the segments compared */
  runsBefore: number;
  runsAfter: number;
}

/** The split of x[lo, hi) maximizing the energy statistic, both sides >= minSegment long; O(n²). */
export function bestSplit(
  x: ArrayLike<number>,
  lo: number,
  hi: number,
  minSegment: number,
): { index: number; q: number } | null {
  if (hi - lo < 2 * minSegment) return null;
  let within = 0; // sum of |x_i - x_j| over pairs inside [lo, hi)
  for (let i = lo; i < hi; i++) for (let j = i + 1; j < hi; j++) within += Math.abs(x[i] - x[j]);
  let left = 0;
  let right = within;
  let cross = 0;
  let best: { index: number; q: number } | null = null;
  // move x[tau] from the right side to the left, one at a time
  for (let tau = lo; tau < hi - minSegment; tau++) {
    let toLeft = 0;
    let toRight = 0;
    for (let i = lo; i < tau; i++) toLeft += Math.abs(x[i] - x[tau]);
    for (let j = tau + 1; j < hi; j++) toRight += Math.abs(x[tau] - x[j]);
    left += toLeft;
    right -= toRight;
    cross += toRight - toLeft;
    const m = tau + 1 - lo;
    const k = hi - tau - 1;
    if (m < minSegment) continue;
    const q = ((m * k) / (m + k)) * ((2 * cross) / (m * k) - pairMean(left, m) - pairMean(right, k));
    if (best === null || q > best.q) best = { index: tau + 1, q };
  }
  return best;
}

function pairMean(sum: number, n: number): number {
  return n < 2 ? 0 : sum / ((n * (n - 1)) / 2);
}

/** Compare x[lo, cp) with x[cp, hi). */
export function testChange(
  x: ArrayLike<number>,
  lo: number,
  cp: number,
  hi: number,
  test: ChangePointOptions['test'] = 'rank',
): ChangePoint {
  const v =
    test === 'rank'
      ? ranks(x, lo, hi)
      : test === 'robust'
        ? winsorized(x, lo, cp, hi)
        : (Array.prototype.slice.call(x, lo, hi) as number[]);
  const { pValue } = studentTTest(sampleStats(v, 0, cp - lo), sampleStats(v, cp - lo, hi - lo));
  const before = median(x, lo, cp);
  const after = median(x, cp, hi);
  return {
    index: cp,
    pValue,
    before,
    after,
    change: before === 0 ? 0 : after / before - 1,
    runsBefore: cp - lo,
    runsAfter: hi - cp,
  };
}

function passes(c: ChangePoint, o: ChangePointOptions): boolean {
  return c.pValue < o.maxPValue && Math.abs(c.change) >= o.minMagnitude;
}

export function detectChangePoints(x: ArrayLike<number>, opts: Partial<ChangePointOptions> = {}): ChangePoint[] {
  const o = { ...DEFAULT_CHANGEPOINT_OPTIONS, ...opts };
  if (!(o.minSegment >= 2)) throw new Error(`minSegment must be at least 2 (got ${o.minSegment})`);
  if (!(o.maxPValue > 0 && o.maxPValue <= 1)) throw new Error(`maxPValue must be in (0, 1] (got ${o.maxPValue})`);
  if (!(o.minMagnitude >= 0)) throw new Error(`minMagnitude must be >= 0 (got ${o.minMagnitude})`);

  // 1. bisection
  const found: number[] = [];
  const todo: [number, number][] = [[0, x.length]];
  while (todo.length > 0) {
    const [lo, hi] = todo.pop()!;
    const split = bestSplit(x, lo, hi, o.minSegment);
    if (!split) continue;
    if (testChange(x, lo, split.index, hi, o.test).pValue >= o.maxPValue) continue;
    found.push(split.index);
    todo.push([lo, split.index], [split.index, hi]);
  }
  let cps = found.sort((a, b) => a - b);

  // 2. merge: drop the weakest failing change point until every one passes against its neighbours
  for (;;) {
    const tested = cps.map((cp, i) =>
      testChange(x, i === 0 ? 0 : cps[i - 1], cp, i === cps.length - 1 ? x.length : cps[i + 1], o.test),
    );
    let weakest = -1;
    tested.forEach((c, i) => {
      if (passes(c, o)) return;
      const w = tested[weakest];
      if (weakest < 0 || c.pValue > w.pValue || (c.pValue === w.pValue && Math.abs(c.change) < Math.abs(w.change)))
        weakest = i;
    });
    if (weakest < 0) return tested;
    cps = cps.filter((_, i) => i !== weakest);
  }
}

/** Winsorizing bound, in robust sigmas. */
export const WINSOR_SIGMAS = 2.5;

/**
 * x[lo, hi) with every value of each side ([lo, cp) and [cp, hi)) clipped to that side's median
 * +- WINSOR_SIGMAS robust sigmas; sigma is 1.4826 x the median of |x / its side's median - 1| over
 * both sides (relative: latency noise scales with the level), at least 0.1%.
 */
export function winsorized(x: ArrayLike<number>, lo: number, cp: number, hi: number): number[] {
  const m = [median(x, lo, cp), median(x, cp, hi)];
  const side = (i: number) => (i < cp ? 0 : 1);
  const dev: number[] = [];
  for (let i = lo; i < hi; i++) dev.push(m[side(i)] === 0 ? 0 : Math.abs(x[i] / m[side(i)] - 1));
  // at least 0.1%, the resolution of the histograms' percentiles: quantized runs can share a value
  const sigma = Math.max(1.4826 * median(dev), 1e-3);
  const out: number[] = [];
  for (let i = lo; i < hi; i++) {
    const c = m[side(i)];
    const w = WINSOR_SIGMAS * sigma * Math.abs(c);
    out.push(Math.min(c + w, Math.max(c - w, x[i])));
  }
  return out;
}

/** ranks (1-based, ties averaged) of x[lo, hi) */
export function ranks(x: ArrayLike<number>, lo: number, hi: number): number[] {
  const idx = Array.from({ length: hi - lo }, (_, i) => i).sort((a, b) => x[lo + a] - x[lo + b]);
  const r = new Array<number>(idx.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && x[lo + idx[j + 1]] === x[lo + idx[i]]) j++;
    for (let k = i; k <= j; k++) r[idx[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}
