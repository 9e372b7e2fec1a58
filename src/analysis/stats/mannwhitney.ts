/**
 * The Mann-Whitney U test (Wilcoxon rank-sum), two-sided, as criterion-style tools use to say
 * whether two sets of repetitions differ. Written by hand: no small maintained npm package does it
 * with ties handled exactly, and the math is short (checked in test/compare-stats.test.ts against
 * published values).
 *
 * Small samples (n1 + n2 <= EXACT_MAX) get the exact permutation distribution of the rank sum,
 * conditional on the ties (mid-ranks), by dynamic programming; larger ones the normal
 * approximation with tie and continuity corrections. The normal CDF is stdlib's.
 */
import stdNormalCdf from '@stdlib/stats-base-dists-normal-cdf';

export const EXACT_MAX = 40;

export interface MannWhitneyResult {
  /** U of the first sample: pairs (a, b) with a > b, ties counting one half */
  u: number;
  /** two-sided p-value */
  p: number;
  method: 'exact' | 'normal';
}

/** Mid-ranks (1-based) of the pooled values, and the sizes of the tie groups. */
function midRanks(values: number[]): { ranks: number[]; ties: number[] } {
  const order = values.map((v, i) => [v, i] as const).sort((x, y) => x[0] - y[0]);
  const ranks = new Array<number>(values.length);
  const ties: number[] = [];
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const r = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[order[k][1]] = r;
    ties.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, ties };
}

/** P(X <= x) for the standard normal (stdlib's, through erfc: exact to double precision). */
export function normalCdf(x: number): number {
  return stdNormalCdf(x, 0, 1);
}

export function mannWhitney(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: NaN, p: 1, method: 'exact' };
  const n = n1 + n2;
  const { ranks, ties } = midRanks([...a, ...b]);
  // doubled ranks are whole numbers: the exact distribution is counted over integers
  const r2 = ranks.map((r) => Math.round(r * 2));
  const w2 = r2.slice(0, n1).reduce((s, r) => s + r, 0);
  const u = w2 / 2 - (n1 * (n1 + 1)) / 2;
  const mean2 = n1 * (n + 1); // E[2W]
  if (ties.length === 1) return { u, p: 1, method: 'exact' }; // every value equal: no evidence at all
  if (n <= EXACT_MAX) return { u, p: exactP(r2, n1, Math.abs(w2 - mean2)), method: 'exact' };
  const tieTerm = ties.reduce((s, t) => s + (t ** 3 - t), 0) / (n * (n - 1));
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm));
  const dev = Math.abs(u - (n1 * n2) / 2);
  const z = Math.max(0, dev - 0.5) / sigma;
  return { u, p: Math.min(1, 2 * (1 - normalCdf(z))), method: 'normal' };
}

/**
 * The exact null distribution of the doubled rank sum of n1 values picked from these doubled ranks:
 * counts[s] = number of subsets with sum s (0/1 knapsack, in place). Counts are doubles: C(40, 20)
 * ~ 1.4e11 is exact in one. Cached by tie structure: most rows share a few (n1, n2, ties) shapes.
 */
const distCache = new Map<string, Float64Array>();

function exactDistribution(r2: number[], n1: number): Float64Array {
  const sorted = [...r2].sort((x, y) => x - y);
  const key = `${n1}:${sorted.join(',')}`;
  const hit = distCache.get(key);
  if (hit) return hit;
  const maxSum = sorted.reduce((s, r) => s + r, 0);
  const ways: Float64Array[] = Array.from({ length: n1 + 1 }, () => new Float64Array(maxSum + 1));
  ways[0][0] = 1;
  let reach = 0;
  for (let i = 0; i < sorted.length; i++) {
    const r = sorted[i];
    reach += r;
    for (let k = Math.min(n1, i + 1); k >= 1; k--) {
      const prev = ways[k - 1];
      const cur = ways[k];
      for (let s = reach; s >= r; s--) {
        const w = prev[s - r];
        if (w !== 0) cur[s] += w;
      }
    }
  }
  if (distCache.size >= 512) distCache.delete(distCache.keys().next().value!);
  distCache.set(key, ways[n1]);
  return ways[n1];
}

/**
 * Two-sided exact p: the share of the C(n, n1) ways to pick the first sample's (doubled) ranks whose
 * sum lies at least as far from the mean as the observed one.
 */
function exactP(r2: number[], n1: number, observedDev: number): number {
  const n = r2.length;
  const dist = exactDistribution(r2, n1);
  const mean2 = n1 * (n + 1);
  let total = 0;
  let extreme = 0;
  for (let s = 0; s < dist.length; s++) {
    if (dist[s] === 0) continue;
    total += dist[s];
    if (Math.abs(s - mean2) >= observedDev - 1e-9) extreme += dist[s];
  }
  return Math.min(1, extreme / total);
}

/** The smallest two-sided p the exact test can give for these sample sizes (all of one above all of the other). */
export function minimumP(n1: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 1;
  // 2 / C(n1 + n2, n1)
  let c = 1;
  for (let i = 1; i <= n1; i++) c = (c * (n2 + i)) / i;
  return Math.min(1, 2 / c);
}
