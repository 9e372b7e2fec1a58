/**
 * The regression model: change points in every series of a history, each one classified as a
 * regression (slower: latency went up) or an improvement, with the first run where it appeared.
 * A state file of changes already reported lets a nightly tell each regression once.
 *
 * Judged against run-to-run noise, with a suite-wide budget:
 * - noise: each series' between-run spread (seriesSpread: the standard deviation of its runs
 *   relative to their segment's median, tails included: the robust MAD of seriesNoise ignores the
 *   few-run episodes of a shared machine, and a floor on it let those through, as
 *   bench/regress-quality.ts measured); a change must be at least `noiseFactor` times it (and at
 *   least minMagnitude), with at least `baselineRuns` runs of the old level before it;
 * - budget: Benjamini-Hochberg over every series of a host at false-discovery rate `fdr`;
 * - persistence: the new level holds for `persistence` runs: the segment after the change point has
 *   at least that many runs, and each of its first `persistence` runs is on the new side of the old
 *   level (a run back at or beyond the old median breaks it), and their median moved further than
 *   any other `persistence` consecutive runs of the series ever strayed from their own level;
 * - relative to the host (`normalize: 'host'`, the default): each series is judged divided by its
 *   run's speed index (speed-index.ts: the host's typical series that run), so the hours a whole
 *   shared machine runs slow are not N regressions; the index itself is judged as one series per
 *   host and metric, and a change of it is a host-wide shift;
 * - common mode: when at least `commonMode` of a host's series (and 3 or more) change at the same
 *   run, one host-wide shift is reported with what changed in the fingerprint, not N changes.
 */
import {
  detectChangePoints,
  type ChangePoint,
  type ChangePointOptions,
  DEFAULT_CHANGEPOINT_OPTIONS,
} from './changepoint/edivisive.js';
import {
  extractSeries,
  sortRuns,
  type HistoryRun,
  type HostState,
  type Metric,
  METRICS,
  type Series,
  type SeriesId,
  type ThinSeries,
  TAIL_SAMPLES,
} from './series.js';
import chisquareQuantile from '@stdlib/stats-base-dists-chisquare-quantile';
import { median } from './stats/describe.js';
import { benjaminiHochberg } from './stats/fdr.js';
import {
  indexExponents,
  indexSeries,
  relativeTo,
  seriesMetricKey,
  speedIndices,
  type SpeedIndex,
} from './speed-index.js';
import type { Exponent } from './reference-exponent.js';
import { perSyscall, type PerSyscall, type ReferenceMode } from './reference.js';

export interface RegressOptions extends ChangePointOptions {
  metrics: readonly Metric[];
  /** a change must be at least this many times the series' between-run noise (robust CV) */
  noiseFactor: number;
  /** Benjamini-Hochberg false-discovery rate over all series of a host */
  fdr: number;
  /** share of a host's series that moving at one run makes a host-wide shift */
  commonMode: number;
  /** runs the new level must hold (from the change point on) before the change is told */
  persistence: number;
  /** runs of the old level a change needs before it: fewer tell nothing of the series' noise */
  baselineRuns: number;
  /** each of the `persistence` runs must be beyond the old median by this many times the noise */
  persistenceMargin: number;
  /**
   * 'host': judge each series relative to its host's speed index, and the index as one series;
   * 'auto': relative to the index to the power the series' history gives (speed-index.ts
   * indexExponents: 1 where it moves with the host, toward 0 where the index only adds noise);
   * 'none': raw latencies
   */
  normalize: 'auto' | 'host' | 'none';
  /**
   * 'syscall': each row first relative to the null syscall timed beside its passes, and that
   * reference judged as a series of its own (reference.ts); 'auto': scaled by that reference to
   * the power the host's history gives (reference-exponent.ts); 'none': as measured
   */
  reference: ReferenceMode;
  /**
   * the magnitude floor uses this upper confidence bound of the series' noise (chi-square on its
   * runs): a short history does not pass for a quiet one (0: the estimate itself)
   */
  noiseConfidence: number;
  /**
   * a tail percentile (p99) of a run is judged only where its row has at least this many samples beyond it (a p99
   * needs 100 x this many samples; 0: every row): the p99 of a few dozen samples is their maximum
   */
  tailSamples: number;
}

export const DEFAULT_REGRESS_OPTIONS: RegressOptions = {
  ...DEFAULT_CHANGEPOINT_OPTIONS,
  test: 'robust',
  metrics: METRICS,
  noiseFactor: 3,
  fdr: 0.01,
  commonMode: 0.25,
  persistence: 3,
  baselineRuns: 8,
  persistenceMargin: 0,
  normalize: 'auto',
  reference: 'none',
  noiseConfidence: 0.95,
  tailSamples: TAIL_SAMPLES,
};

/** Many series of one host moving at the same run: reported once. */
export interface HostShift {
  host: string;
  firstRunId: string;
  firstStartedAt: string;
  lastGoodRunId: string;
  /** series (with metric) that moved, and how many of them went slower */
  series: number;
  slower: number;
  /** median change of those series, percent (+ = slower) */
  medianChangePct: number;
  /** what changed in the host's fingerprint between the two runs ("nothing" when none) */
  fingerprint: string;
  /**
   * false when nothing in the fingerprint changed (same kernel, command line, microcode, THP, measurement): the
   * whole host moved on its own (a shared machine's load, its hypervisor). Told, but it neither
   * fails the run nor makes its series regressed: those are for what the tested system changed.
   */
  explained: boolean;
  /** the series (with metric) that moved, and by how much */
  members?: { series: string; metric: Metric; changePct: number }[];
  /** set when the host's speed index changed (normalize 'host'): which metric's index, its noise and p */
  speedIndex?: { metric: Metric; noisePct: number; pValue: number };
  /** already in the state file: reported by an earlier run of regress */
  known?: boolean;
}

export type ChangeKind = 'regression' | 'improvement';

/** A host's speed index as regress reports it (and writes to InfluxDB: src/influx/speed-index.ts). */
export interface SpeedIndexReport {
  host: string;
  metric: Metric;
  /** series the index is the median of */
  series: number;
  noisePct: number;
  floorPct: number;
  /** per run, oldest first: the index (1 = the host's usual speed over this history, 1.08 = 8% slower) */
  points: { runId: string; startedAt: string; value: number }[];
}

export interface Change extends SeriesId {
  kind: ChangeKind;
  /** host/path/op/granule/threads */
  series: string;
  metric: Metric;
  /** the first run where the change appeared */
  firstRunId: string;
  firstStartedAt: string;
  /** the last run before it */
  lastGoodRunId: string;
  /** kernels of those two runs, when known */
  kernelBefore?: string;
  kernelAfter?: string;
  /** medians of the segments before and after, ns */
  before: number;
  after: number;
  /** percent: (after / before - 1) * 100 */
  changePct: number;
  /** percent, + = slower: the change relative to the host's speed index, what was judged (normalize 'host') */
  relativePct?: number;
  pValue: number;
  runsBefore: number;
  runsAfter: number;
  /** between-run noise of the series (percent; relative to the host's speed index when that was judged) */
  noisePct?: number;
  /** already in the state file: reported by an earlier run of regress */
  known: boolean;
}

export interface RegressReport {
  generatedAt: string;
  /** where the history came from (a directory or a redacted URL) */
  source: string;
  /** the latest run's suite file, when the history keeps it (results folders): what a bisection measures */
  suiteFile?: string;
  options: RegressOptions;
  runs: number;
  firstRunId: string | null;
  lastRunId: string | null;
  /**
   * every series judged: its runs, its between-run noise (percent) and the smallest change it can
   * tell (percent: the larger of minMagnitude and noiseFactor x noise); the last two from regress()
   */
  series: {
    key: string;
    metric: Metric;
    points: number;
    noisePct?: number;
    floorPct?: number;
    /** normalize 'auto': the power of the host's speed index the series was divided by (speed-index.ts indexExponents) */
    indexExponent?: number;
  }[];
  /** per host and metric with a speed index (normalize 'host'): its series, noise and floor (percent), and its value per run */
  speedIndex?: SpeedIndexReport[];
  /** reference 'syscall' or 'auto': the hosts whose rows were scaled to their typical null syscall (ns), and those left as measured */
  reference?: Omit<PerSyscall, 'runs'>;
  regressions: Change[];
  improvements: Change[];
  /** host-wide shifts (their series' changes are not in regressions/improvements) */
  shifts?: HostShift[];
  /** set when the history is too short for any verdict: how many runs it needs */
  tooFew?: { runs: number; needed: number };
  /** series (with metric) whose rows had too few samples for the metric (tailSamples): those runs not judged */
  thin?: ThinSeries[];
  /** runs left out (unreadable), with why */
  skipped: string[];
}

/** Robust between-run CV of a series (fraction): 1.4826 x MAD of the runs from their segment's median. */
export function seriesNoise(values: number[], cps: number[]): number {
  const bounds = [0, ...cps, values.length];
  const dev: number[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const m = median(values, bounds[k], bounds[k + 1]);
    for (let i = bounds[k]; i < bounds[k + 1]; i++) dev.push(Math.abs(values[i] / m - 1));
  }
  return dev.length ? 1.4826 * median(dev) : 0;
}

/** Between-run CV of a series (fraction): the standard deviation of the runs relative to their segment's median, tails included. */
export function seriesSpread(values: number[], cps: number[]): number {
  const bounds = [0, ...cps, values.length];
  let ss = 0;
  let n = 0;
  for (let k = 0; k + 1 < bounds.length; k++) {
    const m = median(values, bounds[k], bounds[k + 1]);
    for (let i = bounds[k]; i < bounds[k + 1]; i++, n++) ss += (values[i] / m - 1) ** 2;
  }
  return n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
}

/**
 * The upper `confidence` bound of a spread estimated with `df` degrees of freedom (the chi-square
 * interval of a standard deviation): x sqrt(df / chi2_{1-confidence}(df)); the spread itself at 0.
 */
export function noiseUpperBound(spread: number, df: number, confidence: number): number {
  if (!(confidence > 0)) return spread;
  if (df < 1) return Infinity;
  return spread * Math.sqrt(df / chisquareQuantile(1 - confidence, df));
}

/**
 * What changed in a host between two runs; without fingerprints (an InfluxDB history) the kernels
 * of the change's runs. Unknown counts as changed: a shift is not waved away on no evidence.
 */
function fingerprintOf(
  a: HostState | undefined,
  b: HostState | undefined,
  c: Pick<Change, 'kernelBefore' | 'kernelAfter'>,
): { fingerprint: string; explained: boolean } {
  if (!a || !b) {
    if (c.kernelBefore && c.kernelAfter && c.kernelBefore !== c.kernelAfter)
      return { fingerprint: `kernel ${c.kernelBefore} -> ${c.kernelAfter}`, explained: true };
    return { fingerprint: 'unknown (no fingerprint)', explained: true };
  }
  const fingerprint = fingerprintDiff(a, b);
  return { fingerprint, explained: fingerprint !== 'nothing' };
}

function fingerprintDiff(a: HostState, b: HostState): string {
  const diff: string[] = [];
  for (const k of ['kernel', 'cmdline', 'microcode', 'thp'] as const) {
    if ((a[k] ?? null) !== (b[k] ?? null)) diff.push(`${k} ${a[k] ?? '?'} -> ${b[k] ?? '?'}`);
  }
  // runs from before the summary recorded it say nothing either way
  if (a.measurement && b.measurement && a.measurement !== b.measurement)
    diff.push(`measurement ${a.measurement} -> ${b.measurement}`);
  return diff.length ? diff.join('; ') : 'nothing';
}

/**
 * The change holds for `n` runs: the segment after it has at least n runs, each of the first n is
 * on the new side of the old median, and the median of those n runs is further from the old median
 * than the median of any other n consecutive runs of the series ever strayed from its own segment's
 * median (the history's own excursions of that length: the noise that lasts a few runs).
 * `bounds`: the series' change points (indices), `cp` among them.
 */
export function holds(
  values: number[],
  cp: ChangePoint,
  n: number,
  bounds: number[] = [cp.index],
  margin = 0,
): boolean {
  if (n <= 0) return true;
  if (cp.runsAfter < n || cp.index + n > values.length) return false;
  const edge = cp.before * (1 + Math.sign(cp.change) * margin);
  for (let i = cp.index; i < cp.index + n; i++) {
    if (cp.change > 0 ? values[i] <= edge : values[i] >= edge) return false;
  }
  const moved = Math.abs(median(values, cp.index, cp.index + n) / cp.before - 1);
  return moved > excursion(values, n, bounds, [cp.index, cp.index + n]);
}

/** The largest |median of n consecutive runs / their segment's median - 1|, leaving out windows touching [skip). */
export function excursion(values: number[], n: number, bounds: number[], skip: [number, number] = [0, 0]): number {
  const edges = [0, ...bounds, values.length];
  let worst = 0;
  for (let k = 0; k + 1 < edges.length; k++) {
    const [lo, hi] = [edges[k], edges[k + 1]];
    const m = median(values, lo, hi);
    for (let i = lo; i + n <= hi; i++) {
      if (i < skip[1] && i + n > skip[0]) continue;
      worst = Math.max(worst, Math.abs(median(values, i, i + n) / m - 1));
    }
  }
  return worst;
}

type SeriesOptions = ChangePointOptions & {
  noiseFactor?: number;
  noiseConfidence?: number;
  persistence?: number;
  persistenceMargin?: number;
  baselineRuns?: number;
};

export function seriesChanges(s: Series, opts: SeriesOptions): Change[] {
  return analyseSeries(s, opts).changes;
}

/**
 * A series' candidate changes and its between-run noise (seriesSpread around its change points).
 * `raw`: the same series before it was made relative to its host (speed-index.ts); the change is
 * judged on `s`, and before/after/changePct are then the raw medians of the same segments.
 */
export function analyseSeries(s: Series, opts: SeriesOptions, raw: Series = s): SeriesAnalysis {
  const values = s.points.map((p) => p.value);
  const cps = detectChangePoints(values, opts);
  const bounds = cps.map((c) => c.index);
  const noise = seriesSpread(values, bounds);
  // one degree of freedom per segment's median
  const bound = noiseUpperBound(noise, values.length - bounds.length - 1, opts.noiseConfidence ?? 0);
  const floor = (opts.noiseFactor ?? 0) * bound;
  const persistence = opts.persistence ?? 0;
  const baseline = opts.baselineRuns ?? 0;
  const rawValues = raw.points.map((p) => p.value);
  const edges = [0, ...bounds, values.length];
  const changes = cps
    .filter(
      (cp) =>
        cp.runsBefore >= baseline &&
        Math.abs(cp.change) >= floor &&
        holds(values, cp, persistence, bounds, (opts.persistenceMargin ?? 0) * noise),
    )
    .map((cp) => {
      const first = s.points[cp.index];
      const last = s.points[cp.index - 1];
      const k = edges.indexOf(cp.index);
      const [before, after] =
        raw === s
          ? [cp.before, cp.after]
          : [median(rawValues, edges[k - 1], cp.index), median(rawValues, cp.index, edges[k + 1])];
      return {
        kind: cp.change > 0 ? 'regression' : 'improvement',
        series: s.key,
        host: s.host,
        path: s.path,
        op: s.op,
        granule: s.granule,
        threads: s.threads,
        metric: s.metric,
        firstRunId: first.runId,
        firstStartedAt: first.startedAt,
        lastGoodRunId: last.runId,
        ...(last.kernel && { kernelBefore: last.kernel }),
        ...(first.kernel && { kernelAfter: first.kernel }),
        before,
        after,
        changePct: (after / before - 1) * 100,
        ...(raw !== s && { relativePct: cp.change * 100 }),
        pValue: cp.pValue,
        runsBefore: cp.runsBefore,
        runsAfter: cp.runsAfter,
        noisePct: noise * 100,
        known: false,
      } satisfies Change;
    });
  return { changes, noise, bound };
}

export interface SeriesAnalysis {
  changes: Change[];
  /** between-run noise (fraction, seriesSpread) */
  noise: number;
  /** its upper confidence bound (noiseConfidence), what the magnitude floor is a multiple of */
  bound: number;
}

/** What regress judges before its suite-wide decision (judge): every series' candidates and noise, and the host-wide shifts of the speed indices. */
export interface Candidates {
  /** the raw series of the history (only the one asked for, with `only`) */
  series: Series[];
  /** per series (same order): its candidate changes and noise */
  analysed: SeriesAnalysis[];
  /** the changes of the hosts' speed indices (normalize 'host'), as host-wide shifts */
  indexShifts: HostShift[];
  indices: { index: SpeedIndex; noise: number; bound: number }[];
  /** normalize 'auto': per series (seriesMetricKey) the power of the index it was divided by */
  exponents?: Map<string, Exponent>;
  /** the runs in time order (sortRuns), for judge() */
  sorted: HistoryRun[];
  /** series (with metric) left out, in some or all runs, for too few samples beyond the metric */
  thin: ThinSeries[];
  /** reference 'syscall' or 'auto': what perSyscall scaled */
  reference?: Omit<PerSyscall, 'runs'>;
}

/** `only`: analyse just the series of this key (the indices still come from every series). */
export function candidates(measured: HistoryRun[], o: RegressOptions, only?: string): Candidates {
  const scaled = o.reference === 'none' ? undefined : perSyscall(measured, o.reference);
  const runs = scaled?.runs ?? measured;
  const thin: ThinSeries[] = [];
  const all = extractSeries(runs, o.metrics, o.tailSamples, thin);
  const indices = o.normalize === 'none' ? [] : speedIndices(all);
  const series = only === undefined ? all : all.filter((s) => s.key === only);
  const exponents = o.normalize === 'auto' ? indexExponents(series, indices) : undefined;
  const judged = relativeTo(series, indices, exponents);
  const analysed = judged.map((s, i) => analyseSeries(s, o, series[i]));
  const sorted = sortRuns(runs);
  const indexShifts: HostShift[] = [];
  const judgedIndices = indices.map((index) => {
    const { changes, noise, bound } = analyseSeries(indexSeries(index), o);
    for (const c of changes) indexShifts.push(indexShift(index, c, all, sorted));
    return { index, noise, bound };
  });
  return {
    series,
    analysed,
    indexShifts,
    indices: judgedIndices,
    ...(exponents && { exponents }),
    sorted,
    thin,
    ...(scaled && { reference: { hosts: scaled.hosts, unscaled: scaled.unscaled } }),
  };
}

/** A change of a host's speed index as a host-wide shift: each series' raw change over the same runs. */
function indexShift(ix: SpeedIndex, c: Change, series: Series[], sorted: HistoryRun[]): HostShift {
  const order = new Map(ix.points.map((p, i) => [p.runId, i]));
  const at = order.get(c.firstRunId)!;
  const [lo, hi] = [at - c.runsBefore, at + c.runsAfter];
  const members = series
    .filter((s) => s.host === ix.host && s.metric === ix.metric)
    .map((s) => {
      const side = (from: number, to: number) =>
        s.points.filter((p) => ((i) => i !== undefined && i >= from && i < to)(order.get(p.runId))).map((p) => p.value);
      return { series: s.key, metric: s.metric, changePct: (median(side(at, hi)) / median(side(lo, at)) - 1) * 100 };
    })
    .filter((m) => Number.isFinite(m.changePct));
  const pos = new Map(sorted.map((r, i) => [r.runId, i]));
  const first = sorted[pos.get(c.firstRunId)!];
  const last = sorted[pos.get(c.lastGoodRunId)!];
  return {
    host: ix.host,
    firstRunId: c.firstRunId,
    firstStartedAt: c.firstStartedAt,
    lastGoodRunId: c.lastGoodRunId,
    series: members.length,
    slower: members.filter((m) => m.changePct > 0).length,
    medianChangePct: c.changePct,
    ...fingerprintOf(last?.hosts?.[ix.host], first?.hosts?.[ix.host], c),
    members,
    speedIndex: { metric: ix.metric, noisePct: c.noisePct ?? 0, pValue: c.pValue },
  };
}

export function regress(
  runs: HistoryRun[],
  opts: Partial<RegressOptions> = {},
  meta: { source?: string; skipped?: string[] } = {},
): RegressReport {
  const o = { ...DEFAULT_REGRESS_OPTIONS, ...opts };
  const c = candidates(runs, o);
  const report = judge(
    c.sorted,
    c.series,
    c.analysed.flatMap((a) => a.changes),
    o,
    meta,
    c.indexShifts,
  );
  // what each series can tell: its noise and the smallest change that passes the magnitude floors
  const floorPct = (bound: number) => Math.max(o.minMagnitude, o.noiseFactor * bound) * 100;
  const analysedOf = new Map(c.series.map((s, i) => [seriesMetricKey(s), c.analysed[i]]));
  report.series = report.series.map((e) => {
    const a = analysedOf.get(seriesMetricKey(e))!;
    const b = c.exponents?.get(seriesMetricKey(e))?.exponent;
    return { ...e, noisePct: a.noise * 100, floorPct: floorPct(a.bound), ...(b !== undefined && { indexExponent: b }) };
  });
  if (c.thin.length) report.thin = c.thin;
  if (c.reference) report.reference = c.reference;
  if (c.indices.length)
    report.speedIndex = c.indices.map(({ index, noise, bound }) => ({
      host: index.host,
      metric: index.metric,
      series: index.series,
      noisePct: noise * 100,
      floorPct: floorPct(bound),
      points: index.points.map((p) => ({ runId: p.runId, startedAt: p.startedAt, value: p.value })),
    }));
  return report;
}

/** Per host: how small a change its history lets regress tell (from the series' floors). */
export interface HostSensitivity {
  host: string;
  series: number;
  /** median over the host's series of the between-run noise and of the floor, percent */
  medianNoisePct: number;
  medianFloorPct: number;
  /** series whose floor is at most 5% and at most 10% */
  tell5: number;
  tell10: number;
  /** the host's p50 speed index (normalize 'host'): its noise and the smallest host-wide change it tells, percent */
  indexNoisePct?: number;
  indexFloorPct?: number;
}

export function sensitivity(r: RegressReport): HostSensitivity[] {
  const byHost = new Map<string, RegressReport['series']>();
  for (const s of r.series) {
    if (s.floorPct === undefined) continue;
    const host = s.key.split('/')[0];
    byHost.set(host, [...(byHost.get(host) ?? []), s]);
  }
  return [...byHost].map(([host, mine]) => {
    const floors = mine.map((s) => s.floorPct!);
    const ix =
      r.speedIndex?.find((x) => x.host === host && x.metric === 'p50') ?? r.speedIndex?.find((x) => x.host === host);
    return {
      host,
      series: mine.length,
      medianNoisePct: median(mine.map((s) => s.noisePct ?? 0)),
      medianFloorPct: median(floors),
      tell5: floors.filter((f) => f <= 5 + 1e-9).length,
      tell10: floors.filter((f) => f <= 10 + 1e-9).length,
      ...(ix && { indexNoisePct: ix.noisePct, indexFloorPct: ix.floorPct }),
    };
  });
}

/**
 * The suite-wide decision over every series' candidate changes (candidates()): the budget, then
 * the host-wide shifts (those of the speed indices, `indexShifts`, and the series moving together). Apart from regress() so the quality benchmark can swap one series' candidates.
 */
export function judge(
  /** in time order: candidates().sorted */
  sorted: HistoryRun[],
  series: Series[],
  found: Change[],
  o: RegressOptions,
  meta: { source?: string; skipped?: string[] } = {},
  indexShifts: HostShift[] = [],
): RegressReport {
  let changes = found;
  // the budget: Benjamini-Hochberg over all series (with metric) of each host
  const hosts = [...new Set(series.map((s) => s.host))];
  const kept = new Set<Change>();
  for (const h of hosts) {
    const mine = changes.filter((c) => c.host === h);
    const m = Math.max(mine.length, series.filter((s) => s.host === h).length);
    benjaminiHochberg(
      mine.map((c) => c.pValue),
      m,
      o.fdr,
    ).forEach((k, i) => k && kept.add(mine[i]));
  }
  changes = changes.filter((c) => kept.has(c));
  // common mode: many series of one host at the same run -> one host-wide shift
  const pos = new Map(sorted.map((r, i) => [r.runId, i]));
  const shifts: HostShift[] = [...indexShifts];
  const inShift = new Set<Change>();
  // a series judged against only part of its index (normalize 'auto', an exponent below 1) keeps
  // part of a host-wide shift: where its change is the index's own, within its floor, it is that shift
  for (const c of changes) if (explainedByIndex(c, indexShifts, pos, o)) inShift.add(c);
  for (const h of hosts) {
    const n = series.filter((s) => s.host === h).length;
    const mine = changes
      .filter((c) => c.host === h && !inShift.has(c))
      .sort((a, b) => pos.get(a.firstRunId)! - pos.get(b.firstRunId)!);
    const used = new Set<Change>();
    for (const c of mine) {
      if (used.has(c)) continue;
      const at = pos.get(c.firstRunId)!;
      const group = mine.filter((d) => !used.has(d) && Math.abs(pos.get(d.firstRunId)! - at) <= 1);
      if (group.length < Math.max(3, Math.ceil(o.commonMode * n))) continue;
      for (const d of group) {
        used.add(d);
        inShift.add(d);
      }
      const first = sorted[at];
      const last = sorted[at - 1];
      shifts.push({
        host: h,
        firstRunId: c.firstRunId,
        firstStartedAt: c.firstStartedAt,
        lastGoodRunId: c.lastGoodRunId,
        series: group.length,
        slower: group.filter((d) => d.changePct > 0).length,
        medianChangePct: median(group.map((d) => d.changePct)),
        ...fingerprintOf(last?.hosts?.[h], first?.hosts?.[h], c),
        members: group.map((d) => ({ series: d.series, metric: d.metric, changePct: d.changePct })),
      });
    }
  }
  changes = changes.filter((c) => !inShift.has(c));
  const ordered = sorted.map((r) => r.runId);
  const needed = Math.max(o.minSegment, o.baselineRuns) + Math.max(o.minSegment, o.persistence);
  return {
    generatedAt: new Date().toISOString(),
    source: meta.source ?? '',
    ...(sorted.at(-1)?.suiteFile && { suiteFile: sorted.at(-1)!.suiteFile }),
    options: o,
    runs: sorted.length,
    firstRunId: ordered[0] ?? null,
    lastRunId: ordered[ordered.length - 1] ?? null,
    series: series.map((s) => ({ key: s.key, metric: s.metric, points: s.points.length })),
    regressions: changes.filter((c) => c.kind === 'regression'),
    improvements: changes.filter((c) => c.kind === 'improvement'),
    shifts,
    ...(sorted.length < needed && { tooFew: { runs: sorted.length, needed } }),
    skipped: meta.skipped ?? [],
  };
}

/**
 * Whether a series' change is its host's index shift (same host and metric, within a run of it, the
 * same direction) and no more: the change relative to the index's is within the series' floor.
 */
function explainedByIndex(c: Change, indexShifts: HostShift[], pos: Map<string, number>, o: RegressOptions): boolean {
  const floor = Math.max(o.minMagnitude, (o.noiseFactor * (c.noisePct ?? 0)) / 100);
  return indexShifts.some(
    (sh) =>
      sh.host === c.host &&
      sh.speedIndex?.metric === c.metric &&
      Math.abs(pos.get(sh.firstRunId)! - pos.get(c.firstRunId)!) <= 1 &&
      Math.sign(sh.medianChangePct) === Math.sign(c.changePct) &&
      Math.abs((1 + c.changePct / 100) / (1 + sh.medianChangePct / 100) - 1) < floor,
  );
}

/** Where a series (with metric) stands after the history: its latest change decides. */
export interface SeriesState {
  series: string;
  host: string;
  metric: Metric;
  /** the latest change is a regression (slower), alone or in a host-wide shift */
  regressed: boolean;
  /** direction of the latest change; none when the series never changed */
  direction: 'slower' | 'faster' | 'none';
  latest?: {
    firstRunId: string;
    at: number;
    lastGoodRunId: string;
    changePct: number;
    hostWide: boolean;
    change?: Change;
  };
}

/**
 * Every series' state: regressed while its latest change (its own, or its part of a host-wide
 * shift) is a regression. The one definition behind the JUnit cases and the InfluxDB verdicts the
 * Grafana alert rules read.
 */
export function seriesStates(r: RegressReport): SeriesState[] {
  return r.series.map(({ key, metric }) => {
    const own = [...r.regressions, ...r.improvements]
      .filter((c) => c.series === key && c.metric === metric)
      .map((c) => ({
        firstRunId: c.firstRunId,
        at: Date.parse(c.firstStartedAt),
        lastGoodRunId: c.lastGoodRunId,
        changePct: c.changePct,
        hostWide: false,
        change: c,
      }));
    // a host that moved on its own (nothing in its fingerprint changed) leaves its series' states alone
    const shifted = (r.shifts ?? [])
      .filter((sh) => sh.explained !== false)
      .flatMap((sh) =>
        (sh.members ?? [])
          .filter((m) => m.series === key && m.metric === metric)
          .map((m) => ({
            firstRunId: sh.firstRunId,
            at: Date.parse(sh.firstStartedAt),
            lastGoodRunId: sh.lastGoodRunId,
            changePct: m.changePct,
            hostWide: true,
          })),
      );
    const latest = [...own, ...shifted].sort((a, b) => a.at - b.at).pop();
    const direction = !latest ? 'none' : latest.changePct > 0 ? 'slower' : 'faster';
    return {
      series: key,
      host: key.split('/')[0],
      metric,
      regressed: direction === 'slower',
      direction,
      ...(latest && { latest }),
    };
  });
}

/** What a state file remembers of a reported change. */
export interface KnownChange {
  kind: ChangeKind;
  series: string;
  metric: Metric;
  firstRunId: string;
}

/**
 * Mark the changes already reported. A change point may move by a run or two as later runs
 * arrive; a change of the same series, metric and kind whose first run is within `slack` runs
 * (in this history's order) of a remembered one is the same change.
 */
export function markKnown(
  report: RegressReport,
  known: KnownChange[],
  runOrder: string[],
  slack: number,
): RegressReport {
  const pos = new Map(runOrder.map((id, i) => [id, i]));
  const isKnown = (c: KnownChange) =>
    known.some((k) => {
      if (k.kind !== c.kind || k.series !== c.series || k.metric !== c.metric) return false;
      if (k.firstRunId === c.firstRunId) return true;
      const a = pos.get(k.firstRunId);
      const b = pos.get(c.firstRunId);
      return a !== undefined && b !== undefined && Math.abs(a - b) <= slack;
    });
  const mark = (cs: Change[]) => cs.map((c) => ({ ...c, known: isKnown(c) }));
  return {
    ...report,
    regressions: mark(report.regressions),
    improvements: mark(report.improvements),
    ...(report.shifts && { shifts: report.shifts.map((sh) => ({ ...sh, known: isKnown(shiftAsChange(sh)) })) }),
  };
}

export function newRegressions(report: RegressReport): Change[] {
  return report.regressions.filter((c) => !c.known);
}

/** The host-wide shifts not reported before that made the host slower with a fingerprint change (they fail a nightly as a regression does). */
export function newSlowerShifts(report: RegressReport): HostShift[] {
  return (report.shifts ?? []).filter((sh) => !sh.known && sh.explained && sh.medianChangePct > 0);
}

/** How the state file remembers a host-wide shift: as a change of the series "<host>/host-wide". */
export function shiftAsChange(sh: HostShift): KnownChange {
  return {
    kind: sh.medianChangePct > 0 ? 'regression' : 'improvement',
    series: `${sh.host}/host-wide`,
    metric: sh.speedIndex?.metric ?? 'p50',
    firstRunId: sh.firstRunId,
  };
}

export function toKnown(c: Change): KnownChange {
  return { kind: c.kind, series: c.series, metric: c.metric, firstRunId: c.firstRunId };
}
