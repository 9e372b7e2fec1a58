/** gmembench push <run-dir|results-dir>... --influx URL [--db NAME]: write stored runs to InfluxDB */
import type { Command } from 'commander';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_DB, redactUrl } from '../../influx/connect.js';
import { DEFAULT_PUSH_OPTIONS, formatPushReport, pushRuns } from '../../influx/push.js';
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

export function registerPush(program: Command): void {
  program
    .command('push')
    .description('write stored runs (results/<run>/summary.json) to InfluxDB; pushing a run again writes the same points')
    .argument('<dirs...>', 'run directories, or results folders (every run in them)')
    .requiredOption('--influx <url>', 'InfluxDB URL (1.x HTTP API; InfluxDB 2/3 accept it too), e.g. http://user:pass@host:8086')
    .option('--db <name>', 'database (created with a retention policy when missing)', DEFAULT_DB)
    .option('--retries <n>', 'retries of a failed request, with exponential backoff', (v) => parseInt(v, 10), DEFAULT_PUSH_OPTIONS.retries)
    .option('--timeout <s>', 'seconds per request', (v) => parseFloat(v), DEFAULT_PUSH_OPTIONS.timeoutMs / 1000)
    .action(async (dirs: string[], o) => {
      const target = { url: o.influx as string, db: o.db as string };
      const reports = await pushRuns(await expand(dirs), target, {
        retries: o.retries, timeoutMs: o.timeout * 1000,
        onRetry: (r) => process.stderr.write(`gmembench push: ${r.what} for ${r.runs} failed (${r.error}); retry ${r.attempt} in ${(r.delayMs / 1000).toFixed(1)} s\n`),
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
