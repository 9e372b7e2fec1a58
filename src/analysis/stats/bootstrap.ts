/**
 * Percentile bootstrap confidence intervals over repetitions, with a fixed seed so that the same
 * inputs always print the same interval (a cover letter must be reproducible). Hand-written: the
 * resampling loop is a few lines and the npm bootstrap packages are unmaintained.
 */

export interface Interval {
  lo: number;
  hi: number;
}

/**
 * xorshift32 (Marsaglia 2003): seedable and cheap, which matters here (2000 resamples x the
 * repetitions x every row). index(n) is uniform enough for n in the tens (modulo bias < 1e-8).
 */
export class Xorshift32 {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0 || 0x9e3779b9 | 0;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return x >>> 0;
  }
  index(n: number): number {
    // 31 bits keep the modulo in small-integer arithmetic (a uint32 above 2^31 is a heap double)
    return (this.next() & 0x7fffffff) % n;
  }
}

export interface BootstrapOptions {
  /** resamples (default 2000) */
  resamples?: number;
  /** confidence level (default 0.95) */
  level?: number;
  seed?: number;
}

const DEFAULTS = { resamples: 2000, level: 0.95, seed: 0x5eed };

/**
 * The median of a resample of `sorted` (ascending): draw n indices, count them per index (a
 * counting sort: the values are already in order), walk the counts to the middle. O(n), no
 * comparisons, no allocation per resample.
 */
function resampledMedian(sorted: Float64Array, rand: Xorshift32, counts: Int32Array): number {
  const n = sorted.length;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[rand.index(n)]++;
  // 0-based ranks of the middle: (n - 1) >> 1 and n >> 1 (equal for odd n)
  const lo = (n - 1) >> 1;
  const hi = n >> 1;
  let seen = 0;
  let loValue = NaN;
  for (let k = 0; k < n; k++) {
    seen += counts[k];
    if (Number.isNaN(loValue) && seen > lo) loValue = sorted[k];
    if (seen > hi) return (loValue + sorted[k]) / 2;
  }
  return loValue;
}

function ascending(xs: readonly number[]): Float64Array {
  return Float64Array.from(xs).sort();
}

/** The k-th smallest of a[lo..hi] in place (Hoare quickselect; median-of-three pivot). */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // median of three to the middle
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** The q-quantile with linear interpolation between order statistics (as numpy's default). */
function quantile(stats: Float64Array, q: number): number {
  const pos = q * (stats.length - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  const x = select(stats, i);
  if (f === 0 || i + 1 >= stats.length) return x;
  // after select, everything right of i is >= a[i]: the next order statistic is their minimum
  let next = Infinity;
  for (let k = i + 1; k < stats.length; k++) if (stats[k] < next) next = stats[k];
  return x * (1 - f) + next * f;
}

function interval(stats: Float64Array, level: number): Interval {
  const tail = (1 - level) / 2;
  return { lo: quantile(stats, tail), hi: quantile(stats, 1 - tail) };
}

/** CI of the median of xs. */
export function bootstrapMedian(xs: readonly number[], opts: BootstrapOptions = {}): Interval | null {
  if (xs.length === 0) return null;
  const o = { ...DEFAULTS, ...opts };
  const rand = new Xorshift32(o.seed);
  const sorted = ascending(xs);
  const counts = new Int32Array(xs.length);
  const stats = new Float64Array(o.resamples);
  for (let k = 0; k < o.resamples; k++) stats[k] = resampledMedian(sorted, rand, counts);
  return interval(stats, o.level);
}

/** CI of median(b) / median(a), resampling each side independently. */
export function bootstrapRatioOfMedians(
  a: readonly number[],
  b: readonly number[],
  opts: BootstrapOptions = {},
): Interval | null {
  if (a.length === 0 || b.length === 0) return null;
  const o = { ...DEFAULTS, ...opts };
  const rand = new Xorshift32(o.seed);
  const sa = ascending(a);
  const sb = ascending(b);
  const ca = new Int32Array(a.length);
  const cb = new Int32Array(b.length);
  const stats = new Float64Array(o.resamples);
  for (let k = 0; k < o.resamples; k++) {
    const ma = resampledMedian(sa, rand, ca);
    stats[k] = ma === 0 ? NaN : resampledMedian(sb, rand, cb) / ma;
  }
  if (stats.some((x) => Number.isNaN(x))) return null;
  return interval(stats, o.level);
}
