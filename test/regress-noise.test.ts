/** regress judged against run-to-run noise: synthetic histories with a known between-run spread. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regress, noiseUpperBound, seriesNoise, seriesStates, sensitivity } from '../src/analysis/regress.js';
import { benjaminiHochberg } from '../src/analysis/stats/fdr.js';
import { renderRegressJunit } from '../src/export/regress-junit.js';
import { detectChangePoints, winsorized } from '../src/analysis/changepoint/edivisive.js';
import { changePoints } from '../src/influx/changes.js';
import { hasTail, historyRunFromSummary } from '../src/analysis/series.js';
import { renderRegressText } from '../src/export/regress-text.js';
import { fixtureSummary, writeHistory, type FixtureSeries } from './helpers/regress-fixtures.js';
import { gaussian, rng } from './helpers/synthetic.js';
import { cli } from './helpers/cli.js';
import { SIGN_LEGEND } from '../src/analysis/change.js';

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
      const runs = history(
        30,
        noisy(0.02, () => 1).map((s, k) => ({ ...s, p50: (i: number) => s.p50(i + seed * 1000 + k * 0) })),
      );
      const r = regress(runs, { metrics: ['p50'] });
      expect([...r.regressions, ...r.improvements, ...(r.shifts ?? [])], `seed ${seed}`).toEqual([]);
    }
  });

  it('a spike (one run 3x slower) is no change; a +20% step on one series is one regression', () => {
    const spike = regress(
      history(
        30,
        noisy(0.02, (i, k) => (k === 2 && i === 14 ? 3 : 1)),
      ),
      { metrics: ['p50'] },
    );
    expect(spike.regressions).toEqual([]);
    const step = regress(
      history(
        30,
        noisy(0.02, (i, k) => (k === 5 && i >= 18 ? 1.2 : 1)),
      ),
      { metrics: ['p50'] },
    );
    expect(step.regressions.map((c) => `${c.series} ${c.firstRunId.slice(-4)}`)).toEqual([
      'local/shmem/fault/2097152/1 0018',
    ]);
    expect(step.regressions[0].changePct).toBeGreaterThan(15); // + = slower
    expect(step.regressions[0].noisePct).toBeGreaterThan(0.5);
    expect(step.regressions[0].noisePct).toBeLessThan(5);
  });

  it('sensitivity: each series says the smallest change it can tell, and the text says how blind the host is', () => {
    const quiet = regress(history(30, noisy(0.01)), { metrics: ['p50'] });
    const loud = regress(history(30, noisy(0.05)), { metrics: ['p50'] });
    for (const e of quiet.series) {
      expect(e.noisePct).toBeGreaterThan(0.5);
      expect(e.noisePct).toBeLessThan(1.6);
      // --min-magnitude 3%, 3 x the noise's 95% upper bound (30 runs, one segment: 29 degrees of freedom)
      expect(e.floorPct).toBeCloseTo(Math.max(3, 3 * noiseUpperBound(e.noisePct!, 29, 0.95)), 9);
    }
    // 1% noise over 30 runs: the upper bound (x ~1.3) puts the noisiest of the 8 just above 5%
    const [q] = sensitivity(quiet);
    expect(q).toMatchObject({ host: 'local', series: 8, tell10: 8 });
    expect(q.tell5).toBeGreaterThanOrEqual(7);
    const [h] = sensitivity(loud);
    expect(h.medianNoisePct).toBeGreaterThan(3.5);
    expect(h.medianFloorPct).toBeGreaterThan(10);
    expect(h.tell5).toBe(0);
    const text = renderRegressText(loud);
    expect(text).toContain(`sensitivity on local: only changes of ${h.medianFloorPct.toFixed(1)}% or more`);
    expect(text).toContain('0 of 8 series can tell a 5% change');
  });

  it('drift of 0.05% a run stays quiet', () => {
    const r = regress(
      history(
        30,
        noisy(0.02, (i) => 1 + 0.0005 * i),
      ),
      { metrics: ['p50'] },
    );
    expect(r.regressions).toEqual([]);
  });

  it('every series of a host moving at one run is ONE host-wide shift naming the kernel change', () => {
    const kernel = (i: number) => (i < 15 ? '6.18.0' : '6.19.0');
    const runs = history(
      30,
      noisy(0.01, (i) => (i >= 15 ? 1.15 : 1)),
      kernel,
    );
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

  it('persistence: a +20% step from run 18 is told once it held 3 runs, at run 18; not after 2; --persistence 5 waits for 5', () => {
    const step = noisy(0.02, (i, k) => (k === 5 && i >= 18 ? 1.2 : 1));
    // the winsorized t test: the default rank t cannot reach the budget with 3 runs after a change
    const found = (n: number, persistence?: number, test: 'robust' | 'rank' = 'robust') =>
      regress(history(n, step), {
        metrics: ['p50'],
        test,
        ...(persistence !== undefined && { persistence }),
      }).regressions.map((c) => `${c.series} ${c.firstRunId.slice(-4)} ${c.runsAfter}`);
    expect(found(20)).toEqual([]); // runs 18, 19: not yet
    expect(found(21)).toEqual(['local/shmem/fault/2097152/1 0018 3']);
    expect(found(21, 5)).toEqual([]);
    expect(found(22, 5)).toEqual([]);
    expect(found(23, 5)).toEqual(['local/shmem/fault/2097152/1 0018 5']);
    // a run back at the old level inside the first 3 breaks it: the step is not told yet
    const broken = noisy(0.02, (i, k) => (k === 5 && i >= 18 && i !== 19 ? 1.2 : 1));
    expect(regress(history(21, broken), { metrics: ['p50'], test: 'robust' }).regressions).toEqual([]);
    // the rank t finds it at the same run, later
    expect(found(21, undefined, 'rank')).toEqual([]);
    expect(found(30, undefined, 'rank')).toEqual(['local/shmem/fault/2097152/1 0018 12']);
  });

  it('--persistence-margin: a ramp of 3 runs (+2%, +8%, +14%) is no level; a +20% step still is', () => {
    // series 2: a ramp at runs 18-20 that the median of those runs calls +7%; series 5: a step
    const shape = (i: number, k: number) =>
      k === 2 && i >= 18 ? [1.02, 1.08, 1.14][i - 18] : k === 5 && i >= 18 ? 1.2 : 1;
    const told = (margin?: number) =>
      regress(history(21, noisy(0.01, shape)), {
        metrics: ['p50'],
        // the floor on the noise estimate itself: the margin alone decides here
        noiseConfidence: 0,
        ...(margin !== undefined && { persistenceMargin: margin }),
      })
        .regressions.map((c) => c.series)
        .sort();
    expect(told(0)).toEqual(['local/shmem/fault/2097152/1', 'local/shmem/punch/4096/1']);
    expect(told(1.5)).toEqual(['local/shmem/fault/2097152/1']);
  });

  it("a step no larger than the history's own 3-run excursions is not told", () => {
    // series 3 had a 3-run excursion of +12% at runs 8-10, then a +10% step from run 24
    const r = regress(
      history(
        27,
        noisy(0.01, (i, k) => (k === 3 && (i >= 8 && i <= 10 ? 1.12 : i >= 24 ? 1.1 : 1)) || 1),
      ),
      { metrics: ['p50'], persistence: 3 },
    );
    expect(r.regressions.filter((c) => c.firstRunId.endsWith('0024'))).toEqual([]);
  });

  it('a host-wide shift: its series are regressed in JUnit and in the InfluxDB verdicts', () => {
    const runs = history(
      30,
      noisy(0.01, (i) => (i >= 15 ? 1.15 : 1)),
      (i) => (i < 15 ? '6.18.0' : '6.19.0'),
    );
    const r = regress(runs, { metrics: ['p50'] });
    expect(r.shifts).toHaveLength(1);
    const states = seriesStates(r);
    expect(states).toHaveLength(8);
    expect(states.every((s) => s.regressed && s.direction === 'slower' && s.latest?.hostWide)).toBe(true);
    const xml = renderRegressJunit(r);
    expect(xml).toContain('tests="8" failures="8"');
    expect(xml).toContain(
      'name="shmem alloc 2M x1 p50"><failure type="regression" message="local shmem alloc 2M x1 p50 slower by +',
    );
    expect(xml).toContain('(host-wide shift)');
    const points = changePoints(r, runs);
    expect(points).toHaveLength(8);
    expect(
      points.every((p) => p.fields?.regressed === 1 && p.fields?.host_wide === true && p.tags?.suite === 'nightly'),
    ).toBe(true);
    expect(points.map((p) => p.tags?.size).sort()).toEqual(['2M', '2M', '2M', '2M', '4K', '4K', '4K', '4K']);
  });

  it('the text report fits 100 columns, every column named', () => {
    const long = (i: number, k: number) => (k === 1 && i >= 20 ? 1.25 : k === 6 && i >= 12 ? 0.7 : 1);
    const series = noisy(0.01, long).map((s) => ({
      ...s,
      host: 'tdx-sapphire-rapids-07',
      op: s.op === 'fault' ? 'guest-refault' : s.op,
    }));
    const runs = Array.from({ length: 30 }, (_, i) =>
      historyRunFromSummary(
        fixtureSummary(i, series, { kernel: (j) => (j < 20 ? '6.18.0-gmem-v12-rc3' : '6.19.0-rc1-gmem-v13+') }),
      ),
    );
    const r = regress(
      runs,
      { metrics: ['p50'] },
      {
        source: '/srv/benchmarks/gmembench/results/nightly-tdx-sapphire-rapids (suite nightly)',
        skipped: [
          '/srv/benchmarks/gmembench/results/nightly-tdx-sapphire-rapids/2026-01-05T02-00-00Z-nightly-0004/summary.json: not a readable run summary (truncated)',
        ],
      },
    );
    expect(r.regressions.length).toBeGreaterThan(0);
    expect(r.improvements.length).toBeGreaterThan(0);
    const text = renderRegressText({ ...r, regressions: r.regressions.map((c, i) => ({ ...c, known: i % 2 === 1 })) });
    const wide = text.split('\n').filter((l) => l.length > 100);
    expect(wide, text).toEqual([]);
    const headers = text.split('\n').filter((l) => l.startsWith('series '));
    expect(headers).toHaveLength(2);
    for (const h of headers)
      expect(h.split(/\s{2,}/)).toEqual([
        'series',
        'metric',
        'before',
        'after',
        'change',
        'vs host',
        'noise',
        'p',
        'from run',
        'state',
      ]);
    expect(text).toContain('6.18.0-gmem-v12-rc3 -> 6.19.0-rc1-gmem-v13+');
    expect(text).toMatch(/\[1\] \S+-nightly-0012\n {4}last good \S+-nightly-0011/);
    expect(text).toContain('host tdx-sapphire-rapids-07:');
    expect(text).toMatch(
      /\nshmem guest-refault 4K x1\s+p50\s+\S+\s+\S+\s+\+2\d\.\d%\s+\+2\d\.\d%\s+\S+%\s+\S+\s+\[2\]\s+NEW/,
    );
    expect(text).toContain(SIGN_LEGEND);
  });

  it('a p99 of a few dozen samples (their maximum) is not judged: named, skipped in JUnit; --tail-samples 0 judges it', () => {
    // series 5 (fault 2M): 48 samples a row, and a p99 that doubles from run 18 on, as a maximum can
    const runs = history(30, noisy(0.02)).map((run, i) => ({
      ...run,
      rows: run.rows.map((row) =>
        row.op === 'fault' && row.granule === 2 << 20
          ? { ...row, samples: 48, p99: row.p99! * (i >= 18 ? 2 : 1) }
          : row,
      ),
    }));
    const r = regress(runs);
    expect([...r.regressions, ...r.improvements, ...(r.shifts ?? [])]).toEqual([]);
    expect(r.thin).toEqual([
      expect.objectContaining({
        key: 'local/shmem/fault/2097152/1',
        metric: 'p99',
        samples: 48,
        needed: 1000,
        runs: 30,
      }),
    ]);
    expect(r.series.some((x) => x.key === 'local/shmem/fault/2097152/1' && x.metric === 'p99')).toBe(false);
    expect(r.series.some((x) => x.key === 'local/shmem/fault/2097152/1' && x.metric === 'p50')).toBe(true);
    const text = renderRegressText(r);
    expect(text).toMatch(/p99 not judged on 1 series: their rows have fewer than the 1000 samples a p99 needs/);
    expect(text).toContain('shmem fault 2M x1 (48)');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect(renderRegressJunit(r)).toMatch(
      /<testcase classname="gmembench.regress.local" name="shmem fault 2M x1 p99"><skipped message="not judged: its rows have 48 samples, a p99 needs 1000/,
    );
    // the median needs no tail: a row of one sample (compact) keeps its p50
    expect(hasTail({ samples: 1 }, 'p50', 10)).toBe(true);
    expect(hasTail({ samples: 999 }, 'p99', 10)).toBe(false);
    expect(hasTail({ samples: 1000 }, 'p99', 10)).toBe(true);
    expect(hasTail({}, 'p99', 10)).toBe(true);
    const all = regress(runs, { tailSamples: 0 });
    expect(all.thin).toBeUndefined();
    expect(all.regressions.map((c) => `${c.series} ${c.metric}`)).toEqual(['local/shmem/fault/2097152/1 p99']);
  });

  it('the winsorized t test: one slow run neither makes nor hides a change', () => {
    const flat = [100, 101, 99, 100, 102, 98, 100, 101, 99, 100, 300, 100, 99, 101];
    expect(winsorized(flat, 0, 7, flat.length)[10]).toBeLessThan(110);
    expect(detectChangePoints(flat, { test: 'robust' })).toEqual([]);
    const step = [100, 101, 99, 100, 102, 98, 100, 101, 99, 100, 110, 111, 300, 109, 110, 111];
    expect(detectChangePoints(step, { test: 'robust' }).map((c) => c.index)).toEqual([10]);
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

  it('names a bad --persistence or --baseline-runs', async () => {
    const d = join(tmp, 'few2');
    await writeHistory(d, 2, noisy(0.02));
    const p = await cli(['regress', '--history', d, '--persistence', '-1']);
    // a usage error: exit 2 naming the option (one parser per kind of value)
    expect(p.code).toBe(2);
    expect(p.stderr).toContain("option '--persistence <n>' argument '-1' is invalid. expected a whole number >= 0");
    const b = await cli(['regress', '--history', d, '--baseline-runs', 'x']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain("option '--baseline-runs <n>' argument 'x' is invalid. expected a whole number >= 0");
  });

  it('says how many runs it needs and exits 0', async () => {
    const d = join(tmp, 'few');
    await writeHistory(
      d,
      4,
      noisy(0.02, (i) => (i >= 2 ? 2 : 1)),
    );
    const r = await cli(['regress', '--history', d]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('too few runs for a verdict: 4 of the 11 needed');
  });
});
