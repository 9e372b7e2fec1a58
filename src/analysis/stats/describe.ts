/** Small descriptive statistics over repetitions (median, mean, CV, geometric mean). */

/** The median of x[lo, hi) (the mean of the middle two for an even count); NaN when empty. */
export function median(x: ArrayLike<number>, lo = 0, hi = x.length): number {
  const s = (Array.prototype.slice.call(x, lo, hi) as number[]).sort((a, b) => a - b);
  const m = s.length >> 1;
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sample standard deviation (n - 1). */
export function stddev(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Coefficient of variation, stddev / mean (a fraction; NaN without data). */
export function cv(xs: readonly number[]): number {
  const m = mean(xs);
  return xs.length === 0 || m === 0 ? NaN : stddev(xs) / m;
}

export function geomean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  return Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
}
