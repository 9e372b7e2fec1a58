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
import { isReference } from './reference.js';
import type { ResultRow, RunSummary } from '../results/schema.js';
import { seriesKey } from '../results/schema.js';
import { seriesLabel } from '../results/series-label.js';
import { mannWhitney, minimumP } from './stats/mannwhitney.js';
import { bootstrapRatioOfMedians } from './stats/bootstrap.js';
import { cv, geomean } from './stats/describe.js';
import { percentChange } from './change.js';
import type { NoiseSource } from './run-noise.js';
import { sideDetail, type SideDetail } from './side-detail.js';

/** wall: the pass's wall time a call, rows of 2+ threads (ResultRow.wall); compare adds it where rows have it */
export const COMPARE_METRICS = ['p50', 'p99', 'wall'] as const;
export type CompareMetric = (typeof COMPARE_METRICS)[number];

/** the latency metrics asked for, and wall where a row of the runs has it (2+ threads, a probe that times it) */
export function withWall(metrics: CompareMetric[], runs: RunSummary[]): CompareMetric[] {
  const wall = runs.some((s) => s.results.some((r) => r.wall !== undefined));
  return wall && !metrics.includes('wall') ? [...metrics, 'wall'] : metrics;
}
export type Mark = 'significant' | 'noisy' | 'none';

export interface CompareOptions {
  metrics: CompareMetric[];
  /** cv above which a side is noisy (fraction, default 0.05) */
  noise: number;
  /** significance level (default 0.05) */
  alpha: number;
  /** across runs: the smallest change that can be marked (fraction; the noise floor) */
  minChange?: number;
  /** across runs: a marked change must exceed this many times the series' run-to-run noise */
  noiseFactor?: number;
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
  /** the runs of the side, oldest first (one for a single run) */
  runIds: string[];
  /** what a cover letter needs of the side: kernels, cmdlines, CPUs, dates, suites, repetitions, probe */
  detail: SideDetail;
}

/** The run-to-run noise a verdict used (fractions). */
export interface NoiseInfo {
  /** the series' between-run noise (robust CV), null when unknown */
  between: number | null;
  source: NoiseSource;
  /** median within-run cv of the rows' repetitions: a lower bound, null without repetitions */
  withinRun: number | null;
  /** what the verdict used: the larger of the two (null when the between-run noise is unknown) */
  used: number | null;
  /** the compared runs' own noise, where it was raised toward the host's typical series (run-noise.ts moderatedNoise) */
  runsOwn?: number;
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
  /** exact/normal: Mann-Whitney (over repetitions, or over runs across runs); history: permutation test against the history's run deviations (run-noise.ts) */
  test: 'exact' | 'normal' | 'history';
  /** coefficient of variation of the repetition figures (fraction; null with fewer than 2) */
  cvBaseline: number | null;
  cvCandidate: number | null;
  repsBaseline: number;
  repsCandidate: number;
  mark: Mark;
  /** across runs: runs per side that measured the row */
  runsBaseline?: number;
  runsCandidate?: number;
  /** across runs: a p99 of rows with too few samples beyond it (AcrossOptions.tailSamples): never marked */
  thinTail?: boolean;
  /** across runs: the noise the verdict used */
  noise?: NoiseInfo;
  /** across runs: |change| must exceed this (fraction) to be marked */
  threshold?: number;
  /** across runs judged on the history alone (fewer than 3 runs a side): alpha / the host's rows in the table, what a row moving alone must beat (Benjamini-Hochberg over the table) */
  pBound?: number;
  /** measured once per run on a side (1 repetition): out of the geomean unless several runs a side */
  measuredOnce?: boolean;
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
  /** the series `what` names (absent for a host): the list groups rows of one reason by it */
  series?: { path?: string; op: string; granule: number; threads: number };
}

/** `what` of a row and the series it names (the path left out when the two sides are two paths) */
export function notComparedRow(
  r: Pick<ResultRow, 'host' | 'path' | 'op' | 'granule' | 'threads'>,
  withPath: boolean,
  reason: string,
): NotCompared {
  const { op, granule, threads } = r;
  return {
    host: r.host,
    what: rowLabel(r, withPath),
    reason,
    series: { ...(withPath && { path: r.path }), op, granule, threads },
  };
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
  /** rows left out of the geomean: measured once (1 repetition) with one run on a side */
  measuredOnce: number;
}

export interface Comparison {
  mode: 'runs' | 'paths';
  /** within-run: repetitions only (compareRuns, judge); across-runs: run-level figures (compare-runs.ts) */
  model: 'within-run' | 'across-runs';
  /** the spread the table shows: the repetitions' cv, or the series' run-to-run noise */
  spread: 'within-run' | 'between-runs';
  /** lines printed above the table (e.g. why nothing can be marked) */
  banner: string[];
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
  return seriesLabel({ op: r.op, granule: r.granule, threads: r.threads, path: withPath ? r.path : undefined });
}

export function sideInfo(runs: RunSummary[], label: string): SideInfo {
  const run = runs[0];
  const kernels: SideInfo['kernels'] = [];
  for (const r of runs) {
    for (const h of r.hosts) {
      const release = h.fingerprint?.kernel?.release ?? null;
      if (!kernels.some((k) => k.host === h.name && k.release === release)) kernels.push({ host: h.name, release });
    }
  }
  return {
    runId: run.runId,
    label,
    suite: run.suite?.name ?? '',
    startedAt: run.startedAt,
    kernels:
      runs.length === 1
        ? run.hosts.map((h) => ({ host: h.name, release: h.fingerprint?.kernel?.release ?? null }))
        : kernels,
    runIds: runs.map((r) => r.runId),
    detail: sideDetail(runs),
  };
}

export function comparable(r: ResultRow): boolean {
  return r.status === 'ok' && typeof r.p50 === 'number' && r.p50 > 0;
}

export function whyNot(r: ResultRow, side: string): string {
  if (r.status !== 'ok') return `${side} ${r.status}${r.reason ? `: ${r.reason}` : ''}`;
  return `${side} has no samples`;
}

export interface SideWords {
  /** what each side is called in reasons: "baseline"/"candidate", or the two paths */
  base: string;
  cand: string;
  onlyBase: string;
  onlyCand: string;
}

/** One series of a comparison: its ok rows on each side, one per run. */
export interface PairGroup {
  key: string;
  baseline: ResultRow[];
  candidate: ResultRow[];
}

/**
 * Pair the rows of two sides, each side a list of runs' rows: one group per key with the side's
 * ok rows (one per run); a key ok on neither side, or present on one only, is not compared, with
 * the reason.
 */
export function groupUp(
  base: ResultRow[][],
  cand: ResultRow[][],
  key: (r: ResultRow) => string,
  withPath: boolean,
  w: SideWords,
): { groups: PairGroup[]; notCompared: NotCompared[] } {
  const collect = (runs: ResultRow[][]) => {
    const m = new Map<string, ResultRow[]>();
    for (const rows of runs) {
      const seen = new Set<string>();
      for (const r of rows) {
        const k = key(r);
        if (seen.has(k)) continue;
        seen.add(k);
        m.set(k, [...(m.get(k) ?? []), r]);
      }
    }
    return m;
  };
  const bm = collect(base);
  const cm = collect(cand);
  const groups: PairGroup[] = [];
  const notCompared: NotCompared[] = [];
  for (const [k, bs] of bm) {
    const cs = cm.get(k);
    const b = bs[0];
    const bOk = bs.filter(comparable);
    const cOk = (cs ?? []).filter(comparable);
    if (!cs) notCompared.push(notComparedRow(b, withPath, w.onlyBase));
    else if (bOk.length === 0 && cOk.length === 0 && b.status === cs[0].status && b.reason === cs[0].reason)
      notCompared.push(notComparedRow(b, withPath, whyNot(b, 'both')));
    else if (bOk.length === 0)
      notCompared.push(
        notComparedRow(b, withPath, whyNot(b, w.base) + (cOk.length ? '' : `; ${whyNot(cs[0], w.cand)}`)),
      );
    else if (cOk.length === 0) notCompared.push(notComparedRow(b, withPath, whyNot(cs[0], w.cand)));
    else groups.push({ key: k, baseline: bOk, candidate: cOk });
  }
  for (const [k, cs] of cm) if (!bm.has(k)) notCompared.push(notComparedRow(cs[0], withPath, w.onlyCand));
  return { groups, notCompared };
}

export function failedHosts(run: RunSummary, side: string): NotCompared[] {
  return run.hosts
    .filter((h) => h.status !== 'ok')
    .map((h) => ({
      host: h.name,
      what: 'host',
      reason: `failed in the ${side}${h.subStatus ? ` (${h.subStatus})` : ''}${h.error ? `: ${h.error}` : ''}`,
    }));
}

/** Rows present in both runs, keyed by (host, path, op, granule, threads). */
export function pairRuns(baseline: RunSummary, candidate: RunSummary): Pairing {
  const { groups, notCompared } = groupUp([baseline.results], [candidate.results], seriesKey, true, {
    base: 'baseline',
    cand: 'candidate',
    onlyBase: 'only in the baseline run',
    onlyCand: 'only in the candidate run',
  });
  return {
    mode: 'runs',
    baseline: sideInfo([baseline], baseline.runId),
    candidate: sideInfo([candidate], candidate.runId),
    pairs: groups.map((g) => ({ baseline: g.baseline[0], candidate: g.candidate[0] })),
    notCompared: [...notCompared, ...failedHosts(baseline, 'baseline'), ...failedHosts(candidate, 'candidate')],
  };
}

/**
 * The rows of two paths over runs (of one kernel), grouped by (host, op, granule, threads); an
 * Error naming --paths when a path has no rows.
 */
export function pathGroups(runs: RunSummary[], baselinePath: string, candidatePath: string) {
  const known = new Set(runs.flatMap((run) => run.results.map((r) => r.path)));
  for (const p of [baselinePath, candidatePath]) {
    if (!known.has(p))
      throw new Error(
        `--paths: ${runs.length === 1 ? `run ${runs[0].runId} has` : `the ${runs.length} runs have`} no rows for path "${p}" (${runs.length === 1 ? 'it has' : 'they have'} ${[...known].join(', ') || 'no rows'})`,
      );
  }
  const key = (r: ResultRow) => `${r.host}/${r.op}/${r.granule}/${r.threads}`;
  return groupUp(
    runs.map((run) => run.results.filter((r) => r.path === baselinePath)),
    runs.map((run) => run.results.filter((r) => r.path === candidatePath)),
    key,
    false,
    {
      base: baselinePath,
      cand: candidatePath,
      onlyBase: `no ${candidatePath} row`,
      onlyCand: `no ${baselinePath} row`,
    },
  );
}

/** Two paths of one run, keyed by (host, op, granule, threads): "what does gmem cost relative to shmem". */
export function pairPaths(run: RunSummary, baselinePath: string, candidatePath: string): Pairing {
  const { groups, notCompared } = pathGroups([run], baselinePath, candidatePath);
  return {
    mode: 'paths',
    baseline: sideInfo([run], baselinePath),
    candidate: sideInfo([run], candidatePath),
    pairs: groups.map((g) => ({ baseline: g.baseline[0], candidate: g.candidate[0] })),
    notCompared: [...notCompared, ...failedHosts(run, 'run')],
  };
}

/** Per-repetition figures of a row (the RepStat field), finite ones only. */
export function repValues(row: ResultRow, metric: CompareMetric): number[] {
  return (row.repetitions ?? [])
    .map((r) => r[metric])
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

export function compareMetric(
  metric: CompareMetric,
  base: ResultRow,
  cand: ResultRow,
  o: CompareOptions,
): MetricComparison | null {
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
    metric,
    baseline: b,
    candidate: c,
    ratio,
    changePct,
    ci,
    pValue: mw.p,
    test: mw.method,
    cvBaseline: cvB,
    cvCandidate: cvC,
    repsBaseline: rb.length,
    repsCandidate: rc.length,
    mark,
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
      notCompared.push(notComparedRow(b, p.mode === 'runs', `no ${o.metrics.join('/')} figure on one side`));
      continue;
    }
    const once = (b.repetitions?.length ?? 0) <= 1 || (c.repetitions?.length ?? 0) <= 1;
    rows.push({
      host: b.host,
      path: b.path,
      candidatePath: c.path,
      op: b.op,
      granule: b.granule,
      threads: b.threads,
      metrics: metrics.map((m) => ({ ...m, measuredOnce: once })),
    });
  }
  const summary = summarize(rows, o.metrics);
  const notes: string[] = [];
  const all = rows.flatMap((r) => r.metrics);
  if (all.length > 0) {
    const best = Math.min(...all.map((m) => minimumP(m.repsBaseline, m.repsCandidate)));
    if (best >= o.alpha) {
      const fewest = all.reduce((a, m) =>
        m.repsBaseline + m.repsCandidate < a.repsBaseline + a.repsCandidate ? m : a,
      );
      notes.push(
        `${fewest.repsBaseline} vs ${fewest.repsCandidate} repetitions cannot reach p < ${o.alpha} (Mann-Whitney); ` +
          'use repetitions >= 4 on both sides for * marks',
      );
    }
  }
  return {
    mode: p.mode,
    model: 'within-run',
    spread: 'within-run',
    banner: [],
    baseline: p.baseline,
    candidate: p.candidate,
    options: o,
    rows,
    notCompared,
    summary,
    notes,
  };
}

/**
 * The geometric mean of candidate / baseline per metric, and the marks. Rows measured once
 * (1 repetition, e.g. compact and stress) are left out unless several runs on each side measured
 * them: one sample is no figure to average.
 */
export function summarize(rows: ComparedRow[], metrics: readonly CompareMetric[]): MetricSummary[] {
  return metrics.map((metric): MetricSummary => {
    // the null-syscall reference (compare --reference syscall) is shown, not summed up with the ops
    const ms = rows.filter((r) => !isReference(r)).flatMap((r) => r.metrics.filter((m) => m.metric === metric));
    const once = (m: MetricComparison) =>
      m.measuredOnce === true && !((m.runsBaseline ?? 1) >= 2 && (m.runsCandidate ?? 1) >= 2);
    const positive = ms.filter((m) => m.ratio > 0 && !once(m));
    const g = geomean(positive.map((m) => m.ratio));
    return {
      metric,
      geomeanRatio: g,
      changePct: percentChange(1, g),
      count: positive.length,
      better: ms.filter((m) => m.mark === 'significant' && m.changePct < 0).length,
      worse: ms.filter((m) => m.mark === 'significant' && m.changePct > 0).length,
      noisy: ms.filter((m) => m.mark === 'noisy').length,
      measuredOnce: ms.filter(once).length,
    };
  });
}

export function compareRuns(
  baseline: RunSummary,
  candidate: RunSummary,
  opts: Partial<CompareOptions> = {},
): Comparison {
  return judge(pairRuns(baseline, candidate), opts);
}

export function comparePaths(
  run: RunSummary,
  baselinePath: string,
  candidatePath: string,
  opts: Partial<CompareOptions> = {},
): Comparison {
  return judge(pairPaths(run, baselinePath, candidatePath), opts);
}
