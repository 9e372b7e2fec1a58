/**
 * gmembench nightly: run a suite, push it, look for regressions, in one command that cron can call.
 * A lock file keeps two nightlies from overlapping; every step is logged with a timestamp to a log
 * file (and stderr); the exit code tells the outcome apart (README: nightly exit codes):
 *   4 regression (new) > 1 error (no run, push or delivery failed) > 3 some hosts failed > 0 ok;
 *   5 another nightly holds the lock; 2 bad suite or inventory.
 */
import { failedHosts as failedHostNames } from '../benchmark/outcome.js';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../config/load.js';
import { loadInventory, LOCAL_INVENTORY } from '../config/hosts.js';
import { loadSuite } from '../config/suite.js';
import { runSuite, type RunOptions, type RunOutcome } from '../benchmark/run.js';
import { formatRetry, pushRun } from '../influx/push.js';
import { redactUrl, type InfluxTarget } from '../influx/connect.js';
import { STATE_FILE } from '../results/regress-state.js';
import { acquireLock, LockHeldError } from '../util/lock.js';
import { executeRegress, type RegressActionOptions } from './regress-action.js';
import { EXIT } from './exit.js';

export const NIGHTLY_LOCK = '.nightly.lock';
export const NIGHTLY_LOG = 'nightly.log';

export interface NightlyOptions {
  suiteFile: string;
  hostsFile?: string;
  resultsDir: string;
  influx?: string;
  logFile?: string;
  lockFile?: string;
  /** regress settings (history, influx and state are filled in here) */
  regress: Omit<RegressActionOptions, 'history' | 'influx' | 'suite' | 'state'> & { state?: string };
  jobTimeoutMs?: number;
  /** how each job is measured (run's options; runSuite's defaults without them) */
  measurement?: Pick<RunOptions, 'processes' | 'pin' | 'settle'>;
  signal?: AbortSignal;
  /** the measuring step; runSuite unless a caller swaps it */
  measure?: (o: RunOptions) => Promise<RunOutcome>;
  /** where the regress report goes (default: stdout, which cron mails) */
  print?: (s: string) => void;
  /** the push step (influx/push.ts pushRun) */
  push?: (runDir: string, target: InfluxTarget) => Promise<{ points: number }>;
}

export interface NightlyOutcome {
  exit: number;
  runDir?: string;
  log: string;
}

export type Logger = (line: string) => Promise<void>;

export function fileLogger(file: string, echo: (s: string) => void = (s) => process.stderr.write(s)): Logger {
  return async (line) => {
    const text = `${new Date().toISOString()} nightly[${process.pid}]: ${line}\n`;
    echo(text);
    await appendFile(file, text);
  };
}

export async function runNightly(o: NightlyOptions): Promise<NightlyOutcome> {
  const resultsDir = resolve(o.resultsDir);
  await mkdir(resultsDir, { recursive: true });
  const logFile = resolve(o.logFile ?? join(resultsDir, NIGHTLY_LOG));
  await mkdir(dirname(logFile), { recursive: true });
  const log = fileLogger(logFile);

  let lock;
  try {
    lock = await acquireLock(resolve(o.lockFile ?? join(resultsDir, NIGHTLY_LOCK)));
  } catch (err) {
    await log(`not started: ${(err as Error).message}`);
    return { exit: err instanceof LockHeldError ? EXIT.locked : EXIT.error, log: logFile };
  }
  try {
    if (lock.tookOverStale) await log(`took over a stale lock (pid ${lock.tookOverStale.pid} is gone)`);
    return { ...(await nightlySteps(o, resultsDir, log)), log: logFile };
  } catch (err) {
    await log(`error: ${(err as Error).message}`);
    return { exit: err instanceof ConfigError ? EXIT.usage : EXIT.error, log: logFile };
  } finally {
    await lock.release();
  }
}

async function nightlySteps(
  o: NightlyOptions,
  resultsDir: string,
  log: Logger,
): Promise<{ exit: number; runDir?: string }> {
  const suite = await loadSuite(o.suiteFile);
  const inventory = o.hostsFile ? await loadInventory(o.hostsFile) : LOCAL_INVENTORY;
  await log(`run: suite ${suite.name} (${o.suiteFile}) on ${inventory.hosts.length} host(s)`);
  const { summary, runDir } = await (o.measure ?? runSuite)({
    suite,
    inventory,
    resultsDir,
    progress: 'silent',
    signal: o.signal,
    jobTimeoutMs: o.jobTimeoutMs,
    ...o.measurement,
  });
  // a host fails as such, or when every row it measured failed
  const failed = new Set(failedHostNames(summary));
  const failedHosts = summary.hosts.filter((h) => failed.has(h.name));
  for (const h of failedHosts)
    await log(
      `host ${h.name} failed (${h.subStatus ?? (h.status === 'ok' ? 'every row failed' : 'failed')}): ${h.error ?? ''}`,
    );
  const okRows = summary.results.filter((r) => r.status === 'ok').length;
  await log(
    `run ${summary.runId}: ${okRows} results, ${summary.hosts.length - failedHosts.length}/${summary.hosts.length} hosts ok -> ${runDir}`,
  );
  if (failedHosts.length === summary.hosts.length) {
    await log('error: every host failed, nothing to push or analyse');
    return { exit: EXIT.error, runDir };
  }

  let errors = 0;
  let influx = o.influx;
  if (o.influx) {
    const target = { url: o.influx, db: o.regress.db };
    try {
      const push =
        o.push ??
        ((dir: string, t: InfluxTarget) =>
          pushRun(dir, t, {
            allowEmulated: o.regress.allowEmulated,
            onRetry: (r) => void log(`push: ${formatRetry(r)}`).catch(() => undefined),
          }));
      const { points } = await push(runDir, target);
      await log(`push: ${points} points to ${redactUrl(o.influx)} db ${target.db}`);
    } catch (err) {
      errors++;
      influx = undefined; // the run is not there: analyse the local history instead
      await log(`push failed (analysing ${resultsDir} instead): ${(err as Error).message}`);
    }
  }

  const { report, exit, deliveryErrors } = await executeRegress(
    {
      ...o.regress,
      history: resultsDir,
      influx,
      suite: suite.name,
      state: o.regress.state ?? join(resultsDir, STATE_FILE),
    },
    o.print ?? ((s) => process.stdout.write(s)),
  );
  for (const e of deliveryErrors) await log(`delivery failed: ${e}`);
  errors += deliveryErrors.length;
  const fresh = report.regressions.filter((c) => !c.known);
  await log(
    `regress: ${report.runs} runs, ${report.series.length} series, ${fresh.length} new regression(s), ${report.regressions.length - fresh.length} known, ${report.improvements.length} improvement(s)`,
  );
  for (const c of fresh)
    await log(`REGRESSION ${c.series} ${c.metric} ${c.changePct.toFixed(1)}% from run ${c.firstRunId}`);

  const code =
    exit === EXIT.regression
      ? EXIT.regression
      : errors > 0
        ? EXIT.error
        : failedHosts.length > 0
          ? EXIT.hostFailed
          : EXIT.ok;
  await log(`done: exit ${code}`);
  return { exit: code, runDir };
}
