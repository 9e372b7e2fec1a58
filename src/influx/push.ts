/**
 * Push run directories to InfluxDB (the schema is schema.ts): read summary.json, turn its rows into
 * points, make sure the database exists, write the points in batches, retry a failed batch with
 * exponential backoff, and report per run directory what was and was not written.
 *
 * Points are keyed by measurement + tags + the run's start time, so pushing a run again overwrites
 * the same points with the same values: a retried or repeated push never duplicates anything.
 * Nothing here touches the run directory: whatever fails, the results stay on disk for a later push.
 */
import { escape, Raw, type InfluxDB, type IPoint } from 'influx';
import pLimit from 'p-limit';
import pRetry from 'p-retry';
import { readSummary } from '../results/store.js';
import { shellQuote } from '../util/shell.js';
import { connectInflux, DEFAULT_DB, redactUrl, type InfluxTarget } from './connect.js';
import { escapeStringField, escapeTag, summaryToPoints, type Point } from './schema.js';
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

/**
 * Retries with p-retry, not the influx client's pool: the pool retries only while it still has a
 * host it believes is up (with one host: never), and then refuses every request until its backoff
 * timer ends. A fresh client per attempt, after an exponential delay, is simpler to reason about.
 */
class Writer {
  private readonly o: Required<Omit<PushOptions, 'onRetry' | 'onBatch' | 'load' | 'allowEmulated'>> &
    Pick<PushOptions, 'onRetry'>;
  private client: InfluxDB;
  private ready: Promise<void> | null = null;

  constructor(
    private readonly target: InfluxTarget,
    opts: PushOptions,
  ) {
    this.o = { ...DEFAULT_PUSH_OPTIONS, ...opts };
    this.client = this.connect();
  }

  private connect(): InfluxDB {
    return connectInflux(this.target, { timeoutMs: this.o.timeoutMs, maxRetries: 0 });
  }

  /** `runs`: the run ids the request is for (for onRetry) */
  withRetries<T>(runs: string, what: string, fn: (c: InfluxDB) => Promise<T>): Promise<T> {
    const { retries, initialDelayMs, maxDelayMs } = this.o;
    return pRetry(
      (attempt) => {
        if (attempt > 1) this.client = this.connect();
        return fn(this.client);
      },
      {
        retries,
        minTimeout: initialDelayMs,
        maxTimeout: maxDelayMs,
        factor: 2,
        randomize: false,
        // called only when a retry is left: the one place that knows a retry will be sent
        shouldRetry: ({ error, retriesConsumed }) => {
          if (!retryable(error)) return false;
          const delayMs = Math.min(initialDelayMs * 2 ** retriesConsumed, maxDelayMs); // p-retry's own delay
          this.o.onRetry?.({ runs, what, attempt: retriesConsumed + 1, delayMs, error: error.message });
          return true;
        },
      },
    );
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
        await c.createRetentionPolicy(RETENTION_POLICY, {
          database: this.target.db,
          duration: RETENTION_DURATION,
          replication: 1,
          isDefault: true,
        });
      }
    }).catch((err) => {
      // InfluxDB 2 and 3 answer their 1.x API's CREATE/SHOW with 4xx: there a bucket mapped to the
      // database by the administrator takes its place, and the write itself says if it is missing
      if (retryable(err)) throw err;
    });
    return this.ready;
  }

  async write(runs: string, batch: IPoint[]): Promise<void> {
    await this.withRetries(runs, `write ${batch.length} points`, (c) =>
      c.writePoints(batch, { precision: 'n', database: this.target.db }),
    );
  }
}

/** Network errors, timeouts and 5xx are worth another try; 4xx (bad credentials, bad points) are not. */
export function retryable(err: unknown): boolean {
  // the influx client's RequestError (not exported by the package) carries the HTTP response
  const status = (err as { res?: { statusCode?: unknown } })?.res?.statusCode;
  return typeof status === 'number' ? status >= 500 : true;
}

/**
 * A value already escaped by schema.ts, which the influx client writes as it is: its own escaping
 * leaves backslashes alone (a tag ending in one swallows the separator after it), rewrites "\'"
 * in every string and lets a newline through, which starts a new line of line protocol. Tags and
 * string fields are escaped by schema.ts (escapeTag, escapeStringField) and handed over as Raw:
 * the client returns a Raw tag's value unescaped, and writes a field that is not a string with
 * String(), so toString gives the escaped, quoted text.
 */
class Escaped extends Raw {
  override toString(): string {
    return this.getValue();
  }
}

/** A point as the influx client writes it; throws LineProtocolError when a tag or field cannot be written. */
export function toIPoint(p: Point): IPoint {
  const tags: Record<string, Escaped> = {};
  for (const [k, v] of Object.entries(p.tags)) tags[k] = new Escaped(escapeTag(v, `tag ${k}`));
  const fields: Record<string, number | Escaped> = {};
  for (const [k, v] of Object.entries(p.fields))
    fields[k] = typeof v === 'string' ? new Escaped(escapeStringField(v, `field ${k}`)) : v;
  // IPoint types tag values as strings; the client checks for Raw at run time (see Escaped)
  return {
    measurement: p.measurement,
    tags: tags as unknown as Record<string, string>,
    fields,
    timestamp: p.timestampNs.toString(),
  };
}

export interface LoadedRun {
  runId: string | null;
  points: IPoint[];
  /** points the run has that were not turned into IPoints (see error) */
  refused?: number;
  error?: Error;
  leftOutEmulated?: string;
}

export async function loadRun(runDir: string, opts: { allowEmulated?: boolean } = {}): Promise<LoadedRun> {
  let summary;
  let left = new Map<string, number>();
  try {
    const read = await readSummary(runDir);
    ({ summary, left } = opts.allowEmulated ? { summary: read, left } : withoutEmulated(read));
  } catch (err) {
    return { runId: null, points: [], error: err as Error };
  }
  const points = summaryToPoints(summary);
  try {
    return {
      runId: summary.runId,
      points: points.map(toIPoint),
      ...(left.size > 0 && { leftOutEmulated: describeLeft(left) }),
    };
  } catch (err) {
    // a run is written whole or not at all: never a part of its rows, nor a mangled tag
    return { runId: summary.runId, points: [], refused: points.length, error: err as Error };
  }
}

/** "partial write: ... dropped=N": InfluxDB kept the other points of the request. */
function droppedPoints(err: unknown): number | null {
  const m = /\bdropped=(\d+)/.exec((err as Error)?.message ?? '');
  return m ? Number(m[1]) : null;
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

  /** Write one request; false (and the runs' causes set) when it failed. */
  const attempt = async (points: IPoint[], shares: Share[]): Promise<boolean> => {
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
      return true;
    } catch (err) {
      // one run's share, refused in part ("partial write ... dropped=N"): InfluxDB kept the rest
      const dropped = shares.length === 1 ? droppedPoints(err) : null;
      if (dropped !== null && dropped < shares[0].count) {
        shares[0].report.written += shares[0].count - dropped;
        written += shares[0].count - dropped;
      }
      if (shares.length === 1 || down) for (const x of shares) fail(x.report, err as Error);
      return false;
    }
  };

  const send = async (points: IPoint[], shares: Share[]): Promise<void> => {
    if (!(await attempt(points, shares)) && shares.length > 1 && !down) {
      // InfluxDB refused a request holding several runs, and may have kept part of it: each run's
      // points are sent again on their own (the same points: nothing is duplicated), so each report
      // says what became of that run alone, never another run's failure
      let at = 0;
      for (const x of shares) {
        await attempt(points.slice(at, at + x.count), [x]);
        at += x.count;
      }
    }
    try {
      await opts.onBatch?.({ written, batch: ++batches });
    } catch (err) {
      callbackError ??= err; // the caller's bug, not a failed write: thrown at the end
    }
  };

  const concurrency = Math.max(1, opts.concurrency ?? DEFAULT_PUSH_OPTIONS.concurrency);
  const limit = pLimit(concurrency);
  /** every batch's send, in order (send() never rejects) */
  const sent: Promise<void>[] = [];
  let points: IPoint[] = [];
  let shares: Share[] = [];
  const dispatch = async () => {
    // memory: wait for a free slot before filling another batch, so at most concurrency + 1 batches exist
    if (sent.length >= concurrency) await sent[sent.length - concurrency];
    sent.push(limit(send, points, shares));
    points = [];
    shares = [];
  };

  const load = opts.load ?? ((d: string) => loadRun(d, { allowEmulated: opts.allowEmulated }));
  let next = runDirs.length > 0 ? load(runDirs[0]) : null;
  for (let i = 0; i < runDirs.length; i++) {
    const run = await next!;
    next = i + 1 < runDirs.length ? load(runDirs[i + 1]) : null;
    const report: PushReport = {
      runDir: runDirs[i],
      runId: run.runId,
      points: run.points.length + (run.refused ?? 0),
      written: 0,
      ...(run.leftOutEmulated && { leftOutEmulated: run.leftOutEmulated }),
    };
    reports.push(report);
    if (run.error) {
      fail(report, run.error);
      continue;
    }
    for (let j = 0; j < run.points.length;) {
      const take = Math.min(size - points.length, run.points.length - j);
      for (let k = 0; k < take; k++) points.push(run.points[j + k]);
      shares.push({ report, count: take });
      j += take;
      if (points.length >= size) await dispatch();
    }
  }
  if (points.length > 0) await dispatch();
  await Promise.all(sent);
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
  const left = r.leftOutEmulated
    ? `; not pushed, measured under TCG emulation: ${r.leftOutEmulated} (--allow-emulated pushes them)`
    : '';
  return `pushed ${name}: ${r.written} points${left}`;
}

/**
 * How to push runs later, for a failed push: the command line, with the URL's credentials left out
 * (never printed) and a line saying to add them back when the URL had any.
 */
export function pushLaterCommand(runDirs: string[], target: InfluxTarget): string {
  const argv = [
    'gmembench',
    'push',
    ...runDirs,
    '--influx',
    redactUrl(target.url),
    ...(target.db !== DEFAULT_DB ? ['--db', target.db] : []),
  ];
  let credentials = false;
  try {
    const u = new URL(target.url);
    credentials = u.username !== '' || u.password !== '';
  } catch {
    /* not a URL: nothing to add */
  }
  return `${shellQuote(argv)}${credentials ? '\n  (add the user name and password to the --influx URL: it had them, they are not printed)' : ''}`;
}
