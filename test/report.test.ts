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
import type { RunSummary } from '../src/results/schema.js';
import { scopeSvgIds } from '../src/report/html.js';
import { cli, ROOT } from './helpers/cli.js';
import { noisyRuns, runOf } from './helpers/compare-fixtures.js';
import { realSmokeRun } from './helpers/real-run.js';
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
  // the series' run-to-run noise (2%) from a history: the report marks only what exceeds it; one
  // run against one needs 34 or more for p < 0.01 / 6 rows (compare-runs.ts historyBudget)
  const hist = join(tmp, 'history');
  for (const run of noisyRuns(100, 40, { noise: 0.02 })) await writeSummary(join(hist, run.runId), run);
  page1 = join(tmp, 'report.html');
  const r = await cli(['report', base, join(cand, 'summary.json'), '--html', page1, '--history', hist]);
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
    // two runs: the comparison's bars and curves hold every run's figures; no chart draws them twice
    expect(charts).toBe(2);
    expect(html.match(/<figure class="chart"/g)).toHaveLength(charts);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*['"]?https?:/i);
    expect(html).toContain('2026-01-02T02-00-00Z-nightly-0001 -&gt; 2026-01-03T02-00-00Z-nightly-0002');
    expect(html).toContain('<td>6.19.0-rc1</td>');
    expect(html).toMatch(/<span class="better">-(19|20)\.\d%\*<\/span>/);
    expect(html).toMatch(/<span class="worse">\+(29|30)\.\d%\*<\/span>/);
    expect(html).toContain('gmem relative to shmem');
    // the paths within a run are judged against the history's run-to-run noise too
    expect(html.slice(html.indexOf('gmem relative to shmem'))).toMatch(/from a history of 40 runs/);
    // every chart's ids are its own
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a single run: its own charts, its section open', async () => {
    const one = join(tmp, 'one.html');
    const r = await cli(['report', base, '--html', one]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('(1 run(s), 2 charts)');
    const html = await readFile(one, 'utf8');
    expect(html).toContain('<details class="run" id="run1" open>');
    expect(html.match(/<figure class="chart"/g)).toHaveLength(2);
  });

  it('scopes SVG ids so that charts do not share clip paths', () => {
    const svg = '<svg><clipPath id="clip1"><rect/></clipPath><g clip-path="url(#clip1)"></g><use href="#clip1"/></svg>';
    expect(scopeSvgIds(svg, 'c2')).toBe(
      '<svg><clipPath id="c2-clip1"><rect/></clipPath><g clip-path="url(#c2-clip1)"></g><use href="#c2-clip1"/></svg>',
    );
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

describe('report --html without a history', () => {
  it('two runs and nothing to tell their noise: said above the table, no change coloured or starred', async () => {
    const page = join(tmp, 'no-history.html');
    const r = await cli(['report', base, cand, '--html', page]);
    expect(r.code, r.stderr).toBe(0);
    const html = await readFile(page, 'utf8');
    expect(html).toMatch(/one run per side/i);
    const comparison = html.slice(html.indexOf('id="comparisons"'), html.indexOf('<details class="run"'));
    expect(comparison).toContain('+30.0%');
    expect(comparison).not.toMatch(/<td[^>]*>\s*<span class="(worse|better)">/);
    expect(comparison).not.toMatch(/%\*<\/span>/);
    // within each run, the paths compared: one run, no noise, nothing marked either
    const paths = html.slice(html.indexOf('gmem relative to shmem'));
    expect(paths).toMatch(/one run and no history: the run-to-run noise is unknown/);
    expect(paths).not.toMatch(/%\*<\/span>/);
    // the fixtures' rows carry no null-syscall reference (as an older probe's): compared as measured, and said
    expect(comparison).toMatch(/no row has a null-syscall reference \(older probes\): compared as measured/);
  });

  it("compares relative to each row's null syscall, as compare does (auto, syscall); --reference none as measured", async () => {
    const withRef = (run: RunSummary, ns: number): RunSummary => ({
      ...run,
      results: run.results.map((r) => ({
        ...r,
        syscallNs: ns,
        repetitions: r.repetitions.map((x) => ({ ...x, syscallNs: ns })),
      })),
    });
    const [b, c] = [join(tmp, 'ref-base'), join(tmp, 'ref-cand')];
    await writeSummary(b, withRef(runOf(1), 200));
    // the candidate met a host 30% slower everywhere: its kernel entry and its ops alike
    const slow = runOf(2, Object.fromEntries([0, 1, 2, 3, 4, 5].map((k) => [k, 1.3])));
    await writeSummary(c, withRef(slow, 260));
    const page = join(tmp, 'ref.html');
    expect((await cli(['report', b, c, '--html', page])).code).toBe(0);
    const html = await readFile(page, 'utf8');
    const comparison = html.slice(html.indexOf('id="comparisons"'), html.indexOf('<details class="run"'));
    // the default, auto: each run's passes all met the same null syscall, so nothing inside a run
    // tells how closely the ops follow it, and the exponent is its prior, 1 (divided by it); said
    const text = comparison.replace(/\s+/g, ' ');
    expect(text).toMatch(/scaled by \(the host(&#39;|')s typical null syscall/);
    expect(text).toMatch(/exponent 1\.00: \d+ passes, too few or too alike/);
    expect(comparison).toContain('null-syscall');
    expect(comparison).toContain('+30.0%'); // the reference row; the ops, relative to it, did not move
    // in the summary table and the detailed one: the reference row only
    expect(comparison.match(/\+(2[6-9]|3[0-4])\.\d%/g)).toEqual(['+30.0%', '+30.0%']);
    expect(comparison).toMatch(/null-syscall<\/td><td[^>]*>-<\/td><td[^>]*>-<\/td>/);
    const syscall = join(tmp, 'ref-syscall.html');
    expect((await cli(['report', b, c, '--html', syscall, '--reference', 'syscall'])).code).toBe(0);
    const divided = await readFile(syscall, 'utf8');
    expect(divided).toMatch(/relative to the null syscall timed beside its passes/);
    expect(divided.match(/\+(2[6-9]|3[0-4])\.\d%/g)).toEqual(['+30.0%', '+30.0%']);
    const none = join(tmp, 'ref-none.html');
    expect((await cli(['report', b, c, '--html', none, '--reference', 'none'])).code).toBe(0);
    const raw = await readFile(none, 'utf8');
    expect(raw).not.toContain('null-syscall');
    const rawComparison = raw.slice(raw.indexOf('id="comparisons"'), raw.indexOf('<details class="run"'));
    expect(rawComparison.match(/\+(2[6-9]|3[0-4])\.\d%/g)!.length).toBeGreaterThan(3); // every op +30%, give or take
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
        const marks = [
          ...f.querySelectorAll(kind === 'bars' ? 'g.mark-rect.role-mark path' : 'g.mark-line.role-mark path'),
        ].filter((p) => {
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
      expect(
        f.labels.some((l) => /\d ?(ns|µs|ms|s)$/.test(l)),
        `${f.id} has no unit labels: ${f.labels.join('|')}`,
      ).toBe(true);
      if (f.kind === 'percentiles') expect(f.labels).toContain('99%');
    }
    const tables = await page.locator('table.comparison').count();
    expect(tables).toBe(3);
    // the fixture's +30% row is red on red, its -20% row green on green (+ = slower)
    const cells = await page.evaluate(() =>
      ['worse', 'better'].map((k) => {
        const span = document.querySelector(`table.comparison td > .${k}`)!;
        return {
          text: span.textContent,
          colour: getComputedStyle(span).color,
          background: getComputedStyle(span.parentElement!).backgroundColor,
        };
      }),
    );
    expect(cells[0]).toMatchObject({ colour: 'rgb(179, 38, 30)', background: 'rgb(253, 232, 230)' });
    expect(cells[0].text).toMatch(/^\+/);
    expect(cells[1]).toMatchObject({ colour: 'rgb(17, 119, 45)', background: 'rgb(229, 244, 233)' });
    expect(cells[1].text).toMatch(/^-/);
    const dir = resolve(ROOT, 'test-artifacts');
    await mkdir(dir, { recursive: true });
    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await readFile(shot)).subarray(1, 4).toString()).toBe('PNG');
    await page.close();
  });
});

/** Two runs of suites/smoke.yaml on this machine, as a user would report them. */
describe.skipIf(!hasChromium)('the report of two real smoke runs in headless Chromium', () => {
  let browser: Browser;
  let page2: string;
  let size = 0;
  beforeAll(async () => {
    const results = join(tmp, 'smoke');
    const a = await realSmokeRun(join(results, 'a'));
    const b = await realSmokeRun(join(results, 'b'));
    page2 = join(tmp, 'smoke.html');
    const r = await cli(['report', a, b, '--html', page2]);
    expect(r.code, r.stderr).toBe(0);
    size = (await readFile(page2)).length;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('is under 600 KB, under 6000 px tall at 1280 px, with no console error', async () => {
    expect(size).toBeLessThan(600 * 1024);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(page2).href, { waitUntil: 'load' });
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    expect(errors).toEqual([]);
    expect(height).toBeLessThan(6000);
    const dir = resolve(ROOT, 'test-artifacts');
    await mkdir(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'report-smoke.png'), fullPage: true });
    process.stderr.write(`report of two smoke runs: ${Math.round(size / 1024)} KB, ${height} px tall at 1280 px\n`);
    await page.close();
  });

  it('the comparison on top, slower red and faster green, each run folded, charts at full width', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(page2).href, { waitUntil: 'load' });
    const r = await page.evaluate(() => {
      const first = document.querySelector('table.comparison')!;
      const run = document.querySelector('details.run')!;
      const body = document.body.getBoundingClientRect();
      const pad =
        parseFloat(getComputedStyle(document.body).paddingLeft) +
        parseFloat(getComputedStyle(document.body).paddingRight);
      const colour = (sel: string) => {
        const e = document.querySelector(sel);
        return e ? getComputedStyle(e).color : null;
      };
      return {
        comparisonFirst:
          !!(first.compareDocumentPosition(run) & Node.DOCUMENT_POSITION_FOLLOWING) && !run.contains(first),
        runs: [...document.querySelectorAll('details.run')].map((d) => (d as HTMLDetailsElement).open),
        // three repetitions a side cannot reach p < 0.05: the smoke comparison marks nothing, its legend shows the colours
        worse: colour('ul.legend .worse'),
        better: colour('ul.legend .better'),
        content: body.width - pad,
        charts: [...document.querySelectorAll('figure.chart svg')].map((s) => s.getBoundingClientRect().width),
        table: first.getBoundingClientRect().width,
      };
    });
    expect(r.comparisonFirst).toBe(true);
    expect(r.runs).toEqual([false, false]);
    expect(r.worse).toBe('rgb(179, 38, 30)');
    expect(r.better).toBe('rgb(17, 119, 45)');
    expect(r.charts.length).toBe(2);
    // the comparison fits the page: no sideways scrolling to read p99
    expect(r.table).toBeLessThanOrEqual(r.content);
    for (const w of r.charts) expect(w).toBeGreaterThan(0.98 * r.content);
    await page.close();
  });

  it('no table cell breaks an op name (or any key) across lines, the folded sections opened too', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(page2).href, { waitUntil: 'load' });
    const wrapped = await page.evaluate(() => {
      for (const d of document.querySelectorAll('details')) (d as HTMLDetailsElement).open = true;
      const out: string[] = [];
      let cells = 0;
      for (const td of document.querySelectorAll('table.comparison td, table.results td')) {
        if (!td.textContent) continue;
        cells++;
        const range = document.createRange();
        range.selectNodeContents(td);
        const lines = new Set([...range.getClientRects()].map((b) => Math.round(b.top)));
        if (lines.size > 1) out.push(td.textContent);
      }
      return { out, cells };
    });
    expect(wrapped.cells).toBeGreaterThan(100);
    expect(wrapped.out).toEqual([]);
    await page.close();
  });
});
