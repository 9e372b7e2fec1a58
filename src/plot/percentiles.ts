/**
 * Latency percentile curves from the stored HdrHistograms, drawn like HdrHistogram's own plots:
 * x is the number of nines, -log10(1 - p), so 0, 90, 99, 99.9 and 99.99% sit evenly apart; y is
 * the latency on a log scale.
 */
import { decode } from '../analysis/histogram.js';
import { CONFIG, LATENCY_UNITS, NS_LABEL, SCHEMA, pathColorScale, type VlSpec } from './theme.js';

/** log axes get a tick at every 1..9 x 10^k: label only 1, 2 and 5 x 10^k */
const LOG_NS_LABEL = `indexof([1, 2, 5], round(datum.value / pow(10, floor(log(datum.value) / LN10 + 1e-9)))) >= 0 ? (${NS_LABEL}) : ''`;

export interface CurvePoint {
  panel: string;
  /** the path: the line's colour */
  path: string;
  /** the line's dash, e.g. baseline or candidate ('' for none) */
  side: string;
  /** -log10(1 - p/100) */
  nines: number;
  percentile: number;
  /** ns */
  value: number;
}

const NINES_LABELS = ['0%', '90%', '99%', '99.9%', '99.99%', '99.999%', '99.9999%'];

/** Points of one histogram's curve, 0.1 nines apart up to what its sample count supports (max 5 nines). */
export function curvePoints(histogram: string, base: Omit<CurvePoint, 'nines' | 'percentile' | 'value'>): CurvePoint[] {
  const h = decode(histogram);
  try {
    const total = h.totalCount;
    if (total <= 0) return [];
    const maxNines = Math.min(5, Math.log10(total));
    const out: CurvePoint[] = [];
    const steps = Math.floor(maxNines * 10 + 1e-9);
    for (let i = 0; i <= steps; i++) {
      const nines = i / 10;
      const percentile = 100 * (1 - 10 ** -nines);
      const value = i === 0 ? h.minNonZeroValue : h.getValueAtPercentile(percentile);
      out.push({ ...base, nines, percentile: Number(percentile.toFixed(4)), value: Math.max(1, value) });
    }
    return out;
  } finally {
    h.destroy();
  }
}

export interface PercentilesOptions {
  title: string;
  subtitle?: string[];
  sideTitle?: string;
  columns: number;
}

/** A curve needs at least this many calls (one nine: the 90th percentile) to be drawn. */
export const MIN_CURVE_SAMPLES = 10;

/** px per nine on the x axis: "99.999%" at 11 px is about 50 px wide, its neighbours never touch it */
const PX_PER_NINE = 58;

export function percentilesSpec(points: CurvePoint[], o: PercentilesOptions): VlSpec {
  const panels = [...new Set(points.map((d) => d.panel))];
  const paths = [...new Set(points.map((d) => d.path))];
  const sides = [...new Set(points.map((d) => d.side))].filter(Boolean);
  const maxNines = Math.max(1, Math.ceil(Math.max(0, ...points.map((p) => p.nines))));
  return {
    $schema: SCHEMA,
    title: { text: o.title, subtitle: o.subtitle ?? [] },
    config: CONFIG,
    data: { values: points },
    columns: Math.min(o.columns, panels.length || 1),
    facet: { field: 'panel', type: 'nominal', title: null, sort: panels, header: { labelPadding: 4 } },
    resolve: { scale: { y: 'independent' } },
    spacing: { row: 12, column: 14 },
    spec: {
      width: Math.max(180, PX_PER_NINE * maxNines),
      height: 110,
      mark: { type: 'line', strokeWidth: 1.8, interpolate: 'step-after' },
      encoding: {
        x: {
          field: 'nines',
          type: 'quantitative',
          title: 'percentile (%)',
          scale: { domain: [0, maxNines], nice: false },
          axis: {
            values: Array.from({ length: maxNines + 1 }, (_, i) => i),
            labelOverlap: false,
            labelFlush: false,
            labelFontSize: 11,
            labelExpr: `${JSON.stringify(NINES_LABELS)}[datum.value]`,
          },
        },
        y: {
          field: 'value',
          type: 'quantitative',
          title: `latency ${LATENCY_UNITS}`,
          scale: { type: 'log' },
          axis: { labelExpr: LOG_NS_LABEL, titleFontSize: 12, tickCount: 3 },
        },
        color: {
          field: 'path',
          type: 'nominal',
          title: 'path',
          sort: paths,
          scale: pathColorScale(paths),
          legend: { orient: 'bottom', direction: 'horizontal' },
        },
        ...(sides.length > 1
          ? {
              strokeDash: {
                field: 'side',
                type: 'nominal',
                title: o.sideTitle ?? 'side',
                sort: sides,
                scale: { domain: sides, range: sides.map((s) => (s === 'baseline' ? [5, 3] : [1, 0])) },
                legend: { orient: 'bottom', direction: 'horizontal' },
              },
            }
          : {}),
        tooltip: [{ field: 'path' }, { field: 'percentile' }, { field: 'value', title: 'ns' }],
      },
    },
  };
}
