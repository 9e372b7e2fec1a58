/** gmembench workloads: what each op measures. */
import type { Command } from 'commander';
import { WORKLOADS } from '../../workloads/index.js';

/** The workload texts are Markdown (the README's op table): drop the code and emphasis marks. */
const plain = (md: string): string => md.replace(/[`*]/g, '');

export function registerWorkloads(program: Command): void {
  program
    .command('workloads')
    .description('list the workloads (ops) a suite can name and what each one times')
    .action(() => {
      for (const w of Object.values(WORKLOADS)) {
        process.stdout.write(`${w.name}\n  ${w.summary}\n  timed: ${plain(w.timed)}\n  set-up: ${plain(w.setup)}\n`);
      }
    });
}
