/**
 * Text widths for vega's layout from the DejaVu font files resvg draws with. Without a canvas
 * (a native module) vega guesses 0.8 em a character, so titles were laid out twice their width
 * and labels spaced for text that is not there. Hand-written: reading a TrueType font's cmap
 * (format 4) and hmtx tables is 60 lines, and no font library is among the dependencies.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface FontWidths {
  /** advance width of `text` at `size` px (no kerning) */
  width(text: string, size: number): number;
}

export function loadFontWidths(file: string): FontWidths {
  const b = readFileSync(file);
  const u16 = (o: number) => b.readUInt16BE(o);
  const tables = new Map<string, number>();
  for (let i = 0, n = u16(4); i < n; i++)
    tables.set(b.toString('latin1', 12 + 16 * i, 16 + 16 * i), b.readUInt32BE(20 + 16 * i));
  const table = (tag: string) => {
    const o = tables.get(tag);
    if (o === undefined) throw new Error(`${file}: no ${tag} table`);
    return o;
  };
  const unitsPerEm = u16(table('head') + 18);
  const nMetrics = u16(table('hhea') + 34);
  const hmtx = table('hmtx');
  const advance = (gid: number) => u16(hmtx + 4 * Math.min(gid, nMetrics - 1));
  // the Windows Unicode BMP subtable, format 4
  const cmap = table('cmap');
  let sub = -1;
  for (let i = 0, n = u16(cmap + 2); i < n; i++) {
    const r = cmap + 4 + 8 * i;
    if (u16(r) === 3 && u16(r + 2) === 1) sub = cmap + b.readUInt32BE(r + 4);
  }
  if (sub < 0 || u16(sub) !== 4) throw new Error(`${file}: no Unicode BMP cmap`);
  const segs = u16(sub + 6) / 2;
  const ends = sub + 14;
  const starts = ends + 2 * segs + 2;
  const deltas = starts + 2 * segs;
  const ranges = deltas + 2 * segs;
  const glyph = (c: number): number => {
    for (let i = 0; i < segs; i++) {
      if (u16(ends + 2 * i) < c) continue;
      const start = u16(starts + 2 * i);
      if (start > c) return 0;
      const delta = b.readInt16BE(deltas + 2 * i);
      const ro = u16(ranges + 2 * i);
      if (ro === 0) return (c + delta) & 0xffff;
      const g = u16(ranges + 2 * i + ro + 2 * (c - start));
      return g === 0 ? 0 : (g + delta) & 0xffff;
    }
    return 0;
  };
  const cache = new Map<number, number>();
  const em = (c: number) => {
    let w = cache.get(c);
    if (w === undefined) cache.set(c, (w = advance(glyph(c)) / unitsPerEm));
    return w;
  };
  return {
    width(text, size) {
      let w = 0;
      for (const ch of text) w += em(ch.codePointAt(0)!);
      return w * size;
    },
  };
}

const DIR = '/usr/share/fonts/truetype/dejavu';
let fonts: { regular: FontWidths; bold: FontWidths } | null | undefined;

/** DejaVu Sans and its bold, or null where the fonts are not installed (vega's estimate is used then). */
export function dejavuWidths(): { regular: FontWidths; bold: FontWidths } | null {
  if (fonts === undefined) {
    const [r, bd] = [`${DIR}/DejaVuSans.ttf`, `${DIR}/DejaVuSans-Bold.ttf`];
    fonts = existsSync(r) && existsSync(bd) ? { regular: loadFontWidths(r), bold: loadFontWidths(bd) } : null;
  }
  return fonts;
}
