/**
 * Student's two-sample t test (equal variances, pooled), as Apache Otava / Hunter use to judge a
 * change point. The t distribution's CDF is written by hand: it is the regularized incomplete beta
 * function I_x(a, b) (continued fraction, modified Lentz; Numerical Recipes 6.4) with a Lanczos
 * log-gamma. No maintained small npm package does only this (jstat is large and unmaintained), and
 * the math is short and checked in test/changepoint.test.ts against published t tables.
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; |relative error| < 1e-15). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  const EPS = 1e-15;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  const front = Math.exp(lnFront);
  // the continued fraction converges fast for x < (a+1)/(a+b+2); use the symmetry otherwise
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

/** P(T <= t) for Student's t with df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** Two-sided p-value of a t statistic. */
export function twoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? 1 : 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
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
