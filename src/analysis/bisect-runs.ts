/**
 * The run figures bisect-check judges: one per run (the median of its repetitions' p50 or p99),
 * relative to the null syscall beside each repetition's pass when every repetition has one (in ns
 * at the baseline's typical one, to the host's exponent: reference-exponent.ts), and the host's
 * typical run-to-run noise, which a series whose few baseline runs read quiet is raised toward.
 */
import type { ResultRow, RunSummary } from '../results/schema.js';
import { seriesKey } from '../results/schema.js';
import {
  bisectVerdict,
  perSyscallValues,
  repetitionValues,
  thinRepetitions,
  MIN_BASELINE_RUNS,
  type BisectResult,
  type RepValue,
  type VerdictOptions,
} from './bisect.js';
import { detectChangePoints } from './changepoint/edivisive.js';
import { formatNs } from '../util/units.js';
import { repetitionObservations, type ReferenceMode } from './reference.js';
import { exponentsOf, PRIOR_EXPONENT } from './reference-exponent.js';
import { MIN_SERIES_FOR_PRIOR } from './run-noise.js';
import type { Metric } from './series.js';
import { median } from './stats/describe.js';
import { sampleStats } from './changepoint/ttest.js';

/** How a series' repetitions are scaled: null as measured. */
export interface Scaling {
  typicalNs: number;
  /** 1: divided by the reference; 0: as measured (the baseline's runs do not follow it) */
  exponent: number;
}

export interface BaselineRuns {
  /** one figure per run with the series ok, oldest first, as `scaling` says */
  figures: number[];
  /** the same, as measured */
  measured: number[];
  scaling: Scaling | null;
  /** the host's median series' SD of ln(run figure) over these runs, scaled / as measured */
  prior?: number;
  priorMeasured?: number;
}

const rowOf = (s: RunSummary, key: string): ResultRow | undefined => s.results.find((r) => seriesKey(r) === key);

/** Each run's figure of one series (runs without the series ok left out). */
function figuresOf(runs: RunSummary[], key: string, metric: Metric, scaling: Scaling | null): number[] {
  const out: number[] = [];
  for (const s of runs) {
    const reps = repetitionValues(rowOf(s, key), metric);
    const values = scaling ? perSyscallValues(reps, scaling.typicalNs, scaling.exponent) : reps.map((v) => v.value);
    if (values && values.length > 0) out.push(median(values));
  }
  return out;
}

/** The scaling of a series over these runs: every repetition with its reference, else null. */
function scalingOf(reps: RepValue[], exponent: number): Scaling | null {
  if (reps.length === 0 || !reps.every((v) => v.syscallNs)) return null;
  return { typicalNs: median(reps.map((v) => v.syscallNs!)), exponent };
}

const sdOfLogs = (xs: number[]) => Math.sqrt(sampleStats(xs.map(Math.log)).variance);

/** The median over the host's series (MIN_BASELINE_RUNS runs or more) of their run-to-run SD of logs. */
function hostPrior(runs: RunSummary[], host: string, metric: Metric, exponent: number | null): number | undefined {
  const keys = new Set(runs.flatMap((s) => s.results.filter((r) => r.host === host).map(seriesKey)));
  const sds: number[] = [];
  for (const key of keys) {
    const reps = runs.flatMap((s) => repetitionValues(rowOf(s, key), metric));
    const scaling = exponent === null ? null : scalingOf(reps, exponent);
    if (exponent !== null && !scaling) continue;
    const f = figuresOf(runs, key, metric, scaling);
    if (f.length >= MIN_BASELINE_RUNS && f.every((x) => x > 0)) sds.push(sdOfLogs(f));
  }
  return sds.length >= MIN_SERIES_FOR_PRIOR ? median(sds) : undefined;
}

export function baselineRuns(
  runs: RunSummary[],
  key: string,
  host: string,
  metric: Metric,
  reference: ReferenceMode,
): BaselineRuns {
  const reps = runs.flatMap((s) => repetitionValues(rowOf(s, key), metric));
  // one exponent per pool (host): the other hosts' passes do not enter this one's
  const exponent =
    reference === 'none'
      ? null
      : reference === 'auto'
        ? (exponentsOf(repetitionObservations([runs])).get(host)?.exponent ?? PRIOR_EXPONENT)
        : 1;
  const scaling = exponent === null ? null : scalingOf(reps, exponent);
  const prior = scaling ? hostPrior(runs, host, metric, scaling.exponent) : undefined;
  const priorMeasured = hostPrior(runs, host, metric, null);
  return {
    figures: figuresOf(runs, key, metric, scaling),
    measured: figuresOf(runs, key, metric, null),
    scaling,
    ...(prior !== undefined && { prior }),
    ...(priorMeasured !== undefined && { priorMeasured }),
  };
}

/** The fresh runs' figures on the baseline's scale; null when a fresh repetition has no reference. */
function freshFigures(runs: RunSummary[], key: string, metric: Metric, scaling: Scaling): number[] | null {
  for (const s of runs) if (repetitionValues(rowOf(s, key), metric).some((v) => !v.syscallNs)) return null;
  return figuresOf(runs, key, metric, scaling);
}

/** The verdict relative to the null syscall when both sides have it (the reason says which), else as measured. */
function verdictOf(b: BaselineRuns, fresh: RunSummary[], key: string, metric: Metric, o: VerdictOptions): BisectResult {
  const scaled = b.scaling && freshFigures(fresh, key, metric, b.scaling);
  if (b.scaling && scaled) {
    const r = bisectVerdict(b.figures, scaled, { ...o, prior: b.prior });
    const { exponent, typicalNs } = b.scaling;
    const how =
      exponent === 1
        ? 'relative to the null syscall beside each pass'
        : exponent === 0
          ? "as measured: the baseline's runs do not follow the null syscall beside their passes"
          : `scaled by the null syscall beside each pass to the power ${exponent.toFixed(2)} (the baseline's runs give it)`;
    return { ...r, reason: `${r.reason}; ${how} (${formatNs(typicalNs)} typical)` };
  }
  const r = bisectVerdict(b.measured, figuresOf(fresh, key, metric, null), { ...o, prior: b.priorMeasured });
  return b.scaling ? { ...r, reason: `${r.reason}; as measured (the fresh run has no null-syscall reference)` } : r;
}

/**
 * bisect-check's answer for one series: skip when a fresh run's repetitions are too short for the
 * metric or the baseline spans a change point, else the verdict on the runs (bisect.ts).
 */
export function bisectCheck(
  b: BaselineRuns,
  fresh: RunSummary[],
  key: string,
  metric: Metric,
  o: VerdictOptions,
): BisectResult {
  const thin = fresh.map((s) => thinRepetitions(rowOf(s, key), metric)).find((t) => t);
  if (thin) return { verdict: 'skip', reason: `${key}: ${thin}` };
  const spans = detectChangePoints(b.figures);
  if (spans.length > 0)
    return {
      verdict: 'skip',
      reason: `the baseline spans a change point (${spans.length}; first at baseline run ${spans[0].index + 1} of ${b.figures.length}): pick runs of one kernel`,
    };
  return verdictOf(b, fresh, key, metric, o);
}
