/**
 * compare as plain text for e-mail (patch cover letters): every line at most 80 columns, no
 * tabs, no colour; marks explained in a legend; rows that could not be compared listed at the end.
 */
import type { ComparedRow, Comparison } from '../analysis/compare.js';
import { formatColumns, type Column } from '../output/columns.js';
import { formatNs } from '../util/units.js';
import type { CompareFormat } from './compare-format.js';
import { granuleCells, granuleLabel } from '../results/series-label.js';
import {
  cvText,
  intervalText,
  kernelLines,
  legend,
  metricsTitle,
  markOf,
  noiseText,
  notComparedLines,
  sideLines,
  sideTitle,
  summaryLine,
} from './compare-cells.js';
import { formatChange } from '../analysis/change.js';

export const TEXT_WIDTH = 80;

/** Cut a line to the width, marking the cut. */
export function fit(line: string, width = TEXT_WIDTH): string {
  return line.length <= width ? line : `${line.slice(0, width - 3)}...`;
}

/** Wrap words to the width, continuation lines indented. */
export function wrap(text: string, indent = '  ', width = TEXT_WIDTH): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = indent + word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.map((l) => fit(l, width));
}

function cut(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n);
}

/** The table across runs: the run-to-run noise and the interval in place of the cvs (granule x threads in one column). */
function acrossTable(c: Comparison, rows: ComparedRow[]): string {
  const multi = c.options.metrics.length > 1;
  const paths = c.mode === 'runs';
  const cols: Column[] = [
    ...(paths ? [{ header: 'path' }] : []),
    { header: 'op' },
    { header: 'granule', align: 'right' as const },
    ...(multi ? [{ header: 'pct' }] : []),
    { header: paths ? 'baseline' : cut(c.baseline.label, 9), align: 'right' as const },
    { header: paths ? 'candidate' : cut(c.candidate.label, 9), align: 'right' as const },
    { header: 'change', align: 'right' as const },
    { header: `${Math.round((1 - c.options.alpha) * 100)}% interval`, align: 'right' as const },
    { header: 'noise', align: 'right' as const },
  ];
  const cells: string[][] = [];
  for (const r of rows) {
    r.metrics.forEach((m, i) => {
      const first = i === 0;
      cells.push([
        ...(paths ? [first ? cut(r.path, 10) : ''] : []),
        first ? cut(r.op, 14) : '',
        first ? granuleLabel(r.granule, r.threads) : '',
        ...(multi ? [m.metric] : []),
        formatNs(m.baseline),
        formatNs(m.candidate),
        `${formatChange(m.changePct)} ${markOf(m) || ' '}`,
        intervalText(m.ci),
        noiseText(m),
      ]);
    });
  }
  return fitTable(cols, cells);
}

function fitTable(cols: Column[], cells: string[][]): string {
  let out = formatColumns(cols, cells);
  if (out.split('\n').some((l) => l.length > TEXT_WIDTH)) out = formatColumns(cols, cells, { gap: 1 });
  return out
    .split('\n')
    .map((l) => fit(l))
    .join('\n');
}

function table(c: Comparison, rows: ComparedRow[]): string {
  if (c.spread === 'between-runs') return acrossTable(c, rows);
  const multi = c.options.metrics.length > 1;
  const paths = c.mode === 'runs';
  const cols: Column[] = [
    ...(paths ? [{ header: 'path' }] : []),
    { header: 'op' },
    { header: 'granule', align: 'right' as const },
    { header: 'thr', align: 'right' as const },
    ...(multi ? [{ header: 'pct' }] : []),
    { header: paths ? 'baseline' : cut(c.baseline.label, 9), align: 'right' as const },
    { header: paths ? 'candidate' : cut(c.candidate.label, 9), align: 'right' as const },
    { header: 'change', align: 'right' as const },
    { header: 'cv b', align: 'right' as const },
    { header: 'cv c', align: 'right' as const },
  ];
  const cells: string[][] = [];
  for (const r of rows) {
    r.metrics.forEach((m, i) => {
      const first = i === 0;
      const mark = markOf(m);
      cells.push([
        ...(paths ? [first ? cut(r.path, 10) : ''] : []),
        first ? cut(r.op, 14) : '',
        ...(first ? granuleCells(r) : ['', '']),
        ...(multi ? [m.metric] : []),
        formatNs(m.baseline),
        formatNs(m.candidate),
        `${formatChange(m.changePct)} ${mark || ' '}`,
        cvText(m.cvBaseline),
        cvText(m.cvCandidate),
      ]);
    });
  }
  return fitTable(cols, cells);
}

/** A header item indented under its side's title, wrapped to the width. */
function indented(text: string): string[] {
  const pad = ' '.repeat(11);
  return wrap(text, '  ', TEXT_WIDTH - pad.length).map((l) => pad + l);
}

/** "baseline   run X", wrapped under the title when long (several runs) */
function titled(name: string, title: string): string[] {
  const first = `${name.padEnd(11)}${title}`;
  if (first.length <= TEXT_WIDTH) return [first];
  const [head, ...rest] = wrap(title, '', TEXT_WIDTH - 11);
  return [`${name.padEnd(11)}${head}`, ...rest.map((l) => ' '.repeat(11) + l)];
}

export function renderCompareText(c: Comparison): string {
  const out: string[] = [
    `gmembench compare: ${metricsTitle(c.options.metrics)}, lower is better`,
    ...titled('baseline', sideTitle(c, 'baseline')),
    ...sideLines(c, 'baseline').flatMap(indented),
    ...titled('candidate', sideTitle(c, 'candidate')),
    ...sideLines(c, 'candidate').flatMap(indented),
  ];
  if (c.mode === 'runs' && c.baseline.suite !== c.candidate.suite)
    out.push(`suites     ${c.baseline.suite} -> ${c.candidate.suite}`);
  kernelLines(c).forEach((k, i) => out.push(`${i === 0 ? 'kernel     ' : '           '}${k}`));
  out.push('');
  for (const b of c.banner) out.push(...wrap(b), '');
  const hosts = [...new Set(c.rows.map((r) => r.host))];
  if (c.rows.length === 0) out.push('no rows to compare');
  for (const h of hosts) {
    out.push(`host ${h}`);
    out.push(
      ...table(
        c,
        c.rows.filter((r) => r.host === h),
      ).split('\n'),
    );
    out.push('');
  }
  for (const m of c.options.metrics) {
    const s = summaryLine(c, m);
    if (s) out.push(...s.map((l) => fit(l)));
  }
  out.push('');
  for (const l of legend(c)) out.push(...wrap(l));
  for (const n of c.notes) out.push(...wrap(`note: ${n}`));
  if (c.notCompared.length > 0) {
    out.push('', `not compared (${c.notCompared.length}):`);
    // in full, wrapped: the reason says what to do (reserve hugetlb pages, load a module ...)
    for (const l of notComparedLines(c)) out.push(...wrap(l, '  ', TEXT_WIDTH - 2).map((x) => `  ${x}`));
  }
  return `${out.map((l) => fit(l)).join('\n')}\n`;
}

export const compareText: CompareFormat = { name: 'text', render: renderCompareText };
