/**
 * Charts without a browser: vega-lite compiles the spec, a headless vega View renders SVG, and
 * resvg rasterises PNG with the system's DejaVu fonts (no font is fetched over the network).
 * A chart with more panels than fit the layout's size is split into pages, each a file of its own.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { writeFile } from 'node:fs/promises';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { FigureSource } from './figures.js';
import { dejavuWidths } from './text-width.js';
import { FONT, type Figure, type Layout, type VlSpec } from './theme.js';

// vega lays text out with the widths of the font resvg draws (see text-width.ts). npm installs
// several copies of vega-scenegraph (vega's packages pin different versions): each keeps its own
// textMetrics, and the one laying out the view (vega-view-transforms) is not the one vega exports.
const SCENEGRAPH_USERS = [
  'vega',
  'vega-view',
  'vega-view-transforms',
  'vega-parser',
  'vega-label',
  'vega-functions',
  'vega-encode',
  'vega-scenegraph',
];
let patched: Promise<void> | undefined;
function useFontWidths(): Promise<void> {
  patched ??= (async () => {
    const widths = dejavuWidths();
    if (!widths) return;
    const width = (item: Record<string, unknown>, text: unknown) => {
      const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
      const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600;
      return (bold ? widths.bold : widths.regular).width(text == null ? '' : String(text).trim(), size);
    };
    const fromVega = createRequire(createRequire(import.meta.url).resolve('vega'));
    const files = new Set<string>();
    for (const pkg of SCENEGRAPH_USERS) {
      try {
        const at = pkg === 'vega-scenegraph' ? fromVega : createRequire(fromVega.resolve(pkg));
        files.add(at.resolve('vega-scenegraph'));
      } catch {
        /* not installed at this version of vega: nothing to patch */
      }
    }
    for (const f of files) {
      const m = (await import(pathToFileURL(f).href)) as { textMetrics?: { width: unknown } };
      if (m.textMetrics) m.textMetrics.width = width;
    }
  })();
  return patched;
}

const FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
].filter((f) => existsSync(f));

const QUIET = {
  level: () => QUIET,
  error: (...m: unknown[]) => {
    throw new Error(`vega-lite: ${m.join(' ')}`);
  },
  warn: () => QUIET,
  info: () => QUIET,
  debug: () => QUIET,
} as never;

/** The PNG's pixels per SVG pixel: 2x keeps 12 px labels sharp when a slide scales the image down. */
export const PNG_SCALE = 2;

export async function renderSvg(spec: VlSpec): Promise<string> {
  await useFontWidths();
  // vega-lite warns that faceted layers with independent scales share fields: true and harmless here
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec, { logger: QUIET }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, scale = PNG_SCALE): Buffer {
  const r = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { fontFiles: FONT_FILES, loadSystemFonts: FONT_FILES.length === 0, defaultFontFamily: FONT },
  });
  return r.render().asPng();
}

/** The width and height an SVG of vega's declares. */
export function svgSize(svg: string): { width: number; height: number } {
  const m = /^<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"/.exec(svg);
  if (!m) throw new Error('not an SVG with a width and height');
  return { width: Number(m[1]), height: Number(m[2]) };
}

export interface RenderedFigure extends Figure {
  svg: string;
  width: number;
  height: number;
}

/** `xs` in `n` runs of (nearly) equal length, in order. */
function chunks<T>(xs: T[], n: number): T[][] {
  const size = Math.ceil(xs.length / n);
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/**
 * A source drawn to fit the layout: fewer columns while it is too wide, more pages while it is too
 * tall, down to one panel a page.
 */
export async function layoutSource(src: FigureSource, layout: Layout): Promise<RenderedFigure[]> {
  const n = src.panels.length;
  let columns = layout.columns[src.kind];
  let pages = Math.min(n, Math.max(1, Math.ceil(n / layout.panelsPerPage)));
  for (;;) {
    const parts = chunks(src.panels, pages);
    const out: RenderedFigure[] = [];
    for (const [i, panels] of parts.entries()) {
      const spec = src.build(panels, columns, parts.length > 1 ? `${i + 1}/${parts.length}` : undefined);
      const svg = await renderSvg(spec);
      out.push({
        name: parts.length > 1 ? `${src.name}-${i + 1}` : src.name,
        kind: src.kind,
        spec,
        svg,
        ...svgSize(svg),
      });
    }
    const tooWide = out.some((f) => f.width > layout.maxWidth);
    const tooTall = out.some((f) => f.height > layout.maxHeight);
    if (tooWide && columns > 1) columns--;
    // the next page count that makes the pages smaller (ceil: 20 panels in 7 or 8 pages are both 3 a page)
    else if ((tooWide || tooTall) && parts.length < n) pages = Math.ceil(n / (Math.ceil(n / parts.length) - 1));
    else return out;
  }
}

export async function layoutFigures(sources: FigureSource[], layout: Layout): Promise<RenderedFigure[]> {
  const out: RenderedFigure[] = [];
  for (const s of sources) out.push(...(await layoutSource(s, layout)));
  return out;
}

/** FILE.png -> FILE-<figure>.png for each figure (one file per figure); returns the files written. */
export async function writeFigures(file: string, figures: RenderedFigure[]): Promise<string[]> {
  const m = /^(.*)\.(svg|png)$/i.exec(file);
  if (!m) throw new Error(`--plot: "${file}" must end in .svg or .png`);
  const files: string[] = [];
  for (const f of figures) {
    const out = `${m[1]}-${f.name}.${m[2]}`;
    await writeFile(out, m[2].toLowerCase() === 'svg' ? f.svg : svgToPng(f.svg));
    files.push(out);
  }
  return files;
}

/** Write FILE.svg or FILE.png of one spec. */
export async function writePlot(file: string, spec: VlSpec): Promise<void> {
  const svg = await renderSvg(spec);
  if (/\.svg$/i.test(file)) await writeFile(file, svg);
  else if (/\.png$/i.test(file)) await writeFile(file, svgToPng(svg));
  else throw new Error(`--plot: "${file}" must end in .svg or .png`);
}
