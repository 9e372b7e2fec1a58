/** compare as a Markdown (GitHub) table, for pull requests, issues and wikis. */
import { granuleCells } from '../results/series-label.js';
import type { Comparison } from '../analysis/compare.js';
import { formatNs } from '../util/units.js';
import type { CompareFormat } from './compare-format.js';
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
  verdictOf,
} from './compare-cells.js';
import { formatChange } from '../analysis/change.js';

function esc(s: string): string {
  return s.replace(/\|/g, '\\|');
}

export function renderCompareMarkdown(c: Comparison): string {
  const runs = c.mode === 'runs';
  const multiHost = new Set(c.rows.map((r) => r.host)).size > 1;
  const out: string[] = [
    `**gmembench compare** (${metricsTitle(c.options.metrics, ', ')}, lower is better)`,
    '',
    `- baseline: ${esc(sideTitle(c, 'baseline'))}`,
    ...sideLines(c, 'baseline').map((l) => `  - ${esc(l)}`),
    `- candidate: ${esc(sideTitle(c, 'candidate'))}`,
    ...sideLines(c, 'candidate').map((l) => `  - ${esc(l)}`),
    ...kernelLines(c).map((k) => `- kernel: ${esc(k)}`),
    '',
    ...c.banner.flatMap((b) => [`> ${esc(b)}`, '']),
  ];
  const across = c.spread === 'between-runs';
  const level = `${Math.round((1 - c.options.alpha) * 100)}% interval`;
  const head = [
    ...(multiHost ? ['host'] : []),
    ...(runs ? ['path'] : []),
    'op',
    'granule',
    'threads',
    'metric',
    runs ? 'baseline' : esc(c.baseline.label),
    runs ? 'candidate' : esc(c.candidate.label),
    'change',
    '',
    ...(across ? ['verdict', level, 'noise', 'runs b', 'runs c'] : ['cv b', 'cv c']),
  ];
  const right = new Set([
    'granule',
    'threads',
    'change',
    'cv b',
    'cv c',
    level,
    'noise',
    'runs b',
    'runs c',
    head[head.indexOf('metric') + 1],
    head[head.indexOf('metric') + 2],
  ]);
  out.push(`| ${head.join(' | ')} |`, `|${head.map((h) => (right.has(h) ? ' ---: ' : ' --- ')).join('|')}|`);
  for (const r of c.rows) {
    for (const m of r.metrics) {
      const cells = [
        ...(multiHost ? [r.host] : []),
        ...(runs ? [r.path] : []),
        r.op,
        ...granuleCells(r),
        m.metric,
        formatNs(m.baseline),
        formatNs(m.candidate),
        formatChange(m.changePct),
        markOf(m) === '*' ? '\\*' : markOf(m),
        ...(across
          ? [verdictOf(m), intervalText(m.ci), noiseText(m), String(m.runsBaseline ?? 1), String(m.runsCandidate ?? 1)]
          : [cvText(m.cvBaseline), cvText(m.cvCandidate)]),
      ];
      out.push(`| ${cells.map(esc).join(' | ')} |`);
    }
  }
  if (c.rows.length === 0) out.push('', '_no rows to compare_');
  out.push('');
  for (const m of c.options.metrics) {
    const s = summaryLine(c, m);
    if (s)
      out.push(
        `**${esc(s[0])}**, ${s
          .slice(1)
          .map((x) => esc(x.trim()).replace(/\*/g, '\\*'))
          .join('; ')}`,
        '',
      );
  }
  for (const l of legend(c)) out.push(`- ${esc(l).replace(/^\* /, '\\* ')}`);
  for (const n of c.notes) out.push(`- note: ${esc(n)}`);
  if (c.notCompared.length > 0) {
    out.push('', `Not compared (${c.notCompared.length}):`, '');
    for (const l of notComparedLines(c)) out.push(`- ${esc(l)}`);
  }
  return `${out.join('\n')}\n`;
}

export const compareMarkdown: CompareFormat = { name: 'markdown', render: renderCompareMarkdown };
