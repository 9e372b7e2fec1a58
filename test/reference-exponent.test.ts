/**
 * --reference auto: how strongly a host's latencies follow the null syscall beside them, estimated
 * from the runs at hand (reference-exponent.ts). Synthetic observations whose relation is known.
 */
import { describe, expect, it } from 'vitest';
import { exponentsOf, MIN_EXPONENT_DF, type ExponentObservation } from '../src/analysis/reference-exponent.js';
import { gaussian, rng } from './helpers/synthetic.js';

/**
 * `series` series x `n` observations on one host: each met a moment `speed` (CV `moment`); its
 * latency follows speed^follows, its reference follows the speed with its own noise `refNoise`;
 * `group(k, i)` names the group, `scale(k, i)` multiplies the latency (a change between groups).
 */
function observations(o: {
  series?: number;
  n?: number;
  moment?: number;
  follows: number;
  own?: number;
  refNoise?: number;
  group?: (k: number, i: number) => string;
  scale?: (k: number, i: number) => number;
  seed?: number;
}): ExponentObservation[] {
  const r = rng(o.seed ?? 7);
  const out: ExponentObservation[] = [];
  for (let k = 0; k < (o.series ?? 20); k++)
    for (let i = 0; i < (o.n ?? 10); i++) {
      const speed = Math.exp((o.moment ?? 0.1) * gaussian(r));
      out.push({
        pool: 'local',
        group: o.group?.(k, i) ?? `s${k}`,
        value: 1000 * (k + 1) * speed ** o.follows * Math.exp((o.own ?? 0.02) * gaussian(r)) * (o.scale?.(k, i) ?? 1),
        reference: 250 * speed * Math.exp((o.refNoise ?? 0.005) * gaussian(r)),
      });
    }
  return out;
}

describe('the reference exponent', () => {
  it('is about 1 where every latency moves with the cost of entering the kernel', () => {
    const e = exponentsOf(observations({ follows: 1 })).get('local')!;
    expect(e.exponent).toBeGreaterThan(0.95);
    expect(e.se).toBeLessThan(0.02);
    expect(e).toMatchObject({ observations: 200, groups: 20 });
  });

  it('follows a partial dependence, and is about 0 where the reference moves on its own', () => {
    expect(exponentsOf(observations({ follows: 0.5 })).get('local')!.exponent).toBeCloseTo(0.5, 1);
    // a quiet host: the reference's own noise is all that moves it, the latencies do not follow it
    const quiet = exponentsOf(observations({ follows: 0, moment: 0.01, refNoise: 0.01, own: 0.01 })).get('local')!;
    expect(quiet.exponent).toBeLessThan(0.25);
  });

  it('shrinks an uncertain slope toward 1, and is clipped to [0, 1]', () => {
    // 2 series x 8 runs, the latencies independent of a reference that moved 1%: a slope of about 0
    // but with a standard error near the prior's, so the exponent lies between
    const thin = exponentsOf(observations({ follows: 0, series: 2, n: 8, moment: 0.01, own: 0.02 })).get('local')!;
    expect(thin.se).toBeGreaterThan(0.3);
    expect(thin.exponent).toBeGreaterThan(Math.max(0, thin.slope!));
    expect(thin.exponent).toBeLessThan(1);
    expect(exponentsOf(observations({ follows: -1 })).get('local')!.exponent).toBe(0);
    expect(exponentsOf(observations({ follows: 2 })).get('local')!.exponent).toBe(1);
  });

  it('does not take a change between groups (the two sides of a comparison) for a dependence', () => {
    // the second half of every series is 30% slower and measured at a 30% dearer kernel entry
    // (another kernel): centred per group, the step is not noise the reference explains
    const o = {
      follows: 0,
      moment: 0.01,
      own: 0.01,
      group: (k: number, i: number) => `${i < 5 ? 'a' : 'b'} s${k}`,
      scale: (_k: number, i: number) => (i < 5 ? 1 : 1.3),
    };
    const obs = observations(o).map((x, j) => (j % 10 >= 5 ? { ...x, reference: x.reference * 1.3 } : x));
    expect(exponentsOf(obs).get('local')!.exponent).toBeLessThan(0.3);
    // pooled into one group, the same figures would have said "follows it"
    const pooled = obs.map((x) => ({ ...x, group: x.group.slice(2) }));
    expect(exponentsOf(pooled).get('local')!.exponent).toBeGreaterThan(0.9);
  });

  it('is 1 (the prior: divided, as --reference syscall) where too few observations or a reference that never moved', () => {
    // 10 observations in 2 groups: 7 degrees of freedom
    expect(10 - 2 - 1).toBeLessThan(MIN_EXPONENT_DF);
    const few = exponentsOf(observations({ follows: 1, series: 2, n: 5 })).get('local')!;
    expect(few).toMatchObject({ exponent: 1, slope: null, se: null });
    const still = observations({ follows: 1 }).map((x) => ({ ...x, reference: 250 }));
    expect(exponentsOf(still).get('local')).toMatchObject({ exponent: 1, slope: null, se: null });
  });

  it('is estimated per host', () => {
    const a = observations({ follows: 1 });
    const b = observations({ follows: 0, moment: 0.01, refNoise: 0.01, own: 0.01, seed: 9 }).map((x) => ({
      ...x,
      pool: 'b',
    }));
    const e = exponentsOf([...a, ...b]);
    expect(e.get('local')!.exponent).toBeGreaterThan(0.95);
    expect(e.get('b')!.exponent).toBeLessThan(0.25);
  });
});
