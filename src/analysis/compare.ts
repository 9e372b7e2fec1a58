/**
 * `gmembench compare`: pair the rows of two runs (or of two paths of one run) and judge each pair.
 * Pure: summaries in, a Comparison model out; the formats in src/export/compare-*.ts print it and
 * src/plot/ draws it.
 *
 * change   = (candidate - baseline) / baseline of the row's figure (p50 or p99 of the merged
 *            histogram): + means the candidate is slower (higher latency), - faster (analysis/change.ts).
 * p        = two-sided Mann-Whitney U over the per-repetition figures (RepStat).
 * ci       = 95% bootstrap interval of the change, from the ratio of the repetition medians (fixed seed).
 * cv       = stddev / mean of the per-repetition figures, per side.
 * mark     = 'significant' when p < alpha AND the interval excludes 0 (both must agree: fewer
 *            false alarms over many rows than either alone); but when either side's cv exceeds the noise threshold
 *            the change must also be clearly beyond the noise (|change| > 2 x cv and the interval
 *            excludes 0), otherwise the row is 'noisy' rather than a change.
 */
import type { ResultRow, RunSummary } from '../results/schema.js';
import { seriesKey } from '../results/schema.js';
import { formatSize } from '../util/units.js';
import { mannWhitney, minimumP } from './stats/mannwhitney.js';
import { bootstrapRatioOfMedians } from './stats/bootstrap.js';
import { cv, geomean } from './stats/describe.js';
import { percentChange } from './change.js';

export const COMPARE_METRICS = ['p50', 'p99'] as const;
export type CompareMetric = (typeof COMPARE_METRICS)[number];
export type Mark = 'significant' | 'noisy' | 'none';

export interface CompareOptions {
  metrics: CompareMetric[];
  /** cv above which a side is noisy (fraction, default 0.05) */
  noise: number;
  /** significance level (default 0.05) */
  alpha: number;
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = { metrics: ['p50'], noise: 0.05, alpha: 0.05 };

export interface SideInfo {
  runId: string;
  /** what the side is called in headers: the run id, or the path in a paths comparison */
  label: string;
  suite: string;
  startedAt: string;
  /** host -> kernel release (null when the fingerprint is missing) */
  kernels: { host: string; release: string | null }[];
}

export interface MetricComparison {
  metric: CompareMetric;
  baseline: number;
  candidate: number;
  /** candidate / baseline */
  ratio: number;
  /** (candidate - baseline) / baseline in percent: + = candidate slower, - = faster */
  changePct: number;
  /** (1 - alpha) bootstrap interval of changePct (from repetition medians); null without repetitions */
  ci: { lo: number; hi: number } | null;
  pValue: number;
  test: 'exact' | 'normal';
  /** coefficient of variation of the repetition figures (fraction; null with fewer than 2) */
  cvBaseline: number | null;
  cvCandidate: number | null;
  repsBaseline: number;
  repsCandidate: number;
  mark: Mark;
}

export interface ComparedRow {
  host: string;
  /** baseline's path (runs mode: both sides') */
  path: string;
  candidatePath: string;
  op: string;
  granule: number;
  threads: number;
  metrics: MetricComparison[];
}

export interface NotCompared {
  /** the host it is about */
  host: string;
  /** what is not compared, without the host: e.g. "hugetlb alloc 4K x1", or "host" for a failed host */
  what: string;
  reason: string;
}

export interface MetricSummary {
  metric: CompareMetric;
  /** geometric mean of candidate / baseline over the compared rows */
  geomeanRatio: number;
  /** the geometric mean as a change: (geomeanRatio - 1) x 100, + = slower */
  changePct: number;
  count: number;
  better: number;
  worse: number;
  noisy: number;
}

export interface Comparison {
  mode: 'runs' | 'paths';
  baseline: SideInfo;
  candidate: SideInfo;
  options: CompareOptions;
  rows: ComparedRow[];
  notCompared: NotCompared[];
  summary: MetricSummary[];
  /** caveats worth printing (e.g. too few repetitions for any significance) */
  notes: string[];
}

export interface Pair {
  baseline: ResultRow;
  candidate: ResultRow;
}

export interface Pairing {
  mode: 'runs' | 'paths';
  baseline: SideInfo;
  candidate: SideInfo;
  pairs: Pair[];
  notCompared: NotCompared[];
}

/** "shmem alloc 4K x1" (without the path in a paths comparison) */
export function rowLabel(r: Pick<ResultRow, 'path' | 'op' | 'granule' | 'threads'>, withPath = true): string {
  return `${withPath ? `${r.path} ` : ''}${r.op} ${formatSize(r.granule)} x${r.threads}`;
}

function sideInfo(run: RunSummary, label: string): SideInfo {
  return {
    runId: run.runId,
    label,
    suite: run.suite?.name ?? '',
    startedAt: run.startedAt,
    kernels: run.hosts.map((h) => ({ host: h.name, release: h.fingerprint?.kernel?.release ?? null })),
  };
}

function comparable(r: ResultRow): boolean {
  return r.status === 'ok' && typeof r.p50 === 'number' && r.p50 > 0;
}

function whyNot(r: ResultRow, side: string): string {
  if (r.status !== 'ok') return `${side} ${r.status}${r.reason ? `: ${r.reason}` : ''}`;
  return `${side} has no samples`;
}

interface SideWords {
  /** what each side is called in reasons: "baseline"/"candidate", or the two paths */
  base: string;
  cand: string;
  onlyBase: string;
  onlyCand: string;
}

function pairUp(base: ResultRow[], cand: ResultRow[], key: (r: ResultRow) => string, withPath: boolean, w: SideWords): { pairs: Pair[]; notCompared: NotCompared[] } {
  const candByKey = new Map<string, ResultRow>();
  for (const r of cand) if (!candByKey.has(key(r))) candByKey.set(key(r), r);
  const seen = new Set<string>();
  const pairs: Pair[] = [];
  const notCompared: NotCompared[] = [];
  for (const b of base) {
    const k = key(b);
    if (seen.has(k)) continue;
    seen.add(k);
    const c = candByKey.get(k);
    const what = rowLabel(b, withPath);
    const host = b.host;
    if (!c) notCompared.push({ host, what, reason: w.onlyBase });
    else if (!comparable(b) && !comparable(c) && b.status === c.status && b.reason === c.reason) notCompared.push({ host, what, reason: whyNot(b, 'both') });
    else if (!comparable(b)) notCompared.push({ host, what, reason: whyNot(b, w.base) + (comparable(c) ? '' : `; ${whyNot(c, w.cand)}`) });
    else if (!comparable(c)) notCompared.push({ host, what, reason: whyNot(c, w.cand) });
    else pairs.push({ baseline: b, candidate: c });
  }
  for (const c of cand) {
    const k = key(c);
    if (seen.has(k)) continue;
    seen.add(k);
    notCompared.push({ host: c.host, what: rowLabel(c, withPath), reason: w.onlyCand });
  }
  return { pairs, notCompared };
}

function failedHosts(run: RunSummary, side: string): NotCompared[] {
  return run.hosts
    .filter((h) => h.status !== 'ok')
    .map((h) => ({ host: h.name, what: 'host', reason: `failed in the ${side}${h.subStatus ? ` (${h.subStatus})` : ''}${h.error ? `: ${h.error}` : ''}` }));
}

/** Rows present in both runs, keyed by (host, path, op, granule, threads). */
export function pairRuns(baseline: RunSummary, candidate: RunSummary): Pairing {
  const { pairs, notCompared } = pairUp(baseline.results, candidate.results, seriesKey, true, {
    base: 'baseline', cand: 'candidate', onlyBase: 'only in the baseline run', onlyCand: 'only in the candidate run',
  });
  return {
    mode: 'runs',
    baseline: sideInfo(baseline, baseline.runId),
    candidate: sideInfo(candidate, candidate.runId),
    pairs,
    notCompared: [...notCompared, ...failedHosts(baseline, 'baseline'), ...failedHosts(candidate, 'candidate')],
  };
}

/** Two paths of one run, keyed by (host, op, granule, threads): "what does gmem cost relative to shmem". */
export function pairPaths(run: RunSummary, baselinePath: string, candidatePath: string): Pairing {
  const known = new Set(run.results.map((r) => r.path));
  for (const p of [baselinePath, candidatePath]) {
    if (!known.has(p)) throw new Error(`--paths: run ${run.runId} has no rows for path "${p}" (it has ${[...known].join(', ') || 'no rows'})`);
  }
  const key = (r: ResultRow) => `${r.host}/${r.op}/${r.granule}/${r.threads}`;
  const { pairs, notCompared } = pairUp(
    run.results.filter((r) => r.path === baselinePath),
    run.results.filter((r) => r.path === candidatePath),
    key,
    false,
    { base: baselinePath, cand: candidatePath, onlyBase: `no ${candidatePath} row`, onlyCand: `no ${baselinePath} row` },
  );
  return {
    mode: 'paths',
    baseline: sideInfo(run, baselinePath),
    candidate: sideInfo(run, candidatePath),
    pairs,
    notCompared: [...notCompared, ...failedHosts(run, 'run')],
  };
}

/** Per-repetition figures of a row (the RepStat field), finite ones only. */
export function repValues(row: ResultRow, metric: CompareMetric): number[] {
  return (row.repetitions ?? []).map((r) => r[metric]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

export function compareMetric(metric: CompareMetric, base: ResultRow, cand: ResultRow, o: CompareOptions): MetricComparison | null {
  const b = base[metric];
  const c = cand[metric];
  if (typeof b !== 'number' || typeof c !== 'number' || !(b > 0) || !(c >= 0)) return null;
  const rb = repValues(base, metric);
  const rc = repValues(cand, metric);
  const mw = mannWhitney(rb, rc);
  const interval = bootstrapRatioOfMedians(rb, rc, { level: 1 - o.alpha });
  const ci = interval ? { lo: percentChange(1, interval.lo), hi: percentChange(1, interval.hi) } : null;
  const cvB = rb.length >= 2 ? cv(rb) : null;
  const cvC = rc.length >= 2 ? cv(rc) : null;
  const ratio = c / b;
  const changePct = percentChange(b, c);
  const significant = mw.p < o.alpha && (ci === null || ci.lo > 0 || ci.hi < 0);
  const worstCv = Math.max(cvB ?? 0, cvC ?? 0);
  let mark: Mark;
  if (worstCv > o.noise) {
    const clear = significant && Math.abs(changePct) > 2 * worstCv * 100;
    mark = clear ? 'significant' : 'noisy';
  } else mark = significant ? 'significant' : 'none';
  return {
    metric, baseline: b, candidate: c, ratio, changePct, ci, pValue: mw.p, test: mw.method,
    cvBaseline: cvB, cvCandidate: cvC, repsBaseline: rb.length, repsCandidate: rc.length, mark,
  };
}

export function judge(p: Pairing, opts: Partial<CompareOptions> = {}): Comparison {
  const o: CompareOptions = { ...DEFAULT_COMPARE_OPTIONS, ...opts };
  const rows: ComparedRow[] = [];
  const notCompared = [...p.notCompared];
  for (const { baseline: b, candidate: c } of p.pairs) {
    const metrics: MetricComparison[] = [];
    for (const m of o.metrics) {
      const mc = compareMetric(m, b, c, o);
      if (mc) metrics.push(mc);
    }
    if (metrics.length === 0) {
      notCompared.push({ host: b.host, what: rowLabel(b, p.mode === 'runs'), reason: `no ${o.metrics.join('/')} figure on one side` });
      continue;
    }
    rows.push({ host: b.host, path: b.path, candidatePath: c.path, op: b.op, granule: b.granule, threads: b.threads, metrics });
  }
  const summary = o.metrics.map((metric): MetricSummary => {
    const ms = rows.flatMap((r) => r.metrics.filter((m) => m.metric === metric));
    const positive = ms.filter((m) => m.ratio > 0);
    const g = geomean(positive.map((m) => m.ratio));
    return {
      metric,
      geomeanRatio: g,
      changePct: percentChange(1, g),
      count: positive.length,
      better: ms.filter((m) => m.mark === 'significant' && m.changePct < 0).length,
      worse: ms.filter((m) => m.mark === 'significant' && m.changePct > 0).length,
      noisy: ms.filter((m) => m.mark === 'noisy').length,
    };
  });
  const notes: string[] = [];
  const all = rows.flatMap((r) => r.metrics);
  if (all.length > 0) {
    const best = Math.min(...all.map((m) => minimumP(m.repsBaseline, m.repsCandidate)));
    if (best >= o.alpha) {
      const fewest = all.reduce((a, m) => (m.repsBaseline + m.repsCandidate < a.repsBaseline + a.repsCandidate ? m : a));
      notes.push(
        `${fewest.repsBaseline} vs ${fewest.repsCandidate} repetitions cannot reach p < ${o.alpha} (Mann-Whitney); ` +
          'use repetitions >= 4 on both sides for * marks',
      );
    }
  }
  return { mode: p.mode, baseline: p.baseline, candidate: p.candidate, options: o, rows, notCompared, summary, notes };
}

export function compareRuns(baseline: RunSummary, candidate: RunSummary, opts: Partial<CompareOptions> = {}): Comparison {
  return judge(pairRuns(baseline, candidate), opts);
}

export function comparePaths(run: RunSummary, baselinePath: string, candidatePath: string, opts: Partial<CompareOptions> = {}): Comparison {
  return judge(pairPaths(run, baselinePath, candidatePath), opts);
}
