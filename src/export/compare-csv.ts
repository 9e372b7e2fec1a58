/**
 * compare as CSV (RFC 4180): one line per compared row and metric, raw numbers (ns, percent;
 * noise, cvs and threshold as fractions). CSV has no room for a legend: the sign convention is in
 * every line instead, change_pct = (candidate - baseline) / baseline with its `direction` (slower
 * for +, faster for -) beside it, and `verdict` (slower/faster) only on marked rows. p_bound: what
 * p_value had to beat when the verdict rests on the history alone (alpha / the host's rows);
 * noise_runs_own: the compared runs' own noise where `noise` was raised toward the host's median.
 */
import type { Comparison } from '../analysis/compare.js';
import { direction, verdictOf } from './compare-cells.js';
import type { CompareFormat } from './compare-format.js';

const HEADER = [
  'host',
  'baseline_path',
  'candidate_path',
  'op',
  'granule',
  'threads',
  'metric',
  'baseline_ns',
  'candidate_ns',
  'ratio',
  'change_pct',
  'ci_lo_pct',
  'ci_hi_pct',
  'p_value',
  'test',
  'p_bound',
  'cv_baseline',
  'cv_candidate',
  'reps_baseline',
  'reps_candidate',
  'runs_baseline',
  'runs_candidate',
  'noise',
  'noise_source',
  'noise_runs_own',
  'within_run_cv',
  'threshold',
  'measured_once',
  'direction',
  'verdict',
  'mark',
];

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCompareCsv(c: Comparison): string {
  const lines = [HEADER.join(',')];
  for (const r of c.rows) {
    for (const m of r.metrics) {
      lines.push(
        [
          r.host,
          r.path,
          r.candidatePath,
          r.op,
          r.granule,
          r.threads,
          m.metric,
          m.baseline,
          m.candidate,
          m.ratio,
          m.changePct,
          m.ci?.lo,
          m.ci?.hi,
          m.pValue,
          m.test,
          m.pBound,
          m.cvBaseline,
          m.cvCandidate,
          m.repsBaseline,
          m.repsCandidate,
          m.runsBaseline ?? 1,
          m.runsCandidate ?? 1,
          m.noise?.used,
          m.noise?.source ?? 'within-run',
          m.noise?.runsOwn,
          m.noise?.withinRun,
          m.threshold,
          m.measuredOnce ? 1 : 0,
          direction(m.changePct),
          verdictOf(m),
          m.mark,
        ]
          .map(cell)
          .join(','),
      );
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

export const compareCsv: CompareFormat = { name: 'csv', render: renderCompareCsv };
