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
import { newRunId } from '../results/store.js';
import { RunWriter } from '../results/writer.js';
import { openTransport } from '../transport/index.js';
import { jobProgressLine, runWithProgress, type ProgressMode } from '../output/progress.js';
import { HARNESS_VERSION } from '../util/paths.js';
import { runHost } from './runner.js';
import { classify } from './failure.js';
import { hostFailureText } from '../output/host-failure.js';
import { acquireHostLock, lockPathOf, describeOwner, type HostLock } from './host-lock.js';

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
  /** take every host's lock even when another controller holds it */
  breakLock?: boolean;
  /** up to this many separate probe processes share each job's repetitions, interleaved with the
   * other jobs (default 1 here; the `run` command's default is DEFAULT_PROCESSES) */
  processes?: number;
  /** thread placement: "none" (the scheduler's, the default), "auto" (CPUs the probe chooses), or a CPU list */
  pin?: string;
  /** drop caches and compact memory before every probe process (root only; warns otherwise) */
  settle?: boolean;
}

/** `run`'s default, chosen by measurement (README, "Noise"; bench/noise.ts). */
export const DEFAULT_PROCESSES = 3;

export interface RunOutcome {
  summary: RunSummary;
  runDir: string;
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
    measurement: { processes: opts.processes ?? 1, pin: opts.pin ?? 'none', settle: !!opts.settle },
  };
  const writer = new RunWriter(runDir, summary);
  await writer.flush();

  const measure = async (host: HostConfig, report: (m: string) => void): Promise<HostEntry> => {
    let transport;
    let lock: HostLock | undefined;
    let jobsStarted: number | undefined;
    const failed = async (err: unknown): Promise<HostEntry> => {
      const f = classify(host.name, err);
      const entry: HostEntry = { name: host.name, status: 'failed', subStatus: f.subStatus, error: f.message, labels: host.labels ?? {}, fingerprint: null };
      await writer.setHost(entry);
      return entry;
    };
    try {
      report('connecting');
      transport = await openTransport(host, { signal: opts.signal, acceptNewHostKeys: opts.acceptNewHostKeys, hosts: opts.inventory.hosts });
    } catch (err) {
      return failed(err);
    }
    try {
      report('taking the host lock');
      lock = await acquireHostLock(transport, lockPathOf(host), { runId, breakLock: opts.breakLock });
      if (lock.tookOver !== undefined) report(`took over a stale lock held by ${describeOwner(lock.tookOver)}`);
    } catch (err) {
      await transport.close().catch(() => undefined);
      return failed(err);
    }
    try {
      return await runHost({
        host, transport, probe, suite: opts.suite, writer,
        raw: opts.raw, maxMemShare: opts.maxMemShare, signal: opts.signal, jobTimeoutMs: opts.jobTimeoutMs,
        processes: opts.processes ?? 1, settle: opts.settle,
        cpus: opts.pin,
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
        line: e.status === 'ok'
          ? `${summary.results.filter((r) => r.host === e.name).length} results`
          : hostFailureText(e),
      }),
    })),
    { concurrency: opts.concurrency ?? 8, mode: opts.progress },
  );
  await writer.finish();
  return { summary, runDir };
}

export function summaryPath(runDir: string): string {
  return join(runDir, 'summary.json');
}
