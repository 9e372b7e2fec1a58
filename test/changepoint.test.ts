import { describe, expect, it } from 'vitest';
import { studentTCdf, studentTTest, sampleStats, twoSidedP, logGamma } from '../src/analysis/changepoint/ttest.js';
import { bestSplit, detectChangePoints } from '../src/analysis/changepoint/edivisive.js';
import { median } from '../src/analysis/stats/describe.js';
import { gaussian, rng } from './helpers/synthetic.js';

describe('Student t distribution (stdlib CDF)', () => {
  it('matches published t tables', () => {
    // two-sided critical values: t(0.975, 10) = 2.228, t(0.975, 20) = 2.086, t(0.995, 10) = 3.169
    expect(twoSidedP(2.228, 10)).toBeCloseTo(0.05, 3);
    expect(twoSidedP(2.086, 20)).toBeCloseTo(0.05, 3);
    expect(twoSidedP(3.169, 10)).toBeCloseTo(0.01, 3);
    expect(twoSidedP(3.291, 1e6)).toBeCloseTo(0.001, 4); // the normal limit
    // df = 1 is the Cauchy distribution: P(T <= 1) = 0.75
    expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 12);
    expect(studentTCdf(0, 7)).toBeCloseTo(0.5, 12);
    expect(studentTCdf(-2, 5) + studentTCdf(2, 5)).toBeCloseTo(1, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  });

  it('computes the pooled two-sample test like scipy.stats.ttest_ind', () => {
    // scipy.stats.ttest_ind([1,2,3,4,5],[3,4,5,6,7]) -> t = 2.0, p = 0.08051623795726259
    const r = studentTTest(sampleStats([1, 2, 3, 4, 5]), sampleStats([3, 4, 5, 6, 7]));
    expect(r.t).toBeCloseTo(2, 12);
    expect(r.df).toBe(8);
    expect(r.pValue).toBeCloseTo(0.08051623795726259, 10);
    expect(studentTTest(sampleStats([1, 1, 1]), sampleStats([1, 1, 1])).pValue).toBe(1);
    expect(studentTTest(sampleStats([1, 1, 1]), sampleStats([2, 2, 2])).pValue).toBe(0);
  });
});

describe('E-divisive means', () => {
  it('puts the best split at a clean step', () => {
    const x = [1, 1, 1, 1, 1, 5, 5, 5, 5];
    expect(bestSplit(x, 0, x.length, 2)?.index).toBe(5);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  const noisy = (n: number, seed: number, f: (i: number) => number, sd = 0.01) => {
    const r = rng(seed);
    return Array.from({ length: n }, (_, i) => 1000 * f(i) * (1 + sd * gaussian(r)));
  };

  it('flat series: no change point', () => {
    for (let seed = 1; seed <= 20; seed++) expect(detectChangePoints(noisy(60, seed, () => 1))).toEqual([]);
  });

  it('step up: one regression at the step, before/after and % change', () => {
    const cps = detectChangePoints(noisy(50, 7, (i) => (i < 30 ? 1 : 1.1)));
    expect(cps).toHaveLength(1);
    expect(cps[0].index).toBe(30);
    expect(cps[0].change).toBeGreaterThan(0.08);
    expect(cps[0].change).toBeLessThan(0.12);
    expect(cps[0].before).toBeGreaterThan(985);
    expect(cps[0].before).toBeLessThan(1015);
    expect(cps[0].after).toBeGreaterThan(1085);
    expect(cps[0].pValue).toBeLessThan(1e-6);
  });

  it('step down: one improvement (negative change)', () => {
    const cps = detectChangePoints(noisy(50, 8, (i) => (i < 20 ? 1 : 0.9)));
    expect(cps.map((c) => c.index)).toEqual([20]);
    expect(cps[0].change).toBeLessThan(-0.08);
  });

  it('a step in the last minSegment runs is found already', () => {
    const cps = detectChangePoints(
      noisy(43, 9, (i) => (i < 40 ? 1 : 1.05)),
      { minSegment: 3 },
    );
    expect(cps.map((c) => c.index)).toEqual([40]);
  });

  it('a single spike, even a huge one, is not a change', () => {
    for (const at of [0, 1, 25, 48, 49]) {
      const x = noisy(50, 10 + at, () => 1);
      x[at] *= 10;
      expect(detectChangePoints(x)).toEqual([]);
    }
  });

  it('two spikes in a row are not a change either (the median ignores them in a 3-run segment)', () => {
    const x = noisy(50, 3, () => 1);
    x[20] *= 3;
    expect(detectChangePoints(x)).toEqual([]);
  });

  it('slow drift: reported as slowing down once it passes the minimum magnitude, never as an improvement', () => {
    const big = detectChangePoints(noisy(60, 11, (i) => 1 + 0.002 * i)); // +12% over 60 runs
    expect(big.length).toBeGreaterThanOrEqual(1);
    expect(big.every((c) => c.change > 0)).toBe(true);
    const small = detectChangePoints(noisy(60, 12, (i) => 1 + 0.0003 * i)); // +1.8%, below 3%
    expect(small).toEqual([]);
  });

  it('a step up then back down: a regression and its fix', () => {
    const cps = detectChangePoints(noisy(60, 13, (i) => (i >= 20 && i < 40 ? 1.2 : 1)));
    expect(cps.map((c) => [c.index, Math.sign(c.change)])).toEqual([
      [20, 1],
      [40, -1],
    ]);
  });

  it("the thresholds are the user's: a 4% step passes minMagnitude 0.03 but not 0.05", () => {
    const x = noisy(40, 14, (i) => (i < 20 ? 1 : 1.04), 0.005);
    expect(detectChangePoints(x, { minMagnitude: 0.03 }).map((c) => c.index)).toEqual([20]);
    expect(detectChangePoints(x, { minMagnitude: 0.05 })).toEqual([]);
    expect(detectChangePoints(x, { maxPValue: 1e-300 })).toEqual([]);
    expect(() => detectChangePoints(x, { minSegment: 1 })).toThrow(/minSegment/);
  });

  it('series shorter than two segments have no change point', () => {
    expect(detectChangePoints([])).toEqual([]);
    expect(detectChangePoints([1, 2, 3, 4, 5])).toEqual([]);
  });
});
