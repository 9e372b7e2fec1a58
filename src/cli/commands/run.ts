/** gmembench run <suite> [--hosts inventory] */
import { InvalidArgumentError, type Command } from 'commander';
import { loadSuite } from '../../config/suite.js';
import { loadInventory, LOCAL_INVENTORY } from '../../config/hosts.js';
import { DEFAULT_PROCESSES, runSuite } from '../../benchmark/run.js';
import { formatRunTable } from '../../output/table.js';
import { outputWidth } from '../../output/columns.js';
import { filterSuite, parseOnly } from '../../benchmark/select.js';
import { EXIT } from '../exit.js';
import { DEFAULT_DB, redactUrl } from '../../influx/connect.js';
import { formatPushReport, formatRetry, pushRun, PushError } from '../../influx/push.js';
import { influxUrlOk } from './push.js';
import { shellQuote } from '../../util/shell.js';

function parseProcesses(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('must be an integer 1..100');
  return n;
}

function parsePin(v: string): string {
  if (!/^(auto|none|\d+(-\d+)?(,\d+(-\d+)?)*)$/.test(v)) throw new InvalidArgumentError('auto, none or a CPU list (1, 0,1, 0-3)');
  return v;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a suite on the local host or on every host of an inventory')
    .argument('<suite>', 'suite file (suites/*.yaml)')
    .option('--hosts <file>', 'host inventory (hosts/*.yaml); default: this machine')
    .option('--results <dir>', 'where run directories are written', 'results')
    .option('--run-id <id>', 'run id (default: time, suite and a random suffix)')
    .option('--raw', 'also keep every raw sample (results/<run>/raw/)')
    .option('--max-mem-share <x>', 'refuse jobs above this share of MemAvailable (0..0.95)', parseFloat)
    .option('--concurrency <n>', 'hosts measured at once', (v) => parseInt(v, 10), 8)
    .option('--job-timeout <s>', 'kill a probe job after this many seconds', (v) => parseInt(v, 10), 1800)
    .option('--progress <mode>', 'auto | tty | plain | silent', 'auto')
    .option('--json', 'print the summary JSON instead of the table')
    .option('--wide', 'print every column of the table (p90, max, sd, calls), whatever the width')
    .option('--only <filter>', 'run part of the suite, e.g. op=guest-fault,path=gmem (keys: path, op, granule, threads; a key given twice: either value)')
    .option('--influx <url>', 'then push the run to InfluxDB (a failed push keeps the results and prints the push command)')
    .option('--db <name>', 'InfluxDB database for --influx', DEFAULT_DB)
    .option('--allow-emulated', 'with --influx: also push rows measured under TCG emulation (lab hosts; left out by default)')
    .option('--accept-new-host-keys', 'ssh: add unknown host keys to known_hosts (like OpenSSH accept-new); changed keys are still refused')
    .option('--break-lock', "take each host's lock even if another controller holds it")
    .option('--processes <k>', `up to k separate probe processes share each job's repetitions, interleaved with the other jobs`, parseProcesses, DEFAULT_PROCESSES)
    .option('--pin <cpus>', "thread placement: none (the scheduler's), auto (pin to CPUs the probe chooses, the highest first), or a CPU list such as 1 or 0,1", parsePin, 'none')
    .option('--settle', 'drop caches and compact memory before every probe process (root only; warns and goes on otherwise)')
    .action(async (suiteFile: string, o) => {
      if (o.influx !== undefined && !influxUrlOk(o.influx, 'run')) return;
      const loaded = await loadSuite(suiteFile);
      const suite = o.only !== undefined ? filterSuite(loaded, parseOnly(o.only)) : loaded;
      const inventory = o.hosts ? await loadInventory(o.hosts) : LOCAL_INVENTORY;
      const ac = new AbortController();
      const onSignal = () => ac.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const { summary, runDir } = await runSuite({
          suite, inventory, resultsDir: o.results, runId: o.runId, raw: !!o.raw,
          maxMemShare: o.maxMemShare, concurrency: o.concurrency, progress: o.progress,
          signal: ac.signal, jobTimeoutMs: o.jobTimeout * 1000,
          acceptNewHostKeys: !!o.acceptNewHostKeys, breakLock: !!o.breakLock,
          processes: o.processes, pin: o.pin, settle: !!o.settle,
        });
        // what looked noisy on a host: separate lines after the table, on stderr with --json
        const warnings = summary.hosts.flatMap((h) => h.systemWarnings ?? []);
        if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        else process.stdout.write(`\n${formatRunTable(summary, { width: outputWidth(), wide: !!o.wide })}\n${warnings.length ? `\n${warnings.join('\n')}\n` : ''}\nresults: ${runDir}/summary.json\n`);
        if (o.json && warnings.length) process.stderr.write(`${warnings.join('\n')}\n`);
        process.exitCode = summary.hosts.some((h) => h.status !== 'ok') ? EXIT.hostFailed : EXIT.ok;
        // the results are on disk already: a push failure loses nothing and says how to push later
        if (o.influx) {
          const target = { url: o.influx as string, db: o.db as string };
          try {
            const r = await pushRun(runDir, target, {
              allowEmulated: !!o.allowEmulated,
              onRetry: (x) => process.stderr.write(`gmembench run: ${formatRetry(x)}\n`),
            });
            process.stderr.write(`${formatPushReport(r)} (${redactUrl(target.url)} db ${target.db})\n`);
          } catch (err) {
            const msg = err instanceof PushError ? formatPushReport(err.report) : (err as Error).message;
            const db = target.db !== DEFAULT_DB;
            process.stderr.write(`gmembench run: ${msg}\nthe results are saved; push them later with:\n  ${shellQuote(['gmembench', 'push', runDir, '--influx', redactUrl(target.url), ...(db ? ['--db', target.db] : [])])}\n`);
            process.exitCode = EXIT.error;
          }
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
