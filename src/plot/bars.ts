/**
 * Grouped bars with confidence whiskers: one panel per op and granule (each with its own y scale:
 * 4K and 2M calls differ by orders of magnitude), a bar per path and side, the whisker the 95%
 * bootstrap interval of the median over the repetitions.
 */
import { CONFIG, NS_LABEL, SCHEMA, type VlSpec } from './theme.js';

export interface BarDatum {
  /** the panel, e.g. "alloc 4K" */
  panel: string;
  /** the x group inside a panel, e.g. the path */
  group: string;
  /** the bar inside a group (its colour), e.g. "baseline" or the path */
  series: string;
  /** ns */
  value: number;
  lo: number;
  hi: number;
}

export interface BarsOptions {
  title: string;
  subtitle?: string[];
  /** the figure shown, e.g. "p50 latency" */
  metric: string;
  seriesTitle: string;
  columns?: number;
}

export function barsSpec(data: BarDatum[], o: BarsOptions): VlSpec {
  const panels = [...new Set(data.map((d) => d.panel))];
  const series = [...new Set(data.map((d) => d.series))];
  const groups = [...new Set(data.map((d) => d.group))];
  // bars side by side inside a group only when a group holds several series
  const offset = data.some((d) => d.group !== d.series);
  return {
    $schema: SCHEMA,
    title: { text: o.title, subtitle: o.subtitle ?? [] },
    config: CONFIG,
    data: { values: data },
    columns: Math.min(o.columns ?? 3, panels.length || 1),
    facet: { field: 'panel', type: 'nominal', title: null, sort: panels, header: { labelOrient: 'top' } },
    resolve: { scale: { y: 'independent', x: 'independent' } },
    spec: {
      width: { step: offset ? Math.max(44, 24 * series.length) : 56 },
      height: 170,
      encoding: {
        x: { field: 'group', type: 'nominal', title: null, sort: groups, axis: { labelAngle: 0, labelFontSize: 12 } },
        ...(offset ? { xOffset: { field: 'series', type: 'nominal', sort: series } } : {}),
      },
      layer: [
        {
          mark: { type: 'bar', tooltip: true },
          encoding: {
            y: { field: 'value', type: 'quantitative', title: o.metric, axis: { labelExpr: NS_LABEL, tickCount: 5 } },
            color: { field: 'series', type: 'nominal', title: o.seriesTitle, sort: series, legend: { orient: 'bottom', direction: 'vertical' } },
          },
        },
        {
          mark: { type: 'rule', color: '#111', strokeWidth: 1.5 },
          encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
        },
      ],
    },
  };
}
