/**
 * The run history as series: one series per (host, path, op, granule, threads) and metric (p50,
 * p99, and wall for jobs of 2+ threads), its points ordered by the run's startedAt. The history comes from run directories
 * (results/) or from InfluxDB (influx/history.ts); both give HistoryRun[].
 */
import { measurementLabel } from '../results/measurement.js';
import { stat } from 'node:fs/promises';
import type { ResultRow, RunSummary } from '../results/schema.js';
import { seriesKey } from '../results/schema.js';
import { listRuns, readSummary } from '../results/store.js';

/** p50 and p99 of the calls' latency; wall: the pass's wall time a call, for jobs of 2+ threads (ResultRow.wall) */
export const METRICS = ['p50', 'p99', 'wall'] as const;
export type Metric = (typeof METRICS)[number];

/** What names a series (with a metric): the columns of results/schema.ts seriesKey. */
export interface SeriesId {
  host: string;
  path: string;
  op: string;
  granule: number;
  threads: number;
}

export interface HistoryRow extends SeriesId {
  p50: number | null;
  p99: number | null;
  /** jobs of 2+ threads: the pass's wall time a call (ResultRow.wall); absent: not timed */
  wall?: number | null;
  /** the row's samples (timed calls), when known: how far into its tail a percentile can see */
  samples?: number;
  /** the null syscall timed beside the row's passes, ns (results/schema.ts; reference.ts) */
  syscallNs?: number;
  kernel?: string;
}

/** samples beyond a tail percentile a verdict on it needs, by default (regress, compare, bisect-check) */
export const TAIL_SAMPLES = 10;

/** the tail metrics and the share of a row's samples at or below them (the median needs no tail) */
const TAIL: Partial<Record<Metric, number>> = { p99: 0.99 };

/**
 * Whether a row's metric rests on at least `beyond` samples past it (0: always; the p50 always does). A p99 of 48
 * samples is their maximum, an extreme with no tail behind it: run to run it jumps by tens of
 * percent on nothing, so judging it as a p99 only makes false alarms. Unknown samples count as enough.
 */
/** the samples a row needs for `beyond` of them to lie past the metric (0 for the p50) */
export function samplesNeeded(metric: Metric, beyond: number): number {
  const q = TAIL[metric];
  return q === undefined || beyond <= 0 ? 0 : Math.ceil(beyond / (1 - q));
}

export function hasTail(row: Pick<HistoryRow, 'samples'>, metric: Metric, beyond: number): boolean {
  const q = TAIL[metric];
  return q === undefined || beyond <= 0 || row.samples === undefined || row.samples * (1 - q) >= beyond;
}

/** The series (with metric) some of whose runs were left out because their rows had too few samples for it. */
export interface ThinSeries extends SeriesId {
  key: string;
  metric: Metric;
  /** the most samples any of its rows had, and the samples it needs */
  samples: number;
  needed: number;
  /** its runs left out */
  runs: number;
}

/** What of a host's fingerprint can explain a host-wide shift between two runs. */
export interface HostState {
  kernel?: string;
  cmdline?: string;
  microcode?: string | null;
  thp?: string | null;
  /** how the run measured (processes, pin, settle, pair): results folders of runs that record it */
  measurement?: string;
}

export interface HistoryRun {
  runId: string;
  startedAt: string;
  suite: string;
  /** the suite's file (results folders; InfluxDB histories do not keep it) */
  suiteFile?: string;
  rows: HistoryRow[];
  /** host -> fingerprint facts (results folders; InfluxDB histories know the kernel only) */
  hosts?: Record<string, HostState>;
}

export interface SeriesPoint {
  runId: string;
  startedAt: string;
  value: number;
  kernel?: string;
}

export interface Series extends SeriesId {
  /** host/path/op/granule/threads */
  key: string;
  metric: Metric;
  points: SeriesPoint[];
}

export function historyRunFromSummary(s: RunSummary): HistoryRun {
  const kernels = new Map(s.hosts.map((h) => [h.name, h.fingerprint?.kernel?.release]));
  const hosts: Record<string, HostState> = {};
  for (const h of s.hosts) {
    const f = h.fingerprint;
    if (f)
      hosts[h.name] = {
        kernel: f.kernel?.release,
        cmdline: f.kernel?.cmdline,
        microcode: f.cpu?.microcode ?? null,
        thp: f.thp ? `${f.thp.enabled} shmem ${f.thp.shmemEnabled}` : null,
        ...(s.measurement && { measurement: measurementLabel(s.measurement) }),
      };
  }
  return {
    runId: s.runId,
    startedAt: s.startedAt,
    suite: s.suite?.name ?? '',
    ...(s.suite?.file && { suiteFile: s.suite.file }),
    hosts,
    rows: s.results
      .filter((r: ResultRow) => r.status === 'ok')
      .map((r) => ({
        host: r.host,
        path: r.path,
        op: r.op,
        granule: r.granule,
        threads: r.threads,
        p50: r.p50,
        p99: r.p99,
        ...(r.wall !== undefined && { wall: r.wall }),
        samples: r.samples,
        ...(r.syscallNs !== undefined && { syscallNs: r.syscallNs }),
        ...(kernels.get(r.host) && { kernel: kernels.get(r.host) }),
      })),
  };
}

export interface LoadedHistory {
  runs: HistoryRun[];
  /** runs that could not be read, with why (they are left out, not fatal) */
  skipped: string[];
}

/** Every run under a results folder (listRuns/readSummary), optionally of one suite, oldest first. */
export async function loadHistoryDir(dir: string, opts: { suite?: string } = {}): Promise<LoadedHistory> {
  const runs: HistoryRun[] = [];
  const skipped: string[] = [];
  if (
    !(await stat(dir).then(
      (st) => st.isDirectory(),
      () => false,
    ))
  )
    throw new Error(`history ${dir}: not a folder of runs`);
  for (const runDir of await listRuns(dir)) {
    try {
      const run = historyRunFromSummary(await readSummary(runDir));
      if (Number.isNaN(Date.parse(run.startedAt)))
        throw new Error(`${runDir}: startedAt is not a date: "${run.startedAt}"`);
      if (opts.suite === undefined || run.suite === opts.suite) runs.push(run);
    } catch (err) {
      skipped.push((err as Error).message);
    }
  }
  return { runs: sortRuns(runs), skipped };
}

export function sortRuns(runs: HistoryRun[]): HistoryRun[] {
  return [...runs].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || a.runId.localeCompare(b.runId));
}

/** What names a series of this row and metric (Series and ThinSeries both start so). */
function named(row: HistoryRow, key: string, metric: Metric) {
  return { key, host: row.host, path: row.path, op: row.op, granule: row.granule, threads: row.threads, metric };
}

/** Split a history into series; a run without an ok value for a series is simply not a point of it. */
export function extractSeries(
  runs: HistoryRun[],
  metrics: readonly Metric[] = METRICS,
  /** leave out a run's point where its row has fewer than this many samples beyond the metric (hasTail); 0: none */
  tailSamples = 0,
  /** filled with the series (and their runs) left out so */
  thin?: ThinSeries[],
): Series[] {
  const bySeries = new Map<string, Series>();
  const thinById = new Map<string, ThinSeries>();
  for (const run of sortRuns(runs)) {
    for (const row of run.rows) {
      for (const metric of metrics) {
        const value = row[metric];
        if (typeof value !== 'number' || !Number.isFinite(value)) continue;
        const key = seriesKey(row);
        const id = `${key}#${metric}`;
        if (!hasTail(row, metric, tailSamples)) {
          const t = thinById.get(id) ?? {
            ...named(row, key, metric),
            samples: 0,
            needed: samplesNeeded(metric, tailSamples),
            runs: 0,
          };
          t.samples = Math.max(t.samples, row.samples ?? 0);
          t.runs++;
          thinById.set(id, t);
          continue;
        }
        let s = bySeries.get(id);
        if (!s) {
          s = { ...named(row, key, metric), points: [] };
          bySeries.set(id, s);
        }
        s.points.push({ runId: run.runId, startedAt: run.startedAt, value, ...(row.kernel && { kernel: row.kernel }) });
      }
    }
  }
  const byKey = (a: { key: string; metric: Metric }, b: { key: string; metric: Metric }) =>
    a.key.localeCompare(b.key) || a.metric.localeCompare(b.metric);
  thin?.push(...[...thinById.values()].sort(byKey));
  return [...bySeries.values()].sort(byKey);
}
