/**
 * `gmembench report --html`: one self-contained page. The charts are rendered here (vega -> SVG)
 * and inlined, so the page has no script and fetches nothing when it is opened.
 */
import {
  DEFAULT_REFERENCE,
  describeReference,
  perSyscall,
  summariesPerSyscall,
  type ReferenceMode,
} from '../analysis/reference.js';
import { withWall, type Comparison } from '../analysis/compare.js';
import { comparePathsAcross, judgeAcross, pairRunGroups, type History } from '../analysis/compare-runs.js';
import { historyRunFromSummary } from '../analysis/series.js';
import { renderCompareText } from '../export/compare-text.js';
import { comparisonSources, runSources, type FigureSource } from '../plot/figures.js';
import { layoutFigures } from '../plot/render.js';
import { REPORT_LAYOUT } from '../plot/theme.js';
import type { RunSummary } from '../results/schema.js';
import { HARNESS_VERSION } from '../util/paths.js';
import { comparisonTable, esc, fingerprintTable, resultsTable } from './tables.js';
import { unfinishedNote } from '../results/unfinished.js';

export interface ReportOptions {
  /** the two paths to compare within each run, when both are present (default shmem, gmem) */
  paths?: [string, string];
  now?: Date;
  /** earlier runs to take each series' run-to-run noise from (else the report's other runs, from 3 runs on) */
  history?: History;
  /** the comparisons relative to each row's null syscall (reference.ts; by default as compare's), or as measured */
  reference?: ReferenceMode;
}

const CSS = `
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 1.5em auto; max-width: 1240px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.3em; margin-top: 1.5em; border-bottom: 1px solid #ccc; } h3 { font-size: 1.1em; } h4 { font-size: 1em; margin: 0.8em 0 0.3em; }
table { border-collapse: collapse; margin: 0.5em 0 0.8em; font-size: 0.85em; }
th, td { border: 1px solid #ddd; padding: 0.15em 0.45em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.comparison td, table.results td, .key { white-space: nowrap; } table.comparison th { font-size: 0.9em; }
.better { color: #11772d; font-weight: bold; } .worse { color: #b3261e; font-weight: bold; } .noisy { color: #8a6d00; }
td:has(> .worse) { background: #fde8e6; } td:has(> .better) { background: #e5f4e9; }
.scroll { overflow-x: auto; }
figure.chart { margin: 1em 0; } figure.chart svg { width: 100%; height: auto; display: block; }
figure.chart svg text { font-family: "DejaVu Sans", sans-serif; }
figcaption { font-size: 0.85em; color: #555; }
details.run { border: 1px solid #ddd; border-radius: 4px; padding: 0.3em 0.8em; margin: 0.6em 0; }
details.run > summary { cursor: pointer; font-weight: bold; font-size: 1.1em; }
pre { background: #f8f8f8; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.meta { color: #555; font-size: 0.9em; } ul.reasons, ul.legend { font-size: 0.85em; color: #444; }
`;

/** Give every id in an inlined SVG a prefix, so that several charts on one page do not share clip paths. */
export function scopeSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id) => `url(#${prefix}-${id})`)
    .replace(/href="#([^"]+)"/g, (_, id) => `href="#${prefix}-${id}"`);
}

/**
 * vega's SVG without what the page does not need: the font on every text (the page's CSS gives
 * it), default opacities, empty backgrounds, pointer-events, and coordinates to 0.1 px. The
 * width and height go: the chart scales to the page's width from its viewBox.
 */
export function simplifySvg(svg: string): string {
  return svg
    .replace(/^<svg ([^>]*?)\swidth="[\d.]+" height="[\d.]+"/, '<svg $1')
    .replace(/ font-family="[^"]*"/g, '')
    .replace(/ opacity="1"/g, '')
    .replace(/ pointer-events="none"/g, '')
    .replace(/ aria-hidden="true"/g, '')
    .replace(/ role="[^"]*"| aria-roledescription="[^"]*"| aria-label="[^"]*"/g, '')
    .replace(/<path class="(background|foreground)"[^>]*\/>/g, '')
    .replace(
      / (d|transform|x|y|x1|x2|y1|y2|width|height)="([^"]*)"/g,
      (_, k, v: string) => ` ${k}="${v.replace(/(\d+\.\d)\d+/g, '$1')}"`,
    );
}

class Page {
  private parts: string[] = [];
  private charts = 0;
  add(html: string): void {
    this.parts.push(html);
  }
  async charts_(sources: FigureSource[], caption: (s: FigureSource) => string): Promise<void> {
    for (const f of await layoutFigures(sources, REPORT_LAYOUT)) {
      const id = `chart${++this.charts}`;
      const svg = scopeSvgIds(simplifySvg(f.svg), id);
      const src = sources.find((s) => f.name.startsWith(s.name))!;
      this.parts.push(
        `<figure class="chart" id="${id}" data-kind="${f.kind}">\n${svg}\n<figcaption>${esc(caption(src))}</figcaption></figure>`,
      );
    }
  }
  get chartCount(): number {
    return this.charts;
  }
  html(): string {
    return this.parts.join('\n');
  }
}

const CAPTION: Record<FigureSource['kind'], string> = {
  bars: 'p50 per call, whiskers the 95% bootstrap interval of the median',
  percentiles: 'latency percentiles from the merged HdrHistograms',
};

function comparisonTables(page: Page, c: Comparison): void {
  for (const line of c.banner) page.add(`<p class="meta">${esc(line)}</p>`);
  page.add(`<div class="scroll">${comparisonTable(c)}</div>`);
  page.add(
    `<details><summary>as plain text (80 columns, for e-mail)</summary><pre>${esc(renderCompareText(c))}</pre></details>`,
  );
}

/**
 * The page: the comparisons with the first run on top (tables, then charts), each run below in a
 * folded section (hosts, rows, its paths compared). A run's own charts are drawn only when no
 * comparison of runs shows the same figures already.
 */
export async function renderReport(
  runs: RunSummary[],
  opts: ReportOptions = {},
): Promise<{ html: string; charts: number }> {
  const [pa, pb] = opts.paths ?? ['shmem', 'gmem'];
  const page = new Page();
  const now = opts.now ?? new Date();
  page.add(`<h1>gmembench report</h1>`);
  page.add(
    `<p class="meta">${runs.length} run(s); generated ${esc(now.toISOString())} by gmembench ${esc(HARNESS_VERSION)}.</p>`,
  );
  page.add(
    `<ul>${runs.map((r, i) => `<li><a href="#run${i + 1}">${esc(r.runId)}</a> (suite ${esc(r.suite?.name)}, started ${esc(r.startedAt)})</li>`).join('')}</ul>`,
  );
  // verdicts as compare gives them: against each series' run-to-run noise, taken from the report's
  // other runs when there are any (with two runs only, the noise is unknown and nothing is marked)
  // the comparisons as compare makes them: relative to each row's null syscall (analysis/reference.ts);
  // each run's own tables below stay as measured
  const mode = opts.reference ?? DEFAULT_REFERENCE;
  // each run a side of its own (the report compares them): auto's exponent comes from the passes inside each run
  const scaled =
    mode === 'none'
      ? undefined
      : summariesPerSyscall(
          runs.map((r) => [r]),
          mode,
        );
  const judged = scaled?.sides.map(([r]) => r) ?? runs;
  const given =
    opts.history && mode !== 'none'
      ? { ...opts.history, runs: perSyscall(opts.history.runs, mode).runs }
      : opts.history;
  const history: History | undefined =
    given ??
    (runs.length >= 3
      ? { runs: judged.map(historyRunFromSummary), source: 'the other runs of this report' }
      : undefined);
  const noted = (c: Comparison) => {
    if (scaled) c.banner.push(describeReference(scaled));
    return c;
  };
  if (runs.length >= 2) {
    page.add(`<h2 id="comparisons">Comparisons with the first run</h2>`);
    for (const cand of judged.slice(1)) {
      const p = pairRunGroups([judged[0]], [cand]);
      const c = noted(judgeAcross(p, { metrics: withWall(['p50', 'p99'], runs) }, history));
      const title = `${runs[0].runId} -> ${cand.runId}`;
      page.add(`<h3>${esc(title)}</h3>`);
      comparisonTables(page, c);
      await page.charts_(comparisonSources(p, c), (s) => `${title}: ${CAPTION[s.kind]}`);
    }
  }
  for (const [i, run] of runs.entries()) {
    page.add(
      `<details class="run" id="run${i + 1}"${runs.length === 1 ? ' open' : ''}><summary>Run ${esc(run.runId)}</summary>`,
    );
    page.add(
      `<p class="meta">suite ${esc(run.suite?.name)} (${esc(run.suite?.file)}); started ${esc(run.startedAt)}, finished ${esc(run.finishedAt ?? 'not finished')}; ` +
        `harness ${esc(run.harness?.version)}, probe ${esc(run.harness?.probeSha256?.slice(0, 12))}, node ${esc(run.harness?.node)}</p>`,
    );
    const unfinished = unfinishedNote(run);
    if (unfinished) page.add(`<p class="meta"><strong>${esc(unfinished)}</strong></p>`);
    page.add('<h3>Hosts</h3>');
    page.add(`<div class="scroll">${fingerprintTable(run.hosts)}</div>`);
    page.add('<h3>Results</h3>');
    page.add(`<div class="scroll">${resultsTable(run)}</div>`);
    const paths = new Set(run.results.map((r) => r.path));
    if (paths.has(pa) && paths.has(pb)) {
      // judged against the paths' run-to-run noise from the history, as the comparisons above
      page.add(`<h3>${esc(`${pb} relative to ${pa}`)}</h3>`);
      comparisonTables(
        page,
        noted(comparePathsAcross([judged[i]], pa, pb, { metrics: withWall(['p50', 'p99'], [run]) }, history)),
      );
    }
    // with two runs or more the comparison's charts above hold every figure of every run
    if (runs.length === 1) await page.charts_(runSources(run), (s) => `${run.runId}: ${CAPTION[s.kind]}`);
    page.add('</details>');
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
