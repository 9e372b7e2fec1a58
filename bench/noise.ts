/**
 * Run-to-run noise of the smoke suite on this machine, before and after the remedies of `run`:
 * NOISE_RUNS (default 10) separate runs (runSuite calls, each its own probe processes) per
 * configuration, the configurations interleaved round by round so they share the machine's moments.
 * Per ok series: the between-run CV of p50 (stddev / mean of the runs' p50s) beside the within-run CV
 * (the median over runs of the CV of the repetitions' p50s), then the median over the series.
 * Configurations: NOISE_CONFIGS, a comma list of processes:pin[:settle][:noreport][:pair], default
 * "1:none,3:none,3:auto" (before: one process; up to 3 processes sharing the repetitions, the
 * default until 2026-12-08; the same with the threads pinned, the default of every measuring
 * command since).
 * Target: median between-run CV of p50 <= 3%. Beside it, the between-run CV of p50 relative to the
 * null syscall timed beside the row's passes (its syscallNs: probe/ref.c, analysis/reference.ts),
 * the same scaled as `compare --reference auto` scales it (the reference to the power the runs'
 * passes give, reference-exponent.ts; "auto"), and of each gmem/shmem ratio of p50 (the two paths
 * of one series, measured in the same run), and of `wall`, the pass's time a call, on the rows
 * that have it (alloc, fault, punch at 2+ threads).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSuite } from '../src/config/suite.js';
import { LOCAL_INVENTORY } from '../src/config/hosts.js';
import { runSuite } from '../src/benchmark/run.js';
import { buildProbe } from '../src/probe/build.js';
import { cv as cvOf, median } from '../src/analysis/stats/describe.js';
import { formatColumns } from '../src/output/columns.js';
import { formatSize } from '../src/util/units.js';
import { seriesKey, type RunSummary } from '../src/results/schema.js';
import { summariesPerSyscall } from '../src/analysis/reference.js';

interface Config {
  processes: number;
  pin: string;
  settle: boolean;
  /** free page reporting held off (page_reporting_order above the largest order) during this configuration's runs */
  noReport: boolean;
  /** run --pair shmem,gmem: the two paths of a series timed in the same probe processes */
  pair: boolean;
  label: string;
}

function configs(): Config[] {
  return (process.env.NOISE_CONFIGS ?? '1:none,3:none,3:auto').split(',').map((c) => {
    const [p, pin = 'auto', ...flags] = c.split(':');
    const settle = flags.includes('settle');
    const noReport = flags.includes('noreport');
    const pair = flags.includes('pair');
    return {
      processes: Number(p),
      pin,
      settle,
      noReport,
      pair,
      label: `K=${p} pin=${pin}${settle ? ' settle' : ''}${noReport ? ' noreport' : ''}${pair ? ' pair' : ''}`,
    };
  });
}

const REPORTING_ORDER = '/sys/module/page_reporting/parameters/page_reporting_order';

/** the page_reporting_order to restore, or null where the guest has no free page reporting (or no root) */
async function reportingOrder(): Promise<string | null> {
  try {
    return (await readFile(REPORTING_ORDER, 'utf8')).trim();
  } catch {
    return null;
  }
}

/** the sample CV (analysis/stats/describe.ts), or null with fewer than 2 values or a mean that is not positive */
function cv(xs: number[]): number | null {
  const c = cvOf(xs);
  return xs.length >= 2 && Number.isFinite(c) && c >= 0 ? c : null;
}

export interface SeriesNoise {
  series: string;
  between: number;
  within: number | null;
  /** between-run CV of p50 / syscallNs (null where a run's row has no reference) */
  perSyscall: number | null;
  /** between-run CV of p50 scaled as compare --reference auto scales it (analysis/reference.ts), null where unscaled */
  auto?: number | null;
  /** between-run CV of the row's wall time a call (alloc/fault/punch at 2+ threads), null where it has none */
  wall: number | null;
  runs: number;
}

/** Between-run and within-run CV of p50 per series ok in every run. */
export function noiseOf(runs: RunSummary[]): SeriesNoise[] {
  const bySeries = new Map<
    string,
    { p50: number[]; perSyscall: number[]; within: number[]; wall: number[]; okRuns: number }
  >();
  for (const run of runs) {
    for (const r of run.results) {
      const key = `${r.path} ${r.op} ${formatSize(r.granule)} t${r.threads}`;
      const s = bySeries.get(key) ?? { p50: [], perSyscall: [], within: [], wall: [], okRuns: 0 };
      bySeries.set(key, s);
      if (r.status !== 'ok' || r.p50 === null) continue;
      s.okRuns++;
      s.p50.push(r.p50);
      if (r.syscallNs) s.perSyscall.push(r.p50 / r.syscallNs);
      if (r.wall !== undefined) s.wall.push(r.wall);
      const w = cv(r.repetitions.map((x) => x.p50));
      if (w !== null) s.within.push(w);
    }
  }
  const out: SeriesNoise[] = [];
  for (const [series, s] of bySeries) {
    const between = cv(s.p50);
    if (s.okRuns !== runs.length || between === null) continue;
    out.push({
      series,
      between,
      within: s.within.length ? median(s.within) : null,
      perSyscall: s.perSyscall.length === s.okRuns ? cv(s.perSyscall) : null,
      wall: s.wall.length === s.okRuns ? cv(s.wall) : null,
      runs: s.okRuns,
    });
  }
  return out.sort((a, b) => a.series.localeCompare(b.series));
}

/**
 * Between-run CV of the gmem/shmem ratio of p50 ("measure timings as ratios in one run"): per
 * series with both paths ok in every run, the ratio of its two p50s in each run, then their CV
 * over the runs. What the table's gmem/shmem column and `compare --paths shmem,gmem` can resolve.
 */
export function ratioNoiseOf(runs: RunSummary[], a = 'shmem', b = 'gmem'): SeriesNoise[] {
  const bySeries = new Map<string, number[]>();
  for (const run of runs) {
    const p50 = new Map(
      run.results.filter((r) => r.status === 'ok' && r.p50 !== null).map((r) => [seriesKey(r), r.p50!]),
    );
    for (const r of run.results) {
      if (r.path !== b) continue;
      const x = p50.get(seriesKey(r));
      const y = p50.get(seriesKey({ ...r, path: a }));
      if (x === undefined || y === undefined || y <= 0) continue;
      const key = `${b}/${a} ${r.op} ${formatSize(r.granule)} t${r.threads}`;
      bySeries.set(key, [...(bySeries.get(key) ?? []), x / y]);
    }
  }
  const out: SeriesNoise[] = [];
  for (const [series, ratios] of bySeries) {
    const between = cv(ratios);
    if (ratios.length === runs.length && between !== null)
      out.push({ series, between, within: null, perSyscall: null, wall: null, runs: ratios.length });
  }
  return out.sort((x, y) => x.series.localeCompare(y.series));
}

/**
 * Each series' between-run CV of p50 once the runs are scaled as compare --reference auto scales
 * them (one side), and the exponent that took, for the summary line.
 */
function withAuto(noise: SeriesNoise[], runs: RunSummary[]): { noise: SeriesNoise[]; exponent: string } {
  const scaled = summariesPerSyscall([runs], 'auto');
  const auto = new Map(noiseOf(scaled.sides[0]).map((s) => [s.series, s.between]));
  const [h] = scaled.hosts;
  return {
    noise: noise.map((s) => ({ ...s, auto: h ? (auto.get(s.series) ?? null) : null })),
    exponent: h ? `exponent ${h.exponent.toFixed(2)}` : 'no reference',
  };
}

const met = (x: number | null) => (x !== null && x <= 0.03 ? 'met' : 'not met');

const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);

export async function run(): Promise<void> {
  const n = Number(process.env.NOISE_RUNS ?? 10);
  const suite = await loadSuite(resolve(import.meta.dirname, '../suites/smoke.yaml'));
  const probe = await buildProbe();
  const cfgs = configs();
  const dir = await mkdtemp(join(tmpdir(), 'gmembench-noise-'));
  const runs: RunSummary[][] = cfgs.map(() => []);
  const seconds: number[][] = cfgs.map(() => []);
  const order = await reportingOrder();
  if (cfgs.some((c) => c.noReport) && order === null)
    throw new Error(`noreport: ${REPORTING_ORDER} is not readable (no free page reporting here)`);
  try {
    for (let i = 0; i < n; i++) {
      for (const [c, cfg] of cfgs.entries()) {
        // 11 = NR_PAGE_ORDERS on x86: no free block is that large, so nothing is reported
        if (order !== null) await writeFile(REPORTING_ORDER, cfg.noReport ? '11' : order);
        const t0 = performance.now();
        const { summary } = await runSuite({
          suite,
          inventory: LOCAL_INVENTORY,
          resultsDir: dir,
          progress: 'silent',
          probe,
          processes: cfg.processes,
          pin: cfg.pin,
          settle: cfg.settle,
          ...(cfg.pair && { pair: ['shmem', 'gmem'] as const }),
        });
        seconds[c].push((performance.now() - t0) / 1000);
        runs[c].push(summary);
        const warnings = summary.hosts.flatMap((h) => h.systemWarnings ?? []);
        process.stdout.write(
          `run ${i + 1}/${n} ${cfg.label}: ${seconds[c].at(-1)!.toFixed(1)} s${warnings.length ? `; ${warnings.join('; ')}` : ''}\n`,
        );
      }
    }
  } finally {
    if (order !== null) await writeFile(REPORTING_ORDER, order);
    await rm(dir, { recursive: true, force: true });
  }
  const autos = cfgs.map((_, c) => withAuto(noiseOf(runs[c]), runs[c]));
  const noise = cfgs.map((_, c) => [...autos[c].noise, ...ratioNoiseOf(runs[c])]);
  const series = [...new Set(noise.flatMap((x) => x.map((s) => s.series)))].sort();
  const header = [
    { header: 'series' },
    ...cfgs.flatMap((c) => [
      { header: `${c.label} between`, align: 'right' as const },
      { header: 'within', align: 'right' as const },
      { header: 'per syscall', align: 'right' as const },
      { header: 'auto', align: 'right' as const },
      { header: 'wall', align: 'right' as const },
    ]),
  ];
  const rows = series.map((s) => [
    s,
    ...noise.flatMap((x) => {
      const f = x.find((y) => y.series === s);
      return [
        pct(f?.between ?? null),
        pct(f?.within ?? null),
        pct(f?.perSyscall ?? null),
        pct(f?.auto ?? null),
        pct(f?.wall ?? null),
      ];
    }),
  ]);
  const med = (xs: number[]) => (xs.length ? median(xs) : null);
  const isRatio = (s: SeriesNoise) => s.series.includes('/');
  rows.push([
    'median over ok series',
    ...noise.flatMap((x) => [
      pct(med(x.filter((s) => !isRatio(s)).map((s) => s.between))),
      pct(med(x.flatMap((s) => (s.within === null ? [] : [s.within])))),
      pct(med(x.flatMap((s) => (s.perSyscall === null ? [] : [s.perSyscall])))),
      pct(med(x.flatMap((s) => (s.auto == null ? [] : [s.auto])))),
      pct(med(x.flatMap((s) => (s.wall === null ? [] : [s.wall])))),
    ]),
  ]);
  rows.push([
    'median over gmem/shmem ratios',
    ...noise.flatMap((x) => [pct(med(x.filter(isRatio).map((s) => s.between))), '-', '-', '-', '-']),
  ]);
  process.stdout.write(`${formatColumns(header, rows)}\n\n`);
  for (const [c, cfg] of cfgs.entries()) {
    const b = noise[c]
      .filter((s) => !isRatio(s))
      .map((s) => s.between)
      .sort((x, y) => x - y);
    const ratios = noise[c].filter(isRatio).map((s) => s.between);
    const perSyscall = noise[c].flatMap((s) => (s.perSyscall === null ? [] : [s.perSyscall]));
    const auto = noise[c].flatMap((s) => (s.auto == null ? [] : [s.auto]));
    const walled = noise[c].filter((s) => s.wall !== null);
    const q = (p: number) => b[Math.min(b.length - 1, Math.floor(p * b.length))];
    process.stdout.write(
      `${cfg.label}: ${b.length} ok series over ${n} runs; between-run CV of p50 median ${pct(med(b))} ` +
        `(p25 ${pct(q(0.25))}, p75 ${pct(q(0.75))}, max ${pct(b.at(-1) ?? null)}); run ${median(seconds[c]).toFixed(1)} s median ` +
        `(target: median <= 3.0%: ${met(med(b))} as measured, ${met(med(auto))} as compare judges it, --reference auto); ` +
        `relative to the null syscall beside each row: median ${pct(med(perSyscall))} over ${perSyscall.length} series, ` +
        `scaled as --reference auto (${autos[c].exponent}): ${pct(med(auto))}; ` +
        `gmem/shmem ratio of p50 over ${ratios.length} series: between-run CV median ${pct(med(ratios))}; ` +
        `wall time a call over the ${walled.length} series with it: median ${pct(med(walled.map((s) => s.wall!)))} ` +
        `(their p50 ${pct(med(walled.map((s) => s.between)))})\n`,
    );
  }
}
