/** gmembench nightly --suite <file> [--hosts <file>] [--influx URL]: run, push, regress; for cron. */
import type { Command } from 'commander';
import { addRegressOptions, regressActionOptions } from '../regress-action.js';
import { runNightly } from '../nightly-action.js';
import { seconds } from '../options.js';
import { onInterrupt } from '../interrupt.js';
import { addMeasurementOptions, measurementOf } from '../measurement-options.js';

export function registerNightly(program: Command): void {
  const cmd = program
    .command('nightly')
    .description('run a suite, push it to InfluxDB, report regressions; one locked, logged step for cron or CI')
    .requiredOption('--suite <file>', 'suite file (suites/nightly.yaml)')
    .option('--hosts <file>', 'host inventory (default: this machine)')
    .option('--results <dir>', 'results folder (also the history regress reads)', 'results')
    .option('--influx <url>', 'push the run here and read the history from here')
    .option('--log <file>', 'log file (default: <results>/nightly.log)')
    .option('--lock <file>', 'lock file (default: <results>/.nightly.lock)')
    .option('--state <file>', 'reported changes (default: <results>/.regress-state.json)')
    .option('--job-timeout <s>', 'kill a probe job after this many seconds', seconds, 1800);
  addRegressOptions(addMeasurementOptions(cmd)).action(async (o) => {
    const regress = regressActionOptions(o, { history: o.results, influx: o.influx });
    // handlers that stay installed while it runs: the first signal stops the run in order (probes
    // killed, locks released, the summary written), a second exits at once
    const interrupt = onInterrupt('nightly');
    try {
      const { exit } = await runNightly({
        suiteFile: o.suite,
        hostsFile: o.hosts,
        resultsDir: o.results,
        influx: o.influx,
        logFile: o.log,
        lockFile: o.lock,
        regress: { ...regress, state: o.state },
        jobTimeoutMs: o.jobTimeout * 1000,
        measurement: measurementOf(o),
        signal: interrupt.signal,
      });
      process.exitCode = interrupt.exitCode ?? exit;
    } finally {
      interrupt.dispose();
    }
  });
}
