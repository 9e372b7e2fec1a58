/** gmembench run <suite> [--hosts inventory] */
import type { Command } from 'commander';
import { loadSuite } from '../../config/suite.js';
import { loadInventory, LOCAL_INVENTORY } from '../../config/hosts.js';
import { RunWriteError, runSuite } from '../../benchmark/run.js';
import { addMeasurementOptions, measurementOf } from '../measurement-options.js';
import { onInterrupt } from '../interrupt.js';
import { formatRunTable } from '../../output/table.js';
import { outputWidth } from '../../output/columns.js';
import { filterSuite, parseOnly } from '../../benchmark/select.js';
import { EXIT } from '../exit.js';
import { failedHosts } from '../../benchmark/outcome.js';
import { DEFAULT_DB, redactUrl } from '../../influx/connect.js';
import { formatPushReport, formatRetry, pushLaterCommand, pushRun, PushError } from '../../influx/push.js';
import { influxUrlOk } from './push.js';
import {
  fraction,
  fromParser,
  oneOf,
  pathPair,
  positiveInteger,
  PROGRESS_MODES,
  runId,
  seconds,
  UsageError,
} from '../options.js';

export function registerRun(program: Command): void {
  const cmd = program
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
    .option(
      '--only <filter>',
      'run part of the suite, e.g. op=guest-fault,path=gmem (keys: path, op, granule, threads; a key given twice: either value)',
      fromParser(parseOnly),
    )
    .option(
      '--influx <url>',
      'then push the run to InfluxDB (a failed push keeps the results and prints the push command)',
    )
    .option('--db <name>', 'InfluxDB database for --influx', DEFAULT_DB)
    .option(
      '--allow-emulated',
      'with --influx: also push rows measured under TCG emulation (lab hosts; left out by default)',
    )
    .option(
      '--accept-new-host-keys',
      'ssh: add unknown host keys to known_hosts (like OpenSSH accept-new); changed keys are still refused',
    )
    .option(
      '--break-lock',
      "take each host's lock even if another controller holds it (not when that controller is seen alive: add --force)",
    )
    .option(
      '--force',
      'with --break-lock: break a lock even when its controller is alive (both runs then measure the host at once)',
    )
    .option(
      '--pair <a,b>',
      'time each job of path a in the same probe processes as its job of path b, passes interleaved: their ratio compares like with like (e.g. shmem,gmem)',
      pathPair,
    );
  addMeasurementOptions(cmd).action(async (suiteFile: string, o) => {
    if (o.influx !== undefined && !influxUrlOk(o.influx)) return;
    if (o.force && !o.breakLock) throw new UsageError('--force goes with --break-lock');
    const loaded = await loadSuite(suiteFile);
    const suite = o.only !== undefined ? filterSuite(loaded, o.only) : loaded;
    const inventory = o.hosts ? await loadInventory(o.hosts) : LOCAL_INVENTORY;
    const interrupt = onInterrupt('run');
    try {
      let outcome;
      try {
        outcome = await runSuite({
          suite,
          inventory,
          resultsDir: o.results,
          runId: o.runId,
          raw: !!o.raw,
          maxMemShare: o.maxMemShare,
          concurrency: o.concurrency,
          progress: o.progress,
          signal: interrupt.signal,
          jobTimeoutMs: o.jobTimeout * 1000,
          acceptNewHostKeys: !!o.acceptNewHostKeys,
          breakLock: !!o.breakLock,
          forceBreakLock: !!o.force,
          ...measurementOf(o),
          pair: o.pair,
        });
      } catch (err) {
        if (!(err instanceof RunWriteError) && interrupt.exitCode !== undefined) {
          // stopped before any host was measured (the probe's build, say)
          process.stderr.write(
            `gmembench run: ${interrupt.received}: stopped before measuring: ${(err as Error).message}\n`,
          );
          process.exitCode = interrupt.exitCode;
          return;
        }
        if (!(err instanceof RunWriteError)) throw err;
        // what was measured is printed all the same: the disk may hold less of it
        if (err.summary.results.length > 0)
          process.stdout.write(`\n${formatRunTable(err.summary, { width: outputWidth(), wide: !!o.wide })}\n`);
        process.stderr.write(
          `gmembench run: ${err.message}${err.rowsOnDisk < err.summary.results.length ? ' (they are in the table above)' : ''}\n`,
        );
        process.exitCode = EXIT.error;
        return;
      }
      const { summary, runDir } = outcome;
      // what looked noisy on a host: separate lines after the table, on stderr with --json
      const warnings = summary.hosts.flatMap((h) => h.systemWarnings ?? []);
      if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else
        process.stdout.write(
          `\n${formatRunTable(summary, { width: outputWidth(), wide: !!o.wide })}\n${warnings.length ? `\n${warnings.join('\n')}\n` : ''}\nresults: ${runDir}/summary.json\n`,
        );
      if (o.json && warnings.length) process.stderr.write(`${warnings.join('\n')}\n`);
      process.exitCode = failedHosts(summary).length > 0 ? EXIT.hostFailed : EXIT.ok;
      if (interrupt.exitCode !== undefined) {
        process.stderr.write(
          `gmembench run: ${interrupt.received}: stopped; ${summary.results.length} row(s) measured are in ${runDir}/summary.json${o.influx ? ' (not pushed)' : ''}\n`,
        );
        process.exitCode = interrupt.exitCode;
        return;
      }
      // a Ctrl-C from here on ends the command the usual way: the results are written
      interrupt.dispose();
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
          process.stderr.write(
            `gmembench run: ${msg}\nthe results are saved; push them later with:\n  ${pushLaterCommand([runDir], target)}\n`,
          );
          process.exitCode = EXIT.error;
        }
      }
    } finally {
      interrupt.dispose();
    }
  });
}
