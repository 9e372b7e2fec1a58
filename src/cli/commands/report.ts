/** gmembench report <run>... --html FILE: one self-contained page with fingerprints, tables and charts. */
import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { loadRun, RunNotFoundError } from '../../results/resolve.js';
import { EXIT } from '../exit.js';
import { pair, UsageError } from '../options.js';
import { unfinishedNote } from '../../results/unfinished.js';
import { loadHistoryDir } from '../../analysis/series.js';
import type { History } from '../../analysis/compare-runs.js';
import { DEFAULT_REFERENCE, REFERENCE_HELP, REFERENCE_MODES, type ReferenceMode } from '../../analysis/reference.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write one self-contained HTML page (no network when viewed): host fingerprints, tables, charts')
    .argument('<runs...>', 'run directories or summary.json files; later runs are compared with the first')
    .option('--html <file>', 'the page to write')
    .option('--paths <a,b>', 'compare these two paths within each run', pair, ['shmem', 'gmem'] as [string, string])
    .option(
      '--history <dir>',
      "a results folder of earlier runs to take each series' run-to-run noise from (else the report's other runs, from 3 runs on; with 2 runs and no history nothing is marked)",
    )
    .addOption(
      new Option('--reference <what>', `the comparisons, as compare's: ${REFERENCE_HELP}`)
        .choices(REFERENCE_MODES)
        .default(DEFAULT_REFERENCE),
    )
    .action(async (args: string[], o) => {
      try {
        if (!o.html) throw new UsageError('--html <file> is required');
        const paths = o.paths as [string, string];
        const runs = [];
        for (const a of args) runs.push(await loadRun(a));
        for (const note of runs.map(unfinishedNote))
          if (note) process.stderr.write(`gmembench report: note: ${note}\n`);
        const { renderReport } = await import('../../report/html.js'); // loads vega: only when asked
        let history: History | undefined;
        if (o.history) {
          const h = await loadHistoryDir(o.history).catch((err: Error) => {
            throw new UsageError(`--history: ${err.message}`);
          });
          if (h.runs.length === 0) throw new UsageError(`--history: ${o.history} holds no readable runs`);
          history = { runs: h.runs, source: o.history };
        }
        const { html, charts } = await renderReport(runs, {
          paths: [paths[0], paths[1]],
          history,
          reference: o.reference as ReferenceMode,
        });
        await writeFile(o.html, html);
        process.stderr.write(`gmembench report: ${o.html} (${runs.length} run(s), ${charts} charts)\n`);
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.stderr.write(`gmembench report: ${(err as Error).message}\n`);
        process.exitCode = err instanceof UsageError || err instanceof RunNotFoundError ? EXIT.usage : EXIT.error;
      }
    });
}
