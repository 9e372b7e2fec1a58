/**
 * regress relative to the host's speed index: synthetic histories whose between-run noise is mostly
 * common to every series of a run (as measured on this shared, nested machine), and a host that
 * moves as a whole with or without a change in its fingerprint.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REGRESS_OPTIONS, noiseUpperBound, regress, seriesStates } from '../src/analysis/regress.js';
import { MIN_INDEX_SERIES, speedIndices } from '../src/analysis/speed-index.js';
import { extractSeries, historyRunFromSummary } from '../src/analysis/series.js';
import { renderRegressText } from '../src/export/regress-text.js';
import { executeRegress } from '../src/cli/regress-action.js';
import { EXIT } from '../src/cli/exit.js';
import { webhookBody } from '../src/notify/webhook.js';
import { fixtureSummary, writeHistory, type FixtureSeries } from './helpers/regress-fixtures.js';
import { gaussian, rng } from './helpers/synthetic.js';

const OPS = ['alloc', 'fault', 'punch', 'to-private', 'to-shared'];

/**
 * `n` series whose run i is base x common(i) x (1 + own x noise): `common` the host's speed that run
 * (the same for every series), `own` each series' own between-run noise; `shape` scales run i of series k.
 */
function hostNoisy(
  n: number,
  common: number,
  own: number,
  shape: (i: number, k: number) => number = () => 1,
): FixtureSeries[] {
  return Array.from({ length: n }, (_, k) => ({
    op: OPS[k % OPS.length],
    granule: k < OPS.length ? 4096 : 2 << 20,
    path: k >= 2 * OPS.length ? 'gmem' : 'shmem',
    p50: (i: number) =>
      1000 *
      (k + 1) *
      shape(i, k) *
      (1 + common * gaussian(rng(i * 977 + 3))) *
      (1 + own * gaussian(rng(i * 131 + k * 7 + 1))),
  }));
}

function history(n: number, series: FixtureSeries[], kernel?: (i: number) => string) {
  return Array.from({ length: n }, (_, i) => historyRunFromSummary(fixtureSummary(i, series, { kernel })));
}

describe('regress relative to the host speed index', () => {
  it('the index follows the host: one value per run, the median series against its usual level', () => {
    const runs = history(20, hostNoisy(10, 0.08, 0.01));
    const [ix] = speedIndices(extractSeries(runs, ['p50']));
    expect(ix).toMatchObject({ host: 'local', metric: 'p50', series: 10 });
    expect(ix.points).toHaveLength(20);
    // run i's index is the common factor of run i, up to the series' own 1% noise
    for (const [i, p] of ix.points.entries()) {
      const common = 1 + 0.08 * gaussian(rng(i * 977 + 3));
      expect(Math.abs(p.value / common - 1), `run ${i}`).toBeLessThan(0.12);
    }
    // fewer than MIN_INDEX_SERIES series: no index, judged raw
    const few = history(20, hostNoisy(MIN_INDEX_SERIES - 1, 0.08, 0.01));
    expect(speedIndices(extractSeries(few, ['p50']))).toEqual([]);
    const r = regress(few, { metrics: ['p50'] });
    expect(r.speedIndex).toBeUndefined();
    expect([...r.regressions, ...r.improvements].every((c) => c.relativePct === undefined)).toBe(true);
  });

  it('8% host-wide noise per run, 1% own: quiet relative to the host, and a +10% step on one series is caught; raw, it is not', () => {
    const quiet = regress(history(30, hostNoisy(10, 0.08, 0.01)), { metrics: ['p50'] });
    expect(quiet.regressions, renderRegressText(quiet)).toEqual([]);
    expect(quiet.improvements).toEqual([]);
    expect(quiet.speedIndex).toHaveLength(1);
    expect(quiet.speedIndex![0].noisePct).toBeGreaterThan(4);

    const step = history(
      30,
      hostNoisy(10, 0.08, 0.01, (i, k) => (k === 3 && i >= 18 ? 1.1 : 1)),
    );
    const host = regress(step, { metrics: ['p50'] });
    expect(host.regressions.map((c) => `${c.series} ${c.firstRunId.slice(-4)}`)).toEqual([
      'local/shmem/to-private/4096/1 0018',
    ]);
    const [c] = host.regressions;
    // judged relative to the host; the latency's own change is shown beside it, + = slower
    expect(c.relativePct).toBeGreaterThan(7);
    expect(c.relativePct).toBeLessThan(13);
    expect(c.noisePct).toBeLessThan(2);
    expect(Number.isFinite(c.changePct)).toBe(true);
    const text = renderRegressText(host);
    expect(text).toContain('vs host');
    expect(text).toContain("judged relative to each host's speed index");

    const raw = regress(step, { metrics: ['p50'], normalize: 'none' });
    expect(raw.regressions).toEqual([]);
    expect(raw.speedIndex).toBeUndefined();
  });

  it('normalize auto (the default): a series that does not follow the host is judged nearly raw, so a +5% step on it is told; divided by the index (host) it is not', () => {
    // 9 series move with a 3% host-wide moment; series 3 does not, and is quiet (0.3%) on its own
    const mixed = (shape: (i: number, k: number) => number = () => 1) =>
      hostNoisy(10, 0.03, 0.005, shape).map((s, k) =>
        k !== 3 ? s : { ...s, p50: (i: number) => 4000 * shape(i, k) * (1 + 0.003 * gaussian(rng(i * 53 + 9))) },
      );
    const quiet = regress(history(30, mixed()), { metrics: ['p50'] });
    expect(quiet.regressions, renderRegressText(quiet)).toEqual([]);
    expect(quiet.options.normalize).toBe('auto');
    const b = new Map(quiet.series.map((s) => [s.key, s.indexExponent!]));
    expect(b.get('local/shmem/to-private/4096/1')).toBeLessThan(0.3);
    for (const [key, e] of b) if (!key.includes('to-private/4096')) expect(e, key).toBeGreaterThan(0.8);
    expect(renderRegressText(quiet)).toMatch(/each series to the power its history gives .* 1 of 10 below 0\.5/s);

    const step = history(
      30,
      mixed((i, k) => (k === 3 && i >= 18 ? 1.05 : 1)),
    );
    const auto = regress(step, { metrics: ['p50'] });
    expect(
      auto.regressions.map((c) => `${c.series} ${c.firstRunId.slice(-4)}`),
      renderRegressText(auto),
    ).toEqual(['local/shmem/to-private/4096/1 0018']);
    expect(auto.regressions[0].noisePct).toBeLessThan(1);
    // divided by the whole index, the series carries the index's 3% noise and the step is under its floor
    const host = regress(step, { metrics: ['p50'], normalize: 'host' });
    expect(host.regressions).toEqual([]);
    expect(host.series.find((s) => s.key === 'local/shmem/to-private/4096/1')!.noisePct).toBeGreaterThan(2);
  });

  it('the whole host slower with nothing in its fingerprint changed: told once as the host moving, not failed', () => {
    const runs = history(
      30,
      hostNoisy(10, 0.005, 0.01, (i) => (i >= 15 ? 1.15 : 1)),
    );
    const r = regress(runs, { metrics: ['p50'] });
    expect(r.regressions).toEqual([]);
    expect(r.shifts).toHaveLength(1);
    const [sh] = r.shifts!;
    expect(sh).toMatchObject({ host: 'local', explained: false, fingerprint: 'nothing', series: 10, slower: 10 });
    expect(sh.speedIndex?.metric).toBe('p50');
    expect(sh.medianChangePct).toBeGreaterThan(12);
    expect(sh.firstRunId).toMatch(/-0015$/);
    // none of its series is regressed by it
    expect(seriesStates(r).filter((s) => s.regressed)).toEqual([]);
    const text = renderRegressText(r);
    expect(text).toContain('host moved on its own, local at run');
    expect(text.replace(/\s+/g, ' ')).toContain('nothing in the fingerprint changed (last run before: ');
    expect(text.replace(/\s+/g, ' ')).toContain('told, not failed');
    expect(text.split('\n').find((l) => l.includes('nothing in the fingerprint changed'))).toMatch(/^ {2}nothing/);
    expect(text).not.toContain('HOST-WIDE SHIFT');
  });

  it('the whole host moving when the runs started measuring differently: a shift with the measurement named', () => {
    // the nightlies before 2026-12-08 measured one process a job, unpinned; after, 3 processes pinned
    const runs = Array.from({ length: 30 }, (_, i) =>
      historyRunFromSummary({
        ...fixtureSummary(
          i,
          hostNoisy(10, 0.005, 0.01, (k) => (k >= 15 ? 0.85 : 1)),
        ),
        measurement:
          i < 15 ? { processes: 1, pin: 'none', settle: false } : { processes: 3, pin: 'auto', settle: false },
      }),
    );
    const r = regress(runs, { metrics: ['p50'] });
    expect(r.shifts).toHaveLength(1);
    expect(r.shifts![0]).toMatchObject({
      explained: true,
      fingerprint: 'measurement 1 process, pin none -> 3 processes, pin auto',
    });
    expect(renderRegressText(r).replace(/\s+/g, ' ')).toContain(
      'fingerprint changed: measurement 1 process, pin none -> 3 processes, pin auto',
    );
  });

  it('the same shift with a kernel change is a host-wide shift: its series regressed', () => {
    const runs = history(
      30,
      hostNoisy(10, 0.005, 0.01, (i) => (i >= 15 ? 1.15 : 1)),
      (i) => (i < 15 ? '6.18.0' : '6.19.0'),
    );
    const r = regress(runs, { metrics: ['p50'] });
    expect(r.regressions).toEqual([]);
    expect(r.shifts).toHaveLength(1);
    expect(r.shifts![0]).toMatchObject({ explained: true, fingerprint: 'kernel 6.18.0 -> 6.19.0' });
    expect(seriesStates(r).filter((s) => s.regressed)).toHaveLength(10);
    expect(renderRegressText(r)).toContain('HOST-WIDE SHIFT on local at run');
    // the webhook tells it as a regression is told
    const body = webhookBody(r);
    expect(body.shifts).toHaveLength(1);
    expect(body.text).toMatch(/^gmembench: 0 new regression\(s\), 1 host-wide shift\(s\) as of run /);
    expect(body.text).toContain('fingerprint: kernel 6.18.0 -> 6.19.0');
    // the unexplained one is not posted
    const own = regress(
      history(
        30,
        hostNoisy(10, 0.005, 0.01, (i) => (i >= 15 ? 1.15 : 1)),
      ),
      { metrics: ['p50'] },
    );
    expect(webhookBody(own).shifts).toEqual([]);
  });

  it('the noise floor uses the upper confidence bound of the noise: a short history is not a quiet one', () => {
    // chi-square: sqrt(10 / chi2_0.05(10)) = sqrt(10 / 3.9403)
    expect(noiseUpperBound(1, 10, 0.95)).toBeCloseTo(1.5931, 3);
    expect(noiseUpperBound(1, 10, 0)).toBe(1);
    expect(noiseUpperBound(1, 0, 0.95)).toBe(Infinity);
    expect(noiseUpperBound(1, 1000, 0.95)).toBeLessThan(1.06);
    expect(DEFAULT_REGRESS_OPTIONS.noiseConfidence).toBe(0.95);
  });
});

describe('regress exit codes and state with host-wide shifts', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'gmembench-speed-index-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  const run = (history: string, state: string) =>
    executeRegress(
      {
        history,
        state,
        db: 'gmembench',
        detect: { ...DEFAULT_REGRESS_OPTIONS, metrics: ['p50'] },
        format: 'text',
        annotateInflux: false,
        allowEmulated: true,
      },
      () => {},
    );

  it('an unexplained host move exits 0; a kernel change that made the host slower exits 4 once, then is known', async () => {
    const moved = hostNoisy(10, 0.005, 0.01, (i) => (i >= 15 ? 1.15 : 1));
    const own = join(tmp, 'own');
    await writeHistory(own, 30, moved);
    const a = await run(own, join(tmp, 'own.state.json'));
    expect(a.report.shifts?.[0]?.explained).toBe(false);
    expect(a.exit).toBe(EXIT.ok);

    const kernel = join(tmp, 'kernel');
    await writeHistory(kernel, 30, moved, { kernel: (i) => (i < 15 ? '6.18.0' : '6.19.0') });
    const state = join(tmp, 'kernel.state.json');
    const first = await run(kernel, state);
    expect(first.exit).toBe(EXIT.regression);
    expect(first.report.shifts?.[0]).toMatchObject({ explained: true, known: false });
    expect(JSON.parse(await readFile(state, 'utf8')).reported).toContainEqual(
      expect.objectContaining({ series: 'local/host-wide', kind: 'regression', metric: 'p50' }),
    );
    const second = await run(kernel, state);
    expect(second.report.shifts?.[0]).toMatchObject({ known: true });
    expect(second.exit).toBe(EXIT.ok);
  });
});
