/** gmembench run <suite> [--hosts inventory] */
import type { Command } from 'commander';
import { loadSuite } from '../../config/suite.js';
import { loadInventory, LOCAL_INVENTORY } from '../../config/hosts.js';
import { DEFAULT_PROCESSES, runSuite } from '../../benchmark/run.js';
import { formatRunTable } from '../../output/table.js';
import { outputWidth } from '../../output/columns.js';
import { filterSuite, parseOnly } from '../../benchmark/select.js';
import { EXIT } from '../exit.js';
import { failedHosts } from '../../benchmark/outcome.js';
import { DEFAULT_DB, redactUrl } from '../../influx/connect.js';
import { formatPushReport, formatRetry, pushLaterCommand, pushRun, PushError } from '../../influx/push.js';
import { influxUrlOk } from './push.js';
import { cpuList, fraction, fromParser, integer, oneOf, positiveInteger, PROGRESS_MODES, runId, seconds } from '../options.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a suite on the local host or on every host of an inventory')
    .argument('<suite>', 'suite file (suites/*.yaml)')
    .option('--hosts <file>', 'host inventory (hosts/*.yaml); default: this machine')
    .option('--results <dir>', 'where run directories are written', 'results')
    .option('--run-id <id>', 'run id (default: time, suite and a random suffix)', runId)
    .option('--raw', 'also keep every raw sample (results/<run>/raw/)')
    .option('--max-mem-share <x>', 'refuse jobs above this share of MemAvailable (0..0.95)', fraction(0.95))
    .option('--concurrency <n>', 'hosts measured at once', positiveInteger, 8)
    .option('--job-timeout <s>', 'kill a probe job after this many seconds', seconds, 1800)
    .option('--progress <mode>', 'auto | tty | plain | silent', oneOf(PROGRESS_MODES), 'auto')
    .option('--json', 'print the summary JSON instead of the table')
    .option('--wide', 'print every column of the table (p90, max, sd, calls), whatever the width')
    .option('--only <filter>', 'run part of the suite, e.g. op=guest-fault,path=gmem (keys: path, op, granule, threads; a key given twice: either value)', fromParser(parseOnly))
    .option('--influx <url>', 'then push the run to InfluxDB (a failed push keeps the results and prints the push command)')
    .option('--db <name>', 'InfluxDB database for --influx', DEFAULT_DB)
    .option('--accept-new-host-keys', 'ssh: add unknown host keys to known_hosts (like OpenSSH accept-new); changed keys are still refused')
    .option('--break-lock', "take each host's lock even if another controller holds it")
    .option('--processes <k>', `up to k separate probe processes share each job's repetitions, interleaved with the other jobs`, integer(1, 100), DEFAULT_PROCESSES)
    .option('--pin <cpus>', "thread placement: none (the scheduler's), auto (pin to CPUs the probe chooses, the highest first), or a CPU list such as 1 or 0,1", cpuList, 'none')
    .option('--settle', 'drop caches and compact memory before every probe process (root only; warns and goes on otherwise)')
    .action(async (suiteFile: string, o) => {
      if (o.influx !== undefined && !influxUrlOk(o.influx)) return;
      const loaded = await loadSuite(suiteFile);
      const suite = o.only !== undefined ? filterSuite(loaded, o.only) : loaded;
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
        process.exitCode = failedHosts(summary).length > 0 ? EXIT.hostFailed : EXIT.ok;
        // the results are on disk already: a push failure loses nothing and says how to push later
        if (o.influx) {
          const target = { url: o.influx as string, db: o.db as string };
          try {
            const r = await pushRun(runDir, target, {
              onRetry: (x) => process.stderr.write(`gmembench run: ${formatRetry(x)}\n`),
            });
            process.stderr.write(`${formatPushReport(r)} (${redactUrl(target.url)} db ${target.db})\n`);
          } catch (err) {
            const msg = err instanceof PushError ? formatPushReport(err.report) : (err as Error).message;
            process.stderr.write(`gmembench run: ${msg}\nthe results are saved; push them later with:\n  ${pushLaterCommand([runDir], target)}\n`);
            process.exitCode = EXIT.error;
          }
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
