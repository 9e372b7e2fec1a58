/**
 * `gmembench report --html`: one self-contained page. The charts are rendered here (vega -> SVG)
 * and inlined, so the page has no script and fetches nothing when it is opened.
 */
import type { Comparison, Pairing } from '../analysis/compare.js';
import { judge, pairPaths, pairRuns } from '../analysis/compare.js';
import { renderCompareText } from '../export/compare-text.js';
import { comparisonBars, comparisonPercentiles, runBars, runPercentiles } from '../plot/figures.js';
import { renderSvg } from '../plot/render.js';
import type { VlSpec } from '../plot/theme.js';
import type { RunSummary } from '../results/schema.js';
import { HARNESS_VERSION } from '../util/paths.js';
import { comparisonTable, esc, fingerprintTable, resultsTable } from './tables.js';
import { unfinishedNote } from '../results/unfinished.js';

export interface ReportOptions {
  /** the two paths to compare within each run, when both are present (default shmem, gmem) */
  paths?: [string, string];
  now?: Date;
}

const CSS = `
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #ccc; } h3 { font-size: 1.1em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.better { color: #11772d; font-weight: bold; } .worse { color: #b3261e; font-weight: bold; } .noisy { color: #8a6d00; }
figure.chart { margin: 1em 0; overflow-x: auto; } figure.chart svg { max-width: none; display: block; }
figcaption { font-size: 0.85em; color: #555; }
pre { background: #f8f8f8; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.meta { color: #555; font-size: 0.9em; }
`;

/** Give every id in an inlined SVG a prefix, so that several charts on one page do not share clip paths. */
export function scopeSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_, id) => `href="#${prefix}-${id}"`);
}

class Page {
  private parts: string[] = [];
  private charts = 0;
  add(html: string): void {
    this.parts.push(html);
  }
  async chart(kind: 'bars' | 'percentiles', spec: VlSpec, caption: string): Promise<void> {
    const id = `chart${++this.charts}`;
    const svg = scopeSvgIds(await renderSvg(spec), id);
    this.parts.push(`<figure class="chart" id="${id}" data-kind="${kind}">\n${svg}\n<figcaption>${esc(caption)}</figcaption></figure>`);
  }
  get chartCount(): number {
    return this.charts;
  }
  html(): string {
    return this.parts.join('\n');
  }
}

async function comparisonSection(page: Page, title: string, p: Pairing, c: Comparison): Promise<void> {
  page.add(`<h3>${esc(title)}</h3>`);
  page.add(comparisonTable(c));
  page.add(`<details><summary>as plain text (80 columns, for e-mail)</summary><pre>${esc(renderCompareText(c))}</pre></details>`);
  if (p.pairs.length > 0) {
    await page.chart('bars', comparisonBars(p), `${title}: p50 per call, whiskers the 95% bootstrap interval of the median`);
    await page.chart('percentiles', comparisonPercentiles(p), `${title}: latency percentiles`);
  }
}

export async function renderReport(runs: RunSummary[], opts: ReportOptions = {}): Promise<{ html: string; charts: number }> {
  const [pa, pb] = opts.paths ?? ['shmem', 'gmem'];
  const page = new Page();
  const now = opts.now ?? new Date();
  page.add(`<h1>gmembench report</h1>`);
  page.add(`<p class="meta">${runs.length} run(s); generated ${esc(now.toISOString())} by gmembench ${esc(HARNESS_VERSION)}.</p>`);
  page.add(`<ul>${runs.map((r, i) => `<li><a href="#run${i + 1}">${esc(r.runId)}</a> (suite ${esc(r.suite?.name)})</li>`).join('')}</ul>`);
  if (runs.length >= 2) {
    page.add(`<h2 id="comparisons">Comparisons with the first run</h2>`);
    for (const cand of runs.slice(1)) {
      const p = pairRuns(runs[0], cand);
      await comparisonSection(page, `${runs[0].runId} -> ${cand.runId}`, p, judge(p, { metrics: ['p50', 'p99'] }));
    }
  }
  for (const [i, run] of runs.entries()) {
    page.add(`<h2 id="run${i + 1}">Run ${esc(run.runId)}</h2>`);
    page.add(
      `<p class="meta">suite ${esc(run.suite?.name)} (${esc(run.suite?.file)}); started ${esc(run.startedAt)}, finished ${esc(run.finishedAt ?? 'not finished')}; ` +
        `harness ${esc(run.harness?.version)}, probe ${esc(run.harness?.probeSha256?.slice(0, 12))}, node ${esc(run.harness?.node)}</p>`,
    );
    const unfinished = unfinishedNote(run);
    if (unfinished) page.add(`<p class="meta"><strong>${esc(unfinished)}</strong></p>`);
    page.add('<h3>Hosts</h3>');
    page.add(fingerprintTable(run.hosts));
    page.add('<h3>Results</h3>');
    page.add(resultsTable(run));
    if (run.results.some((r) => r.status === 'ok' && r.p50)) {
      await page.chart('bars', runBars(run), `${run.runId}: p50 per call by op and path`);
      await page.chart('percentiles', runPercentiles(run), `${run.runId}: latency percentiles by op and path`);
    }
    const paths = new Set(run.results.map((r) => r.path));
    if (paths.has(pa) && paths.has(pb)) {
      const p = pairPaths(run, pa, pb);
      await comparisonSection(page, `${pb} relative to ${pa}`, p, judge(p, { metrics: ['p50', 'p99'] }));
    }
  }
  const title = runs.length === 1 ? `gmembench ${runs[0].runId}` : `gmembench: ${runs.length} runs`;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${page.html()}
</body>
</html>
`;
  return { html, charts: page.chartCount };
}
