/** Cell texts shared by the compare formats (text, markdown, csv): marks, changes, cvs. */
import type { Comparison, Mark, MetricComparison, NotCompared } from '../analysis/compare.js';
import { formatChange, SIGN_LEGEND, WALL_LEGEND } from '../analysis/change.js';
import { formatSize } from '../util/units.js';
import { threadsLabel } from '../results/series-label.js';

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

/** "p50 and p99 latency per call", "p50 latency and wall time per call" when wall is compared */
export function metricsTitle(metrics: readonly string[], join = ' and '): string {
  const latency = metrics.filter((m) => m !== 'wall');
  return `${latency.join(join)} latency${metrics.includes('wall') ? ' and wall time' : ''} per call`;
}

/** What the marks mean, in words (all formats print it); the sign convention first. */
export function legend(c: Comparison): string[] {
  return [...verdictLegend(c), ...(c.options.metrics.includes('wall') ? [WALL_LEGEND] : [])];
}

function verdictLegend(c: Comparison): string[] {
  const o = c.options;
  const level = `${Math.round((1 - o.alpha) * 100)}%`;
  if (c.model === 'within-run') {
    return [
      SIGN_LEGEND,
      `* = p < ${o.alpha} (two-sided Mann-Whitney U over the repetitions) and the ${level} bootstrap interval of the change excludes 0`,
      `~ = noisy: cv > ${(o.noise * 100).toFixed(0)}% on a side and the change not clearly beyond it`,
      `cv = stddev / mean of the repetition figures (b = baseline, c = candidate): within one run, a lower bound of the run-to-run noise`,
    ];
  }
  if (c.spread === 'within-run') {
    return [
      SIGN_LEGEND,
      `~ = beyond the within-run spread only (p < ${o.alpha}, Mann-Whitney U over the repetitions), or a side's cv above ${(o.noise * 100).toFixed(0)}%: the run-to-run noise is unknown, so this is no verdict`,
      `cv = stddev / mean of the repetition figures (b = baseline, c = candidate): within one run, a lower bound of the run-to-run noise`,
    ];
  }
  const floor = `${((o.minChange ?? 0) * 100).toFixed(0)}%`;
  return [
    SIGN_LEGEND,
    `* = slower (+) or faster (-): p < ${o.alpha} (two-sided Mann-Whitney U over the runs' figures, or with fewer runs a permutation test against the history's run deviations) and |change| > max(${floor}, ${o.noiseFactor ?? 1} x noise)`,
    `~ = p < ${o.alpha} but the change is within the series' run-to-run noise: no verdict`,
    `baseline, candidate = the median over each side's runs of the run's figure`,
    `interval = ${level} interval of the change (bootstrap over the runs; with fewer runs, from the history's permutation test)`,
    `noise = the series' run-to-run spread (robust CV of the runs, at least the within-run cv)`,
  ];
}

/** slower / faster / same: what the sign of a change means, in words. */
export function direction(pct: number): 'slower' | 'faster' | 'same' {
  return !Number.isFinite(pct) || pct === 0 ? 'same' : pct > 0 ? 'slower' : 'faster';
}

/** "slower" or "faster" for a marked row, "" otherwise. */
export function verdictOf(m: MetricComparison): string {
  return m.mark === 'significant' ? direction(m.changePct) : '';
}

/** "+10..+20%", "-1.2..+3.4%": an interval of a change in percent, "-" without one */
export function intervalText(ci: { lo: number; hi: number } | null): string {
  if (!ci || !Number.isFinite(ci.lo) || !Number.isFinite(ci.hi)) return '-';
  const end = (v: number) => {
    const s = Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(1);
    return s.startsWith('-') ? s : `+${s}`;
  };
  return `${end(ci.lo)}..${end(ci.hi)}%`;
}

/** the run-to-run noise a verdict used, "-" when unknown */
export function noiseText(m: MetricComparison): string {
  return cvText(m.noise?.used ?? null);
}

export function sideTitle(c: Comparison, side: 'baseline' | 'candidate'): string {
  const s = c[side];
  const ids = s.runIds ?? [s.runId];
  if (ids.length === 1) return c.mode === 'paths' ? `path ${s.label} (run ${ids[0]})` : `run ${ids[0]}`;
  const runs = `${ids.length} runs ${ids[0]} .. ${ids.at(-1)}`;
  return c.mode === 'paths' ? `path ${s.label}, ${runs}` : runs;
}

/** "2026-12-02 09:44:19 UTC", or a range "2026-12-02 09:44:19 .. 09:45:15 UTC" */
function dates(first: string, last: string): string {
  const f = (d: string) => d.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');
  if (!first) return 'no date';
  if (first === last) return `${f(first)} UTC`;
  const a = f(first);
  const b = f(last);
  return `${a} .. ${a.slice(0, 10) === b.slice(0, 10) ? b.slice(11) : b} UTC`;
}

/**
 * What the header says of a side, one item a line: dates, suite, runs and repetitions, probe;
 * per host the CPU and the kernel command line (the candidate's "as the baseline" when equal).
 */
export function sideLines(c: Comparison, side: 'baseline' | 'candidate'): string[] {
  const d = c[side].detail;
  if (!d) return [];
  if (side === 'candidate' && c.mode === 'paths') return ['the same runs'];
  const base = c.baseline.detail;
  const many = d.repetitions.filter((r) => r !== 1);
  const reps = many.length ? many.join('/') : d.repetitions.length ? '1' : '?';
  const once = d.once.length && many.length ? ` (1 for ${d.once.join(', ')})` : '';
  const out = [
    `${dates(d.first, d.last)}, suite ${d.suites.join(', ') || '?'}, ${d.runs} run${d.runs === 1 ? '' : 's'} x ${reps} repetitions${once}, probe ${d.probes.join(', ') || '?'}`,
  ];
  if (d.measurements?.length) {
    const same = side === 'candidate' && base?.measurements?.join('|') === d.measurements.join('|');
    out.push(`measured: ${same ? 'as the baseline' : d.measurements.join(' | ')}`);
  }
  for (const h of d.hosts) {
    const b = base?.hosts.find((x) => x.host === h.host);
    const same = side === 'candidate' && b && b.cmdlines.join('|') === h.cmdlines.join('|');
    out.push(`${h.host} cpu: ${h.cpus.join('; ') || '?'}`);
    out.push(`${h.host} cmdline: ${same ? 'as the baseline' : h.cmdlines.join(' | ') || '?'}`);
  }
  return out;
}

/** "local 6.18.0", or "local 6.18.0 -> 6.19.0" when the kernels differ (several: joined by /) */
export function kernelLines(c: Comparison): string[] {
  const hosts = [...new Set([...c.baseline.kernels, ...c.candidate.kernels].map((k) => k.host))];
  const of = (ks: Comparison['baseline']['kernels'], h: string) => {
    const rs = [...new Set(ks.filter((k) => k.host === h).map((k) => k.release ?? '?'))];
    return rs.length ? rs.join('/') : '?';
  };
  return hosts.map((h) => {
    const b = of(c.baseline.kernels, h);
    const a = of(c.candidate.kernels, h);
    return `${h} ${b === a ? b : `${b} -> ${a}`}`;
  });
}

/** The geometric-mean summary of one metric: [the mean, the marks]. */
export function summaryLine(c: Comparison, metric: string): string[] | null {
  const s = c.summary.find((x) => x.metric === metric);
  if (!s || s.count === 0) return null;
  const once = s.measuredOnce ?? 0;
  return [
    `geomean ${s.metric}: candidate/baseline ${s.geomeanRatio.toFixed(3)} (${formatChange(s.changePct)}) over ${s.count} rows`,
    `  ${s.better} faster *, ${s.worse} slower *, ${s.noisy} noisy ~, ${s.count + once - s.better - s.worse - s.noisy} no clear change`,
    ...(once ? [`  ${once} row(s) measured once (1 repetition, one run a side): not in the geomean`] : []),
  ];
}

/** "host lab2", or "shmem alloc 4K x1" (prefixed with the host when there are several) */
export function notComparedLabel(n: NotCompared, withHost: boolean): string {
  if (n.what === 'host') return `host ${n.host}`;
  return withHost ? `${n.host} ${n.what}` : n.what;
}

/**
 * The not-compared list as "what: reason", the rows of one host and reason on one line (as the run
 * table's "not measured"): "gmem alloc, fault 4K, 2M x1, x2 (8 rows): both unsupported: ...". A
 * host without guest_memfd otherwise gives one line per row, 87 of them for the quality suite.
 */
export function notComparedLines(c: Comparison): string[] {
  const withHost = new Set([...c.rows.map((r) => r.host), ...c.notCompared.map((n) => n.host)]).size > 1;
  const groups = new Map<string, NotCompared[]>();
  for (const n of c.notCompared) {
    const k = n.series ? `${n.host}\0${n.reason}` : `${groups.size}\0host`;
    groups.set(k, [...(groups.get(k) ?? []), n]);
  }
  const uniq = (xs: (string | undefined)[]) => [...new Set(xs.filter((x) => x !== undefined))].join(', ');
  return [...groups.values()].map((ns) => {
    const n = ns[0];
    if (ns.length === 1) return `${notComparedLabel(n, withHost)}: ${n.reason}`;
    const s = ns.map((x) => x.series!);
    const what = [
      withHost ? n.host : undefined,
      uniq(s.map((x) => x.path)) || undefined,
      uniq(s.map((x) => x.op)),
      uniq(s.map((x) => formatSize(x.granule))),
      uniq(s.map((x) => threadsLabel(x.threads))),
    ].filter((x) => x !== undefined);
    return `${what.join(' ')} (${ns.length} rows): ${n.reason}`;
  });
}
