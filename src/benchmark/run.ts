/**
 * Run a suite on every host of an inventory: build the probe once, measure the hosts in parallel
 * (up to `concurrency` at a time), keep results/<runId>/summary.json current as rows arrive.
 */
import { join, resolve } from 'node:path';
import type { HostConfig, Inventory } from '../config/hosts.js';
import type { Suite } from '../config/suite.js';
import { buildProbe, type ProbeBinary } from '../probe/build.js';
import type { HostEntry, RunSummary } from '../results/schema.js';
import { SCHEMA_VERSION } from '../results/schema.js';
import { newRunId, ResultsWriteError, SUMMARY_FILE } from '../results/store.js';
import { RunWriter } from '../results/writer.js';
import { openTransport } from '../transport/index.js';
import { jobProgressLine, runWithProgress, type ProgressMode } from '../output/progress.js';
import { HARNESS_VERSION } from '../util/paths.js';
import { runHost, stopReason } from './runner.js';
import { classify } from './failure.js';
import { hostFailureText } from '../output/host-failure.js';
import { acquireHostLock, brokeWarning, lockPathOf, describeOwner, type HostLock } from './host-lock.js';

export interface RunOptions {
  suite: Suite;
  inventory: Inventory;
  resultsDir: string;
  runId?: string;
  raw?: boolean;
  maxMemShare?: number;
  concurrency?: number;
  progress?: ProgressMode;
  signal?: AbortSignal;
  jobTimeoutMs?: number;
  probe?: ProbeBinary;
  /** ssh: add unknown host keys to known_hosts (OpenSSH accept-new); changed keys stay refused */
  acceptNewHostKeys?: boolean;
  /** take every host's lock even when another controller holds it (not a live one: see forceBreakLock) */
  breakLock?: boolean;
  /** with breakLock: break a lock even when its controller is seen alive */
  forceBreakLock?: boolean;
  /** up to this many separate probe processes share each job's repetitions, interleaved with the
   * other jobs (default 1 here; the `run` command's default is DEFAULT_PROCESSES) */
  processes?: number;
  /** thread placement: "none" (the scheduler's, the default), "auto" (CPUs the probe chooses), or a CPU list */
  pin?: string;
  /** drop caches and compact memory before every probe process (root only; warns otherwise) */
  settle?: boolean;
  /** time each job of the first path in the same probe processes as its job of the second, passes interleaved */
  pair?: readonly [string, string];
}

/** the measuring commands' defaults, chosen by measurement (README, "Noise"; bench/noise.ts) */
export const DEFAULT_PROCESSES = 3;
export const DEFAULT_PIN = 'auto';

export interface RunOutcome {
  summary: RunSummary;
  runDir: string;
}

/**
 * A result file could not be written (full disk, read-only folder): the run stopped measuring.
 * Carries the summary as measured (in memory) and how much of it summary.json holds.
 */
export class RunWriteError extends Error {
  constructor(
    readonly writeError: ResultsWriteError,
    readonly summary: RunSummary,
    readonly runDir: string,
    readonly rowsOnDisk: number,
    wroteAny: boolean,
  ) {
    const rows = summary.results.length;
    const kept = !wroteAny
      ? 'nothing was measured or written'
      : `${rowsOnDisk} of the ${rows} row(s) measured are safely on disk in ${join(runDir, SUMMARY_FILE)} (its last complete write)${rowsOnDisk < rows ? `, ${rows - rowsOnDisk} not` : ''}`;
    super(`${writeError.message}; the run stopped: ${kept}`);
    this.name = 'RunWriteError';
  }
}

export async function runSuite(opts: RunOptions): Promise<RunOutcome> {
  const probe = opts.probe ?? (await buildProbe());
  const startedAt = new Date();
  const runId = opts.runId ?? newRunId(opts.suite.name, startedAt);
  const runDir = resolve(opts.resultsDir, runId);
  const summary: RunSummary = {
    schemaVersion: SCHEMA_VERSION,
    runId,
    suite: { name: opts.suite.name, file: opts.suite.file },
    startedAt: startedAt.toISOString(),
    finishedAt: null,
    harness: { version: HARNESS_VERSION, probeSha256: probe.sha256, node: process.version },
    hosts: [],
    results: [],
    measurement: {
      processes: opts.processes ?? 1,
      pin: opts.pin ?? 'none',
      settle: !!opts.settle,
      ...(opts.pair && { pair: [opts.pair[0], opts.pair[1]] }),
    },
  };
  const writer = new RunWriter(runDir, summary);
  // the run stops on the caller's signal (Ctrl-C) and on a result file it cannot write
  const stop = new AbortController();
  const signal = stop.signal;
  const onCallerAbort = () => stop.abort(opts.signal?.reason);
  if (opts.signal?.aborted) onCallerAbort();
  else opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
  writer.onFailure = (err) => stop.abort(err);
  // every host is listed at once as not finished: a controller killed outright leaves a summary
  // that says which hosts it did not finish
  for (const host of opts.inventory.hosts) {
    summary.hosts.push({
      name: host.name,
      status: 'failed',
      subStatus: 'interrupted',
      labels: host.labels ?? {},
      fingerprint: null,
      error: 'did not finish: the controller stopped before this host was measured',
    });
  }
  try {
    await writer.flush();
  } catch (err) {
    opts.signal?.removeEventListener('abort', onCallerAbort);
    throw err instanceof ResultsWriteError ? new RunWriteError(err, summary, runDir, 0, false) : err;
  }

  const measure = async (host: HostConfig, report: (m: string) => void): Promise<HostEntry> => {
    let transport;
    let lock: HostLock | undefined;
    let jobsStarted: number | undefined;
    const failed = async (err: unknown): Promise<HostEntry> => {
      const f = signal.aborted ? null : classify(host.name, err);
      const entry: HostEntry = {
        name: host.name,
        status: 'failed',
        subStatus: f?.subStatus ?? 'interrupted',
        error: f?.message ?? `${stopReason(signal)}: stopped before this host was measured`,
        labels: host.labels ?? {},
        fingerprint: null,
      };
      await writer.setHost(entry).catch(() => undefined);
      return entry;
    };
    if (signal.aborted) return failed(null);
    try {
      report('connecting');
      transport = await openTransport(host, {
        signal,
        acceptNewHostKeys: opts.acceptNewHostKeys,
        hosts: opts.inventory.hosts,
      });
    } catch (err) {
      return failed(err);
    }
    const warnings: string[] = [];
    try {
      report('taking the host lock');
      lock = await acquireHostLock(transport, lockPathOf(host), {
        runId,
        breakLock: opts.breakLock,
        force: opts.forceBreakLock,
      });
      if (lock.broke) {
        warnings.push(brokeWarning(host.name, lock.broke));
        report(`broke the lock of ${describeOwner(lock.broke.owner)} (--break-lock)`);
      } else if (lock.tookOver !== undefined) report(`took over a stale lock held by ${describeOwner(lock.tookOver)}`);
    } catch (err) {
      await transport.close().catch(() => undefined);
      return failed(err);
    }
    try {
      return await runHost({
        host,
        transport,
        probe,
        suite: opts.suite,
        writer,
        raw: opts.raw,
        maxMemShare: opts.maxMemShare,
        signal,
        jobTimeoutMs: opts.jobTimeoutMs,
        processes: opts.processes ?? 1,
        settle: opts.settle,
        pair: opts.pair,
        cpus: opts.pin,
        warnings,
        onProgress: (m, done, total) => {
          if (total > 0 && jobsStarted === undefined) jobsStarted = Date.now();
          report(jobProgressLine(m, done, total, Date.now() - (jobsStarted ?? Date.now())));
        },
      });
    } finally {
      await lock.release().catch(() => undefined);
      await transport.close().catch(() => undefined);
    }
  };

  await runWithProgress(
    opts.inventory.hosts.map((host) => ({
      title: host.name,
      run: (report) => measure(host, report),
      describe: (e: HostEntry) => ({
        ok: e.status === 'ok',
        line:
          e.status === 'ok' ? `${summary.results.filter((r) => r.host === e.name).length} results` : hostFailureText(e),
      }),
    })),
    { concurrency: opts.concurrency ?? 8, mode: opts.progress },
  );
  opts.signal?.removeEventListener('abort', onCallerAbort);
  // after a failed write, one more try: what is on disk then says which hosts were cut short
  await writer.finish().catch(() => undefined);
  if (writer.failure) throw new RunWriteError(writer.failure, summary, runDir, writer.rowsOnDisk, true);
  return { summary, runDir };
}

export function summaryPath(runDir: string): string {
  return join(runDir, 'summary.json');
}
