/**
 * What `gmembench regress` does, shared with `nightly`: load the history (results/ or InfluxDB),
 * find change points, mark the ones already reported (state file), write the outputs, POST the
 * webhook, write Grafana annotations. Options are declared once here for both commands.
 */
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import {
  DEFAULT_REGRESS_OPTIONS,
  markKnown,
  newRegressions,
  newSlowerShifts,
  regress,
  shiftAsChange,
  toKnown,
  type RegressOptions,
  type RegressReport,
} from '../analysis/regress.js';
import { DEFAULT_CHANGEPOINT_OPTIONS } from '../analysis/changepoint/edivisive.js';
import { loadHistoryDir, METRICS, type HistoryRun, type Metric } from '../analysis/series.js';
import { regressFormat, REGRESS_FORMATS } from '../export/regress-format.js';
import { readInfluxHistory, writeInfluxAnnotations } from '../influx/history.js';
import { writeChangePoints } from '../influx/changes.js';
import { DEFAULT_DB, redactUrl } from '../influx/connect.js';
import { postGrafanaAnnotations } from '../notify/grafana-annotations.js';
import { postRegressWebhook } from '../notify/webhook.js';
import { addToRegressState, readRegressState } from '../results/regress-state.js';
import { EXIT } from './exit.js';
import { confidence, fraction, integer, listOf, nonNegative, percentage, pValue, UsageError } from './options.js';
import { leaveOutEmulated } from '../lab/history.js';
import { REFERENCE_HELP, REFERENCE_MODES } from '../analysis/reference.js';

export interface RegressActionOptions {
  history: string;
  influx?: string;
  db: string;
  suite?: string;
  detect: RegressOptions;
  state?: string;
  format: string;
  jsonFile?: string;
  junitFile?: string;
  webhook?: string;
  annotateInflux?: boolean;
  grafanaUrl?: string;
  grafanaToken?: string;
  /** keep the rows of hosts measured under TCG emulation (left out by default) */
  allowEmulated?: boolean;
}

export function parseFraction(v: string): number {
  const pct = /^\s*([\d.]+)\s*%\s*$/.exec(v);
  const n = pct ? Number(pct[1]) / 100 : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`not a fraction or percentage: "${v}" (write 0.05 or 5%)`);
  return n;
}

/** The detection and output flags regress and nightly share. */
export function addRegressOptions(cmd: Command): Command {
  const d = DEFAULT_CHANGEPOINT_OPTIONS;
  return cmd
    .option('--db <name>', 'InfluxDB database', DEFAULT_DB)
    .option('--max-pvalue <p>', 'a change point needs a Student t p-value below this', pValue, d.maxPValue)
    .option(
      '--min-magnitude <x>',
      'and a change of the median of at least this (0.05 or 5%)',
      percentage,
      d.minMagnitude,
    )
    .option('--min-segment <n>', 'runs each side of a change point must hold (>= 2)', integer(2), d.minSegment)
    .option(
      '--persistence <n>',
      "runs the new level must hold, beyond the history's own n-run excursions (0: off)",
      integer(0),
      DEFAULT_REGRESS_OPTIONS.persistence,
    )
    .option(
      '--persistence-margin <z>',
      "each of those runs beyond the old median by z times the series' noise",
      nonNegative,
      DEFAULT_REGRESS_OPTIONS.persistenceMargin,
    )
    .option(
      '--baseline-runs <n>',
      'runs of the old level a change needs before it',
      integer(0),
      DEFAULT_REGRESS_OPTIONS.baselineRuns,
    )
    .addOption(
      new Option('--test <kind>', 'robust: t test on winsorized values; rank: on ranks; student: on values, as Otava')
        .choices(['rank', 'robust', 'student'])
        .default(DEFAULT_REGRESS_OPTIONS.test),
    )
    .option('--metrics <list>', 'metrics to analyse', listOf(METRICS), [...METRICS] as Metric[])
    .addOption(
      new Option(
        '--normalize <how>',
        "host: judge each series relative to its host's speed index (and the index itself); auto: relative to the index to the power the series' history gives (1: divided, 0: raw); none: raw latencies",
      )
        .choices(['auto', 'host', 'none'])
        .default(DEFAULT_REGRESS_OPTIONS.normalize),
    )
    .addOption(
      new Option('--reference <what>', REFERENCE_HELP)
        .choices(REFERENCE_MODES)
        .default(DEFAULT_REGRESS_OPTIONS.reference),
    )
    .option(
      '--noise-factor <k>',
      "a change must be k times the series' between-run noise",
      nonNegative,
      DEFAULT_REGRESS_OPTIONS.noiseFactor,
    )
    .option(
      '--noise-confidence <c>',
      "the floor is k times this upper confidence bound of the series' noise (0: the estimate)",
      confidence,
      DEFAULT_REGRESS_OPTIONS.noiseConfidence,
    )
    .option(
      '--tail-samples <n>',
      "judge a run's p99 only where its row has this many samples beyond it (100 x n samples; 0: every row)",
      integer(0),
      DEFAULT_REGRESS_OPTIONS.tailSamples,
    )
    .option(
      '--fdr <q>',
      "Benjamini-Hochberg false-discovery rate over all of a host's series",
      fraction(),
      DEFAULT_REGRESS_OPTIONS.fdr,
    )
    .option(
      '--common-mode <x>',
      "share of a host's series moving at one run reported as one host-wide shift",
      fraction(),
      DEFAULT_REGRESS_OPTIONS.commonMode,
    )
    .addOption(new Option('--format <fmt>', 'what to print').choices(Object.keys(REGRESS_FORMATS)).default('text'))
    .option('--json-file <file>', 'also write the JSON report here')
    .option('--junit-file <file>', 'also write JUnit XML here (a failing case per new regression)')
    .option('--webhook <url>', 'POST a JSON body here when there are new regressions')
    .option(
      '--annotate-influx',
      'write new change points to InfluxDB (measurement gmembench_annotations; needs --influx)',
    )
    .option('--grafana-url <url>', 'write new change points as Grafana annotations (POST /api/annotations)')
    .option('--grafana-token <token>', 'Grafana service-account token (default: $GRAFANA_TOKEN)')
    .option(
      '--allow-emulated',
      'keep rows measured under TCG emulation (lab hosts): left out by default, their timings mean nothing',
    );
}

export function regressActionOptions(
  o: Record<string, unknown>,
  extra: { history: string; influx?: string; suite?: string; state?: string },
): RegressActionOptions {
  const detect: RegressOptions = {
    maxPValue: o.maxPvalue as number,
    minMagnitude: o.minMagnitude as number,
    minSegment: o.minSegment as number,
    test: o.test as RegressOptions['test'],
    metrics: o.metrics as Metric[],
    noiseFactor: (o.noiseFactor as number | undefined) ?? DEFAULT_REGRESS_OPTIONS.noiseFactor,
    fdr: (o.fdr as number | undefined) ?? DEFAULT_REGRESS_OPTIONS.fdr,
    commonMode: (o.commonMode as number | undefined) ?? DEFAULT_REGRESS_OPTIONS.commonMode,
    persistence: (o.persistence as number | undefined) ?? DEFAULT_REGRESS_OPTIONS.persistence,
    baselineRuns: (o.baselineRuns as number | undefined) ?? DEFAULT_REGRESS_OPTIONS.baselineRuns,
    persistenceMargin: (o.persistenceMargin as number | undefined) ?? DEFAULT_REGRESS_OPTIONS.persistenceMargin,
    normalize: (o.normalize as RegressOptions['normalize'] | undefined) ?? DEFAULT_REGRESS_OPTIONS.normalize,
    reference: (o.reference as RegressOptions['reference'] | undefined) ?? DEFAULT_REGRESS_OPTIONS.reference,
    noiseConfidence: (o.noiseConfidence as number | undefined) ?? DEFAULT_REGRESS_OPTIONS.noiseConfidence,
    tailSamples: (o.tailSamples as number | undefined) ?? DEFAULT_REGRESS_OPTIONS.tailSamples,
  };
  if (!(Number.isInteger(detect.baselineRuns) && detect.baselineRuns >= 0))
    throw new UsageError(`--baseline-runs: must be an integer >= 0, got ${o.baselineRuns}`);
  if (!(Number.isInteger(detect.persistence) && detect.persistence >= 0))
    throw new UsageError(`--persistence: must be an integer >= 0, got ${o.persistence}`);
  if (!(detect.noiseFactor >= 0)) throw new UsageError(`--noise-factor: must be >= 0, got ${o.noiseFactor}`);
  if (!(detect.fdr > 0 && detect.fdr <= 1)) throw new UsageError(`--fdr: must be in (0, 1], got ${o.fdr}`);
  if (!(detect.maxPValue > 0 && detect.maxPValue <= 1))
    throw new UsageError(`--max-pvalue: must be in (0, 1], got ${o.maxPvalue}`);
  if (!(Number.isInteger(detect.minSegment) && detect.minSegment >= 2))
    throw new UsageError(`--min-segment: must be an integer >= 2, got ${o.minSegment}`);
  if (o.annotateInflux && !extra.influx) throw new UsageError('--annotate-influx needs --influx URL');
  const grafanaToken = (o.grafanaToken as string | undefined) ?? process.env.GRAFANA_TOKEN;
  if (o.grafanaUrl && !grafanaToken) throw new UsageError('--grafana-url needs --grafana-token or $GRAFANA_TOKEN');
  return {
    ...extra,
    db: o.db as string,
    detect,
    format: o.format as string,
    jsonFile: o.jsonFile as string | undefined,
    junitFile: o.junitFile as string | undefined,
    webhook: o.webhook as string | undefined,
    annotateInflux: !!o.annotateInflux,
    grafanaUrl: o.grafanaUrl as string | undefined,
    grafanaToken,
    allowEmulated: !!o.allowEmulated,
  };
}

export interface RegressOutcome {
  report: RegressReport;
  exit: number;
  /** problems delivering the outputs (webhook, annotations); the report itself stands */
  deliveryErrors: string[];
}

export async function executeRegress(o: RegressActionOptions, print: (s: string) => void): Promise<RegressOutcome> {
  let runs: HistoryRun[];
  let skipped: string[];
  let source: string;
  if (o.influx) {
    ({ runs, skipped } = await readInfluxHistory(
      { url: o.influx, db: o.db },
      { suite: o.suite, allowEmulated: o.allowEmulated },
    ));
    source = `${redactUrl(o.influx)} db ${o.db}`;
  } else {
    ({ runs, skipped } = await loadHistoryDir(o.history, { suite: o.suite }));
    if (!o.allowEmulated) skipped = [...skipped, ...(await leaveOutEmulated(o.history, runs))];
    source = o.history;
  }
  let report = regress(runs, o.detect, { source: o.suite ? `${source} (suite ${o.suite})` : source, skipped });
  const known = o.state ? await readRegressState(o.state) : [];
  report = markKnown(
    report,
    known,
    runs.map((r) => r.runId),
    o.detect.minSegment,
  );

  print(regressFormat(o.format).render(report));
  if (o.jsonFile) await writeFile(o.jsonFile, REGRESS_FORMATS.json.render(report));
  if (o.junitFile) await writeFile(o.junitFile, REGRESS_FORMATS.junit.render(report));

  const fresh = [...newRegressions(report), ...report.improvements.filter((c) => !c.known)];
  const deliveryErrors: string[] = [];
  const deliver = async (what: () => Promise<unknown>) => {
    try {
      await what();
    } catch (err) {
      deliveryErrors.push((err as Error).message);
    }
  };
  if (o.influx) await deliver(() => writeChangePoints({ url: o.influx!, db: o.db }, report, runs, o.suite));
  if (o.webhook) await deliver(() => postRegressWebhook(o.webhook!, report));
  if (o.annotateInflux && o.influx) await deliver(() => writeInfluxAnnotations({ url: o.influx!, db: o.db }, fresh));
  if (o.grafanaUrl) await deliver(() => postGrafanaAnnotations({ url: o.grafanaUrl!, token: o.grafanaToken! }, fresh));
  // remember what was told only once it was told
  const freshShifts = (report.shifts ?? []).filter((sh) => !sh.known);
  if (o.state && deliveryErrors.length === 0)
    await addToRegressState(o.state, known, [...fresh.map(toKnown), ...freshShifts.map(shiftAsChange)]);

  const slower = newRegressions(report).length + newSlowerShifts(report).length;
  return { report, exit: slower > 0 ? EXIT.regression : EXIT.ok, deliveryErrors };
}
