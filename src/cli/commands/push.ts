/** gmembench push <run-dir|results-dir>... --influx URL [--db NAME]: write stored runs to InfluxDB */
import { InvalidArgumentError, type Command } from 'commander';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkInfluxUrl, DEFAULT_DB, redactUrl } from '../../influx/connect.js';
import { DEFAULT_PUSH_OPTIONS, formatPushReport, formatRetry, pushRuns } from '../../influx/push.js';
import { listRuns, SUMMARY_FILE } from '../../results/store.js';
import { EXIT } from '../exit.js';

/** A run directory as given, or every run under a results folder. */
async function expand(dirs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const d of dirs) {
    const isRun = await stat(join(d, SUMMARY_FILE)).then((s) => s.isFile(), () => false);
    const runs = isRun ? [] : await listRuns(d);
    out.push(...(runs.length > 0 ? runs : [d])); // a dir with neither: its report names the problem
  }
  return out;
}

function count(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number >= 0');
  return n;
}

/**
 * Check --influx before anything runs: false (message printed, exit code 2 set) when it is not an
 * http(s) URL. Not a commander argParser: commander would echo the value, credentials included.
 */
export function influxUrlOk(url: string, command: string): boolean {
  try {
    checkInfluxUrl(url);
    return true;
  } catch (err) {
    process.stderr.write(`gmembench ${command}: --influx: ${(err as Error).message}\n`);
    process.exitCode = EXIT.usage;
    return false;
  }
}

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected seconds > 0');
  return n;
}

export function registerPush(program: Command): void {
  program
    .command('push')
    .description('write stored runs (results/<run>/summary.json) to InfluxDB; pushing a run again writes the same points')
    .argument('<dirs...>', 'run directories, or results folders (every run in them)')
    .requiredOption('--influx <url>', 'InfluxDB URL (1.x HTTP API; InfluxDB 2/3 accept it too), e.g. http://user:pass@host:8086')
    .option('--db <name>', 'database (created with a retention policy when missing)', DEFAULT_DB)
    .option('--retries <n>', 'retries of a failed request, with exponential backoff', count, DEFAULT_PUSH_OPTIONS.retries)
    .option('--timeout <s>', 'seconds per request', seconds, DEFAULT_PUSH_OPTIONS.timeoutMs / 1000)
    .option('--allow-emulated', 'also push rows measured under TCG emulation (lab hosts; left out by default)')
    .action(async (dirs: string[], o) => {
      if (!influxUrlOk(o.influx, 'push')) return;
      const target = { url: o.influx as string, db: o.db as string };
      const reports = await pushRuns(await expand(dirs), target, {
        retries: o.retries, timeoutMs: o.timeout * 1000, allowEmulated: !!o.allowEmulated,
        onRetry: (r) => process.stderr.write(`gmembench push: ${formatRetry(r, { runs: true })}\n`),
      });
      for (const r of reports) (r.error ? process.stderr : process.stdout).write(`${formatPushReport(r)}\n`);
      const failed = reports.filter((r) => r.error);
      const points = reports.reduce((a, r) => a + r.written, 0);
      process.stdout.write(`${reports.length - failed.length}/${reports.length} run(s) pushed, ${points} points to ${redactUrl(target.url)} db ${target.db}\n`);
      if (failed.length > 0) {
        process.stderr.write(`not pushed (still on disk; push them again later): ${failed.map((r) => r.runDir).join(' ')}\n`);
        process.exitCode = EXIT.error;
      }
    });
}
