/** gmembench regress [--history results/ | --influx URL] */
import type { Command } from 'commander';
import { addRegressOptions, executeRegress, regressActionOptions } from '../regress-action.js';
import { EXIT } from '../exit.js';

export function registerRegress(program: Command): void {
  const cmd = program
    .command('regress')
    .description('find regressions (and improvements) in the run history: E-divisive means + Student t per series')
    .option('--history <dir>', 'results folder with the run directories', 'results')
    .option(
      '--influx <url>',
      'read the history from InfluxDB instead (gmembench_latency) and write the verdicts there (gmembench_changes, for the alert rules)',
    )
    .option('--suite <name>', 'only runs of this suite (suites measure with different regions)')
    .option('--state <file>', 'remember reported changes here; only new ones fail, post and annotate');
  addRegressOptions(cmd).action(async (o) => {
    const opts = regressActionOptions(o, { history: o.history, influx: o.influx, suite: o.suite, state: o.state });
    const { exit, deliveryErrors } = await executeRegress(opts, (s) => process.stdout.write(s));
    for (const e of deliveryErrors) process.stderr.write(`gmembench regress: ${e}\n`);
    process.exitCode = exit !== EXIT.ok ? exit : deliveryErrors.length > 0 ? EXIT.error : EXIT.ok;
  });
}
