/**
 * compare across runs: several runs per side (or one, with a history), each row judged on
 * run-level figures against the series' run-to-run noise (analysis/run-noise.ts). What
 * `gmembench compare` prints; compare.ts's within-run judge() is the repetitions-only lower bound.
 *
 * For each row (series) and metric, over the runs of each side that measured it ok:
 * baseline, candidate = the median over the side's runs of the run's figure (p50 or p99);
 * change   = (candidate - baseline) / baseline: + = slower (analysis/change.ts);
 * noise    = the series' between-run robust CV, from the compared runs (3 or more a side) and/or the
 *            history; never below the within-run cv of the repetitions (a lower bound);
 * p        = two-sided Mann-Whitney U over the runs' figures when the run counts can reach alpha
 *            (5 vs 5 for 0.01), else a permutation test of the mean log change against groups
 *            of as many runs drawn from the history's deviations (run-noise.ts; no normal
 *            assumption: the tails of this machine's runs are the history's own);
 * interval = (1 - alpha) bootstrap interval of the ratio of the sides' medians over the runs (2 or
 *            more a side), else from the permutation test's distribution;
 * mark     = 'significant' (slower or faster, by the sign) when p < alpha AND |change| exceeds
 *            max(minChange, noiseFactor x noise) (noiseFactor 3 as regress's: five runs a side
 *            see no drift between the groups, measured in bench/compare-quality.ts); 'noisy' when
 *            p < alpha but within that. With one
 *            run per side and no history the noise is unknown: nothing is 'significant'; a row the
 *            repetitions call significant (or too noisy to tell) is 'noisy' (a lower bound, no verdict).
 *            A p99 of rows with fewer than tailSamples samples beyond it (series.ts hasTail: a p99
 *            of 48 samples is their maximum) is at most 'noisy', as regress does not judge it.
 */
import type { ResultRow, RunSummary } from '../results/schema.js';
import { seriesKey } from '../results/schema.js';
import {
  compareMetric,
  failedHosts,
  groupUp,
  pathGroups,
  repValues,
  notComparedRow,
  sideInfo,
  summarize,
  type CompareMetric,
  type CompareOptions,
  type ComparedRow,
  type Comparison,
  type MetricComparison,
  type NotCompared,
  type Pair,
  type PairGroup,
  type Pairing,
} from './compare.js';
import { percentChange } from './change.js';
import {
  groupNoise,
  historyNoise,
  historyPermutationTest,
  MIN_SERIES_FOR_PRIOR,
  moderatedNoise,
  noiseKey,
  type HistoryNoise,
  type NoiseSource,
} from './run-noise.js';
import { hasTail, samplesNeeded, TAIL_SAMPLES, type HistoryRun } from './series.js';
import { bootstrapRatioOfMedians } from './stats/bootstrap.js';
import { cv, mean, median } from './stats/describe.js';
import { mannWhitney, minimumP } from './stats/mannwhitney.js';
import { benjaminiHochberg } from './stats/fdr.js';

export interface AcrossOptions extends CompareOptions {
  minChange: number;
  noiseFactor: number;
  /** a p99 is marked only where every row compared has this many samples beyond it (0: always) */
  tailSamples: number;
}

export const DEFAULT_ACROSS_OPTIONS: AcrossOptions = {
  metrics: ['p50'],
  noise: 0.05,
  alpha: 0.01,
  minChange: 0.03,
  noiseFactor: 3,
  tailSamples: TAIL_SAMPLES,
};

/** A history of runs to take the series' noise from, and where it came from (for the header). */
export interface History {
  runs: HistoryRun[];
  source: string;
}

export type { PairGroup };

export interface RunsPairing extends Pairing {
  groups: PairGroup[];
  /** the runs of each side (the same runs on both sides in a paths comparison) */
  baselineRuns: RunSummary[];
  candidateRuns: RunSummary[];
}

/** The row of the run whose figure is the side's median: what the charts draw for a side. */
function medianRow(rows: ResultRow[]): ResultRow {
  const sorted = [...rows].sort((a, b) => (a.p50 ?? 0) - (b.p50 ?? 0));
  return sorted[(sorted.length - 1) >> 1];
}

function failedHostsOf(runs: RunSummary[], side: string): NotCompared[] {
  if (runs.length === 1) return failedHosts(runs[0], side);
  const byHost = new Map<string, { n: number; first: NotCompared }>();
  for (const run of runs) {
    for (const f of failedHosts(run, side)) {
      const e = byHost.get(f.host);
      if (e) e.n++;
      else byHost.set(f.host, { n: 1, first: f });
    }
  }
  return [...byHost.values()].map(({ n, first }) => ({
    ...first,
    reason: `${first.reason.replace(/^failed in the \w+/, `failed in ${n} of ${runs.length} ${side} runs`)}`,
  }));
}

function pairsOf(groups: PairGroup[]): Pair[] {
  return groups.map((g) => ({ baseline: medianRow(g.baseline), candidate: medianRow(g.candidate) }));
}

function label(runs: RunSummary[]): string {
  return runs.length === 1 ? runs[0].runId : `${runs.length} runs`;
}

/** Rows of several runs per side, keyed by (host, path, op, granule, threads). */
export function pairRunGroups(baseline: RunSummary[], candidate: RunSummary[]): RunsPairing {
  if (baseline.length === 0 || candidate.length === 0)
    throw new Error(`compare: the ${baseline.length === 0 ? 'baseline' : 'candidate'} has no runs`);
  const one = baseline.length === 1 && candidate.length === 1;
  const { groups, notCompared } = groupUp(
    baseline.map((r) => r.results),
    candidate.map((r) => r.results),
    seriesKey,
    true,
    {
      base: 'baseline',
      cand: 'candidate',
      onlyBase: one ? 'only in the baseline run' : 'only in the baseline runs',
      onlyCand: one ? 'only in the candidate run' : 'only in the candidate runs',
    },
  );
  return {
    mode: 'runs',
    baseline: sideInfo(baseline, label(baseline)),
    candidate: sideInfo(candidate, label(candidate)),
    pairs: pairsOf(groups),
    notCompared: [...notCompared, ...failedHostsOf(baseline, 'baseline'), ...failedHostsOf(candidate, 'candidate')],
    groups,
    baselineRuns: baseline,
    candidateRuns: candidate,
  };
}

/** Two paths over several runs (of one kernel), keyed by (host, op, granule, threads). */
export function pairPathGroups(runs: RunSummary[], baselinePath: string, candidatePath: string): RunsPairing {
  if (runs.length === 0) throw new Error('compare --paths: no runs');
  const { groups, notCompared } = pathGroups(runs, baselinePath, candidatePath);
  const b = sideInfo(runs, baselinePath);
  const c = sideInfo(runs, candidatePath);
  return {
    mode: 'paths',
    baseline: b,
    candidate: c,
    pairs: pairsOf(groups),
    notCompared: [...notCompared, ...failedHostsOf(runs, 'run')],
    groups,
    baselineRuns: runs,
    candidateRuns: runs,
  };
}

function figure(r: ResultRow, m: CompareMetric): number | null {
  const v = r[m];
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null;
}

function withinRunCv(rows: ResultRow[], m: CompareMetric): number | null {
  const cvs = rows
    .map((r) => repValues(r, m))
    .filter((v) => v.length >= 2)
    .map((v) => cv(v))
    .filter((x) => Number.isFinite(x));
  return cvs.length ? median(cvs) : null;
}

interface RowNoise {
  /** from the compared runs, moderated toward the host's typical series (moderatedNoise) */
  runs: number | null;
  /** the compared runs' own estimate, where moderation raised it */
  runsOwn?: number;
  history: HistoryNoise | null;
  /** rows of this host and metric in the table: judged on the history alone, each is held to alpha / rows */
  rows: number;
}

function judgeGroup(g: PairGroup, m: CompareMetric, o: AcrossOptions, noiseOf: RowNoise): MetricComparison | null {
  const b = g.baseline.map((r) => figure(r, m)).filter((v): v is number => v !== null);
  const c = g.candidate.map((r) => figure(r, m)).filter((v): v is number => v !== null);
  if (b.length === 0 || c.length === 0) return null;
  const nB = b.length;
  const nC = c.length;
  const within = withinRunCv([...g.baseline, ...g.candidate], m);
  const once =
    g.baseline.every((r) => (r.repetitions?.length ?? 0) <= 1) ||
    g.candidate.every((r) => (r.repetitions?.length ?? 0) <= 1);
  const between = [noiseOf.runs, noiseOf.history?.noise ?? null].filter((x): x is number => x !== null);
  const source: NoiseSource =
    noiseOf.runs !== null && noiseOf.history
      ? 'runs+history'
      : noiseOf.runs !== null
        ? 'runs'
        : noiseOf.history
          ? 'history'
          : 'none';
  const cvB = withinRunCv(g.baseline, m);
  const cvC = withinRunCv(g.candidate, m);
  const reps = (rows: ResultRow[]) => rows.reduce((s, r) => s + repValues(r, m).length, 0);
  const common = {
    runsBaseline: nB,
    runsCandidate: nC,
    measuredOnce: once,
    cvBaseline: cvB,
    cvCandidate: cvC,
    repsBaseline: reps(g.baseline),
    repsCandidate: reps(g.candidate),
  };
  if (between.length === 0 && nB === 1 && nC === 1) {
    // the noise is unknown: the repetitions' test is shown, as a lower bound, never as a verdict
    const w = compareMetric(m, g.baseline[0], g.candidate[0], o);
    if (!w) return null;
    return {
      ...w,
      ...common,
      cvBaseline: w.cvBaseline,
      cvCandidate: w.cvCandidate,
      // significant or noisy over the repetitions: either way no verdict without the run-to-run noise
      mark: w.mark === 'none' ? 'none' : 'noisy',
      noise: { between: null, source, withinRun: within, used: null },
    };
  }
  const mb = median(b);
  const mc = median(c);
  const changePct = percentChange(mb, mc);
  const used = between.length ? Math.max(...between, within ?? 0) : null;
  const threshold = used === null ? null : Math.max(o.minChange, o.noiseFactor * used);
  const d = mean(c.map(Math.log)) - mean(b.map(Math.log));
  let pValue: number;
  let test: MetricComparison['test'];
  let perm: { halfWidth: number } | null = null;
  const h = noiseOf.history;
  // too few compared runs for a noise of their own: the verdict rests on the history, where any odd
  // run of any row could be marked, so the table as a whole gets alpha (historyBudget); a lone row
  // must reach alpha / rows, and the test must resolve p that small
  const bound = noiseOf.runs === null ? o.alpha / noiseOf.rows : o.alpha;
  const hp =
    minimumP(nB, nC) < o.alpha || !h ? null : historyPermutationTest(h.deviations, b, c, o.alpha, resamplesFor(bound));
  if (hp) {
    pValue = hp.p;
    test = 'history';
    perm = hp;
  } else {
    const mw = mannWhitney(b, c);
    pValue = mw.p;
    test = mw.method;
  }
  let ci: MetricComparison['ci'] = null;
  if (nB >= 2 && nC >= 2) {
    const iv = bootstrapRatioOfMedians(b, c, { level: 1 - o.alpha });
    if (iv) ci = { lo: percentChange(1, iv.lo), hi: percentChange(1, iv.hi) };
  } else if (perm) {
    ci = { lo: (Math.exp(d - perm.halfWidth) - 1) * 100, hi: (Math.exp(d + perm.halfWidth) - 1) * 100 };
  }
  const thin = [...g.baseline, ...g.candidate].some((r) => !hasTail(r, m, o.tailSamples));
  return {
    metric: m,
    baseline: mb,
    candidate: mc,
    ratio: mc / mb,
    changePct,
    ci,
    pValue,
    test,
    ...common,
    mark: markOf(pValue < bound, { changePct, threshold: threshold ?? undefined, thinTail: thin }),
    ...(bound < o.alpha && { pBound: bound }),
    ...(thin && { thinTail: true }),
    noise: {
      between: between.length ? Math.max(...between) : null,
      source,
      withinRun: within,
      used,
      ...(noiseOf.runsOwn !== undefined && { runsOwn: noiseOf.runsOwn }),
    },
    ...(threshold !== null && { threshold }),
  };
}

/** significant and beyond the noise: 'significant'; significant within it: 'noisy' (no verdict) */
function markOf(
  significant: boolean,
  m: Pick<MetricComparison, 'changePct' | 'threshold' | 'thinTail'>,
): MetricComparison['mark'] {
  const beyond = m.threshold !== undefined && Math.abs(m.changePct) > m.threshold * 100 && !m.thinTail;
  return significant && beyond ? 'significant' : significant ? 'noisy' : 'none';
}

/** Each side is runs of one series (of one path in a paths comparison): each around its own median. */
function runsNoiseOf(g: PairGroup, m: CompareMetric): number | null {
  const vals = (rows: ResultRow[]) => rows.map((r) => figure(r, m)).filter((v): v is number => v !== null);
  return groupNoise([vals(g.baseline), vals(g.candidate)]);
}

/**
 * The verdicts that rest on the history alone (pBound set): per host and metric, Benjamini-Hochberg
 * over the table's rows at alpha. With nothing changed, the table marks a row with chance at most
 * alpha; k rows that change together need k / rows x alpha each, one alone alpha / rows.
 */
function historyBudget(rows: ComparedRow[], perHost: Map<string, { rows: number }>, alpha: number): void {
  const families = new Map<string, MetricComparison[]>();
  for (const r of rows)
    for (const m of r.metrics) {
      if (m.pBound === undefined) continue;
      const k = hostMetric(r.host, m.metric);
      families.set(k, [...(families.get(k) ?? []), m]);
    }
  for (const [k, ms] of families) {
    const found = benjaminiHochberg(
      ms.map((m) => m.pValue),
      perHost.get(k)!.rows,
      alpha,
    );
    ms.forEach((m, i) => (m.mark = markOf(found[i], m)));
  }
}

const hostMetric = (host: string, m: CompareMetric) => `${host}\0${m}`;

/**
 * Per host and metric: how many rows the table judges (on the history alone, a row alone is held to alpha / rows)
 * and the median of their noise from the compared runs, the prior moderatedNoise raises a lucky
 * quiet series toward (undefined with fewer than MIN_SERIES_FOR_PRIOR series).
 */
function hostNoise(groups: PairGroup[], metrics: readonly CompareMetric[], own: (number | null)[][]) {
  const out = new Map<string, { rows: number; noises: number[]; prior?: number }>();
  groups.forEach((g, i) =>
    metrics.forEach((m, j) => {
      const k = hostMetric(g.baseline[0].host, m);
      const e = out.get(k) ?? { rows: 0, noises: [] };
      out.set(k, e);
      e.rows++;
      if (own[i][j] !== null) e.noises.push(own[i][j]!);
    }),
  );
  for (const e of out.values()) if (e.noises.length >= MIN_SERIES_FOR_PRIOR) e.prior = median(e.noises);
  return out;
}

/** enough resamples that a permutation p near `bound` is told apart from it (ten beyond it), at least 2000 */
const resamplesFor = (bound: number) => Math.min(200_000, Math.max(2000, Math.ceil(10 / bound)));

function historyNoiseOf(g: PairGroup, m: CompareMetric, hist: Map<string, HistoryNoise> | null): HistoryNoise | null {
  if (!hist) return null;
  const keys = [...new Set([seriesKey(g.baseline[0]), seriesKey(g.candidate[0])])];
  const found = keys.map((k) => hist.get(noiseKey(k, m))).filter((x): x is HistoryNoise => x !== undefined);
  if (found.length < keys.length) return null;
  return found.reduce((a, x) => (x.noise > a.noise ? x : a));
}

/**
 * With too few compared runs for a noise of their own (3 or more a side), a verdict rests on the
 * history, and a single odd run of any row (a slow run in twenty, a bimodal series in its other
 * state) looks like a change: over 30 random draws from 40 quiet runs, 1 vs 1 marked a row in 7 of
 * 30 tables and 2 vs 2 in 4, at p < 0.01 a row. So the table gets alpha (historyBudget: a row
 * alone must reach alpha / the host's rows), and the line says when the history is too short for a
 * row alone to reach that: one run against one, in a pool of n runs, cannot beat p = 2 / (n (n - 1))
 * (drawing exactly those two).
 */
function historyOnlyBanner(
  nB: number,
  nC: number,
  historyRuns: number,
  known: MetricComparison[],
  alpha: number,
): string {
  const bound = Math.min(...known.map((m) => m.pBound ?? alpha));
  const rows = Math.round(alpha / bound);
  const head =
    `${nB} vs ${nC} runs are too few for a noise of their own (3 or more a side), so the verdicts rest on the ` +
    `history, where any odd run of any row could be marked; the table as a whole gets p < ${alpha}: each row ` +
    `must reach p < ${alpha} / ${rows} rows = ${bound.toPrecision(2)} (k rows that move together: k times that, ` +
    `Benjamini-Hochberg)`;
  if (nB !== 1 || nC !== 1) return `${head}.`;
  const pool = historyRuns + 2;
  const smallest = 2 / (pool * (pool - 1));
  if (smallest < bound) return `${head}.`;
  let need = pool;
  while (2 / (need * (need - 1)) >= bound) need++;
  return (
    `${head}, and one run against one with a history of ${historyRuns} runs cannot be below ` +
    `${smallest.toPrecision(2)}: a row that moved alone cannot be marked, only ${Math.ceil(smallest / bound)} or more ` +
    `that moved together. Give 2 or more runs a side, or a history of ${need - 2} or more runs.`
  );
}

export function judgeAcross(p: RunsPairing, opts: Partial<AcrossOptions> = {}, history?: History): Comparison {
  const o: AcrossOptions = { ...DEFAULT_ACROSS_OPTIONS, ...opts };
  // the compared runs join the permutation pool themselves: out of the history, not counted twice
  const exclude = new Set([...p.baselineRuns, ...p.candidateRuns].map((r) => r.runId));
  const hist = history ? historyNoise(history.runs, o.metrics, exclude) : null;
  const rows: ComparedRow[] = [];
  const notCompared = [...p.notCompared];
  const owns = p.groups.map((g) => o.metrics.map((m) => runsNoiseOf(g, m)));
  const perHost = hostNoise(p.groups, o.metrics, owns);
  for (const [i, g] of p.groups.entries()) {
    const metrics: MetricComparison[] = [];
    for (const [j, m] of o.metrics.entries()) {
      const { prior, rows: n } = perHost.get(hostMetric(g.baseline[0].host, m))!;
      const own = owns[i][j];
      const runs = own === null ? null : moderatedNoise(own, prior);
      const mc = judgeGroup(g, m, o, {
        runs,
        ...(own !== null && runs !== own && { runsOwn: own }),
        history: historyNoiseOf(g, m, hist),
        rows: n,
      });
      if (mc) metrics.push(mc);
    }
    const b = g.baseline[0];
    if (metrics.length === 0) {
      notCompared.push(notComparedRow(b, p.mode === 'runs', `no ${o.metrics.join('/')} figure on one side`));
      continue;
    }
    rows.push({
      host: b.host,
      path: b.path,
      candidatePath: g.candidate[0].path,
      op: b.op,
      granule: b.granule,
      threads: b.threads,
      metrics,
    });
  }
  historyBudget(rows, perHost, o.alpha);
  const all = rows.flatMap((r) => r.metrics);
  const known = all.filter((m) => m.noise?.used !== null && m.noise?.used !== undefined);
  const nB = p.baselineRuns.length;
  const nC = p.candidateRuns.length;
  const banner: string[] = [];
  const notes: string[] = [];
  const runsText = p.mode === 'paths' ? `${nB} run${nB > 1 ? 's' : ''}` : `${nB} + ${nC} compared runs`;
  if (all.length > 0 && known.length === 0 && nB === 1 && p.mode === 'paths') {
    banner.push(
      'one run and no history: the run-to-run noise is unknown, so no row is marked slower or faster ' +
        '(cv b, cv c are the within-run spread, only a lower bound of it). Compare the paths over several ' +
        'runs (compare --paths A,B --runs RUN...) or give --history DIR.',
    );
  } else if (all.length > 0 && known.length === 0 && nB === 1 && nC === 1) {
    banner.push(
      'one run per side and no history: the run-to-run noise is unknown, so no row is marked slower or faster ' +
        '(cv b, cv c are the within-run spread, only a lower bound of it). Compare several runs per side ' +
        '(--baseline RUN... --candidate RUN...) or give --history DIR.',
    );
  } else if (all.length > 0 && known.length === 0) {
    banner.push(
      `${runsText} give no estimate of the run-to-run noise (3 or more runs a side are needed) and there is no history: nothing is marked. Give more runs or --history DIR.`,
    );
  } else if (known.length > 0) {
    const sources = new Set(known.map((m) => m.noise!.source));
    const from: string[] = [];
    if (sources.has('runs') || sources.has('runs+history')) from.push(`the ${runsText}`);
    if (history && (sources.has('history') || sources.has('runs+history')))
      from.push(`a history of ${history.runs.length} runs (${history.source})`);
    const raised = known.filter((m) => m.noise!.runsOwn !== undefined).length;
    banner.push(
      `spread: the noise column is each series' run-to-run noise (robust CV of the runs) from ${from.join(' and ')}; never below the within-run cv` +
        (raised
          ? `; ${raised} that read quieter than their host's median series raised toward it (few runs can fall in one quiet spell).`
          : '.'),
    );
    if (history && known.some((m) => m.pBound !== undefined))
      banner.push(historyOnlyBanner(nB, nC, history.runs.filter((r) => !exclude.has(r.runId)).length, known, o.alpha));
    if (known.length < all.length)
      notes.push(`${all.length - known.length} row(s) without a run-to-run noise estimate (noise -): not marked`);
    const thin = all.filter((m) => m.thinTail).length;
    if (thin)
      notes.push(
        `${thin} p99 figure(s) of rows with fewer than ${samplesNeeded('p99', o.tailSamples)} samples, so one of their few largest: not marked (--tail-samples)`,
      );
    const reachable = minimumP(nB, nC) < o.alpha;
    if (!reachable && !history) {
      banner.push(
        `${nB} vs ${nC} runs cannot reach p < ${o.alpha} (Mann-Whitney over the runs): nothing is marked; give 5 or more runs a side, or --history DIR.`,
      );
    }
  }
  return {
    mode: p.mode,
    model: 'across-runs',
    spread: known.length > 0 ? 'between-runs' : 'within-run',
    banner,
    baseline: p.baseline,
    candidate: p.candidate,
    options: o,
    rows,
    notCompared,
    summary: summarize(rows, o.metrics),
    notes,
  };
}

export function compareSides(
  baseline: RunSummary[],
  candidate: RunSummary[],
  opts: Partial<AcrossOptions> = {},
  history?: History,
): Comparison {
  return judgeAcross(pairRunGroups(baseline, candidate), opts, history);
}

export function comparePathsAcross(
  runs: RunSummary[],
  baselinePath: string,
  candidatePath: string,
  opts: Partial<AcrossOptions> = {},
  history?: History,
): Comparison {
  return judgeAcross(pairPathGroups(runs, baselinePath, candidatePath), opts, history);
}
