/**
 * How well regress finds steps, measured on this machine's real run-to-run noise:
 * 1. noise pool: NOISE_RUNS quick runs of one 4K shmem alloc job, keeping each run's p50. With the
 *    probe (probe/*.c) this is `gmembench-probe run`; until the probe has landed, a stand-in: Node
 *    times 4 KiB writes into a fresh /dev/shm file (each write allocates one shmem page), 2048 per run;
 * 2. series bootstrapped from the pool (values / pool median), a step of +3%, +5%, +10% injected
 *    after BEFORE quiet runs, then runs added one at a time until regress reports it (delay);
 * 3. false alarms: quiet series of QUIET_LEN runs, regress run after every run from run 10 on, each
 *    distinct change point counted once (as nightly with its state file would tell it).
 * Target: 5% steps caught within 3 runs >= 95% of the time; <= 1 false alarm per 100 quiet runs.
 */
import { closeSync, existsSync, openSync, readdirSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { detectChangePoints, DEFAULT_CHANGEPOINT_OPTIONS, type ChangePointOptions } from '../src/analysis/changepoint/edivisive.js';
import { median } from '../src/analysis/stats/describe.js';
import { newHistogram, fromBuckets, merge, percentiles } from '../src/analysis/histogram.js';
import { formatColumns } from '../src/output/columns.js';
import { formatNs } from '../src/util/units.js';
import { PROBE_SRC_DIR } from '../src/util/paths.js';
import { rng } from '../test/helpers/synthetic.js';

const NOISE_RUNS = 50;
const BEFORE = 30;
const MAX_DELAY = 10;
const TRIALS = 200;
const QUIET_SERIES = 100;
const QUIET_LEN = 100;

async function probeNoise(): Promise<{ pool: number[]; source: string }> {
  const { buildProbe } = await import('../src/probe/build.js');
  const { ProbeClient } = await import('../src/probe/client.js');
  const { LocalTransport } = await import('../src/transport/local.js');
  const probe = await buildProbe();
  const client = new ProbeClient(new LocalTransport(), probe.path);
  const job = { path: 'shmem', op: 'alloc', granule: 4096, region: 8 << 20, threads: 1, repetitions: 3, warmup: 1, maxMemShare: 0.5, raw: false, params: {} };
  const pool: number[] = [];
  for (let i = 0; i < NOISE_RUNS; i++) {
    const out = await client.run(job);
    if (out.result.status !== 'ok') throw new Error(`probe job ${out.result.status}: ${out.result.reason}`);
    const h = newHistogram();
    for (const rep of out.reps) merge(h, fromBuckets(rep.buckets));
    pool.push(percentiles(h).p50);
  }
  return { pool, source: `gmembench-probe: shmem alloc 4K, 8 MiB region, 3 repetitions, ${NOISE_RUNS} runs` };
}

function shmWriteNoise(): { pool: number[]; source: string } {
  const page = Buffer.alloc(4096, 1);
  const pool: number[] = [];
  for (let i = 0; i < NOISE_RUNS; i++) {
    const file = `/dev/shm/gmembench-noise-${process.pid}-${i}`;
    const fd = openSync(file, 'w+');
    const h = newHistogram();
    try {
      for (let j = 0; j < 2048; j++) {
        const t0 = process.hrtime.bigint();
        writeSync(fd, page, 0, 4096, j * 4096);
        h.recordValue(Number(process.hrtime.bigint() - t0));
      }
    } finally {
      closeSync(fd);
      unlinkSync(file);
    }
    pool.push(percentiles(h).p50);
  }
  return { pool, source: `STAND-IN (probe not landed): Node writeSync of 4 KiB pages into a new /dev/shm file, 2048 per run, ${NOISE_RUNS} runs` };
}

function seriesFrom(pool: number[], r: () => number, n: number): number[] {
  return Array.from({ length: n }, () => pool[Math.floor(r() * pool.length)]);
}

/** Runs after the step until a regression near the step is reported (null: not within MAX_DELAY). */
function delayFor(pool: number[], step: number, r: () => number, o: ChangePointOptions): number | null {
  const x = seriesFrom(pool, r, BEFORE);
  for (let d = 1; d <= MAX_DELAY; d++) {
    x.push(pool[Math.floor(r() * pool.length)] * (1 + step));
    const hit = detectChangePoints(x, o).some((c) => c.change > 0 && Math.abs(c.index - BEFORE) <= o.minSegment);
    if (hit) return d;
  }
  return null;
}

/** Distinct change points reported while a quiet series grows, each counted once. */
function falseAlarms(pool: number[], r: () => number, o: ChangePointOptions): number {
  const x = seriesFrom(pool, r, QUIET_LEN);
  const told: number[] = [];
  for (let t = 10; t <= QUIET_LEN; t++) {
    for (const c of detectChangePoints(x.slice(0, t), o)) {
      if (!told.some((k) => Math.abs(k - c.index) <= o.minSegment)) told.push(c.index);
    }
  }
  return told.length;
}

export async function run(): Promise<void> {
  const hasProbe = existsSync(PROBE_SRC_DIR) && readdirSync(PROBE_SRC_DIR).some((f) => f.endsWith('.c'));
  const { pool: raw, source } = hasProbe ? await probeNoise() : shmWriteNoise();
  const m = median(raw);
  const pool = raw.map((v) => v / m);
  const mean = pool.reduce((a, b) => a + b, 0) / pool.length;
  const sd = Math.sqrt(pool.reduce((a, b) => a + (b - mean) ** 2, 0) / (pool.length - 1));
  const sorted = [...pool].sort((a, b) => a - b);
  process.stdout.write(
    `noise: ${source}\n  p50 of runs: median ${formatNs(m)}, CV ${(sd * 100).toFixed(2)}%, ` +
      `min ${((sorted[0] - 1) * 100).toFixed(1)}%, max +${((sorted[sorted.length - 1] - 1) * 100).toFixed(1)}% from the median\n`,
  );

  const settings: [string, ChangePointOptions][] = [
    ['defaults', DEFAULT_CHANGEPOINT_OPTIONS],
    ['stricter', { ...DEFAULT_CHANGEPOINT_OPTIONS, maxPValue: 0.01 }],
    ['Student t on values (Otava), p<0.001', { ...DEFAULT_CHANGEPOINT_OPTIONS, test: 'student', maxPValue: 0.001 }],
  ];
  for (const [label, o] of settings) {
    const rows: string[][] = [];
    for (const step of [0.03, 0.05, 0.1]) {
      const r = rng(Math.round(step * 1000));
      const delays = Array.from({ length: TRIALS }, () => delayFor(pool, step, r, o));
      const caught = delays.filter((d): d is number => d !== null);
      const within3 = caught.filter((d) => d <= 3).length;
      rows.push([
        `+${(step * 100).toFixed(0)}%`, `${((within3 / TRIALS) * 100).toFixed(1)}%`, `${((caught.length / TRIALS) * 100).toFixed(1)}%`,
        caught.length ? String(median(caught)) : '-', caught.length ? String(Math.max(...caught)) : '-',
      ]);
    }
    const r = rng(99);
    let alarms = 0;
    for (let s = 0; s < QUIET_SERIES; s++) alarms += falseAlarms(pool, r, o);
    const per100 = (alarms / (QUIET_SERIES * (QUIET_LEN - 10))) * 100;
    process.stdout.write(
      `\nsettings ${label}: ${o.test} t, p < ${o.maxPValue}, |change| >= ${o.minMagnitude * 100}%, segments >= ${o.minSegment} runs; ${BEFORE} quiet runs before each step, ${TRIALS} trials\n` +
        formatColumns(
          [{ header: 'step' }, { header: 'caught <= 3 runs', align: 'right' }, { header: `caught <= ${MAX_DELAY}`, align: 'right' }, { header: 'median delay', align: 'right' }, { header: 'max delay', align: 'right' }],
          rows,
        ) +
        `\nfalse alarms: ${alarms} in ${QUIET_SERIES} quiet series x ${QUIET_LEN - 10} analysed runs = ${per100.toFixed(2)} per 100 runs per series\n`,
    );
  }
  process.stdout.write('target: +5% caught <= 3 runs >= 95%; <= 1 false alarm per 100 quiet runs per series\n' +
    'note: bootstrap resampling draws runs independently; real histories with drift or correlated noise will do worse\n');
}

if (import.meta.url === `file://${resolve(process.argv[1] ?? '')}`) await run();
