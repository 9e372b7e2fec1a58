/** The statistics compare rests on, checked against published values (scipy.stats 1.17) and brute force. */
import { describe, expect, it } from 'vitest';
import { mannWhitney, minimumP, normalCdf } from '../src/analysis/stats/mannwhitney.js';
import { bootstrapMedian, bootstrapRatioOfMedians } from '../src/analysis/stats/bootstrap.js';
import { cv, geomean, median } from '../src/analysis/stats/describe.js';

/** Exact two-sided p by enumerating every split (mid-ranks): the reference for the DP. */
function bruteForceP(a: number[], b: number[]): number {
  const all = [...a, ...b];
  const sorted = [...all].sort((x, y) => x - y);
  const rank = (v: number) => {
    const first = sorted.indexOf(v);
    const last = sorted.lastIndexOf(v);
    return (first + last + 2) / 2;
  };
  const ranks = all.map(rank);
  const n1 = a.length;
  const mean = (n1 * (all.length + 1)) / 2;
  const obs = Math.abs(ranks.slice(0, n1).reduce((s, r) => s + r, 0) - mean);
  let total = 0;
  let extreme = 0;
  const pick = (start: number, left: number, sum: number) => {
    if (left === 0) {
      total++;
      if (Math.abs(sum - mean) >= obs - 1e-9) extreme++;
      return;
    }
    for (let i = start; i <= ranks.length - left; i++) pick(i + 1, left - 1, sum + ranks[i]);
  };
  pick(0, n1, 0);
  return extreme / total;
}

describe('Mann-Whitney U', () => {
  it('exact p without ties matches scipy', () => {
    const r = mannWhitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(r.u).toBe(0);
    expect(r.method).toBe('exact');
    expect(r.p).toBeCloseTo(0.007936507936507936, 12);
    const s = mannWhitney([19, 22, 16, 29, 24], [20, 11, 17, 12]);
    expect(s.u).toBe(17);
    expect(s.p).toBeCloseTo(0.1111111111111111, 12);
  });

  it('exact p with ties equals the brute-force permutation p', () => {
    const cases: [number[], number[]][] = [
      [
        [1552, 1553, 1552],
        [1552, 1560, 1561],
      ],
      [
        [10, 10, 11, 12, 12, 13],
        [12, 13, 13, 14, 10],
      ],
      [
        [5, 5, 5, 6],
        [5, 6, 6, 6, 7],
      ],
    ];
    for (const [a, b] of cases) expect(mannWhitney(a, b).p).toBeCloseTo(bruteForceP(a, b), 12);
  });

  it('normal approximation (tie and continuity corrected) matches scipy for larger samples', () => {
    const a = Array.from({ length: 30 }, (_, i) => ((i * 7) % 23) + 0.5 * (i % 3));
    const flat = Array.from({ length: 25 }, (_, i) => ((i * 5) % 19) + 4);
    const shifted = Array.from({ length: 25 }, (_, i) => ((i * 5) % 19) + 10);
    const r1 = mannWhitney(a, flat);
    expect(r1.method).toBe('normal');
    expect(r1.u).toBe(351);
    expect(r1.p).toBeCloseTo(0.6909547870667745, 5);
    const r2 = mannWhitney(a, shifted);
    expect(r2.u).toBe(177);
    expect(r2.p).toBeCloseTo(0.0008358255956413106, 5);
  });

  it('all values equal or an empty side: p = 1', () => {
    expect(mannWhitney([3, 3, 3], [3, 3, 3]).p).toBe(1);
    expect(mannWhitney([], [1, 2]).p).toBe(1);
  });

  it('the smallest p the sample sizes allow', () => {
    expect(minimumP(3, 3)).toBeCloseTo(0.1, 12);
    expect(minimumP(4, 4)).toBeCloseTo(2 / 70, 12);
    expect(minimumP(5, 5)).toBeCloseTo(2 / 252, 12);
  });

  it('normal CDF', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-3)).toBeCloseTo(0.0013499, 6);
  });
});

describe('bootstrap and descriptive statistics', () => {
  it('is deterministic (fixed seed) and brackets the estimate', () => {
    const xs = [100, 102, 98, 101, 99, 103, 97];
    const a = bootstrapMedian(xs)!;
    expect(bootstrapMedian(xs)).toEqual(a);
    expect(a.lo).toBeLessThanOrEqual(median(xs));
    expect(a.hi).toBeGreaterThanOrEqual(median(xs));
    const r = bootstrapRatioOfMedians(
      xs,
      xs.map((x) => x * 1.3),
    )!;
    expect(r.lo).toBeGreaterThan(1.2);
    expect(r.hi).toBeLessThan(1.4);
    expect(bootstrapRatioOfMedians([], xs)).toBeNull();
  });

  it('median, cv, geomean', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(cv([10, 10, 10])).toBe(0);
    expect(cv([9, 10, 11])).toBeCloseTo(0.1, 12);
    expect(geomean([0.5, 2])).toBeCloseTo(1, 12);
  });
});
