/**
 * Push run directories to InfluxDB (the schema is schema.ts): read summary.json, turn its rows into
 * points, make sure the database exists, write the points in batches, retry a failed batch with
 * exponential backoff, and report per run directory what was and was not written.
 *
 * Points are keyed by measurement + tags + the run's start time, so pushing a run again overwrites
 * the same points with the same values: a retried or repeated push never duplicates anything.
 * Nothing here touches the run directory: whatever fails, the results stay on disk for a later push.
 */
import { escape, type InfluxDB, type IPoint } from 'influx';
import { readSummary } from '../results/store.js';
import { connectInflux, redactUrl, type InfluxTarget } from './connect.js';
import { summaryToPoints, type Point } from './schema.js';
import { describeLeft, withoutEmulated } from '../lab/emulation.js';

/** the retention policy created with a new database: benchmark history is small and kept forever */
export const RETENTION_POLICY = 'gmembench';
export const RETENTION_DURATION = 'INF';

/** A write request that failed and will be sent again. */
export interface RetryInfo {
  /** the run ids the request is for */
  runs: string;
  what: string;
  attempt: number;
  delayMs: number;
  error: string;
}

/** "<what> [for <runs>] failed (<error>); retry N in S s": the one wording of a retry, for every caller's log */
export function formatRetry(r: RetryInfo, opts: { runs?: boolean } = {}): string {
  return `${r.what}${opts.runs ? ` for ${r.runs}` : ''} failed (${r.error}); retry ${r.attempt} in ${(r.delayMs / 1000).toFixed(1)} s`;
}

export interface PushOptions {
  /** points per write request (InfluxDB 1.x suggests 5000-10000) */
  batchSize?: number;
  /** write requests in flight at once (the next batch is serialised while the previous one is written) */
  concurrency?: number;
  /** attempts after the first failure of a request */
  retries?: number;
  /** delay before the first retry; doubled each time up to maxDelayMs */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** per request */
  timeoutMs?: number;
  /** told about every retry (for the CLI's stderr) */
  onRetry?: (info: RetryInfo) => void;
  /** called after each batch is written, with the points written so far by this push (progress; tests use it to stop the server mid-push) */
  onBatch?: (info: { written: number; batch: number }) => void | Promise<void>;
  /** how a run directory becomes points (default loadRun: read summary.json); bench/influx.ts swaps it to time the write path alone */
  load?: (runDir: string) => Promise<LoadedRun>;
  /** also push the rows of hosts measured under TCG emulation (left out by default: their timings mean nothing) */
  allowEmulated?: boolean;
}

export const DEFAULT_PUSH_OPTIONS = {
  batchSize: 5000,
  concurrency: 2,
  retries: 5,
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  timeoutMs: 10_000,
} as const;

/** What became of one run directory. */
export interface PushReport {
  runDir: string;
  /** null when summary.json could not be read */
  runId: string | null;
  /** points the run has (one per ok row) */
  points: number;
  /** points InfluxDB acknowledged */
  written: number;
  /** set when not every point was written */
  error?: string;
  /** rows not pushed because an emulated CPU measured them ("host (n rows)") */
  leftOutEmulated?: string;
}

export class PushError extends Error {
  constructor(readonly report: PushReport) {
    super(report.error);
    this.name = 'PushError';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Hand-written retry loop: the influx client's own pool retries only while it still has a host it
 * believes is up (with one host: never), and then refuses every request until its backoff timer
 * ends. A fresh client per attempt, after our own exponential delay, is simpler to reason about.
 */
class Writer {
  private readonly o: Required<Omit<PushOptions, 'onRetry' | 'onBatch' | 'load' | 'allowEmulated'>> & Pick<PushOptions, 'onRetry'>;
  private client: InfluxDB;
  private ready: Promise<void> | null = null;

  constructor(private readonly target: InfluxTarget, opts: PushOptions) {
    this.o = { ...DEFAULT_PUSH_OPTIONS, ...opts };
    this.client = this.connect();
  }

  private connect(): InfluxDB {
    return connectInflux(this.target, { timeoutMs: this.o.timeoutMs, maxRetries: 0 });
  }

  /** `runs`: the run ids the request is for (for onRetry) */
  async withRetries<T>(runs: string, what: string, fn: (c: InfluxDB) => Promise<T>): Promise<T> {
    let delay = this.o.initialDelayMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(this.client);
      } catch (err) {
        if (attempt >= this.o.retries || !retryable(err)) throw err;
        this.o.onRetry?.({ runs, what, attempt: attempt + 1, delayMs: delay, error: (err as Error).message });
        await sleep(delay);
        delay = Math.min(delay * 2, this.o.maxDelayMs);
        this.client = this.connect();
      }
    }
  }

  /** Create the database (with RETENTION_POLICY as its default) when it is missing; once per push. */
  ensureDatabase(runs: string): Promise<void> {
    // concurrent batches share one check
    this.ready ??= this.withRetries(runs, `create database ${this.target.db}`, async (c) => {
      const dbs = await c.getDatabaseNames();
      if (!dbs.includes(this.target.db)) {
        // CREATE DATABASE ... WITH: one statement, so a new database never has autogen as its default
        await c.queryRaw(
          `CREATE DATABASE ${escape.quoted(this.target.db)} WITH DURATION ${RETENTION_DURATION} REPLICATION 1 NAME ${escape.quoted(RETENTION_POLICY)}`,
          { method: 'POST' },
        );
        return;
      }
      // an existing database keeps its administrator's retention policies; one without any gets ours
      const rps = await c.showRetentionPolicies(this.target.db);
      if (rps.length === 0) {
        await c.createRetentionPolicy(RETENTION_POLICY, { database: this.target.db, duration: RETENTION_DURATION, replication: 1, isDefault: true });
      }
    }).catch((err) => {
      // InfluxDB 2 and 3 answer their 1.x API's CREATE/SHOW with 4xx: there a bucket mapped to the
      // database by the administrator takes its place, and the write itself says if it is missing
      if (retryable(err)) throw err;
    });
    return this.ready;
  }

  async write(runs: string, batch: IPoint[]): Promise<void> {
    await this.withRetries(runs, `write ${batch.length} points`, (c) => c.writePoints(batch, { precision: 'n', database: this.target.db }));
  }
}

/** Network errors, timeouts and 5xx are worth another try; 4xx (bad credentials, bad points) are not. */
export function retryable(err: unknown): boolean {
  // the influx client's RequestError (not exported by the package) carries the HTTP response
  const status = (err as { res?: { statusCode?: unknown } })?.res?.statusCode;
  return typeof status === 'number' ? status >= 500 : true;
}

export function toIPoint(p: Point): IPoint {
  return { measurement: p.measurement, tags: p.tags, fields: p.fields, timestamp: p.timestampNs.toString() };
}

export interface LoadedRun {
  runId: string | null;
  points: IPoint[];
  error?: Error;
  leftOutEmulated?: string;
}

export async function loadRun(runDir: string, opts: { allowEmulated?: boolean } = {}): Promise<LoadedRun> {
  try {
    const read = await readSummary(runDir);
    const { summary, left } = opts.allowEmulated ? { summary: read, left: new Map<string, number>() } : withoutEmulated(read);
    return { runId: summary.runId, points: summaryToPoints(summary).map(toIPoint), ...(left.size > 0 && { leftOutEmulated: describeLeft(left) }) };
  } catch (err) {
    return { runId: null, points: [], error: err as Error };
  }
}

/** A run's share of a batch: how many of the batch's points are its own. */
interface Share {
  report: PushReport;
  count: number;
}

/**
 * Push several run directories; never throws for a run that fails (its report says why) and goes on
 * with the next, so one bad directory does not hold back the others.
 *
 * Throughput: points of consecutive runs share batches of up to batchSize points (InfluxDB's cost is
 * mostly per request), the next run is read while the current one is being batched, and up to
 * `concurrency` batches are in flight while the next one is filled and serialised, so reading
 * summary.json, serialising and InfluxDB's work overlap. Memory: two runs and concurrency + 1 batches.
 */
export async function pushRuns(runDirs: string[], target: InfluxTarget, opts: PushOptions = {}): Promise<PushReport[]> {
  const writer = new Writer(target, opts);
  const size = opts.batchSize ?? DEFAULT_PUSH_OPTIONS.batchSize;
  const reports: PushReport[] = [];
  let written = 0;
  let batches = 0;
  /** set once InfluxDB stayed unreachable through every retry: later batches are not attempted */
  let down: Error | null = null;

  /** each failed run's first cause; its message is written at the end, with the final counts */
  const causes = new Map<PushReport, Error>();
  const fail = (r: PushReport, err: Error) => {
    if (!causes.has(r)) causes.set(r, err);
  };
  let callbackError: unknown = null;

  const send = async (points: IPoint[], shares: Share[]): Promise<void> => {
    const runs = shares.map((x) => x.report.runId).join(', ');
    try {
      if (down) throw new Error(`not attempted, InfluxDB was unreachable: ${down.message}`);
      try {
        await writer.ensureDatabase(runs);
        await writer.write(runs, points);
      } catch (err) {
        if (retryable(err)) down = err as Error;
        throw err;
      }
      for (const x of shares) x.report.written += x.count;
      written += points.length;
    } catch (err) {
      for (const x of shares) fail(x.report, err as Error);
      return;
    }
    try {
      await opts.onBatch?.({ written, batch: ++batches });
    } catch (err) {
      callbackError ??= err; // the caller's bug, not a failed write: thrown at the end
    }
  };

  const concurrency = Math.max(1, opts.concurrency ?? DEFAULT_PUSH_OPTIONS.concurrency);
  const inflight = new Set<Promise<void>>();
  let points: IPoint[] = [];
  let shares: Share[] = [];
  const dispatch = async () => {
    while (inflight.size >= concurrency) await Promise.race(inflight); // send() never rejects
    const [p, s] = [points, shares];
    points = [];
    shares = [];
    const pr: Promise<void> = send(p, s).finally(() => inflight.delete(pr));
    inflight.add(pr);
  };

  const load = opts.load ?? ((d: string) => loadRun(d, { allowEmulated: opts.allowEmulated }));
  let next = runDirs.length > 0 ? load(runDirs[0]) : null;
  for (let i = 0; i < runDirs.length; i++) {
    const run = await next!;
    next = i + 1 < runDirs.length ? load(runDirs[i + 1]) : null;
    const report: PushReport = { runDir: runDirs[i], runId: run.runId, points: run.points.length, written: 0, ...(run.leftOutEmulated && { leftOutEmulated: run.leftOutEmulated }) };
    reports.push(report);
    if (run.error) {
      fail(report, run.error);
      continue;
    }
    for (let j = 0; j < run.points.length; ) {
      const take = Math.min(size - points.length, run.points.length - j);
      for (let k = 0; k < take; k++) points.push(run.points[j + k]);
      shares.push({ report, count: take });
      j += take;
      if (points.length >= size) await dispatch();
    }
  }
  if (points.length > 0) await dispatch();
  await Promise.all(inflight);
  if (callbackError) throw callbackError;
  for (const [r, err] of causes) {
    const what = r.runId === null ? 'summary.json not read' : `${r.written}/${r.points} points written`;
    r.error = `push of ${r.runDir} to ${redactUrl(target.url)} (db ${target.db}) failed (${what}): ${err.message}`;
  }
  return reports;
}

/** Push one run directory; throws PushError (with the report) unless every point was written. */
export async function pushRun(runDir: string, target: InfluxTarget, opts: PushOptions = {}): Promise<PushReport> {
  const [report] = await pushRuns([runDir], target, opts);
  if (report.error) throw new PushError(report);
  return report;
}

/** One line per run directory, for the CLI and logs. */
export function formatPushReport(r: PushReport): string {
  const name = r.runId ?? r.runDir;
  if (r.error) return `NOT PUSHED ${name}: ${r.error}`;
  const left = r.leftOutEmulated ? `; not pushed, measured under TCG emulation: ${r.leftOutEmulated} (--allow-emulated pushes them)` : '';
  return `pushed ${name}: ${r.written} points${left}`;
}
