/** The charts gmembench draws, built from runs and comparisons (data here; look in bars.ts / percentiles.ts). */
import type { Comparison, Pairing } from '../analysis/compare.js';
import { repValues } from '../analysis/compare.js';
import { bootstrapMedian } from '../analysis/stats/bootstrap.js';
import type { ResultRow, RunSummary } from '../results/schema.js';
import { formatSize } from '../util/units.js';
import { barsSpec, type BarDatum } from './bars.js';
import { curvePoints, percentilesSpec, type CurvePoint } from './percentiles.js';
import { SCHEMA, CONFIG, type VlSpec } from './theme.js';

function panelOf(r: ResultRow, multiHost: boolean): string {
  return `${multiHost ? `${r.host}: ` : ''}${r.op} ${formatSize(r.granule)}${r.threads > 1 ? ` x${r.threads}` : ''}`;
}

function bar(r: ResultRow, panel: string, group: string, series: string): BarDatum {
  const ci = bootstrapMedian(repValues(r, 'p50'));
  const value = r.p50 ?? 0;
  return { panel, group, series, value, lo: ci?.lo ?? value, hi: ci?.hi ?? value };
}

function okRows(run: RunSummary): ResultRow[] {
  return run.results.filter((r) => r.status === 'ok' && typeof r.p50 === 'number' && r.p50 > 0);
}

/** One run: p50 bars per op and path. */
export function runBars(run: RunSummary): VlSpec {
  const rows = okRows(run);
  const multiHost = new Set(rows.map((r) => r.host)).size > 1;
  return barsSpec(rows.map((r) => bar(r, panelOf(r, multiHost), r.path, r.path)), {
    title: 'p50 latency per call, by op and path',
    subtitle: [`run ${run.runId}; whiskers: 95% bootstrap interval of the median over the repetitions`],
    metric: 'p50 latency',
    seriesTitle: 'path',
  });
}

/** One run: latency percentile curves per op, a line per path. */
export function runPercentiles(run: RunSummary): VlSpec {
  const rows = okRows(run).filter((r) => r.histogram);
  const multiHost = new Set(rows.map((r) => r.host)).size > 1;
  const points = rows.flatMap((r) => curvePoints(r.histogram!, { panel: panelOf(r, multiHost), series: r.path, side: '' }));
  return percentilesSpec(points, { title: 'latency percentiles per call', subtitle: [`run ${run.runId}, from the merged HdrHistograms`], seriesTitle: 'path' });
}

function sideNames(p: Pairing): [string, string] {
  return p.mode === 'paths' ? [p.baseline.label, p.candidate.label] : ['baseline', 'candidate'];
}

function subtitle(p: Pairing): string[] {
  return p.mode === 'paths'
    ? [`run ${p.baseline.runId}: ${p.baseline.label} (baseline) vs ${p.candidate.label} (candidate)`]
    : [`baseline ${p.baseline.runId}`, `candidate ${p.candidate.runId}`];
}

/** A comparison: p50 bars for baseline and candidate side by side, per op (and path). */
export function comparisonBars(p: Pairing): VlSpec {
  const [bName, cName] = sideNames(p);
  const multiHost = new Set(p.pairs.map((x) => x.baseline.host)).size > 1;
  const data: BarDatum[] = [];
  for (const { baseline, candidate } of p.pairs) {
    const panel = panelOf(baseline, multiHost);
    const group = p.mode === 'paths' ? '' : baseline.path;
    data.push(bar(baseline, panel, group || bName, bName), bar(candidate, panel, group || cName, cName));
  }
  return barsSpec(data, {
    title: 'p50 latency per call: baseline vs candidate',
    subtitle: [...subtitle(p), 'whiskers: 95% bootstrap interval of the median over the repetitions'],
    metric: 'p50 latency',
    seriesTitle: p.mode === 'paths' ? 'path' : 'run',
  });
}

/** A comparison: percentile curves, colour per path, dashes per side (runs) or colour per path (paths). */
export function comparisonPercentiles(p: Pairing): VlSpec {
  const [bName, cName] = sideNames(p);
  const multiHost = new Set(p.pairs.map((x) => x.baseline.host)).size > 1;
  const points: CurvePoint[] = [];
  for (const { baseline, candidate } of p.pairs) {
    const panel = panelOf(baseline, multiHost);
    for (const [r, side] of [[baseline, bName], [candidate, cName]] as const) {
      if (!r.histogram) continue;
      points.push(...curvePoints(r.histogram, p.mode === 'paths' ? { panel, series: side, side: '' } : { panel, series: r.path, side }));
    }
  }
  return percentilesSpec(points, {
    title: 'latency percentiles per call: baseline vs candidate',
    subtitle: subtitle(p),
    seriesTitle: 'path',
    sideTitle: 'run',
  });
}

/** Everything `compare --plot` draws, in one figure: the bars above the percentile curves. */
export function comparisonFigure(p: Pairing, c: Comparison): VlSpec {
  const strip = (s: VlSpec) => {
    const { $schema: _s, config: _c, ...rest } = s;
    return rest;
  };
  const g = c.summary[0];
  return {
    $schema: SCHEMA,
    config: CONFIG,
    title: {
      text: `gmembench compare: ${p.mode === 'paths' ? `${p.baseline.label} vs ${p.candidate.label}` : 'baseline vs candidate'}`,
      subtitle: g && g.count > 0 ? [`geomean p50 candidate/baseline ${g.geomeanRatio.toFixed(3)} over ${g.count} rows`] : [],
    },
    vconcat: [strip(comparisonBars(p)), strip(comparisonPercentiles(p))],
    // the bars colour runs, the curves colour paths: separate scales and legends
    resolve: { scale: { color: 'independent', strokeDash: 'independent' }, legend: { color: 'independent' } },
    spacing: 40,
  };
}
