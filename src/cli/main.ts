/** The gmembench command line: one file per command under cli/commands/. */
import { Command, CommanderError } from 'commander';
import { HARNESS_VERSION } from '../util/paths.js';
import { registerRun } from './commands/run.js';
import { registerFingerprint } from './commands/fingerprint.js';
import { registerWorkloads } from './commands/workloads.js';
import { registerRegress } from './commands/regress.js';
import { registerNightly } from './commands/nightly.js';
import { registerBisectCheck } from './commands/bisect-check.js';
import { registerPush } from './commands/push.js';
import { registerDashboards } from './commands/dashboards.js';
import { registerHosts } from './commands/hosts.js';
import { registerCompare } from './commands/compare.js';
import { registerReport } from './commands/report.js';
import { registerLab } from './commands/lab.js';
import { registerSystem } from './commands/system.js';
import { ConfigError } from '../config/load.js';
import { BISECT_EXIT, EXIT } from './exit.js';
import { UsageError } from './options.js';

export function buildProgram(): Command {
  const program = new Command('gmembench')
    .description('Benchmark and stress-test harness for confidential-VM guest memory (shmem vs guest_memfd)')
    .version(HARNESS_VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerRun(program);
  registerFingerprint(program);
  registerSystem(program);
  registerWorkloads(program);
  registerRegress(program);
  registerNightly(program);
  registerBisectCheck(program);
  registerPush(program);
  registerDashboards(program);
  registerHosts(program);
  registerCompare(program);
  registerReport(program);
  registerLab(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  if (process.env.GMEMBENCH_REPORT_RSS) {
    // for bench/memory.ts: the controller's own peak RSS (the probe is another process)
    process.once('exit', () => process.stderr.write(`gmembench-maxrss-kib ${process.resourceUsage().maxRSS}\n`));
  }
  const program = buildProgram();
  // the command being run, for "gmembench <command>: <usage error>"
  let command = '';
  program.hook('preAction', (_program, action) => {
    for (let c: Command | null = action; c && c !== program; c = c.parent)
      command = command ? `${c.name()} ${command}` : c.name();
  });
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    // the one usage error path: commander's (a bad option value, a missing option) and the actions' own
    if (err instanceof CommanderError)
      return err.exitCode === 0 ? EXIT.ok : err.exitCode === BISECT_EXIT.abort ? BISECT_EXIT.abort : EXIT.usage;
    if (err instanceof UsageError) {
      process.stderr.write(`gmembench${command ? ` ${command}` : ''}: ${err.message}\n`);
      return command === 'bisect-check' ? BISECT_EXIT.abort : EXIT.usage;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`gmembench: invalid configuration:\n${err.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`gmembench: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.error;
  }
}
