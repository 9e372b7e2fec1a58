/**
 * bisect-check's verdict for one series: is a fresh commit slower than the baseline, judged on run
 * figures against the series' run-to-run noise (bisectVerdict). The repetitions' values, each
 * relative to its null syscall, and the p99 a repetition is too short to have.
 */
import { sampleStats, studentTCdf } from './changepoint/ttest.js';
import { moderatedNoise } from './run-noise.js';
import { formatChange } from './change.js';
import type { ResultRow } from '../results/schema.js';
import { hasTail, TAIL_SAMPLES, type Metric } from './series.js';
import { scaleFactor } from './reference-exponent.js';

export type Verdict = 'good' | 'bad' | 'skip';

export interface BisectResult {
  verdict: Verdict;
  reason: string;
  before?: number;
  after?: number;
  changePct?: number;
  pValue?: number;
}

/** A repetition's figure and the null syscall timed beside its pass (probe/ref.c), when it has one. */
export interface RepValue {
  value: number;
  syscallNs?: number;
}

export function repetitionValues(row: ResultRow | undefined, metric: Metric): RepValue[] {
  if (!row || row.status !== 'ok') return [];
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const reps = (row.repetitions ?? []).flatMap((r) =>
    finite(r[metric]) ? [{ value: r[metric], ...(r.syscallNs && { syscallNs: r.syscallNs }) }] : [],
  );
  if (reps.length > 0) return reps;
  const v = row[metric];
  return finite(v) ? [{ value: v, ...(row.syscallNs && { syscallNs: row.syscallNs }) }] : [];
}

/**
 * The values relative to each one's null syscall, in ns at `typicalNs` (reference.ts: the moment a
 * repetition met divided out; to the power `exponent`, reference-exponent.ts); null when one of
 * them has no reference (an older probe).
 */
export function perSyscallValues(values: RepValue[], typicalNs: number, exponent = 1): number[] | null {
  if (values.some((v) => !v.syscallNs)) return null;
  return values.map((v) => v.value * scaleFactor(typicalNs, v.syscallNs!, exponent));
}

/** why a row's repetitions cannot tell this metric (too few samples each beyond it), or null */
export function thinRepetitions(row: ResultRow | undefined, metric: Metric): string | null {
  if (!row || row.status !== 'ok') return null;
  const counts = row.repetitions?.length ? row.repetitions.map((r) => r.samples) : [row.samples];
  const fewest = Math.min(...counts);
  if (hasTail({ samples: fewest }, metric, TAIL_SAMPLES)) return null;
  return `its repetitions have ${fewest} samples, so their ${metric} is one of their few largest (a ${metric} needs ${TAIL_SAMPLES} samples beyond it): use p50`;
}

/** runs of the series a baseline needs for its run-to-run noise (fewer: bisect-check aborts) */
export const MIN_BASELINE_RUNS = 3;
/** a run-to-run noise below this is read as this (a baseline of identical figures is not noiseless) */
const NOISE_FLOOR = 0.001;
/** most fresh runs the "how many runs would tell" line offers */
const MOST_RUNS = 50;

export interface VerdictOptions {
  /** the slow-down sought (0.05: 5%): bad is "slower, and not less than this" */
  threshold: number;
  /** the level of each of the two one-sided t tests */
  maxPValue: number;
  /**
   * the host's typical run-to-run noise (the median series' SD of ln run figure over the baseline
   * runs), which a series whose few runs read quieter is raised toward (moderatedNoise)
   */
  prior?: number;
}

/**
 * bisect-check's verdict from run figures (one per run: the median of its repetitions), never from
 * the repetitions inside one run: those share one process, one set of pages and one moment of the
 * machine, and between runs this machine moves several times as far (issue 11: repetitions pooled
 * called a quiet rerun "bad +139.5%, p=0"). Two one-sided t tests on ln(run figure), with the
 * run-to-run noise of the baseline's runs (raised toward the host's typical series; the fresh runs,
 * back to back, as one cluster: standardError): H0 "no change" and H1 "slower by the threshold".
 * - bad: H0 rejected (slower than the baseline at p < maxPValue) and H1 not (not less than the
 *   threshold);
 * - good: H1 rejected (the slow-down is less than the threshold at p < maxPValue; faster included);
 * - skip (125): neither; the runs cannot tell a threshold-sized slow-down from none, and the reason
 *   says how many fresh runs (or baseline runs) would.
 * A wrong step sends a bisection the wrong way, so each side needs evidence: "not significant" is
 * not "good".
 */
export function bisectVerdict(baseline: number[], fresh: number[], o: VerdictOptions): BisectResult {
  if (baseline.length === 0) return { verdict: 'skip', reason: 'no baseline runs' };
  if (fresh.length === 0) return { verdict: 'skip', reason: 'no fresh run (not measured, unsupported or failed)' };
  if (baseline.length < MIN_BASELINE_RUNS) {
    return {
      verdict: 'skip',
      reason: `${baseline.length} baseline run(s): their run-to-run noise needs ${MIN_BASELINE_RUNS} or more (repetitions inside one run do not show it)`,
    };
  }
  const lb = baseline.map(Math.log);
  const lf = fresh.map(Math.log);
  const b = sampleStats(lb);
  const f = sampleStats(lf);
  const df = b.n - 1;
  const own = Math.sqrt(b.variance);
  const noise = Math.max(NOISE_FLOOR, moderatedNoise(own, o.prior));
  const se = standardError(noise, b.n, f.n, f.n > 1 ? f.variance : undefined);
  const d = f.mean - b.mean;
  const delta = Math.log1p(o.threshold);
  const pNone = 1 - studentTCdf(d / se, df);
  const pThreshold = studentTCdf((d - delta) / se, df);
  const pct = (x: number) => formatChange(Math.expm1(x) * 100);
  const sides = `${b.n} baseline run(s), ${f.n} fresh; run-to-run noise ${(noise * 100).toFixed(1)}%${noise > own ? ` (raised from ${(own * 100).toFixed(1)}% toward the host's typical series)` : ''}`;
  const base = { before: Math.exp(b.mean), after: Math.exp(f.mean), changePct: Math.expm1(d) * 100 };
  const th = pct(delta);
  if (pThreshold < o.maxPValue) {
    return {
      ...base,
      verdict: 'good',
      pValue: pThreshold,
      reason: `${pct(d)}: less than the ${th} sought (p=${fmtP(pThreshold)}); ${sides}`,
    };
  }
  if (pNone < o.maxPValue) {
    return {
      ...base,
      verdict: 'bad',
      pValue: pNone,
      reason: `slower by ${pct(d)} (p=${fmtP(pNone)} against no change; ${th} sought); ${sides}`,
    };
  }
  return {
    ...base,
    verdict: 'skip',
    pValue: pNone,
    reason: `${pct(d)}: the runs cannot tell a ${th} slow-down from none at p < ${o.maxPValue} (p=${fmtP(pNone)} against none, ${fmtP(pThreshold)} against ${th}); ${sides}; ${runsNeeded(noise, b.n, delta, o.maxPValue, f.n > 1 ? f.variance : undefined)}`,
  };
}

/**
 * The standard error of ln(fresh mean / baseline mean). The baseline's runs are nightlies, apart in
 * time; the fresh ones are measured back to back and share the machine's moment, so their mean is
 * not n times surer than one run: a one-way random-effects model with the fresh runs as one
 * cluster. Of a run's variance (the baseline's noise², or the fresh runs' own spread where larger)
 * the part the fresh runs do not share is their own spread (freshVariance), which averages down
 * over n; the rest, shared, does not. Without a spread to go by (one fresh run) the runs are taken
 * as independent, which is what one run is anyway. Measured on real runs: the fresh runs taken as
 * independent gave 1.5% false bads at a 1% test (bench/bisect-quality.ts, README).
 */
function standardError(noise: number, nb: number, nf: number, freshVariance = noise * noise): number {
  const total = Math.max(noise * noise, freshVariance);
  const fresh = Math.max(total / nf, total - freshVariance * (1 - 1 / nf));
  return Math.sqrt((noise * noise) / nb + fresh);
}

/** a p-value in 2 significant digits, in exponent form below 0.001 */
const fmtP = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toPrecision(2));

/**
 * How many fresh runs (then baseline runs as well) separate the two hypotheses whatever the runs
 * show: the threshold at least 2 t(1 - alpha) standard errors wide, the noise as now.
 */
function runsNeeded(noise: number, nb: number, delta: number, alpha: number, freshVariance?: number): string {
  const separated = (nb: number, nf: number) =>
    studentTCdf(delta / (2 * standardError(noise, nb, nf, freshVariance)), nb - 1) >= 1 - alpha;
  for (let nf = 1; nf <= MOST_RUNS; nf++) if (separated(nb, nf)) return `about ${nf} fresh runs would tell (--runs)`;
  for (let n = nb + 1; n <= MOST_RUNS; n++)
    if (separated(n, n)) return `about ${n} baseline runs and as many fresh ones would tell, or a larger --threshold`;
  return `no practical number of runs tells ${formatChange(Math.expm1(delta) * 100)} at this noise: a larger --threshold`;
}
