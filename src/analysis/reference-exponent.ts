/**
 * How strongly latencies follow a reference measured beside them, estimated from the runs at hand:
 * the exponent b in  latency ~ reference^b.  Two references use it: the null syscall timed beside
 * each pass (reference.ts, pooled per host) and the host's speed index of each run (speed-index.ts,
 * per series).  For the null syscall:  Dividing by the reference (b = 1)
 * takes the host's moment out where every op moves with the cost of entering the kernel (measured
 * on a noisy kvm_pvm instance: between-run CV of p50 14.3% -> 8.2%), but on a quiet host the
 * reference moves by its own noise and dividing adds it (an instance whose null syscall moved 1.2%
 * run to run: 2.3% as measured, 2.6% divided). Scaling by reference^b with the b that explains the
 * most is the control-variate estimator: it is never worse than either, in expectation.
 *
 * b is the pooled least-squares slope of log latency on log reference, each group (a series, on one
 * side of a comparison or one kernel of a history) centred on its own means, so a real change
 * between groups does not enter it; pooled over every series of a host, because one series' few
 * runs are too few to tell its own. The slope is then shrunk toward 1 by how uncertain it is (a
 * normal prior of mean 1, sd 0.5: on the instance where the noise was found, an op and the null
 * syscall correlated 0.91 over 30 processes and dividing took 43% of the noise off), so runs whose
 * reference never moved within a side, or too few of them, are divided as --reference syscall
 * would; and clipped to [0, 1]: a latency that falls when entering the kernel gets dearer is noise,
 * and one that rises faster than it is not what the reference is for.
 * Written by hand: a sum of products per host.
 */

export interface ExponentObservation {
  /** what one exponent is estimated for: a host (the null syscall), or a series (the speed index) */
  pool: string;
  /** what is centred together: a series on one side, or of one kernel */
  group: string;
  /** the latency */
  value: number;
  /** the reference beside it (the null syscall, ns; or the run's speed index) */
  reference: number;
}

export interface Exponent {
  /** the exponent used, in [0, 1]: the slope shrunk toward PRIOR_EXPONENT, clipped */
  exponent: number;
  /** the slope the observations give, and its standard error (null when too few to estimate it) */
  slope: number | null;
  se: number | null;
  /** observations it rests on, and in how many groups */
  observations: number;
  groups: number;
}

/** observations beyond one per group a host needs before its exponent is estimated (fewer: the prior) */
export const MIN_EXPONENT_DF = 10;
/** the exponent without evidence, and how far from it the evidence may be expected to lead (sd) */
export const PRIOR_EXPONENT = 1;
export const PRIOR_SD = 0.5;

interface Acc {
  groups: Map<string, { x: number[]; y: number[] }>;
}

/** Per pool the exponent its observations give (the prior where they are too few, or the reference never moved). */
export function exponentsOf(obs: Iterable<ExponentObservation>): Map<string, Exponent> {
  const pools = new Map<string, Acc>();
  for (const o of obs) {
    if (!(o.value > 0 && o.reference > 0)) continue;
    const acc = pools.get(o.pool) ?? { groups: new Map() };
    pools.set(o.pool, acc);
    const g = acc.groups.get(o.group) ?? { x: [], y: [] };
    acc.groups.set(o.group, g);
    g.x.push(Math.log(o.reference));
    g.y.push(Math.log(o.value));
  }
  const out = new Map<string, Exponent>();
  for (const [pool, acc] of pools) {
    let sxy = 0,
      sxx = 0,
      syy = 0,
      n = 0,
      groups = 0;
    for (const { x, y } of acc.groups.values()) {
      if (x.length < 2) continue;
      groups++;
      n += x.length;
      const mx = x.reduce((a, b) => a + b, 0) / x.length;
      const my = y.reduce((a, b) => a + b, 0) / y.length;
      for (let i = 0; i < x.length; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) ** 2;
        syy += (y[i] - my) ** 2;
      }
    }
    const df = n - groups - 1;
    // a reference that never moved (its log's variance below 1e-10, rounding only) explains nothing
    if (df < MIN_EXPONENT_DF || sxx <= n * 1e-10) {
      out.set(pool, { exponent: PRIOR_EXPONENT, slope: null, se: null, observations: n, groups });
      continue;
    }
    const slope = sxy / sxx;
    const residual = Math.max(0, syy - slope * sxy);
    const se = Math.sqrt(residual / df / sxx);
    // the posterior mean of a normal prior and a normal likelihood: each weighted by its precision
    const [wData, wPrior] = [se > 0 ? 1 / se ** 2 : Infinity, 1 / PRIOR_SD ** 2];
    const shrunk = Number.isFinite(wData) ? (wData * slope + wPrior * PRIOR_EXPONENT) / (wData + wPrior) : slope;
    out.set(pool, { exponent: Math.min(1, Math.max(0, shrunk)), slope, se, observations: n, groups });
  }
  return out;
}

/** A latency measured beside `reference` scaled to the typical one with exponent b: (typical / reference)^b. */
export const scaleFactor = (typical: number, reference: number, exponent: number) =>
  exponent === 1 ? typical / reference : (typical / reference) ** exponent;
