/**
 * report --html: the page as a browser shows it. Opened in a real headless Chromium (Debian's
 * /usr/bin/chromium through playwright-core): no console errors, no request leaves the page, every
 * chart drawn; a screenshot is saved under test-artifacts/ (gitignored).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { writeSummary } from '../src/results/store.js';
import { scopeSvgIds } from '../src/report/html.js';
import { cli, ROOT } from './helpers/cli.js';
import { runOf } from './helpers/compare-fixtures.js';
import { skipReason } from './helpers/host.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) skipReason('report in Chromium', `${CHROMIUM} is missing (scripts/setup-test-deps.sh installs it)`);

let tmp: string;
let base: string;
let cand: string;
let page1: string;
let charts = 0;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'gmembench-report-'));
  base = join(tmp, 'base');
  cand = join(tmp, 'cand');
  await writeSummary(base, runOf(1));
  await writeSummary(cand, runOf(2, { 0: 1.3, 3: 0.8 }, { kernel: '6.19.0-rc1' }));
  page1 = join(tmp, 'report.html');
  const r = await cli(['report', base, join(cand, 'summary.json'), '--html', page1]);
  expect(r.code, r.stderr).toBe(0);
  const m = /\((\d+) run\(s\), (\d+) charts\)/.exec(r.stderr);
  expect(m, r.stderr).not.toBeNull();
  charts = Number(m![2]);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('report --html', () => {
  it('writes one self-contained page: fingerprints, tables, inline SVG charts, no scripts, no remote references', async () => {
    const html = await readFile(page1, 'utf8');
    // two runs: a comparison (bars + curves), per run its bars + curves and the shmem/gmem comparison (bars + curves)
    expect(charts).toBe(2 + 2 * (2 + 2));
    expect(html.match(/<figure class="chart"/g)).toHaveLength(charts);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
    expect(html).toContain('2026-01-02T02-00-00Z-nightly-0001 -&gt; 2026-01-03T02-00-00Z-nightly-0002');
    expect(html).toContain('<td>6.19.0-rc1</td>');
    expect(html).toMatch(/<span class="better">-(19|20)\.\d%<\/span>/);
    expect(html).toMatch(/<span class="worse">\+(29|30)\.\d%<\/span>/);
    expect(html).toContain('gmem relative to shmem');
    // every chart's ids are its own
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('scopes SVG ids so that charts do not share clip paths', () => {
    const svg = '<svg><clipPath id="clip1"><rect/></clipPath><g clip-path="url(#clip1)"></g><use href="#clip1"/></svg>';
    expect(scopeSvgIds(svg, 'c2')).toBe('<svg><clipPath id="c2-clip1"><rect/></clipPath><g clip-path="url(#c2-clip1)"></g><use href="#c2-clip1"/></svg>');
  });

  it('a missing run exits 2 naming it; --html is required', async () => {
    const r = await cli(['report', join(tmp, 'nope'), '--html', join(tmp, 'x.html')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(tmp, 'nope')}: no such run`);
    const s = await cli(['report', base]);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('--html <file> is required');
  });
});

describe.skipIf(!hasChromium)('the report in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('opens with no console errors and no network, every chart drawn; screenshot saved', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(page1).href, { waitUntil: 'load' });
    const figures = await page.evaluate(() =>
      [...document.querySelectorAll('figure.chart')].map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        const kind = f.getAttribute('data-kind');
        const marks = [...f.querySelectorAll(kind === 'bars' ? 'g.mark-rect.role-mark path' : 'g.mark-line.role-mark path')].filter((p) => {
          const b = (p as SVGGraphicsElement).getBBox();
          return (p.getAttribute('d') ?? '').length > 0 && b.width + b.height > 0;
        });
        const labels = [...f.querySelectorAll('g.role-axis-label text')].map((t) => t.textContent ?? '');
        return { id: f.id, kind, width: box?.width ?? 0, height: box?.height ?? 0, marks: marks.length, labels };
      }),
    );
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(figures).toHaveLength(charts);
    for (const f of figures) {
      expect(f.width, f.id).toBeGreaterThan(200);
      expect(f.height, f.id).toBeGreaterThan(150);
      expect(f.marks, `${f.id} (${f.kind}) draws no marks`).toBeGreaterThan(0);
      // units on the latency axis; percentiles on the x axis of the curves
      expect(f.labels.some((l) => /\d ?(ns|µs|ms|s)$/.test(l)), `${f.id} has no unit labels: ${f.labels.join('|')}`).toBe(true);
      if (f.kind === 'percentiles') expect(f.labels).toContain('99%');
    }
    const tables = await page.locator('table.comparison').count();
    expect(tables).toBe(3);
    const dir = resolve(ROOT, 'test-artifacts');
    await mkdir(dir, { recursive: true });
    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await readFile(shot)).subarray(1, 4).toString()).toBe('PNG');
    await page.close();
  });
});
