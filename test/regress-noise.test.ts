/** regress judged against run-to-run noise: synthetic histories with a known between-run spread. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regress, benjaminiHochberg, seriesNoise } from '../src/analysis/regress.js';
import { historyRunFromSummary } from '../src/analysis/series.js';
import { renderRegressText } from '../src/export/regress-text.js';
import { fixtureSummary, writeHistory, type FixtureSeries } from './helpers/regress-fixtures.js';
import { gaussian, rng } from './helpers/synthetic.js';
import { cli } from './helpers/cli.js';

/** 8 series with `cv` between-run noise (seeded per run and series); `shape` scales run i of series k */
function noisy(cv: number, shape: (i: number, k: number) => number = () => 1): FixtureSeries[] {
  const ops = ['alloc', 'fault', 'punch', 'to-private'];
  return [4096, 2 << 20].flatMap((granule, g) =>
    ops.map((op, o) => {
      const k = g * 4 + o;
      const base = 1000 * (k + 1);
      return { op, granule, p50: (i: number) => base * shape(i, k) * (1 + cv * gaussian(rng(i * 131 + k * 7 + 1))) };
    }),
  );
}

function history(n: number, series: FixtureSeries[], kernel?: (i: number) => string) {
  return Array.from({ length: n }, (_, i) => historyRunFromSummary(fixtureSummary(i, series, { kernel })));
}

describe('regress against between-run noise', () => {
  it('flat histories with 2% between-run noise: no change in any of 5 seeds x 8 series', () => {
    for (let seed = 0; seed < 5; seed++) {
      const runs = history(30, noisy(0.02, () => 1).map((s, k) => ({ ...s, p50: (i: number) => s.p50(i + seed * 1000 + k * 0) })));
      const r = regress(runs, { metrics: ['p50'] });
      expect([...r.regressions, ...r.improvements, ...(r.shifts ?? [])], `seed ${seed}`).toEqual([]);
    }
  });

  it('a spike (one run 3x slower) is no change; a +20% step on one series is one regression', () => {
    const spike = regress(history(30, noisy(0.02, (i, k) => (k === 2 && i === 14 ? 3 : 1))), { metrics: ['p50'] });
    expect(spike.regressions).toEqual([]);
    const step = regress(history(30, noisy(0.02, (i, k) => (k === 5 && i >= 18 ? 1.2 : 1))), { metrics: ['p50'] });
    expect(step.regressions.map((c) => `${c.series} ${c.firstRunId.slice(-4)}`)).toEqual(['local/shmem/fault/2097152/1 0018']);
    expect(step.regressions[0].changePct).toBeGreaterThan(15); // + = slower
    expect(step.regressions[0].noisePct).toBeGreaterThan(0.5);
    expect(step.regressions[0].noisePct).toBeLessThan(5);
  });

  it('drift of 0.05% a run stays quiet', () => {
    const r = regress(history(30, noisy(0.02, (i) => 1 + 0.0005 * i)), { metrics: ['p50'] });
    expect(r.regressions).toEqual([]);
  });

  it('every series of a host moving at one run is ONE host-wide shift naming the kernel change', () => {
    const kernel = (i: number) => (i < 15 ? '6.18.0' : '6.19.0');
    const runs = history(30, noisy(0.01, (i) => (i >= 15 ? 1.15 : 1)), kernel);
    const r = regress(runs, { metrics: ['p50'] });
    expect(r.regressions).toEqual([]);
    expect(r.shifts).toHaveLength(1);
    expect(r.shifts![0]).toMatchObject({ host: 'local', series: 8, slower: 8, fingerprint: 'kernel 6.18.0 -> 6.19.0' });
    expect(r.shifts![0].firstRunId).toMatch(/-0015$/);
    expect(r.shifts![0].medianChangePct).toBeGreaterThan(12);
    const text = renderRegressText(r);
    expect(text.match(/HOST-WIDE SHIFT/g)).toHaveLength(1);
    expect(text).toContain('fingerprint changed: kernel 6.18.0 -> 6.19.0');
    expect(text).toContain('+ = slower');
  });

  it('Benjamini-Hochberg and the robust noise', () => {
    expect(benjaminiHochberg([0.001, 0.02, 0.04, 0.5], 4, 0.05)).toEqual([true, true, false, false]);
    expect(benjaminiHochberg([0.03], 100, 0.05)).toEqual([false]);
    expect(seriesNoise([100, 100, 100, 100], [])).toBe(0);
    expect(seriesNoise([100, 102, 98, 200, 204, 196], [3])).toBeCloseTo(1.4826 * 0.02, 6);
  });
});

describe('regress with too few runs', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'gmembench-regress-few-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('says how many runs it needs and exits 0', async () => {
    const d = join(tmp, 'few');
    await writeHistory(d, 4, noisy(0.02, (i) => (i >= 2 ? 2 : 1)));
    const r = await cli(['regress', '--history', d]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('too few runs for a verdict: 4 of the 6 needed');
  });
});
