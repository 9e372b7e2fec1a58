/**
 * gmembench bisect-check: an exit code for `git bisect run` for one series: measure it fresh (or
 * read --fresh), compare with a baseline run (or every run of a results folder): 0 good, 1 bad,
 * 125 skip (this commit cannot be measured), 128 abort (bad arguments or baseline).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CommanderError, Option, type Command } from 'commander';
import {
  bisectVerdict,
  perSyscallValues,
  repetitionValues,
  thinRepetitions,
  type BisectResult,
  type RepValue,
} from '../../analysis/bisect.js';
import { METRICS, type Metric } from '../../analysis/series.js';
import { parseSeriesKey, restrictSuite, type SeriesSelector } from '../../benchmark/select.js';
import { runSuite } from '../../benchmark/run.js';
import { loadInventory, LOCAL_INVENTORY } from '../../config/hosts.js';
import { loadSuite } from '../../config/suite.js';
import { seriesKey, type RunSummary } from '../../results/schema.js';
import { listRuns, readSummary, SUMMARY_FILE } from '../../results/store.js';
import { formatNs } from '../../util/units.js';
import { median } from '../../analysis/stats/describe.js';
import { detectChangePoints } from '../../analysis/changepoint/edivisive.js';
import { BISECT_EXIT } from '../exit.js';
import { oneOf, percentage, pValue } from '../options.js';
import {
  DEFAULT_REFERENCE,
  REFERENCE_HELP,
  REFERENCE_MODES,
  repetitionObservations,
  type ReferenceMode,
} from '../../analysis/reference.js';
import { exponentsOf, PRIOR_EXPONENT } from '../../analysis/reference-exponent.js';

interface Baseline {
  /** as judged: relative to the null syscall when typicalNs is set, else as measured */
  values: number[];
  measured: number[];
  runMedians: number[];
  typicalNs: number | null;
  /** the exponent the values were scaled with (1: divided by the reference; reference-exponent.ts) */
  exponent: number;
}

/**
 * The baseline's values, and the per-run medians when it is several runs (to see whether it spans a
 * change); with `reference`, relative to each repetition's null syscall, in ns at the baseline's
 * typical one (typicalNs; null when a repetition has no reference: then as measured). auto: to the
 * power the baseline's runs give, from every series of the host (one series' few passes are too few).
 */
async function baselineValues(
  path: string,
  sel: SeriesSelector,
  metric: Metric,
  reference: ReferenceMode,
): Promise<Baseline> {
  let runDirs: string[];
  try {
    runDirs = (await stat(join(path, SUMMARY_FILE)).then(
      () => true,
      () => false,
    ))
      ? [path]
      : await listRuns(path);
  } catch {
    runDirs = [];
  }
  if (runDirs.length === 0) throw new Error(`--baseline ${path}: neither a run directory nor a folder of runs`);
  const runs: RepValue[][] = [];
  const summaries: RunSummary[] = [];
  for (const d of runDirs) summaries.push(await readSummary(d));
  for (const s of summaries) runs.push(rowValues(s, sel, metric));
  const all = runs.flat();
  if (all.length === 0)
    throw new Error(`--baseline ${path}: no ok result for ${seriesKey(sel)} in ${runDirs.length} run(s)`);
  const typicalNs = reference !== 'none' && all.every((v) => v.syscallNs) ? median(all.map((v) => v.syscallNs!)) : null;
  // one exponent per pool (host): the other hosts' passes do not enter this one's
  const exponent =
    reference === 'auto'
      ? (exponentsOf(repetitionObservations([summaries])).get(sel.host)?.exponent ?? PRIOR_EXPONENT)
      : 1;
  const values = runs.map((r) =>
    typicalNs === null ? r.map((v) => v.value) : perSyscallValues(r, typicalNs, exponent)!,
  );
  return {
    values: values.flat(),
    measured: all.map((v) => v.value),
    runMedians: values.filter((v) => v.length > 0).map((v) => median(v)),
    typicalNs,
    exponent,
  };
}

function rowValues(s: RunSummary, sel: SeriesSelector, metric: Metric): RepValue[] {
  return repetitionValues(
    s.results.find((r) => seriesKey(r) === seriesKey(sel)),
    metric,
  );
}

/** The verdict relative to the null syscall when both sides have it (the reason says which), else as measured. */
function verdictOf(baseline: Baseline, fresh: RepValue[], o: { threshold: number; maxPValue: number }): BisectResult {
  const t = baseline.typicalNs;
  const scaled = t === null ? null : perSyscallValues(fresh, t, baseline.exponent);
  if (t !== null && scaled) {
    const r = bisectVerdict(baseline.values, scaled, o);
    const how =
      baseline.exponent === 1
        ? 'relative to the null syscall beside each pass'
        : baseline.exponent === 0
          ? "as measured: the baseline's runs do not follow the null syscall beside their passes"
          : `scaled by the null syscall beside each pass to the power ${baseline.exponent.toFixed(2)} (the baseline's runs give it)`;
    return { ...r, reason: `${r.reason}; ${how} (${formatNs(t)} typical)` };
  }
  const r = bisectVerdict(
    baseline.measured,
    fresh.map((v) => v.value),
    o,
  );
  return t === null ? r : { ...r, reason: `${r.reason}; as measured (the fresh run has no null-syscall reference)` };
}

export function registerBisectCheck(program: Command): void {
  program
    .command('bisect-check')
    // git bisect run reads 2 as "bad": a bad option value must abort the bisection instead
    .exitOverride((err) => {
      throw err.exitCode === 0 ? err : new CommanderError(BISECT_EXIT.abort, err.code, err.message);
    })
    .description(
      'for git bisect run: measure one series and compare it with a baseline (0 good, 1 bad, 125 skip, 128 abort)',
    )
    .option('--series <key>', 'host/path/op/granule/threads, e.g. local/shmem/alloc/4K/1')
    .option('--baseline <dir>', 'a run directory, or a results folder (every run in it)')
    .option('--suite <file>', 'the suite that measures the series (only that workload is run)')
    .option('--hosts <file>', 'host inventory (default: this machine)')
    .option('--fresh <dir>', 'compare this run instead of measuring')
    .option('--results <dir>', 'where the fresh run is written', 'results')
    .option('--metric <m>', 'p50 or p99', oneOf(METRICS), 'p50')
    .option('--threshold <x>', 'bad from this slow-down of the median (0.05 or 5%)', percentage, 0.05)
    .option('--max-pvalue <p>', 'and a Student t p-value below this', pValue, 0.01)
    .addOption(
      new Option('--reference <what>', `each repetition, as compare's rows: ${REFERENCE_HELP}`)
        .choices(REFERENCE_MODES)
        .default(DEFAULT_REFERENCE),
    )
    .action(async (o) => {
      const say = (s: string) => process.stderr.write(`gmembench bisect-check: ${s}\n`);
      let sel: SeriesSelector, metric: Metric, threshold: number, maxPValue: number, baseline: Baseline;
      try {
        if (!o.series || !o.baseline) throw new Error('--series and --baseline are required');
        if (!o.fresh && !o.suite) throw new Error('--suite (to measure) or --fresh (a run to compare) is required');
        sel = parseSeriesKey(o.series);
        metric = o.metric as Metric;
        threshold = o.threshold as number;
        maxPValue = o.maxPvalue as number;
        baseline = await baselineValues(o.baseline, sel, metric, o.reference as ReferenceMode);
      } catch (err) {
        say(`abort: ${(err as Error).message}`);
        process.exitCode = BISECT_EXIT.abort;
        return;
      }
      let result: BisectResult;
      try {
        let fresh: RunSummary;
        if (o.fresh) fresh = await readSummary(o.fresh);
        else {
          const suite = restrictSuite(await loadSuite(o.suite), sel);
          const inv = o.hosts ? await loadInventory(o.hosts) : LOCAL_INVENTORY;
          const hosts = inv.hosts.filter((h) => h.name === sel.host);
          if (hosts.length === 0)
            throw new Error(`host "${sel.host}" is not in ${o.hosts ?? 'the local inventory (name: local)'}`);
          ({ summary: fresh } = await runSuite({
            suite,
            inventory: { hosts },
            resultsDir: o.results,
            progress: 'silent',
          }));
        }
        const spans = detectChangePoints(baseline.runMedians);
        const thin = thinRepetitions(
          fresh.results.find((r) => seriesKey(r) === seriesKey(sel)),
          metric,
        );
        result = thin
          ? { verdict: 'skip', reason: `${seriesKey(sel)}: ${thin}` }
          : spans.length > 0
            ? {
                verdict: 'skip',
                reason: `the baseline spans a change point (${spans.length}; first at baseline run ${spans[0].index + 1} of ${baseline.runMedians.length}): pick runs of one kernel`,
              }
            : verdictOf(baseline, rowValues(fresh, sel, metric), { threshold, maxPValue });
      } catch (err) {
        result = { verdict: 'skip', reason: `cannot measure: ${(err as Error).message}` };
      }
      say(
        `${result.verdict}: ${seriesKey(sel)} ${metric} ${formatNs(result.before)} -> ${formatNs(result.after)}: ${result.reason}`,
      );
      process.exitCode = BISECT_EXIT[result.verdict];
    });
}
