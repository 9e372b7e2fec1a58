/** Cell texts shared by the compare formats (text, markdown, csv): marks, changes, cvs. */
import type { Comparison, Mark, MetricComparison, NotCompared } from '../analysis/compare.js';
import { formatChange, SIGN_LEGEND } from '../analysis/change.js';

export const MARK_SYMBOL: Record<Mark, string> = { significant: '*', noisy: '~', none: '' };

/** a cv as a percentage: 0.4%, 12%, >99% */
export function cvText(cv: number | null): string {
  if (cv === null || !Number.isFinite(cv)) return '-';
  const p = cv * 100;
  if (p >= 99.5) return '>99%';
  return `${p >= 10 ? p.toFixed(0) : p.toFixed(1)}%`;
}

export function markOf(m: MetricComparison): string {
  return MARK_SYMBOL[m.mark];
}

/** What the marks mean, in words (all formats print it). */
export function legend(c: Comparison): string[] {
  const o = c.options;
  return [
    SIGN_LEGEND,
    `* = p < ${o.alpha} (two-sided Mann-Whitney U over the repetitions) and the ${Math.round((1 - o.alpha) * 100)}% bootstrap interval of the change excludes 0`,
    `~ = noisy: cv > ${(o.noise * 100).toFixed(0)}% on a side and the change not clearly beyond it`,
    `cv = stddev / mean of the repetition figures (b = baseline, c = candidate)`,
  ];
}

export function sideTitle(c: Comparison, side: 'baseline' | 'candidate'): string {
  const s = c[side];
  return c.mode === 'paths' ? `path ${s.label} (run ${s.runId})` : `run ${s.runId}`;
}

/** "local 6.18.0", or "local 6.18.0 -> 6.19.0" when the kernels differ */
export function kernelLines(c: Comparison): string[] {
  const hosts = [...new Set([...c.baseline.kernels, ...c.candidate.kernels].map((k) => k.host))];
  return hosts.map((h) => {
    const b = c.baseline.kernels.find((k) => k.host === h)?.release ?? '?';
    const a = c.candidate.kernels.find((k) => k.host === h)?.release ?? '?';
    return `${h} ${b === a ? b : `${b} -> ${a}`}`;
  });
}

/** The geometric-mean summary of one metric: [the mean, the marks]. */
export function summaryLine(c: Comparison, metric: string): [string, string] | null {
  const s = c.summary.find((x) => x.metric === metric);
  if (!s || s.count === 0) return null;
  return [
    `geomean ${s.metric}: candidate/baseline ${s.geomeanRatio.toFixed(3)} (${formatChange(s.changePct)}) over ${s.count} rows`,
    `  ${s.better} faster *, ${s.worse} slower *, ${s.noisy} noisy ~, ${s.count - s.better - s.worse - s.noisy} no clear change`,
  ];
}

/** "host lab2", or "shmem alloc 4K x1" (prefixed with the host when there are several) */
export function notComparedLabel(n: NotCompared, withHost: boolean): string {
  if (n.what === 'host') return `host ${n.host}`;
  return withHost ? `${n.host} ${n.what}` : n.what;
}
