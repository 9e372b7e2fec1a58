/**
 * gmembench compare BASELINE CANDIDATE | --baseline RUN... --candidate RUN... | --paths A,B RUN:
 * a table for a patch cover letter (text, markdown, json or csv on stdout) judged against each
 * series' run-to-run noise (from the runs compared or --history) and, with --plot, the charts.
 * RUN is a run directory, its summary.json, or a results folder holding several runs.
 */
import { Option, type Command } from 'commander';
import { withWall, type CompareMetric } from '../../analysis/compare.js';
import {
  DEFAULT_ACROSS_OPTIONS,
  judgeAcross,
  pairPathGroups,
  pairRunGroups,
  type History,
  type RunsPairing,
} from '../../analysis/compare-runs.js';
import { loadHistoryDir } from '../../analysis/series.js';
import {
  describeReference,
  DEFAULT_REFERENCE,
  perSyscall,
  REFERENCE_HELP,
  REFERENCE_MODES,
  summariesPerSyscall,
  type ReferenceMode,
} from '../../analysis/reference.js';
import { compareFormat } from '../../export/compare-format.js';
import { RunNotFoundError } from '../../results/resolve.js';
import { loadRunsArg, loadRunsArgs } from '../../results/runs-arg.js';
import { EXIT } from '../exit.js';
import { integer, nonNegative, percentage, pValue } from '../options.js';
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
  const ps = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ps.length !== 2 || ps[0] === ps[1])
    throw new UsageError(`--paths: give two different paths, baseline first (e.g. shmem,gmem), not "${v}"`);
  return [ps[0], ps[1]];
}

interface CompareCliOptions {
  baseline?: string[];
  candidate?: string[];
  runs?: string[];
  history?: string;
  paths?: string;
  format: string;
  p99?: boolean;
  noise: number;
  alpha: number;
  minChange: number;
  noiseFactor: number;
  tailSamples: number;
  plot?: string;
  reference: ReferenceMode;
}

/** what the runs' sides become before they are paired: as measured, or relative to their null syscall */
type Prep = (sides: RunSummary[][]) => RunSummary[][];

async function pairing(args: string[], o: CompareCliOptions, prep: Prep): Promise<RunsPairing> {
  const two = async (base: Promise<RunSummary[]>, cand: Promise<RunSummary[]>) => {
    // both sides read at once, a failure told in argument order (the baseline's first), not
    // whichever read failed first
    const sides: RunSummary[][] = [];
    for (const s of await Promise.allSettled([base, cand])) {
      if (s.status === 'rejected') throw s.reason;
      sides.push(s.value);
    }
    const [b, c] = prep(sides);
    return pairRunGroups(b, c);
  };
  if (o.paths) {
    const [a, b] = parsePaths(o.paths);
    if (o.baseline || o.candidate)
      throw new UsageError(
        '--paths compares two paths of the same runs: give them as RUN or --runs RUN..., not --baseline/--candidate',
      );
    if (o.runs) {
      if (args.length > 0) throw new UsageError(`--paths with --runs: no positional runs as well (got ${args.length})`);
      return pairPathGroups(prep([await loadRunsArgs(o.runs)])[0], a, b);
    }
    if (args.length !== 1) {
      throw new UsageError(
        `--paths compares two paths of ONE run; got ${args.length} runs (for several runs of one kernel: a results folder holding them, or --runs RUN...)`,
      );
    }
    return pairPathGroups(prep([await loadRunsArg(args[0])])[0], a, b);
  }
  if (o.runs) throw new UsageError('--runs goes with --paths; compare runs with --baseline RUN... --candidate RUN...');
  if (o.baseline || o.candidate) {
    if (!o.baseline || !o.candidate)
      throw new UsageError(
        `give both --baseline RUN... and --candidate RUN... (got only --${o.baseline ? 'baseline' : 'candidate'})`,
      );
    if (args.length > 0)
      throw new UsageError(`with --baseline and --candidate, no positional runs (got ${args.join(' ')})`);
    return two(loadRunsArgs(o.baseline), loadRunsArgs(o.candidate));
  }
  if (args.length !== 2)
    throw new UsageError(
      `give a baseline and a candidate run (got ${args.length}); or --baseline RUN... --candidate RUN...; or one run with --paths A,B`,
    );
  return two(loadRunsArg(args[0]), loadRunsArg(args[1]));
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description(
      "compare runs (several per side, or two paths of the same runs) row by row against each series' run-to-run noise",
    )
    .argument(
      '[runs...]',
      'baseline and candidate RUN (a run directory, its summary.json or a results folder of runs); one RUN with --paths',
    )
    .option('--baseline <runs...>', 'the baseline runs (each a run directory, a summary.json or a results folder)')
    .option('--candidate <runs...>', 'the candidate runs')
    .option('--runs <runs...>', 'with --paths: the runs (of one kernel) whose two paths are compared')
    .option('--history <dir>', "a results folder of earlier runs to take each series' run-to-run noise from")
    .option('--paths <a,b>', 'compare two backing paths of the same runs instead, baseline first (e.g. shmem,gmem)')
    .option('--format <f>', 'text (80 columns, for e-mail), markdown, json or csv', 'text')
    .option('--p99', 'compare p99 as well as p50')
    .option(
      '--alpha <p>',
      'significance level (Mann-Whitney U over the runs, or the t test against the history)',
      pValue,
      DEFAULT_ACROSS_OPTIONS.alpha,
    )
    .option(
      '--min-change <x>',
      'the smallest change that is marked, whatever the noise (0.03 or 3%)',
      percentage,
      DEFAULT_ACROSS_OPTIONS.minChange,
    )
    .option(
      '--noise-factor <k>',
      "a marked change must exceed k times the series' run-to-run noise",
      nonNegative,
      DEFAULT_ACROSS_OPTIONS.noiseFactor,
    )
    .option(
      '--tail-samples <n>',
      'with --p99: mark a p99 only where its rows have this many samples beyond it (100 x n samples; 0: always)',
      integer(0),
      DEFAULT_ACROSS_OPTIONS.tailSamples,
    )
    .option(
      '--noise <cv>',
      'one run a side, no history: within-run cv above which a change must be clearly beyond it (0.05 or 5%)',
      percentage,
      0.05,
    )
    .addOption(new Option('--reference <what>', REFERENCE_HELP).choices(REFERENCE_MODES).default(DEFAULT_REFERENCE))
    .option(
      '--plot <file>',
      'also draw the charts, one file per figure: FILE.svg or FILE.png gives FILE-p50.png, FILE-percentiles.png (-1, -2... when a figure is split into pages)',
    )
    .action(async (runs: string[], o: CompareCliOptions) => {
      try {
        const format = compareFormat(o.format);
        const { noise, alpha, minChange, noiseFactor, tailSamples } = o;
        if (o.plot && !/\.(svg|png)$/i.test(o.plot))
          throw new UsageError(`--plot: "${o.plot}" must end in .svg or .png`);
        let scaled: ReturnType<typeof summariesPerSyscall> | undefined;
        const prep: Prep = (sides) => {
          if (o.reference === 'none') return sides;
          scaled = summariesPerSyscall(sides, o.reference);
          return scaled.sides;
        };
        const p = await pairing(runs, o, prep);
        for (const run of new Set([...p.baselineRuns, ...p.candidateRuns])) noted(run);
        const asked: CompareMetric[] = o.p99 ? ['p50', 'p99'] : ['p50'];
        const metrics = withWall(asked, [...p.baselineRuns, ...p.candidateRuns]);
        let history: History | undefined;
        if (o.history) {
          const h = await loadHistoryDir(o.history).catch((err: Error) => {
            throw new UsageError(`--history: ${err.message}`);
          });
          if (h.runs.length === 0)
            throw new UsageError(
              `--history: ${o.history} holds no readable runs${h.skipped.length ? ` (${h.skipped[0]})` : ''}`,
            );
          for (const s of h.skipped) process.stderr.write(`gmembench compare: --history: skipped ${s}\n`);
          history = { runs: o.reference === 'none' ? h.runs : perSyscall(h.runs, o.reference).runs, source: o.history };
        }
        const comparison = judgeAcross(p, { metrics, noise, alpha, minChange, noiseFactor, tailSamples }, history);
        if (scaled) comparison.banner.push(describeReference(scaled));
        process.stdout.write(format.render(comparison));
        if (o.plot) {
          // vega loads only when a chart is wanted: the other commands start faster without it
          const { plotComparison } = await import('../../plot/index.js');
          const files = await plotComparison(o.plot, p, comparison);
          process.stderr.write(`gmembench compare: ${files.length} chart(s) written: ${files.join(', ')}\n`);
        }
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.stderr.write(`gmembench compare: ${(err as Error).message}\n`);
        const usage =
          err instanceof UsageError || err instanceof RunNotFoundError || /^--/.test((err as Error).message);
        process.exitCode = usage ? EXIT.usage : EXIT.error;
      }
    });
}
