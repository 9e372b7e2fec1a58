/**
 * regress --reference syscall: each row relative to the null syscall timed beside its passes
 * (probe/ref.c). Synthetic histories whose noise is the moment each row met (the host's speed per
 * probe process, which every op and the null syscall share, as measured on this nested machine).
 */
import { describe, expect, it } from 'vitest';
import { regress } from '../src/analysis/regress.js';
import { perSyscall, REFERENCE_SERIES } from '../src/analysis/reference.js';
import type { HistoryRow, HistoryRun } from '../src/analysis/series.js';
import { renderRegressText } from '../src/export/regress-text.js';
import { gaussian, rng } from './helpers/synthetic.js';

const OPS = ['alloc', 'fault', 'punch', 'to-private', 'to-shared'];
const SERIES = 10;

/**
 * Run i of `SERIES` series: each row met its own moment, a speed `moment` (10% CV) that its op and
 * its null syscall (250 ns at speed 1) share; `own` is the series' own noise; `step(i, k)` scales
 * series k's p50 at run i, `entry(i)` the null syscall's cost (a kernel whose entry got slower).
 */
function run(
  i: number,
  o: { moment?: number; own?: number; step?: (i: number, k: number) => number; entry?: (i: number) => number } = {},
): HistoryRun {
  const startedAt = new Date(Date.parse('2026-01-01T02:00:00Z') + i * 86_400_000).toISOString();
  const rows: HistoryRow[] = Array.from({ length: SERIES }, (_, k) => {
    const speed = 1 + (o.moment ?? 0.1) * gaussian(rng(i * 977 + k * 13 + 5));
    const entry = o.entry?.(i) ?? 1;
    const own = 1 + (o.own ?? 0.01) * gaussian(rng(i * 131 + k * 7 + 1));
    return {
      host: 'local',
      path: k >= OPS.length ? 'gmem' : 'shmem',
      op: OPS[k % OPS.length],
      granule: 4096,
      threads: 1,
      p50: 1000 * (k + 1) * speed * entry * own * (o.step?.(i, k) ?? 1),
      p99: null,
      syscallNs: 250 * speed * entry * (1 + 0.005 * gaussian(rng(i * 71 + k * 3 + 2))),
    };
  });
  return { runId: `run-${String(i).padStart(3, '0')}`, startedAt, suite: 'nightly', rows };
}

const history = (n: number, o: Parameters<typeof run>[1] = {}) => Array.from({ length: n }, (_, i) => run(i, o));
const told = (r: ReturnType<typeof regress>) => [...r.regressions, ...r.improvements].map((c) => c.series);

describe('regress --reference syscall', () => {
  it('scales each row to the host typical null syscall, adds the reference as a series, leaves hosts without one as measured', () => {
    const runs: HistoryRun[] = [0, 1].map((i) => ({
      runId: `r${i}`,
      startedAt: `2026-01-0${i + 1}T00:00:00Z`,
      suite: 's',
      rows: [
        {
          host: 'a',
          path: 'shmem',
          op: 'alloc',
          granule: 4096,
          threads: 1,
          p50: 1000,
          p99: 3000,
          syscallNs: 200 + 100 * i,
        },
        { host: 'a', path: 'gmem', op: 'alloc', granule: 4096, threads: 1, p50: 900, p99: null, syscallNs: 250 },
        { host: 'b', path: 'shmem', op: 'alloc', granule: 4096, threads: 1, p50: 1000, p99: 3000, syscallNs: 200 },
        { host: 'b', path: 'gmem', op: 'alloc', granule: 4096, threads: 1, p50: 1000, p99: 3000 },
      ],
    }));
    const out = perSyscall(runs);
    // host a's references: 200, 250, 300, 250: typical 250
    expect(out.hosts).toEqual([{ host: 'a', typicalNs: 250, exponent: 1 }]);
    expect(out.unscaled).toEqual(['b']);
    const [r0, r1] = out.runs;
    expect(r0.rows[0]).toMatchObject({ p50: 1250, p99: 3750 });
    expect(r1.rows[0]).toMatchObject({ p50: 1000 * (250 / 300), p99: 3000 * (250 / 300) });
    expect(r0.rows[1]).toMatchObject({ p50: 900, p99: null });
    // host b as it was measured, and no reference series for it
    expect(r0.rows.filter((r) => r.host === 'b')).toEqual(runs[0].rows.filter((r) => r.host === 'b'));
    expect(r0.rows.filter((r) => r.op === REFERENCE_SERIES.op)).toEqual([
      { host: 'a', ...REFERENCE_SERIES, p50: 225, p99: null },
    ]);
    expect(r1.rows.find((r) => r.op === REFERENCE_SERIES.op)!.p50).toBe(275);
  });

  it('each row its own moment (10%): relative to its reference the series are quiet and a +10% step is caught; as measured it is not', () => {
    const quiet = regress(history(30), { metrics: ['p50'], reference: 'syscall' });
    expect(told(quiet), renderRegressText(quiet)).toEqual([]);
    expect(renderRegressText(quiet)).toMatch(/relative to the null syscall timed beside its passes.*local \(\d+ ns\)/s);
    const noise = (r: ReturnType<typeof regress>) =>
      r.series.filter((s) => !s.key.includes(REFERENCE_SERIES.op)).map((s) => s.noisePct!);
    const raw = regress(history(30), { metrics: ['p50'] });
    expect(Math.max(...noise(quiet))).toBeLessThan(3);
    expect(Math.min(...noise(raw))).toBeGreaterThan(5);

    const step = history(30, { step: (i, k) => (k === 3 && i >= 18 ? 1.1 : 1) });
    const scaled = regress(step, { metrics: ['p50'], reference: 'syscall' });
    expect(
      scaled.regressions.map((c) => `${c.series} ${c.firstRunId}`),
      renderRegressText(scaled),
    ).toEqual(['local/shmem/to-private/4096/1 run-018']);
    expect(told(regress(step, { metrics: ['p50'] }))).toEqual([]);
  });

  it('a kernel whose entry got 20% slower (every row with it) is told: the reference series regressed', () => {
    const r = regress(history(30, { moment: 0.03, entry: (i) => (i >= 18 ? 1.2 : 1) }), {
      metrics: ['p50'],
      reference: 'syscall',
    });
    const text = renderRegressText(r);
    const moved = [...r.regressions.map((c) => c.series), ...(r.shifts ?? []).map((s) => `shift ${s.host}`)];
    expect(moved, text).toContain(`local/${REFERENCE_SERIES.path}/${REFERENCE_SERIES.op}/0/0`);
    expect(r.improvements).toEqual([]);
  });
});
