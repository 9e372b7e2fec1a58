/**
 * Student's two-sample t test (equal variances, pooled), as Apache Otava / Hunter use to judge a
 * change point. The t distribution's CDF is stdlib's (regularized incomplete beta, Boost's
 * algorithm), checked in test/changepoint.test.ts against published t tables and scipy.
 */
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import gammaln from '@stdlib/math-base-special-gammaln';

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  return gammaln(x);
}

/** P(T <= t) for Student's t with df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  return tCdf(t, df);
}

/** Two-sided p-value of a t statistic: twice the lower tail of -|t|, exact far into the tail. */
export function twoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? 1 : 0;
  return Math.min(1, 2 * tCdf(-Math.abs(t), df));
}

export interface SampleStats {
  n: number;
  mean: number;
  /** sample variance (n - 1); 0 for n < 2 */
  variance: number;
}

export function sampleStats(xs: ArrayLike<number>, lo = 0, hi = xs.length): SampleStats {
  const n = hi - lo;
  let sum = 0;
  for (let i = lo; i < hi; i++) sum += xs[i];
  const mean = n > 0 ? sum / n : NaN;
  let ss = 0;
  for (let i = lo; i < hi; i++) ss += (xs[i] - mean) ** 2;
  return { n, mean, variance: n > 1 ? ss / (n - 1) : 0 };
}

export interface TTestResult {
  t: number;
  df: number;
  /** two-sided */
  pValue: number;
}

/** Student's t test with pooled variance (scipy.stats.ttest_ind, equal_var=True). */
export function studentTTest(a: SampleStats, b: SampleStats): TTestResult {
  const df = a.n + b.n - 2;
  if (a.n < 1 || b.n < 1 || df < 1) return { t: 0, df: Math.max(df, 0), pValue: 1 };
  const pooled = ((a.n - 1) * a.variance + (b.n - 1) * b.variance) / df;
  const se = Math.sqrt(pooled * (1 / a.n + 1 / b.n));
  const diff = b.mean - a.mean;
  if (se === 0) return { t: diff === 0 ? 0 : Math.sign(diff) * Infinity, df, pValue: diff === 0 ? 1 : 0 };
  const t = diff / se;
  return { t, df, pValue: twoSidedP(t, df) };
}
