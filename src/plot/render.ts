/**
 * Charts without a browser: vega-lite compiles the spec, a headless vega View renders SVG, and
 * resvg rasterises PNG with the system's DejaVu fonts (no font is fetched over the network).
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { FONT, type VlSpec } from './theme.js';

const FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
].filter((f) => existsSync(f));

const QUIET = { level: () => QUIET, error: (...m: unknown[]) => { throw new Error(`vega-lite: ${m.join(' ')}`); }, warn: () => QUIET, info: () => QUIET, debug: () => QUIET } as never;

export async function renderSvg(spec: VlSpec): Promise<string> {
  // vega-lite warns that faceted layers with independent scales share fields: true and harmless here
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec, { logger: QUIET }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, scale = 2): Buffer {
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { fontFiles: FONT_FILES, loadSystemFonts: FONT_FILES.length === 0, defaultFontFamily: FONT },
  });
  return r.render().asPng();
}

/** Write FILE.svg or FILE.png. */
export async function writePlot(file: string, spec: VlSpec): Promise<void> {
  const svg = await renderSvg(spec);
  if (/\.svg$/i.test(file)) await writeFile(file, svg);
  else if (/\.png$/i.test(file)) await writeFile(file, svgToPng(svg));
  else throw new Error(`--plot: "${file}" must end in .svg or .png`);
}
