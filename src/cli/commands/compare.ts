/**
 * gmembench compare <baseline-run> <candidate-run> | --paths A,B <run>: a table for a patch cover
 * letter (text, markdown, json or csv on stdout) and, with --plot, the charts as SVG or PNG.
 */
import type { Command } from 'commander';
import { judge, pairPaths, pairRuns, type CompareMetric } from '../../analysis/compare.js';
import { compareFormat } from '../../export/compare-format.js';
import { loadRun, RunNotFoundError } from '../../results/resolve.js';
import { parseFraction } from '../regress-action.js';
import { EXIT } from '../exit.js';
import { percentage, pValue } from '../options.js';
import { unfinishedNote } from '../../results/unfinished.js';
import type { RunSummary } from '../../results/schema.js';

/** a run that did not finish is compared for what it measured, and said to be incomplete */
function noted(run: RunSummary): RunSummary {
  const note = unfinishedNote(run);
  if (note) process.stderr.write(`gmembench compare: note: ${note}\n`);
  return run;
}

class UsageError extends Error {}

function parsePaths(v: string): [string, string] {
  const ps = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (ps.length !== 2 || ps[0] === ps[1]) throw new UsageError(`--paths: give two different paths, baseline first (e.g. shmem,gmem), not "${v}"`);
  return [ps[0], ps[1]];
}

function option<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError(`${name}: ${(err as Error).message}`);
  }
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('compare two runs (or two paths of one run) row by row: change, significance, noise')
    .argument('<runs...>', 'baseline and candidate run (a run directory or its summary.json); one run with --paths')
    .option('--paths <a,b>', 'compare two backing paths of one run instead, baseline first (e.g. shmem,gmem)')
    .option('--format <f>', 'text (80 columns, for e-mail), markdown, json or csv', 'text')
    .option('--p99', 'compare p99 as well as p50')
    .option('--noise <cv>', 'a side is noisy above this coefficient of variation (0.05 or 5%)', percentage, 0.05)
    .option('--alpha <p>', 'significance level of the Mann-Whitney U test', pValue, 0.05)
    .option('--plot <file>', 'also draw the charts: FILE.svg or FILE.png')
    .action(async (runs: string[], o) => {
      try {
        const format = compareFormat(o.format);
        const metrics: CompareMetric[] = o.p99 ? ['p50', 'p99'] : ['p50'];
        const noise = option('--noise', () => parseFraction(o.noise));
        const alpha = option('--alpha', () => parseFraction(o.alpha));
        if (!(alpha > 0 && alpha < 1)) throw new UsageError(`--alpha: must be between 0 and 1, not "${o.alpha}"`);
        if (o.plot && !/\.(svg|png)$/i.test(o.plot)) throw new UsageError(`--plot: "${o.plot}" must end in .svg or .png`);
        let pairing;
        if (o.paths) {
          const [a, b] = parsePaths(o.paths);
          if (runs.length !== 1) throw new UsageError(`--paths compares two paths of ONE run; got ${runs.length} runs`);
          pairing = pairPaths(noted(await loadRun(runs[0])), a, b);
        } else {
          if (runs.length !== 2) throw new UsageError(`give a baseline and a candidate run (got ${runs.length}); or one run with --paths A,B`);
          pairing = pairRuns(noted(await loadRun(runs[0])), noted(await loadRun(runs[1])));
        }
        const comparison = judge(pairing, { metrics, noise, alpha });
        process.stdout.write(format.render(comparison));
        if (o.plot) {
          // vega loads only when a chart is wanted: the other commands start faster without it
          const { plotComparison } = await import('../../plot/index.js');
          const files = await plotComparison(o.plot, pairing, comparison);
          process.stderr.write(`gmembench compare: ${files.length} chart(s) written: ${files.join(', ')}\n`);
        }
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.stderr.write(`gmembench compare: ${(err as Error).message}\n`);
        const usage = err instanceof UsageError || err instanceof RunNotFoundError || /^--/.test((err as Error).message);
        process.exitCode = usage ? EXIT.usage : EXIT.error;
      }
    });
}
