/** Shared look of the charts: readable fonts, white background, durations labelled with units. */

/** The font the charts ask for; render.ts hands resvg the file (Debian's fonts-dejavu-core). */
export const FONT = 'DejaVu Sans';

export const CONFIG = {
  font: FONT,
  background: 'white',
  padding: 8,
  axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal', labelColor: '#222', titleColor: '#222', gridColor: '#e6e6e6' },
  legend: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 'normal', labelLimit: 320 },
  header: { labelFontSize: 13, titleFontSize: 13, labelFontWeight: 'bold' },
  title: { fontSize: 15, subtitleFontSize: 12, anchor: 'start' as const, subtitleColor: '#444' },
  view: { stroke: '#ccc' },
};

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
