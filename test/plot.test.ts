/** Charts without a browser: vega-lite -> vega -> SVG, and PNG through resvg; percentile curves from histograms. */
import { describe, expect, it } from 'vitest';
import { decode } from '../src/analysis/histogram.js';
import { pairPaths, pairRuns } from '../src/analysis/compare.js';
import { comparisonBars, comparisonPercentiles, runBars, runPercentiles } from '../src/plot/figures.js';
import { curvePoints } from '../src/plot/percentiles.js';
import { layoutFigures, renderSvg, svgToPng, writePlot } from '../src/plot/render.js';
import { comparisonSources } from '../src/plot/figures.js';
import { plotComparison } from '../src/plot/index.js';
import { PATH_COLORS, PLOT_LAYOUT, REPORT_LAYOUT } from '../src/plot/theme.js';
import { loadFontWidths } from '../src/plot/text-width.js';
import { judge } from '../src/analysis/compare.js';
import { fixtureSummary, type FixtureSeries } from './helpers/regress-fixtures.js';
import type { RunSummary } from '../src/results/schema.js';
import { readdir } from 'node:fs/promises';
import { runOf } from './helpers/compare-fixtures.js';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('percentile curves', () => {
  it('follow the histogram: 0 nines is the minimum, 2 nines is p99, values never fall', () => {
    const row = runOf(1).results[0];
    const pts = curvePoints(row.histogram!, { panel: 'alloc 4K', path: 'shmem', side: '' });
    const h = decode(row.histogram!);
    expect(pts[0]).toMatchObject({ nines: 0, percentile: 0, value: h.minNonZeroValue });
    const p99 = pts.find((p) => p.nines === 2)!;
    expect(p99.percentile).toBe(99);
    expect(p99.value).toBe(h.getValueAtPercentile(99));
    // 1015 samples: the curve stops at 3 nines (99.9%), not beyond what was measured
    expect(Math.max(...pts.map((p) => p.nines))).toBeCloseTo(3.0, 5);
    for (let i = 1; i < pts.length; i++) expect(pts[i].value).toBeGreaterThanOrEqual(pts[i - 1].value);
  });
});

describe('rendering', () => {
  it('bars and curves of a run as SVG, with units and percentile labels', async () => {
    const run = runOf(1);
    const bars = await renderSvg(runBars(run));
    expect(bars).toMatch(/^<svg /);
    expect(bars.match(/class="mark-rect role-mark/g)?.length).toBeGreaterThan(0);
    expect(bars).toContain('class="mark-rule role-mark'); // whiskers
    expect(bars).toMatch(/>1 µs</);
    expect(bars).toContain('>alloc 4K<');
    expect(bars).toContain('p50 latency');
    const curves = await renderSvg(runPercentiles(run));
    expect(curves).toContain('class="mark-line role-mark');
    for (const l of ['0%', '90%', '99%', '99.9%']) expect(curves).toContain(`>${l}<`);
    expect(curves).toContain('>percentile (%)<');
  });

  it('comparison charts, runs and paths', async () => {
    const p = pairRuns(runOf(1), runOf(2, { 0: 1.3 }));
    const svg = await renderSvg(comparisonBars(p));
    expect(svg).toContain('>baseline<');
    expect(svg).toContain('>candidate<');
    const q = pairPaths(runOf(1), 'shmem', 'gmem');
    const curves = await renderSvg(comparisonPercentiles(q));
    expect(curves).toContain('>gmem<');
  });

  it('PNG through resvg with the DejaVu font; writePlot picks by extension', async () => {
    const svg = await renderSvg(runBars(runOf(1)));
    const png = svgToPng(svg);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const dir = await mkdtemp(join(tmpdir(), 'gmembench-plot-'));
    await writePlot(join(dir, 'a.svg'), runBars(runOf(1)));
    expect(await readFile(join(dir, 'a.svg'), 'utf8')).toMatch(/^<svg /);
    await writePlot(join(dir, 'a.png'), runBars(runOf(1)));
    expect((await readFile(join(dir, 'a.png'))).subarray(1, 4).toString()).toBe('PNG');
    await expect(writePlot(join(dir, 'a.pdf'), runBars(runOf(1)))).rejects.toThrow(/must end in \.svg or \.png/);
  });
});

/** A run the size of suites/smoke.yaml: 19 op/granule panels over shmem, gmem and secretmem, and a one-call row. */
function smokeSized(i: number): RunSummary {
  const ops = [
    'alloc',
    'fault',
    'punch',
    'vmm-to-private',
    'vmm-to-shared',
    'touch-private',
    'touch-shared',
    'guest-fault',
    'guest-refault',
  ];
  const series: FixtureSeries[] = [];
  for (const granule of [4096, 2 << 20]) {
    for (const [k, op] of ops.entries()) {
      const paths: [string, number][] = [
        ['shmem', 1],
        ['gmem', 0.9],
        ...(k < 2 ? [['secretmem', 3] as [string, number]] : []),
      ];
      for (const [path, f] of paths) {
        series.push({ path, op, granule, p50: () => (300 + 400 * k) * f * (granule === 4096 ? 1 : 100) });
      }
    }
  }
  series.push({ path: 'shmem', op: 'compact', p50: () => 6e6 }, { path: 'gmem', op: 'compact', p50: () => 4e6 });
  const run = fixtureSummary(i, series, { suite: 'smoke' });
  // compaction: one timed call a repetition -> no percentile curve (one point is an empty panel)
  for (const r of run.results.filter((x) => x.op === 'compact')) r.samples = 1;
  return run;
}

function pngSize(b: Buffer): { width: number; height: number } {
  expect(b.subarray(1, 4).toString()).toBe('PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** every encoding channel of a spec, however nested */
function encodings(
  spec: unknown,
): Record<string, { type?: string; title?: unknown; scale?: { domain?: string[]; range?: unknown[] } }>[] {
  const out: Record<string, never>[] = [];
  const walk = (x: unknown) => {
    if (!x || typeof x !== 'object') return;
    const o = x as Record<string, unknown>;
    if (o.encoding) out.push(o.encoding as never);
    for (const v of Object.values(o)) if (typeof v === 'object') walk(v);
  };
  walk(spec);
  return out;
}

describe('compare --plot figures', () => {
  const base = smokeSized(1);
  const cand = smokeSized(2);
  const p = pairRuns(base, cand);
  const c = judge(p, { metrics: ['p50'] });

  it('one PNG per figure, each at most 1600x1200 px, a smoke-sized comparison split into pages', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gmembench-plot-'));
    const files = await plotComparison(join(dir, 'cmp.png'), p, c);
    expect((await readdir(dir)).sort()).toEqual(files.map((f) => f.slice(dir.length + 1)).sort());
    expect(files.some((f) => /cmp-p50(-1)?\.png$/.test(f))).toBe(true);
    expect(files.some((f) => /cmp-percentiles(-1)?\.png$/.test(f))).toBe(true);
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) {
      const { width, height } = pngSize(await readFile(f));
      expect(width, f).toBeLessThanOrEqual(1600);
      expect(height, f).toBeLessThanOrEqual(1200);
      // legible: not a thumbnail either
      expect(width, f).toBeGreaterThan(700);
      expect(height, f).toBeGreaterThan(500);
    }
    // SVG too, same names
    const svgs = await plotComparison(join(dir, 'cmp.svg'), p, c);
    expect(svgs.map((f) => f.replace(/\.svg$/, ''))).toEqual(files.map((f) => f.replace(/\.png$/, '')));
  });

  it('every panel of every page has data (no empty facet), and every page holds distinct panels', async () => {
    const figs = await layoutFigures(comparisonSources(p, c), PLOT_LAYOUT);
    const seen = { bars: new Set<string>(), percentiles: new Set<string>() };
    for (const f of figs) {
      const spec = f.spec as {
        facet: { sort: string[] };
        data: { values: { panel: string; value: number; path: string; side: string }[] };
      };
      for (const panel of spec.facet.sort) {
        const d = spec.data.values.filter((v) => v.panel === panel && v.value > 0);
        expect(d.length, `${f.name}: ${panel}`).toBeGreaterThan(0);
        if (f.kind === 'percentiles') {
          // a line needs two points per path and side
          for (const k of new Set(d.map((v) => `${v.path}/${v.side}`)))
            expect(d.filter((v) => `${v.path}/${v.side}` === k).length, `${panel} ${k}`).toBeGreaterThan(1);
        }
        expect(seen[f.kind].has(panel), panel).toBe(false);
        seen[f.kind].add(panel);
      }
    }
    expect(seen.bars.size).toBe(19);
    expect(seen.bars.has('compact 4K')).toBe(true);
    // the one-call compaction rows have no curve
    expect(seen.percentiles.size).toBe(18);
    expect(seen.percentiles.has('compact 4K')).toBe(false);
  });

  it('units in every quantitative axis title', async () => {
    const figs = await layoutFigures(comparisonSources(p, c), PLOT_LAYOUT);
    for (const f of figs) {
      const titled = encodings(f.spec)
        .flatMap((e) => Object.values(e))
        .filter((ch) => ch.type === 'quantitative' && ch.title !== undefined);
      expect(titled.length, f.name).toBeGreaterThan(0);
      for (const ch of titled) expect(String(ch.title), f.name).toMatch(/\((ns, µs, ms|%)\)$/);
      // and the ticks carry them
      expect(f.svg, f.name).toMatch(/>\d+(\.\d+)? (ns|µs|ms)</);
      if (f.kind === 'bars') {
        // every bar is a bar, not a hairline (xOffset bands inside a fixed-width panel)
        const widths = [...f.svg.matchAll(/<g class="mark-rect role-mark[^>]*>(.*?)<\/g>/g)].flatMap((g) =>
          [...g[1].matchAll(/d="M[-\d.]+,[-\d.]+h([-\d.]+)/g)].map((m) => Number(m[1])),
        );
        expect(widths.length, f.name).toBeGreaterThan(10);
        expect(Math.min(...widths), f.name).toBeGreaterThanOrEqual(10);
      }
    }
  });

  it('one colour per path in every figure, the baseline paler (bars) and dashed (curves)', async () => {
    const figs = [
      ...(await layoutFigures(comparisonSources(p, c), PLOT_LAYOUT)),
      ...(await layoutFigures(comparisonSources(pairPaths(base, 'shmem', 'gmem')), PLOT_LAYOUT)),
    ];
    for (const f of figs) {
      const colour = encodings(f.spec)
        .map((e) => e.color)
        .find(Boolean)!;
      const { domain, range } = colour.scale!;
      for (const [i, path] of domain!.entries()) expect(range![i], `${f.name} ${path}`).toBe(PATH_COLORS[path]);
      expect(f.svg).toContain(f.kind === 'bars' ? `fill="${PATH_COLORS.gmem}"` : `stroke="${PATH_COLORS.gmem}"`);
    }
    const bars = figs.find((f) => f.kind === 'bars')!;
    const opacity = encodings(bars.spec)
      .map((e) => e.opacity)
      .find(Boolean)!;
    expect(opacity.scale).toEqual({ domain: ['baseline', 'candidate'], range: [0.45, 1] });
    const curves = figs.find((f) => f.kind === 'percentiles')!;
    const dash = encodings(curves.spec)
      .map((e) => e.strokeDash)
      .find(Boolean)!;
    expect(dash.scale!.domain).toEqual(['baseline', 'candidate']);
    expect((dash.scale!.range as number[][])[1]).toEqual([1, 0]);
  });

  it('percentile labels of the x axis do not touch, at 5 nines too', async () => {
    const dejavu = loadFontWidths('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf');
    // 200 000 calls: the curves reach 5 nines (99.999%)
    const big = fixtureSummary(
      3,
      [
        { path: 'shmem', p50: () => 1000 },
        { path: 'gmem', p50: () => 900 },
      ],
      { suite: 'smoke' },
    );
    for (const r of big.results) r.samples = 200_000;
    const { encode, newHistogram } = await import('../src/analysis/histogram.js');
    for (const r of big.results) {
      const h = newHistogram();
      for (let k = 0; k < 200_000; k++) h.recordValue(1000 + (k % 1000) + (k % 50_000 === 0 ? 100_000 : 0));
      r.histogram = encode(h);
    }
    for (const run of [big, base]) {
      const figs = await layoutFigures(comparisonSources(pairPaths(run, 'shmem', 'gmem')), REPORT_LAYOUT);
      const svg = figs.find((f) => f.kind === 'percentiles')!.svg;
      const groups = [...svg.matchAll(/<g class="mark-text role-axis-label"[^>]*>(.*?)<\/g>/g)]
        .map((m) => m[1])
        .filter((g) => g.includes('%<'));
      expect(groups.length).toBeGreaterThan(0);
      for (const g of groups) {
        const labels = [
          ...g.matchAll(
            /<text text-anchor="(\w+)" transform="translate\(([-\d.]+),[-\d.]+\)" [^>]*font-size="(\d+)px"[^>]*>([^<]*)<\/text>/g,
          ),
        ].map((m) => {
          const w = dejavu.width(m[4], Number(m[3]));
          const x = Number(m[2]);
          const lo = m[1] === 'start' ? x : m[1] === 'end' ? x - w : x - w / 2;
          return { text: m[4], lo, hi: lo + w };
        });
        if (run === big) expect(labels.map((l) => l.text)).toContain('99.999%');
        for (let i = 1; i < labels.length; i++) {
          expect(labels[i].lo - labels[i - 1].hi, `${labels[i - 1].text} / ${labels[i].text}`).toBeGreaterThanOrEqual(
            4,
          );
        }
      }
    }
  });
});
