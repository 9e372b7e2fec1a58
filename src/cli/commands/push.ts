/** gmembench push <run-dir|results-dir>... --influx URL [--db NAME]: write stored runs to InfluxDB */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkInfluxUrl, DEFAULT_DB, redactUrl } from '../../influx/connect.js';
import { DEFAULT_PUSH_OPTIONS, formatPushReport, formatRetry, pushLaterCommand, pushRuns } from '../../influx/push.js';
import { listRuns, readSummary, SUMMARY_FILE } from '../../results/store.js';
import { unfinishedNote } from '../../results/unfinished.js';
import { EXIT } from '../exit.js';
import { count, seconds, UsageError } from '../options.js';

/** A run directory as given, or every run under a results folder; a path that does not exist is a usage error. */
async function expand(dirs: string[]): Promise<string[]> {
  const out: string[] = [];
  const missing: string[] = [];
  for (const d of dirs)
    if (
      !(await stat(d).then(
        () => true,
        () => false,
      ))
    )
      missing.push(d);
  if (missing.length > 0)
    throw new UsageError(`no such run directory or results folder: ${missing.join(', ')} (nothing was pushed)`);
  for (const d of dirs) {
    const isRun = await stat(join(d, SUMMARY_FILE)).then(
      (s) => s.isFile(),
      () => false,
    );
    const runs = isRun ? [] : await listRuns(d);
    out.push(...(runs.length > 0 ? runs : [d])); // a dir with neither: its report names the problem
  }
  return out;
}

/**
 * Check --influx before anything runs; throws a UsageError (exit 2) when it is not an http(s) URL.
 * Not a commander argParser: commander would echo the value, credentials included.
 */
export function influxUrlOk(url: string): true {
  try {
    checkInfluxUrl(url);
    return true;
  } catch (err) {
    throw new UsageError(`--influx: ${(err as Error).message}`);
  }
}

export function registerPush(program: Command): void {
  program
    .command('push')
    .description(
      'write stored runs (results/<run>/summary.json) to InfluxDB; pushing a run again writes the same points',
    )
    .argument('<dirs...>', 'run directories, or results folders (every run in them)')
    .requiredOption(
      '--influx <url>',
      'InfluxDB URL (1.x HTTP API; InfluxDB 2/3 accept it too), e.g. http://user:pass@host:8086',
    )
    .option('--db <name>', 'database (created with a retention policy when missing)', DEFAULT_DB)
    .option(
      '--retries <n>',
      'retries of a failed request, with exponential backoff',
      count,
      DEFAULT_PUSH_OPTIONS.retries,
    )
    .option('--timeout <s>', 'seconds per request', seconds, DEFAULT_PUSH_OPTIONS.timeoutMs / 1000)
    .option('--allow-emulated', 'also push rows measured under TCG emulation (lab hosts; left out by default)')
    .action(async (dirs: string[], o) => {
      influxUrlOk(o.influx);
      const target = { url: o.influx as string, db: o.db as string };
      const reports = await pushRuns(await expand(dirs), target, {
        retries: o.retries,
        timeoutMs: o.timeout * 1000,
        allowEmulated: !!o.allowEmulated,
        onRetry: (r) => process.stderr.write(`gmembench push: ${formatRetry(r, { runs: true })}\n`),
      });
      for (const r of reports) (r.error ? process.stderr : process.stdout).write(`${formatPushReport(r)}\n`);
      // a run that did not finish: its points are what it measured
      for (const r of reports) {
        const note = unfinishedNote(
          (await readSummary(r.runDir).catch(() => null)) ?? { runId: '', hosts: [], finishedAt: '' },
        );
        if (note) process.stderr.write(`gmembench push: note: ${note}\n`);
      }
      const failed = reports.filter((r) => r.error);
      const points = reports.reduce((a, r) => a + r.written, 0);
      process.stdout.write(
        `${reports.length - failed.length}/${reports.length} run(s) pushed, ${points} points to ${redactUrl(target.url)} db ${target.db}\n`,
      );
      if (failed.length > 0) {
        process.stderr.write(
          `not pushed (still on disk; push them again later): ${failed.map((r) => r.runDir).join(' ')}\n  ${pushLaterCommand(
            failed.map((r) => r.runDir),
            target,
          )}\n`,
        );
        process.exitCode = EXIT.error;
      }
    });
}
