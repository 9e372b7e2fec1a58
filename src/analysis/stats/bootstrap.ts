/**
 * Percentile bootstrap confidence intervals over repetitions, with a fixed seed so that the same
 * inputs always print the same interval (a cover letter must be reproducible). Hand-written: the
 * resampling loop is a few lines and the npm bootstrap packages are unmaintained.
 */
import { median } from './describe.js';

export interface Interval {
  lo: number;
  hi: number;
}

/** mulberry32: small, fast, seedable; uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BootstrapOptions {
  /** resamples (default 2000) */
  resamples?: number;
  /** confidence level (default 0.95) */
  level?: number;
  seed?: number;
}

const DEFAULTS = { resamples: 2000, level: 0.95, seed: 0x5eed };

function resample(xs: readonly number[], rand: () => number, into: number[]): number[] {
  for (let i = 0; i < xs.length; i++) into[i] = xs[Math.floor(rand() * xs.length)];
  return into;
}

function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i] * (1 - f) + sorted[i + 1] * f : sorted[i];
}

function interval(stats: Float64Array, level: number): Interval {
  stats.sort();
  const tail = (1 - level) / 2;
  return { lo: quantile(stats, tail), hi: quantile(stats, 1 - tail) };
}

/** CI of the median of xs. */
export function bootstrapMedian(xs: readonly number[], opts: BootstrapOptions = {}): Interval | null {
  if (xs.length === 0) return null;
  const o = { ...DEFAULTS, ...opts };
  const rand = seededRandom(o.seed);
  const buf: number[] = new Array(xs.length);
  const stats = new Float64Array(o.resamples);
  for (let k = 0; k < o.resamples; k++) stats[k] = median(resample(xs, rand, buf));
  return interval(stats, o.level);
}

/** CI of median(b) / median(a), resampling each side independently. */
export function bootstrapRatioOfMedians(a: readonly number[], b: readonly number[], opts: BootstrapOptions = {}): Interval | null {
  if (a.length === 0 || b.length === 0) return null;
  const o = { ...DEFAULTS, ...opts };
  const rand = seededRandom(o.seed);
  const bufA: number[] = new Array(a.length);
  const bufB: number[] = new Array(b.length);
  const stats = new Float64Array(o.resamples);
  for (let k = 0; k < o.resamples; k++) {
    const ma = median(resample(a, rand, bufA));
    stats[k] = ma === 0 ? NaN : median(resample(b, rand, bufB)) / ma;
  }
  if (stats.some((x) => Number.isNaN(x))) return null;
  return interval(stats, o.level);
}
