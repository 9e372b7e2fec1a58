/**
 * The charts gmembench draws, built from runs and comparisons (data here; look in bars.ts /
 * percentiles.ts). A chart with many panels is a source of several pages (render.ts splits it to
 * the layout's size); the report draws each chart whole.
 */
import type { Comparison, Pairing } from '../analysis/compare.js';
import { repValues } from '../analysis/compare.js';
import { bootstrapMedian } from '../analysis/stats/bootstrap.js';
import type { ResultRow, RunSummary } from '../results/schema.js';
import { formatSize } from '../util/units.js';
import { barsSpec, type BarDatum } from './bars.js';
import { curvePoints, MIN_CURVE_SAMPLES, percentilesSpec, type CurvePoint } from './percentiles.js';
import { PLOT_LAYOUT, type Figure, type VlSpec } from './theme.js';

/** A chart before it is laid out: its panels, and how to draw any run of them. */
export interface FigureSource {
  name: string;
  kind: Figure['kind'];
  panels: string[];
  /** the spec of these panels; `page` ("2/3") goes into the title */
  build(panels: string[], columns: number, page?: string): VlSpec;
}

function panelOf(r: ResultRow, multiHost: boolean): string {
  return `${multiHost ? `${r.host}: ` : ''}${r.op} ${formatSize(r.granule)}${r.threads > 1 ? ` x${r.threads}` : ''}`;
}

function bar(r: ResultRow, panel: string, side: string): BarDatum {
  const ci = bootstrapMedian(repValues(r, 'p50'));
  const value = r.p50 ?? 0;
  return { panel, path: r.path, side, value, lo: ci?.lo ?? value, hi: ci?.hi ?? value };
}

function okRows(run: RunSummary): ResultRow[] {
  return run.results.filter((r) => r.status === 'ok' && typeof r.p50 === 'number' && r.p50 > 0);
}

/** a curve only for a histogram with enough calls for one nine: a one-point line is an empty panel */
const curveable = (r: ResultRow) => !!r.histogram && r.samples >= MIN_CURVE_SAMPLES;

const withPage = (title: string, page?: string) => (page ? `${title} (${page})` : title);
const panelsOf = (xs: { panel: string }[]) => [...new Set(xs.map((x) => x.panel))];

function barsSource(name: string, data: BarDatum[], o: { title: string; subtitle: string[] }): FigureSource {
  return {
    name,
    kind: 'bars',
    panels: panelsOf(data),
    build: (panels, columns, page) =>
      barsSpec(
        data.filter((d) => panels.includes(d.panel)),
        { ...o, title: withPage(o.title, page), metric: 'p50', columns },
      ),
  };
}

function curvesSource(
  name: string,
  points: CurvePoint[],
  o: { title: string; subtitle: string[]; sideTitle?: string },
): FigureSource {
  return {
    name,
    kind: 'percentiles',
    panels: panelsOf(points),
    build: (panels, columns, page) =>
      percentilesSpec(
        points.filter((d) => panels.includes(d.panel)),
        { ...o, title: withPage(o.title, page), columns },
      ),
  };
}

/** One run: p50 bars per op and path, and the latency percentile curves. */
export function runSources(run: RunSummary): FigureSource[] {
  const rows = okRows(run);
  const multiHost = new Set(rows.map((r) => r.host)).size > 1;
  const points = rows
    .filter(curveable)
    .flatMap((r) => curvePoints(r.histogram!, { panel: panelOf(r, multiHost), path: r.path, side: '' }));
  return [
    barsSource(
      'p50',
      rows.map((r) => bar(r, panelOf(r, multiHost), '')),
      {
        title: 'p50 latency per call, by op and path',
        subtitle: [`run ${run.runId}; whiskers: 95% bootstrap interval of the median over the repetitions`],
      },
    ),
    curvesSource('percentiles', points, {
      title: 'latency percentiles per call',
      subtitle: [`run ${run.runId}, from the merged HdrHistograms`],
    }),
  ].filter((s) => s.panels.length > 0);
}

function subtitle(p: Pairing): string[] {
  return p.mode === 'paths'
    ? [`run ${p.baseline.runId}: ${p.baseline.label} (baseline) vs ${p.candidate.label} (candidate)`]
    : [`baseline ${p.baseline.runId} (paler bars, dashed lines), candidate ${p.candidate.runId}`];
}

/** A comparison: p50 bars of both sides per op and path, and the percentile curves. */
export function comparisonSources(p: Pairing, c?: Comparison): FigureSource[] {
  const runs = p.mode === 'runs';
  const multiHost = new Set(p.pairs.map((x) => x.baseline.host)).size > 1;
  const data: BarDatum[] = [];
  const points: CurvePoint[] = [];
  for (const { baseline, candidate } of p.pairs) {
    const panel = panelOf(baseline, multiHost);
    data.push(bar(baseline, panel, runs ? 'baseline' : ''), bar(candidate, panel, runs ? 'candidate' : ''));
    for (const [r, side] of [
      [baseline, 'baseline'],
      [candidate, 'candidate'],
    ] as const) {
      if (curveable(r)) points.push(...curvePoints(r.histogram!, { panel, path: r.path, side: runs ? side : '' }));
    }
  }
  const g = c?.summary[0];
  const geomean =
    g && g.count > 0 ? [`geomean p50 candidate/baseline ${g.geomeanRatio.toFixed(3)} over ${g.count} rows`] : [];
  return [
    barsSource('p50', data, {
      title: `p50 latency per call: ${runs ? 'baseline vs candidate' : `${p.baseline.label} vs ${p.candidate.label}`}`,
      subtitle: [
        ...subtitle(p),
        [...geomean, 'whiskers: 95% bootstrap interval of the median over the repetitions'].join('; '),
      ],
    }),
    curvesSource('percentiles', points, {
      title: `latency percentiles per call: ${runs ? 'baseline vs candidate' : `${p.baseline.label} vs ${p.candidate.label}`}`,
      subtitle: subtitle(p),
      sideTitle: 'run',
    }),
  ].filter((s) => s.panels.length > 0);
}

const whole = (s: FigureSource | undefined): VlSpec => {
  if (!s) throw new Error('nothing to draw: no measured row');
  return s.build(s.panels, PLOT_LAYOUT.columns[s.kind]);
};

/** Every panel in one spec (tests and callers that lay out themselves). */
export const runBars = (run: RunSummary): VlSpec => whole(runSources(run).find((s) => s.kind === 'bars'));
export const runPercentiles = (run: RunSummary): VlSpec => whole(runSources(run).find((s) => s.kind === 'percentiles'));
export const comparisonBars = (p: Pairing): VlSpec => whole(comparisonSources(p).find((s) => s.kind === 'bars'));
export const comparisonPercentiles = (p: Pairing): VlSpec =>
  whole(comparisonSources(p).find((s) => s.kind === 'percentiles'));
