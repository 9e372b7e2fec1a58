/**
 * Shared look of the charts: readable fonts, white background, durations labelled with units, and
 * one colour per role in every figure (a path is always the same colour; slower and faster too).
 */

/** The font the charts ask for; render.ts hands resvg the file (Debian's fonts-dejavu-core). */
export const FONT = 'DejaVu Sans';

export const CONFIG = {
  font: FONT,
  background: 'white',
  padding: 8,
  // no aria-* attributes on every mark: a third of the SVG, and the page has text tables
  aria: false,
  axis: {
    labelFontSize: 12,
    titleFontSize: 13,
    titleFontWeight: 'normal',
    labelColor: '#222',
    titleColor: '#222',
    gridColor: '#e6e6e6',
  },
  legend: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal', labelLimit: 320 },
  header: { labelFontSize: 13, titleFontSize: 13, labelFontWeight: 'bold' },
  title: { fontSize: 15, subtitleFontSize: 12, anchor: 'start' as const, subtitleColor: '#444' },
  view: { stroke: '#ccc' },
};

/**
 * The colour of each backing path, in every figure (Tableau 10, colour-blind safer pairs first).
 * A path not listed gets the next of EXTRA_COLORS.
 */
export const PATH_COLORS: Record<string, string> = {
  shmem: '#4c78a8',
  gmem: '#f58518',
  hugetlb: '#54a24b',
  secretmem: '#b279a2',
};
const EXTRA_COLORS = ['#e45756', '#72b7b2', '#9d755d', '#bab0ac'];

/** Slower and faster, as in the report's tables (+ = slower: src/analysis/change.ts). */
export const CHANGE_COLORS = { slower: '#b3261e', faster: '#11772d', unchanged: '#666666' };

/** The baseline of a comparison of two runs is drawn paler (bars) or dashed (curves) than the candidate. */
export const SIDE_OPACITY = { baseline: 0.45, candidate: 1 };

/** A colour scale giving each path its own colour, whatever subset of paths a figure shows. */
export function pathColorScale(paths: string[]): { domain: string[]; range: string[] } {
  let extra = 0;
  return { domain: paths, range: paths.map((p) => PATH_COLORS[p] ?? EXTRA_COLORS[extra++ % EXTRA_COLORS.length]) };
}

/** The latency axes' title: the unit is on each tick (800 ns, 1.5 µs, 2 ms), the title says so. */
export const LATENCY_UNITS = '(ns, µs, ms)';

/** A vega expression labelling a nanosecond axis tick with its unit: 800 ns, 1.5 µs, 2 ms, 1 s. */
export const NS_LABEL =
  "datum.value >= 1e9 ? format(datum.value / 1e9, '~g') + ' s'" +
  " : datum.value >= 1e6 ? format(datum.value / 1e6, '~g') + ' ms'" +
  " : datum.value >= 1e3 ? format(datum.value / 1e3, '~g') + ' µs'" +
  " : format(datum.value, '~g') + ' ns'";

/** vega-lite's top-level boilerplate. */
export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** A vega-lite spec (kept loose: vega-lite's own TopLevelSpec type is too deep for object literals). */
export type VlSpec = Record<string, unknown>;

/** One figure: a file of its own with --plot, a chart of its own in the report. */
export interface Figure {
  /** file-name part, e.g. "p50" or "percentiles-2" */
  name: string;
  /** bars or percentiles: what the report and its test look for */
  kind: 'bars' | 'percentiles';
  spec: VlSpec;
}

/**
 * How big a figure may be. `--plot`: about 1600x1200 px at the PNG's 2x scale, so a figure with many
 * panels is split into pages; the report: wider, one figure per chart, scrolled.
 */
export interface Layout {
  /** panels side by side, per kind of chart (fewer when the SVG would be wider than maxWidth) */
  columns: Record<Figure['kind'], number>;
  /** CSS px of the SVG; --plot splits a figure whose SVG is larger */
  maxWidth: number;
  maxHeight: number;
  /** panels per page before measuring (the renderer splits further if a page is still too big) */
  panelsPerPage: number;
}

export const PLOT_LAYOUT: Layout = {
  columns: { bars: 4, percentiles: 2 },
  maxWidth: 800,
  maxHeight: 600,
  panelsPerPage: 12,
};
export const REPORT_LAYOUT: Layout = {
  columns: { bars: 6, percentiles: 4 },
  maxWidth: Infinity,
  maxHeight: Infinity,
  panelsPerPage: Infinity,
};
