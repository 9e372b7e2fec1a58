/**
 * regress as plain text: host-wide shifts, regressions, then improvements, in columns that fit
 * 100 characters (mail- and log-safe), every column named, one table per host. The run where a change appeared is a
 * number in the table ([1], [2]...) and spelled out below it, with the last good run and the kernels.
 */
import { sensitivity, type Change, type RegressReport } from '../analysis/regress.js';
import { describeReference } from '../analysis/reference.js';
import { fitColumns, wrapText } from '../output/columns.js';
import { formatNs, formatSize } from '../util/units.js';
import { shellQuote } from '../util/shell.js';
import { granuleLabel, seriesLabel as labelOf } from '../results/series-label.js';
import type { RegressFormat } from './regress-format.js';
import { formatChange, SIGN_LEGEND } from '../analysis/change.js';
import { median } from '../analysis/stats/describe.js';

/** the width every line of the text report fits */
export const REGRESS_TEXT_WIDTH = 100;

export function seriesLabel(c: Pick<Change, 'host' | 'path' | 'op' | 'granule' | 'threads'>): string {
  return labelOf(c);
}

const TEST_NAMES = {
  rank: 'Student t on ranks',
  robust: 'Student t on winsorized values',
  student: 'Student t on values',
} as const;

/** a paragraph wrapped to the width, continuation lines indented */
function para(text: string, indent = '  '): string[] {
  // the text's own leading spaces stay on its first line (wrapText splits on whitespace)
  const lead = /^ */.exec(text)![0];
  const [body, ...rest] = wrapText(text.slice(lead.length), REGRESS_TEXT_WIDTH - lead.length);
  const first = lead + body;
  // the rest re-wrapped as one text to the indented width (wrapping each line again left orphans)
  const more = rest.length ? wrapText(rest.join(' '), REGRESS_TEXT_WIDTH - indent.length) : [];
  return [first, ...more.map((l) => indent + l)];
}

/** the runs' footnotes: [n] -> run id, last good run, kernels; numbered oldest first */
class RunNotes {
  private readonly notes = new Map<string, { n: number; text: string }>();
  constructor(changes: Change[]) {
    for (const c of [...changes].sort(
      (a, b) => Date.parse(a.firstStartedAt) - Date.parse(b.firstStartedAt) || a.firstRunId.localeCompare(b.firstRunId),
    ))
      this.ref(c);
  }
  ref(c: Change): string {
    let e = this.notes.get(c.firstRunId);
    if (!e) {
      const kernel =
        c.kernelBefore && c.kernelAfter && c.kernelBefore !== c.kernelAfter
          ? `, kernel ${c.kernelBefore} -> ${c.kernelAfter}`
          : c.kernelAfter
            ? `, kernel ${c.kernelAfter}`
            : '';
      e = { n: this.notes.size + 1, text: `${c.firstRunId}\n    last good ${c.lastGoodRunId}${kernel}` };
      this.notes.set(c.firstRunId, e);
    }
    return `[${e.n}]`;
  }
  lines(): string[] {
    return [...this.notes.values()].flatMap((e) => `[${e.n}] ${e.text}`.split('\n').flatMap((l) => para(l, '      ')));
  }
}

/** one table per host (the host is its heading, so the series column stays short) */
function tables(changes: Change[], notes: RunNotes): string[] {
  const hosts = [...new Set(changes.map((c) => c.host))];
  return hosts.flatMap((host) => [
    ...para(`host ${host}:`),
    ...table(
      changes.filter((c) => c.host === host),
      notes,
    ),
  ]);
}

function table(changes: Change[], notes: RunNotes): string[] {
  const relative = changes.some((c) => c.relativePct !== undefined);
  const { text, hidden } = fitColumns(
    [
      { header: 'series' },
      { header: 'metric' },
      { header: 'before', align: 'right' },
      { header: 'after', align: 'right' },
      { header: 'change', align: 'right' },
      ...(relative ? [{ header: 'vs host', align: 'right' as const }] : []),
      { header: 'noise', align: 'right', priority: 2 },
      { header: 'p', align: 'right', priority: 1 },
      { header: 'from run', align: 'right' },
      { header: 'state' },
    ],
    changes.map((c) => [
      `${c.path} ${c.op} ${granuleLabel(c.granule, c.threads)}`,
      c.metric,
      formatNs(c.before),
      formatNs(c.after),
      formatChange(c.changePct),
      ...(relative ? [c.relativePct === undefined ? '-' : formatChange(c.relativePct)] : []),
      c.noisePct === undefined ? '-' : `${c.noisePct.toFixed(1)}%`,
      c.pValue.toExponential(1),
      notes.ref(c),
      c.known ? '(known)' : 'NEW',
    ]),
    { width: REGRESS_TEXT_WIDTH },
  );
  return [
    text,
    ...(hidden.length
      ? [`(left out to fit ${REGRESS_TEXT_WIDTH} columns: ${hidden.join(', ')}; --format json has them)`]
      : []),
  ];
}

/** normalize auto: how far the series followed their index (each divided by it to the power its history gives) */
function exponentNote(r: RegressReport): string {
  const bs = r.series.flatMap((s) => (s.indexExponent === undefined ? [] : [s.indexExponent]));
  if (bs.length === 0) return '';
  const low = bs.filter((b) => b < 0.5).length;
  return (
    `, each series to the power its history gives (1: divided by it, 0: as measured; median ${median(bs).toFixed(2)}, ` +
    `${low} of ${bs.length} below 0.5: those barely follow the host, and dividing would add the index's noise)`
  );
}

/** a shell command in lines of the width, each continued with a backslash, its words kept whole */
function shellLines(words: string[], indent = '  ', more = '      '): string[] {
  const out: string[] = [];
  let line = indent + words[0];
  for (const w of words.slice(1)) {
    if (line.length + 1 + w.length + 2 > REGRESS_TEXT_WIDTH) {
      out.push(`${line} \\`);
      line = more + w;
    } else line += ` ${w}`;
  }
  return [...out, line];
}

/** new regressions given a command to bisect them with (the rest: "the same with their series") */
const MAX_BISECT_HINTS = 3;

/**
 * What to paste to bisect each new regression when the history is a results folder: bisect-check
 * with the runs up to the last good one as the baseline and half the change as the slow-down
 * sought (the midpoint between the two levels).
 */
function bisectHints(r: RegressReport): string[] {
  const fresh = r.regressions.filter((c) => !c.known);
  if (fresh.length === 0 || !r.source || /^[a-z][a-z0-9+.-]*:\/\//i.test(r.source)) return [];
  const shown = fresh.slice(0, MAX_BISECT_HINTS);
  return [
    '',
    ...para(
      'to bisect: the runs up to the last good one as the baseline, half the change as the slow-down sought (bisect-check skips a commit its runs cannot tell):',
    ),
    ...shown.flatMap((c) =>
      shellLines([
        'git bisect run gmembench bisect-check',
        `--series ${c.host}/${c.path}/${c.op}/${formatSize(c.granule)}/${c.threads}`,
        `--metric ${c.metric}`,
        `--threshold ${(c.changePct / 2).toFixed(1)}%`,
        `--baseline ${shellQuote([r.source])}`,
        `--until ${c.lastGoodRunId}`,
        `--suite ${r.suiteFile ? shellQuote([r.suiteFile]) : 'SUITE'}`,
      ]),
    ),
    ...(fresh.length > shown.length
      ? [`  (${fresh.length - shown.length} more new regression(s): the same with their series)`]
      : []),
  ];
}

export function renderRegressText(r: RegressReport): string {
  const o = r.options;
  const out = [
    ...para(
      `regress: ${r.runs} runs (${r.firstRunId ?? '-'} .. ${r.lastRunId ?? '-'}), ${r.series.length} series${r.source ? `, from ${r.source}` : ''}`,
    ),
    ...para(
      `method: E-divisive means + ${TEST_NAMES[o.test] ?? o.test}, p < ${o.maxPValue}, |change| >= ${(o.minMagnitude * 100).toFixed(1)}%, segments >= ${o.minSegment} runs, ` +
        `>= ${o.baselineRuns ?? 0} runs before a change, the new level holds for ${o.persistence ?? 0} runs (persistence)` +
        (o.persistenceMargin ? `, each beyond the old median by ${o.persistenceMargin} x noise` : ''),
    ),
    ...para(
      `budget: Benjamini-Hochberg FDR ${o.fdr} over each host's series; |change| >= ${o.noiseFactor} x the series' between-run noise${o.noiseConfidence ? ` (its ${+(o.noiseConfidence * 100).toFixed(1)}% upper bound)` : ''} (noise: CV between runs)`,
    ),
    ...(r.speedIndex?.length
      ? para(
          "judged relative to each host's speed index (per run, the median of its series against their usual level)" +
            exponentNote(r) +
            ': "vs host" is the change judged (and "noise" its noise), "change" the latency\'s own; a change of the index itself is a host-wide shift',
        )
      : []),
    ...(r.reference ? para(describeReference(r.reference)) : []),
    SIGN_LEGEND,
    '',
  ];
  if (r.tooFew)
    out.push(
      ...para(
        `too few runs for a verdict: ${r.tooFew.runs} of the ${r.tooFew.needed} needed (${Math.max(o.minSegment, o.baselineRuns ?? 0)} runs before a change, ${Math.max(o.minSegment, o.persistence ?? 0)} after it)`,
      ),
      '',
    );
  for (const sh of r.shifts ?? []) {
    const what = sh.speedIndex
      ? `speed index (${sh.speedIndex.metric}) ${formatChange(sh.medianChangePct)}, noise ${sh.speedIndex.noisePct.toFixed(1)}%, p ${sh.speedIndex.pValue.toExponential(1)}; ${sh.slower} of ${sh.series} series slower`
      : `${sh.series} series moved (${sh.slower} slower), median ${formatChange(sh.medianChangePct)}`;
    out.push(
      ...para(
        sh.explained === false
          ? `host moved on its own, ${sh.host} at run ${sh.firstRunId}: ${what} ${sh.known ? '(known)' : 'NEW'}`
          : `HOST-WIDE SHIFT on ${sh.host} at run ${sh.firstRunId}: ${what} ${sh.known ? '(known)' : 'NEW'}`,
      ),
      ...para(
        sh.explained === false
          ? `  nothing in the fingerprint changed (last run before: ${sh.lastGoodRunId}): told, not failed`
          : `  fingerprint changed: ${sh.fingerprint} (last run before: ${sh.lastGoodRunId})`,
        '    ',
      ),
    );
  }
  if (r.shifts?.length) out.push('');
  const hostSensitivity = sensitivity(r);
  for (const h of hostSensitivity)
    out.push(
      ...para(
        `sensitivity on ${h.host}: only changes of ${h.medianFloorPct.toFixed(1)}% or more can be told on the median series (between-run noise ${h.medianNoisePct.toFixed(1)}%); ` +
          `${h.tell5} of ${h.series} series can tell a 5% change, ${h.tell10} a 10% one (floorPct in --format json)` +
          (h.indexFloorPct === undefined
            ? ''
            : `; host-wide changes of ${h.indexFloorPct.toFixed(1)}% or more (speed index noise ${h.indexNoisePct!.toFixed(1)}%)`),
      ),
    );
  if (hostSensitivity.length) out.push('');
  if (r.thin?.length) {
    const byMetric = new Map<string, NonNullable<RegressReport['thin']>>();
    for (const t of r.thin) byMetric.set(t.metric, [...(byMetric.get(t.metric) ?? []), t]);
    for (const [metric, ts] of byMetric)
      out.push(
        ...para(
          `${metric} not judged on ${ts.length} series: their rows have fewer than the ${ts[0].needed} samples a ${metric} needs ` +
            `(${o.tailSamples} beyond it; --tail-samples), so it is one of their few largest (samples a row): ` +
            ts.map((t) => `${seriesLabel(t)} (${t.samples})`).join(', '),
        ),
      );
    out.push('');
  }
  const notes = new RunNotes([...r.regressions, ...r.improvements]);
  const fresh = r.regressions.filter((c) => !c.known).length;
  if (r.regressions.length === 0) out.push('no regressions');
  else out.push(`REGRESSIONS: ${r.regressions.length} (${fresh} new)`, ...tables(r.regressions, notes));
  out.push('');
  if (r.improvements.length === 0) out.push('no improvements');
  else out.push(`improvements: ${r.improvements.length}`, ...tables(r.improvements, notes));
  const runs = notes.lines();
  if (runs.length) out.push('', 'from run:', ...runs);
  out.push(...bisectHints(r));
  for (const s of r.skipped) out.push(...para(`skipped: ${s}`));
  return `${out.join('\n')}\n`;
}

export const regressText: RegressFormat = { name: 'text', render: renderRegressText };
