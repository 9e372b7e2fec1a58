/**
 * Grouped bars with confidence whiskers: one panel per op and granule (each with its own y scale:
 * 4K and 2M calls differ by orders of magnitude), a bar per path (its colour) and, comparing two
 * runs, per side (the baseline paler), the whisker the 95% bootstrap interval of the median over
 * the repetitions.
 */
import { CONFIG, LATENCY_UNITS, NS_LABEL, SCHEMA, SIDE_OPACITY, pathColorScale, type VlSpec } from './theme.js';

export interface BarDatum {
  /** the panel, e.g. "alloc 4K" */
  panel: string;
  /** the path: the x group inside a panel and the bar's colour */
  path: string;
  /** baseline or candidate when two runs are compared ('' otherwise) */
  side: string;
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
  columns: number;
}

export function barsSpec(data: BarDatum[], o: BarsOptions): VlSpec {
  // a panel only for what has a bar: no empty facet
  const shown = data.filter((d) => d.value > 0);
  const panels = [...new Set(shown.map((d) => d.panel))];
  const paths = [...new Set(shown.map((d) => d.path))];
  const sides = [...new Set(shown.map((d) => d.side))].filter(Boolean);
  const bySide = sides.length > 1;
  // every panel as wide as the one with the most paths: an even grid
  const most = Math.max(1, ...panels.map((p) => new Set(shown.filter((d) => d.panel === p).map((d) => d.path)).size));
  return {
    $schema: SCHEMA,
    title: { text: o.title, subtitle: o.subtitle ?? [] },
    config: CONFIG,
    data: { values: shown },
    columns: Math.min(o.columns, panels.length || 1),
    facet: {
      field: 'panel',
      type: 'nominal',
      title: null,
      sort: panels,
      header: { labelOrient: 'top', labelPadding: 4 },
    },
    resolve: { scale: { y: 'independent', x: 'independent', xOffset: 'independent' } },
    spacing: { row: 12, column: 14 },
    spec: {
      width: most * (bySide ? 40 : 26) + 10,
      height: 110,
      encoding: {
        // no x labels: path names side by side collide; the colour legend names them
        x: { field: 'path', type: 'nominal', title: null, sort: paths, axis: { labels: false, ticks: false } },
        ...(bySide ? { xOffset: { field: 'side', type: 'nominal', sort: sides } } : {}),
      },
      layer: [
        {
          mark: { type: 'bar', tooltip: true },
          encoding: {
            y: {
              field: 'value',
              type: 'quantitative',
              title: `${o.metric} ${LATENCY_UNITS}`,
              axis: { labelExpr: NS_LABEL, tickCount: 4, titleFontSize: 12 },
            },
            color: {
              field: 'path',
              type: 'nominal',
              title: 'path',
              sort: paths,
              scale: pathColorScale(paths),
              legend: { orient: 'bottom', direction: 'horizontal' },
            },
            ...(bySide
              ? {
                  opacity: {
                    field: 'side',
                    type: 'nominal',
                    title: 'run',
                    sort: sides,
                    scale: {
                      domain: sides,
                      range: sides.map((s) => SIDE_OPACITY[s as keyof typeof SIDE_OPACITY] ?? 1),
                    },
                    legend: { orient: 'bottom', direction: 'horizontal' },
                  },
                }
              : {}),
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
