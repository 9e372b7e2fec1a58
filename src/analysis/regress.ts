/**
 * The regression model: change points in every series of a history, each one classified as a
 * regression (slower: latency went up) or an improvement, with the first run where it appeared.
 * A state file of changes already reported lets a nightly tell each regression once.
 */
import { detectChangePoints, type ChangePointOptions, DEFAULT_CHANGEPOINT_OPTIONS } from './changepoint/edivisive.js';
import { extractSeries, type HistoryRun, type Metric, METRICS, type Series, type SeriesId } from './series.js';

export interface RegressOptions extends ChangePointOptions {
  metrics: readonly Metric[];
}

export const DEFAULT_REGRESS_OPTIONS: RegressOptions = { ...DEFAULT_CHANGEPOINT_OPTIONS, metrics: METRICS };

export type ChangeKind = 'regression' | 'improvement';

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
  pValue: number;
  runsBefore: number;
  runsAfter: number;
  /** already in the state file: reported by an earlier run of regress */
  known: boolean;
}

export interface RegressReport {
  generatedAt: string;
  /** where the history came from (a directory or a redacted URL) */
  source: string;
  options: RegressOptions;
  runs: number;
  firstRunId: string | null;
  lastRunId: string | null;
  series: { key: string; metric: Metric; points: number }[];
  regressions: Change[];
  improvements: Change[];
  /** runs left out (unreadable), with why */
  skipped: string[];
}

export function seriesChanges(s: Series, opts: ChangePointOptions): Change[] {
  const values = s.points.map((p) => p.value);
  return detectChangePoints(values, opts).map((cp) => {
    const first = s.points[cp.index];
    const last = s.points[cp.index - 1];
    return {
      kind: cp.change > 0 ? 'regression' : 'improvement',
      series: s.key, host: s.host, path: s.path, op: s.op, granule: s.granule, threads: s.threads, metric: s.metric,
      firstRunId: first.runId, firstStartedAt: first.startedAt, lastGoodRunId: last.runId,
      ...(last.kernel && { kernelBefore: last.kernel }),
      ...(first.kernel && { kernelAfter: first.kernel }),
      before: cp.before, after: cp.after, changePct: cp.change * 100, pValue: cp.pValue,
      runsBefore: cp.runsBefore, runsAfter: cp.runsAfter, known: false,
    } satisfies Change;
  });
}

export function regress(runs: HistoryRun[], opts: Partial<RegressOptions> = {}, meta: { source?: string; skipped?: string[] } = {}): RegressReport {
  const o = { ...DEFAULT_REGRESS_OPTIONS, ...opts };
  const series = extractSeries(runs, o.metrics);
  const changes = series.flatMap((s) => seriesChanges(s, o));
  const ordered = runs.map((r) => r.runId);
  return {
    generatedAt: new Date().toISOString(),
    source: meta.source ?? '',
    options: o,
    runs: runs.length,
    firstRunId: ordered[0] ?? null,
    lastRunId: ordered[ordered.length - 1] ?? null,
    series: series.map((s) => ({ key: s.key, metric: s.metric, points: s.points.length })),
    regressions: changes.filter((c) => c.kind === 'regression'),
    improvements: changes.filter((c) => c.kind === 'improvement'),
    skipped: meta.skipped ?? [],
  };
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
export function markKnown(report: RegressReport, known: KnownChange[], runOrder: string[], slack: number): RegressReport {
  const pos = new Map(runOrder.map((id, i) => [id, i]));
  const isKnown = (c: Change) =>
    known.some((k) => {
      if (k.kind !== c.kind || k.series !== c.series || k.metric !== c.metric) return false;
      if (k.firstRunId === c.firstRunId) return true;
      const a = pos.get(k.firstRunId);
      const b = pos.get(c.firstRunId);
      return a !== undefined && b !== undefined && Math.abs(a - b) <= slack;
    });
  const mark = (cs: Change[]) => cs.map((c) => ({ ...c, known: isKnown(c) }));
  return { ...report, regressions: mark(report.regressions), improvements: mark(report.improvements) };
}

export function newRegressions(report: RegressReport): Change[] {
  return report.regressions.filter((c) => !c.known);
}

export function toKnown(c: Change): KnownChange {
  return { kind: c.kind, series: c.series, metric: c.metric, firstRunId: c.firstRunId };
}
