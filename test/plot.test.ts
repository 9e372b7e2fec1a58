/** Charts without a browser: vega-lite -> vega -> SVG, and PNG through resvg; percentile curves from histograms. */
import { describe, expect, it } from 'vitest';
import { decode } from '../src/analysis/histogram.js';
import { pairPaths, pairRuns } from '../src/analysis/compare.js';
import { comparisonBars, comparisonPercentiles, runBars, runPercentiles } from '../src/plot/figures.js';
import { curvePoints } from '../src/plot/percentiles.js';
import { renderSvg, svgToPng, writePlot } from '../src/plot/render.js';
import { runOf } from './helpers/compare-fixtures.js';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('percentile curves', () => {
  it('follow the histogram: 0 nines is the minimum, 2 nines is p99, values never fall', () => {
    const row = runOf(1).results[0];
    const pts = curvePoints(row.histogram!, { panel: 'alloc 4K', series: 'shmem', side: '' });
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
    expect(curves).toContain('>percentile<');
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
