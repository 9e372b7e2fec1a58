/** gmembench workloads: what each op measures. */
import type { Command } from 'commander';
import { WORKLOADS } from '../../workloads/index.js';

export function registerWorkloads(program: Command): void {
  program
    .command('workloads')
    .description('list the workloads (ops) a suite can name and what each one times')
    .action(() => {
      for (const w of Object.values(WORKLOADS)) {
        process.stdout.write(`${w.name}\n  ${w.summary}\n  timed: ${w.timed}\n  set-up: ${w.setup}\n`);
      }
    });
}
