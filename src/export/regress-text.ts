/** regress as plain text: regressions first, then improvements, in columns (mail- and log-safe). */
import type { Change, RegressReport } from '../analysis/regress.js';
import { formatColumns } from '../output/columns.js';
import { formatNs, formatSize } from '../util/units.js';
import type { RegressFormat } from './regress-format.js';
import { formatChange, SIGN_LEGEND } from '../analysis/change.js';

export function seriesLabel(c: Pick<Change, 'host' | 'path' | 'op' | 'granule' | 'threads'>): string {
  return `${c.host} ${c.path} ${c.op} ${formatSize(c.granule)} x${c.threads}`;
}

function table(changes: Change[]): string {
  return formatColumns(
    [
      { header: 'series' }, { header: 'metric' }, { header: 'before', align: 'right' }, { header: 'after', align: 'right' },
      { header: 'change', align: 'right' }, { header: 'noise', align: 'right' }, { header: 'p', align: 'right' }, { header: 'first run' }, { header: 'kernel' }, { header: 'state' },
    ],
    changes.map((c) => [
      seriesLabel(c), c.metric, formatNs(c.before), formatNs(c.after), formatChange(c.changePct), c.noisePct === undefined ? '-' : `${c.noisePct.toFixed(1)}%`, c.pValue.toExponential(1),
      c.firstRunId, c.kernelBefore && c.kernelAfter && c.kernelBefore !== c.kernelAfter ? `${c.kernelBefore} -> ${c.kernelAfter}` : (c.kernelAfter ?? ''),
      c.known ? '(known)' : 'NEW',
    ]),
  );
}

export function renderRegressText(r: RegressReport): string {
  const o = r.options;
  const out = [
    `regress: ${r.runs} runs (${r.firstRunId ?? '-'} .. ${r.lastRunId ?? '-'}), ${r.series.length} series, from ${r.source}`,
    `method: E-divisive means + Student t (${o.test === 'rank' ? 'on ranks' : 'on values'}), p < ${o.maxPValue}, |change| >= ${(o.minMagnitude * 100).toFixed(1)}%, segments >= ${o.minSegment} runs`,
    `budget: Benjamini-Hochberg FDR ${o.fdr} over each host's series; |change| >= ${o.noiseFactor} x the series' between-run noise (noise column)`,
    SIGN_LEGEND,
    '',
  ];
  if (r.tooFew) out.push(`too few runs for a verdict: ${r.tooFew.runs} of the ${r.tooFew.needed} needed (segments >= ${o.minSegment} runs each side)`, '');
  for (const sh of r.shifts ?? []) {
    out.push(
      `HOST-WIDE SHIFT on ${sh.host} at run ${sh.firstRunId}: ${sh.series} series moved (${sh.slower} slower), median ${formatChange(sh.medianChangePct)}`,
      `  fingerprint changed: ${sh.fingerprint} (last run before: ${sh.lastGoodRunId})`,
    );
  }
  if (r.shifts?.length) out.push('');
  const fresh = r.regressions.filter((c) => !c.known).length;
  if (r.regressions.length === 0) out.push('no regressions');
  else out.push(`REGRESSIONS: ${r.regressions.length} (${fresh} new)`, table(r.regressions));
  out.push('');
  if (r.improvements.length === 0) out.push('no improvements');
  else out.push(`improvements: ${r.improvements.length}`, table(r.improvements));
  for (const s of r.skipped) out.push(`skipped: ${s}`);
  return `${out.join('\n')}\n`;
}

export const regressText: RegressFormat = { name: 'text', extension: 'txt', render: renderRegressText };
