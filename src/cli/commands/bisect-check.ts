/**
 * gmembench bisect-check: an exit code for `git bisect run` for one series: measure it fresh, as
 * several separate runs (or read --fresh), and judge the runs' figures against the baseline's runs
 * and their run-to-run noise (analysis/bisect.ts): 0 good, 1 bad, 125 skip (this commit cannot be
 * measured, or its runs cannot tell), 128 abort (bad arguments or baseline).
 */
import { basename } from 'node:path';
import { CommanderError, Option, type Command } from 'commander';
import { MIN_BASELINE_RUNS, type BisectResult, type VerdictOptions } from '../../analysis/bisect.js';
import { baselineRuns, bisectCheck, type BaselineRuns } from '../../analysis/bisect-runs.js';
import { METRICS, type Metric } from '../../analysis/series.js';
import { parseSeriesKey, restrictSuite, type SeriesSelector } from '../../benchmark/select.js';
import { runSuite } from '../../benchmark/run.js';
import { loadInventory, LOCAL_INVENTORY } from '../../config/hosts.js';
import { loadSuite } from '../../config/suite.js';
import { seriesKey, type RunSummary } from '../../results/schema.js';
import { loadRunsArg } from '../../results/runs-arg.js';
import { formatNs } from '../../util/units.js';
import { BISECT_EXIT } from '../exit.js';
import { addMeasurementOptions, measurementLike, type MeasurementOptions } from '../measurement-options.js';
import { measurementLabel, sharedMeasurement, type Measurement } from '../../results/measurement.js';
import { integer, oneOf, percentage, pValue } from '../options.js';
import { DEFAULT_REFERENCE, REFERENCE_HELP, REFERENCE_MODES, type ReferenceMode } from '../../analysis/reference.js';

/** with --until: the baseline is this many runs of the folder up to and including that run */
const UNTIL_RUNS = 10;

/** The runs of --baseline, up to --until's (the last UNTIL_RUNS of them) when it is given. */
async function baselineSummaries(path: string, until: string | undefined): Promise<RunSummary[]> {
  const runs = await loadRunsArg(path).catch((err: Error) => {
    throw new Error(`--baseline ${path}: ${err.message}`);
  });
  if (until === undefined) return runs;
  const id = basename(until.replace(/\/+$/, '').replace(/\/summary\.json$/, ''));
  const at = runs.findIndex((r) => r.runId === id);
  if (at < 0) throw new Error(`--until ${until}: not a run of --baseline ${path} (${runs.length} run(s))`);
  return runs.slice(Math.max(0, at + 1 - UNTIL_RUNS), at + 1);
}

/** The baseline's runs of the series; an Error naming --baseline when they cannot give its noise. */
async function readBaseline(
  path: string,
  until: string | undefined,
  sel: SeriesSelector,
  metric: Metric,
  reference: ReferenceMode,
) {
  const runs = await baselineSummaries(path, until);
  const key = seriesKey(sel);
  const b = { ...baselineRuns(runs, key, sel.host, metric, reference), measurement: sharedMeasurement(runs) };
  if (b.measured.length === 0) throw new Error(`--baseline ${path}: no ok result for ${key} in ${runs.length} run(s)`);
  if (b.measured.length < MIN_BASELINE_RUNS)
    throw new Error(
      `--baseline ${path}: ${key} is ok in ${b.measured.length} run(s); bisect-check needs ${MIN_BASELINE_RUNS} or more, ` +
        `for the series' run-to-run noise (the repetitions inside one run do not show it): run the suite ` +
        `${MIN_BASELINE_RUNS} times or more on the good commit into one folder (gmembench run SUITE --results DIR) and pass --baseline DIR`,
    );
  return b;
}

/**
 * The fresh runs: read (--fresh) or measured `runs` times, each a separate run of the series'
 * workload, measured as `how` says.
 */
async function freshRuns(
  o: Record<string, unknown>,
  sel: SeriesSelector,
  how: MeasurementOptions,
): Promise<RunSummary[]> {
  if (o.fresh) return loadRunsArg(o.fresh as string);
  const suite = restrictSuite(await loadSuite(o.suite as string), sel);
  const inv = o.hosts ? await loadInventory(o.hosts as string) : LOCAL_INVENTORY;
  const hosts = inv.hosts.filter((h) => h.name === sel.host);
  if (hosts.length === 0)
    throw new Error(`host "${sel.host}" is not in ${(o.hosts as string) ?? 'the local inventory (name: local)'}`);
  const out: RunSummary[] = [];
  for (let k = 0; k < (o.runs as number); k++) {
    const { summary } = await runSuite({
      suite,
      inventory: { hosts },
      resultsDir: o.results as string,
      progress: 'silent',
      ...how,
    });
    out.push(summary);
  }
  return out;
}

export function registerBisectCheck(program: Command): void {
  const cmd = program
    .command('bisect-check')
    // git bisect run reads 2 as "bad": a bad option value must abort the bisection instead
    .exitOverride((err) => {
      throw err.exitCode === 0 ? err : new CommanderError(BISECT_EXIT.abort, err.code, err.message);
    })
    .description(
      "for git bisect run: measure one series and compare it with a baseline (0 good, 1 bad, 125 skip, 128 abort); measured as the baseline's runs were unless --processes, --pin or --settle say otherwise",
    )
    .option('--series <key>', 'host/path/op/granule/threads, e.g. local/shmem/alloc/4K/1')
    .option('--baseline <dir>', 'a run directory, or a results folder (every run in it)')
    .option(
      '--until <run>',
      `with a results folder as --baseline: its ${UNTIL_RUNS} runs up to this one (an id or directory)`,
    )
    .option('--suite <file>', 'the suite that measures the series (only that workload is run)')
    .option('--hosts <file>', 'host inventory (default: this machine)')
    .option('--fresh <dir>', 'compare this run (or every run of a results folder) instead of measuring')
    .option('--runs <n>', 'measure the commit this many times, each a separate run', integer(1, 100), 3)
    .option('--results <dir>', 'where the fresh runs are written', 'results')
    .option(
      '--metric <m>',
      'p50, p99 or wall (rows of 2+ threads: the wall time a call of the pass)',
      oneOf(METRICS),
      'p50',
    )
    .option(
      '--threshold <x>',
      'the slow-down sought: bad is slower and not less than this (0.05 or 5%)',
      percentage,
      0.05,
    )
    .option(
      '--max-pvalue <p>',
      'the level of each one-sided t test on the runs (no change; slower by the threshold)',
      pValue,
      0.01,
    )
    .addOption(
      new Option('--reference <what>', `each repetition, as compare's rows: ${REFERENCE_HELP}`)
        .choices(REFERENCE_MODES)
        .default(DEFAULT_REFERENCE),
    );
  addMeasurementOptions(cmd).action(async (o) => {
    const say = (s: string) => process.stderr.write(`gmembench bisect-check: ${s}\n`);
    let sel: SeriesSelector, metric: Metric, opts: VerdictOptions;
    let baseline: BaselineRuns & { measurement?: Measurement };
    try {
      if (!o.series || !o.baseline) throw new Error('--series and --baseline are required');
      if (!o.fresh && !o.suite) throw new Error('--suite (to measure) or --fresh (a run to compare) is required');
      sel = parseSeriesKey(o.series);
      metric = o.metric as Metric;
      opts = { threshold: o.threshold as number, maxPValue: o.maxPvalue as number };
      baseline = await readBaseline(o.baseline, o.until, sel, metric, o.reference as ReferenceMode);
    } catch (err) {
      say(`abort: ${(err as Error).message}`);
      process.exitCode = BISECT_EXIT.abort;
      return;
    }
    const key = seriesKey(sel);
    let result: BisectResult;
    try {
      // measured as the baseline was, unless told otherwise: the two sides must not differ in it
      const fresh = await freshRuns(o, sel, measurementLike(cmd, baseline.measurement));
      result = bisectCheck(baseline, fresh, key, metric, opts);
      const f = sharedMeasurement(fresh);
      if (baseline.measurement && f && measurementLabel(f) !== measurementLabel(baseline.measurement))
        result = {
          ...result,
          reason: `${result.reason}; the fresh runs measured with ${measurementLabel(f)}, the baseline with ${measurementLabel(baseline.measurement)}`,
        };
    } catch (err) {
      result = { verdict: 'skip', reason: `cannot measure: ${(err as Error).message}` };
    }
    say(
      `${result.verdict}: ${key} ${metric} ${formatNs(result.before)} -> ${formatNs(result.after)}: ${result.reason}`,
    );
    process.exitCode = BISECT_EXIT[result.verdict];
  });
}
