/**
 * How well regress decides, on a REAL history: separate runs of a suite recorded on this machine by
 * bench/record-history.sh (one gmembench process per run, so the run-to-run noise is the machine's,
 * not resampled from one run). Default histories, each judged alone: ~/.cache/gmembench/
 * regress-quality/smoke (runs back to back) and .../smoke-spaced (runs ~2 min apart, recorded with
 * GMEMBENCH_RECORD_INTERVAL=100); $GMEMBENCH_REGRESS_HISTORY=DIR[:DIR...] to point elsewhere.
 * Without one it says how to record it.
 *
 * (a) false alarms: regress as a nightly would run it, at each run on the history up to it, with a
 *     state (markKnown), every distinct change or host-wide shift told once; nothing changed between
 *     these runs, so everything told is a false alarm. Target: <= 1 per 30 nightlies, suite-wide.
 * (b) injected steps: in each series (every metric of its rows), the latencies of the runs from run
 *     k on are scaled by 1 + step, for every onset k with at least ONSET_MIN runs before it; caught
 *     when regress reports a regression of that series at run k (+-1) within 3 runs of k. Per series,
 *     the smallest step caught within 3 runs at >= 95% of the onsets (its power). Target: >= 95% of
 *     +5% steps caught within 3 runs on the series whose between-run CV is at most 1.5%.
 * (a') the same runs in SHUFFLES (default 5) other orders, each run keeping its figures but taking
 *     the start time of the run whose place it takes: what (a) would be for nightlies far enough
 *     apart that one run tells nothing of the next (runs minutes apart share the machine's episodes,
 *     so a level held for several runs in (a) may be one episode; shuffled, it is scattered).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import {
  DEFAULT_REGRESS_OPTIONS,
  candidates,
  judge,
  seriesNoise,
  markKnown,
  toKnown,
  type Change,
  type KnownChange,
  type RegressOptions,
} from '../src/analysis/regress.js';
import { extractSeries, loadHistoryDir, type HistoryRun, type Series } from '../src/analysis/series.js';
import { median } from '../src/analysis/stats/describe.js';
import { formatColumns } from '../src/output/columns.js';
import { formatChange } from '../src/analysis/change.js';

/** the histories judged, one after the other: runs recorded back to back, and runs spaced out */
const HISTORIES = (
  process.env.GMEMBENCH_REGRESS_HISTORY ??
  ['smoke', 'smoke-spaced'].map((d) => join(homedir(), '.cache/gmembench/regress-quality', d)).join(':')
).split(':');
const ONSET_MIN = 10;
const WITHIN = 3;
const STEPS = [0.03, 0.05, 0.1];
const POWER_GRID = [0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 1];
const POWER = 0.95;

/** a share in percent; "-" where there is nothing to share out (no such series) */
const pct = (x: number, d = 1) => (Number.isFinite(x) ? `${(x * 100).toFixed(d)}%` : '-');

/** (a) each distinct change and shift told while the history grows, as a nightly with a state file */
function nightlyAlarms(runs: HistoryRun[], o: RegressOptions) {
  let known: KnownChange[] = [];
  const shifts: { host: string; at: number }[] = [];
  const told: { kind: string; what: string; atRun: number }[] = [];
  const first = Math.max(o.minSegment, o.baselineRuns) + Math.max(o.minSegment, o.persistence);
  const order = runs.map((r) => r.runId);
  for (let t = first; t <= runs.length; t++) {
    const hist = runs.slice(0, t);
    const c = candidates(hist, o);
    const rep = markKnown(
      judge(
        c.sorted,
        c.series,
        c.analysed.flatMap((a) => a.changes),
        o,
        {},
        c.indexShifts,
      ),
      known,
      order.slice(0, t),
      o.minSegment,
    );
    const fresh = [...rep.regressions, ...rep.improvements].filter((c) => !c.known);
    for (const c of fresh)
      told.push({
        kind: c.kind,
        what: `${c.series} ${c.metric} ${formatChange(c.relativePct ?? c.changePct)}${c.relativePct === undefined ? '' : ' vs host'} at run ${order.indexOf(c.firstRunId)}`,
        atRun: t - 1,
      });
    known = [...known, ...fresh.map(toKnown)];
    for (const sh of rep.shifts ?? []) {
      const at = order.indexOf(sh.firstRunId);
      if (shifts.some((x) => x.host === sh.host && Math.abs(x.at - at) <= o.minSegment)) continue;
      shifts.push({ host: sh.host, at });
      told.push({
        // a host that moved with nothing in its fingerprint changed is told, but does not fail the nightly
        kind: sh.explained ? 'shift' : 'host moved',
        what: `${sh.host} host-wide${sh.speedIndex ? ` (speed index ${sh.speedIndex.metric})` : ''}: ${sh.series} series, median ${sh.medianChangePct.toFixed(1)}% at run ${at}, fingerprint: ${sh.fingerprint}`,
        atRun: t - 1,
      });
    }
  }
  return { nightlies: runs.length - first + 1, told };
}

/**
 * The runs in another order (seed): sorted by a hash of seed and run id, each taking the start time
 * of the run at its new place (regress orders runs by start time). A hash, not a PRNG: the same
 * seed gives the same order on any machine.
 */
export function shuffled(runs: HistoryRun[], seed: number): HistoryRun[] {
  const key = (r: HistoryRun) => createHash('sha256').update(`${seed}:${r.runId}`).digest('hex');
  return [...runs].sort((a, b) => key(a).localeCompare(key(b))).map((r, i) => ({ ...r, startedAt: runs[i].startedAt }));
}

/** a copy of the history where `key`'s rows from run k on are `factor` times slower */
function inject(runs: HistoryRun[], key: string, k: number, factor: number): HistoryRun[] {
  return runs.map((r, i) =>
    i < k
      ? r
      : {
          ...r,
          rows: r.rows.map((row) =>
            `${row.host}/${row.path}/${row.op}/${row.granule}/${row.threads}` !== key
              ? row
              : {
                  ...row,
                  p50: row.p50 === null ? null : row.p50 * factor,
                  p99: row.p99 === null ? null : row.p99 * factor,
                  ...(typeof row.wall === 'number' && { wall: row.wall * factor }),
                },
          ),
        },
  );
}

/**
 * The quiet candidates of every series at each history length, computed once: an injection
 * changes its own series' candidates (and the speed indices, recomputed with it; the other series
 * keep their quiet candidates: one series moves the median index by one rank at most), the
 * suite-wide decision (judge) is then made over all of them.
 */
class Quiet {
  private readonly cache = new Map<number, { series: Series[]; candidates: Change[] }>();
  constructor(
    private readonly runs: HistoryRun[],
    private readonly o: RegressOptions,
  ) {}
  at(t: number) {
    let c = this.cache.get(t);
    if (!c) {
      const q = candidates(this.runs.slice(0, t), this.o);
      c = { series: q.series, candidates: q.analysed.flatMap((a) => a.changes) };
      this.cache.set(t, c);
    }
    return c;
  }
}

/** runs after the onset until regress reports the step (1..WITHIN), or null */
function delay(
  runs: HistoryRun[],
  quiet: Quiet,
  key: string,
  k: number,
  step: number,
  o: RegressOptions,
): number | null {
  const hist = inject(runs, key, k, 1 + step);
  const order = runs.map((r) => r.runId);
  for (let d = 1; d <= WITHIN && k + d <= runs.length; d++) {
    const t = k + d;
    const h = hist.slice(0, t);
    const q = quiet.at(t);
    const mine = candidates(h, o, key);
    const swapped = [...q.candidates.filter((c) => c.series !== key), ...mine.analysed.flatMap((a) => a.changes)];
    const rep = judge(mine.sorted, q.series, swapped, o, {}, mine.indexShifts);
    const hit = rep.regressions.some((c) => c.series === key && Math.abs(order.indexOf(c.firstRunId) - k) <= 1);
    const shift = (rep.shifts ?? []).some(
      (sh) =>
        Math.abs(order.indexOf(sh.firstRunId) - k) <= 1 &&
        (sh.members ?? []).some((m) => m.series === key && m.changePct > 0),
    );
    if (hit || shift) return d;
  }
  return null;
}

function cv(values: number[]): number {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / (values.length - 1)) / m;
}

interface Figures {
  nightlies: number;
  told: { kind: string; what: string; atRun: number }[];
  alarms: number;
  perSeries: Map<string, { cv: number; robust: number; caught: Map<number, number>; minStep: number | null }>;
  onsets: number[];
}

export function evaluate(runs: HistoryRun[], o: RegressOptions, opts: { power: boolean }): Figures {
  const a = nightlyAlarms(runs, o);
  const quiet = new Quiet(runs, o);
  const onsets = Array.from({ length: Math.max(0, runs.length - WITHIN - ONSET_MIN + 1) }, (_, i) => ONSET_MIN + i);
  const perSeries: Figures['perSeries'] = new Map();
  const caughtShare = (key: string, step: number) =>
    onsets.filter((k) => delay(runs, quiet, key, k, step, o) !== null).length / onsets.length;
  for (const s of extractSeries(runs, ['p50'])) {
    const values = s.points.map((p) => p.value);
    const e = {
      cv: cv(values),
      robust: seriesNoise(values, []),
      caught: new Map<number, number>(),
      minStep: null as number | null,
    };
    perSeries.set(s.key, e);
    for (const step of STEPS) e.caught.set(step, caughtShare(s.key, step));
    if (!opts.power) continue;
    for (const step of POWER_GRID) {
      if ((e.caught.get(step) ?? caughtShare(s.key, step)) >= POWER) {
        e.minStep = step;
        break;
      }
    }
  }
  return { ...a, alarms: a.told.filter((x) => isAlarm(x.kind)).length, perSeries, onsets };
}

/** what fails a nightly: a regression, or a host-wide shift with a fingerprint change */
const isAlarm = (kind: string) => kind === 'regression' || kind === 'shift';

/** nightlies that told at least one new regression or host-wide shift (went red) */
function redNightlies(f: Figures): number {
  return new Set(f.told.filter((x) => isAlarm(x.kind)).map((x) => x.atRun)).size;
}

/** the share of `step` steps caught within WITHIN runs over the series with CV <= cvMax (the target: +5%, 1.5%) */
export function quietShare(f: Figures, cvMax = 0.015, step = 0.05): { n: number; share: number } {
  const q = [...f.perSeries.values()].filter((e) => e.cv <= cvMax);
  return { n: q.length, share: q.length ? q.reduce((n, e) => n + e.caught.get(step)!, 0) / q.length : NaN };
}

export async function run(): Promise<void> {
  for (const h of HISTORIES) {
    if (existsSync(h)) await judgeHistory(h);
    else
      process.stdout.write(
        `regress-quality: no recorded history at ${h}; record one with\n  bash bench/record-history.sh ${h} 41 suites/smoke.yaml\n` +
          `  (GMEMBENCH_RECORD_INTERVAL=45 spaces the runs out)\n`,
      );
  }
}

async function judgeHistory(HISTORY: string): Promise<void> {
  const { runs, skipped } = await loadHistoryDir(HISTORY);
  const o: RegressOptions = { ...DEFAULT_REGRESS_OPTIONS };
  const keys = extractSeries(runs, ['p50']).map((s) => s.key);
  process.stdout.write(
    `history: ${HISTORY}: ${runs.length} separate runs (${runs[0]?.startedAt} .. ${runs[runs.length - 1]?.startedAt}), ${keys.length} series x ${o.metrics.join(',')}` +
      `${skipped.length ? `, ${skipped.length} skipped` : ''}\n` +
      `defaults: ${o.test} t p < ${o.maxPValue}, |change| >= ${pct(o.minMagnitude)} and >= ${o.noiseFactor} x noise (its ${pct(o.noiseConfidence, 0)} upper bound), BH FDR ${o.fdr}, ` +
      `normalize ${o.normalize}, ` +
      `segments >= ${o.minSegment}, persistence ${o.persistence}, host-wide at ${pct(o.commonMode, 0)}, ` +
      `percentiles on rows with >= ${o.tailSamples} samples beyond them\n`,
  );

  const f = evaluate(runs, o, { power: true });
  process.stdout.write(
    `\n(a) false alarms, regress after every run as a nightly (state kept), ${f.nightlies} nightlies over these quiet runs:\n` +
      `  told: ${f.alarms} regression(s) or host-wide shift(s) with a fingerprint change, ` +
      `${f.told.filter((x) => x.kind === 'host moved').length} host-wide shift(s) with nothing changed (told, not failed), ` +
      `${f.told.filter((x) => x.kind === 'improvement').length} improvement(s) = ` +
      `${((f.alarms / f.nightlies) * 30).toFixed(2)} false alarms per 30 nightlies suite-wide (target <= 1: ${(f.alarms / f.nightlies) * 30 <= 1 ? 'met' : 'NOT met'}); ` +
      `${redNightlies(f)} nightlies of ${f.nightlies} went red (${((redNightlies(f) / f.nightlies) * 30).toFixed(2)} per 30)\n` +
      f.told.map((x) => `  - after run ${x.atRun}: ${x.kind} ${x.what}\n`).join(''),
  );
  const shuffles = Number(process.env.SHUFFLES ?? 5);
  if (shuffles > 0) {
    const per30 = Array.from({ length: shuffles }, (_, seed) => {
      const g = nightlyAlarms(shuffled(runs, seed + 1), o);
      return (g.told.filter((x) => isAlarm(x.kind)).length / g.nightlies) * 30;
    });
    const mean = per30.reduce((a, x) => a + x, 0) / per30.length;
    process.stdout.write(
      `\n(a') the same runs in ${shuffles} shuffled orders (as if each nightly were independent of the last): ` +
        `false alarms per 30 nightlies ${per30.map((x) => x.toFixed(2)).join(', ')}; mean ${mean.toFixed(2)} (target <= 1: ${mean <= 1 ? 'met' : 'NOT met'})\n`,
    );
  }
  const rows = [...f.perSeries.entries()].map(([key, e]) => [
    key,
    pct(e.cv),
    pct(e.robust),
    ...STEPS.map((st) => pct(e.caught.get(st)!, 0)),
    e.minStep === null ? `> ${pct(POWER_GRID[POWER_GRID.length - 1], 0)}` : pct(e.minStep),
  ]);
  process.stdout.write(
    `\n(b) steps injected into the real runs of each series (p50, p99 and wall scaled from the onset on), ${f.onsets.length} onsets per series (runs ${f.onsets[0]}..${f.onsets[f.onsets.length - 1]}), caught = told at the onset (+-1) within ${WITHIN} runs:\n` +
      formatColumns(
        [
          { header: 'series' },
          { header: 'CV', align: 'right' },
          { header: 'robust CV', align: 'right' },
          ...STEPS.map((st) => ({ header: `+${pct(st, 0)} <= ${WITHIN}`, align: 'right' as const })),
          { header: `min step @${pct(POWER, 0)}`, align: 'right' },
        ],
        rows,
      ) +
      '\n',
  );
  const all = [...f.perSeries.values()];
  const q = quietShare(f);
  const at5 = all.filter((e) => e.minStep !== null && e.minStep <= 0.05).length;
  process.stdout.write(
    `  median over series of the share caught within ${WITHIN} runs: ${STEPS.map((st) => `+${pct(st, 0)} ${pct(median(all.map((e) => e.caught.get(st)!)), 0)}`).join(', ')}\n` +
      `  series that detect +5% at ${pct(POWER, 0)} power within ${WITHIN} runs: ${at5} of ${all.length}\n` +
      `  median smallest detectable step: ${((m) => (Number.isFinite(m) ? pct(m) : `> ${pct(POWER_GRID[POWER_GRID.length - 1], 0)}`))(median(all.map((e) => e.minStep ?? Infinity)))}\n` +
      `  series with between-run CV <= 1.5%: ${q.n} (${
        [...f.perSeries.entries()]
          .filter(([, e]) => e.cv <= 0.015)
          .map(([k]) => k)
          .join(', ') || 'none'
      }); ` +
      `+5% steps caught within ${WITHIN} runs there: ${pct(q.share)} (target >= 95%: ${q.n === 0 ? 'no such series' : q.share >= 0.95 ? 'met' : 'NOT met'})\n` +
      // a history with no series that quiet still tells how the quietest ones fare
      [0.02, 0.03]
        .map((c) => {
          const g = quietShare(f, c);
          const g10 = quietShare(f, c, 0.1);
          return `  series with CV <= ${pct(c, 0)}: ${g.n}; +5% caught within ${WITHIN} runs there ${pct(g.share)}, +10% ${pct(g10.share)}\n`;
        })
        .join(''),
  );

  // other settings, for the trade-off between false alarms and power
  const others: [string, Partial<RegressOptions>][] = [
    ['--normalize none', { normalize: 'none' }],
    ['--normalize host', { normalize: 'host' }],
    ['--normalize auto', { normalize: 'auto' }],
    ['--reference syscall', { reference: 'syscall' }],
    ['--reference auto', { reference: 'auto' }],
    ['--reference syscall --normalize none', { reference: 'syscall', normalize: 'none' }],
    ['--noise-confidence 0', { noiseConfidence: 0 }],
    ['--noise-confidence 0.99', { noiseConfidence: 0.99 }],
    ['--metrics p50', { metrics: ['p50'] }],
    ['--metrics p50,p99 (no wall)', { metrics: ['p50', 'p99'] }],
    ['--noise-factor 2', { noiseFactor: 2 }],
    ['--baseline-runs 3', { baselineRuns: 3 }],
    ['--persistence 0', { persistence: 0 }],
    ['--persistence 4', { persistence: 4 }],
    ['--test rank', { test: 'rank' }],
    ['--test student (Otava)', { test: 'student' }],
    ["--tail-samples 0 (every row's p99)", { tailSamples: 0 }],
  ];
  const trows: string[][] = [];
  for (const [label, extra] of [['defaults', {}] as [string, Partial<RegressOptions>], ...others]) {
    const g = label === 'defaults' ? f : evaluate(runs, { ...o, ...extra }, { power: false });
    const gq = quietShare(g);
    const gall = [...g.perSeries.values()];
    trows.push([
      label,
      ((g.alarms / g.nightlies) * 30).toFixed(2),
      ((redNightlies(g) / g.nightlies) * 30).toFixed(2),
      String(g.told.filter((x) => x.kind === 'host moved').length),
      String(g.told.filter((x) => x.kind === 'improvement').length),
      ...STEPS.map((st) => pct(median(gall.map((e) => e.caught.get(st)!)), 0)),
      pct(gq.share),
    ]);
  }
  process.stdout.write(
    '\nsettings compared (same history):\n' +
      formatColumns(
        [
          { header: 'settings' },
          { header: 'false alarms / 30 nightlies', align: 'right' },
          { header: 'red / 30', align: 'right' },
          { header: 'host moved', align: 'right' },
          { header: 'improvements told', align: 'right' },
          ...STEPS.map((st) => ({ header: `median +${pct(st, 0)} <= ${WITHIN}`, align: 'right' as const })),
          { header: '+5% on CV<=1.5%', align: 'right' },
        ],
        trows,
      ) +
      '\ntargets: <= 1 false alarm per 30 nightlies suite-wide; >= 95% of +5% steps caught within 3 runs on series with CV <= 1.5%\n',
  );
}

if (import.meta.url === `file://${resolve(process.argv[1] ?? '')}`) await run();
