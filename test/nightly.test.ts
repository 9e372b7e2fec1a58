import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from './helpers/cli.js';
import { fixtureSummary, writeHistory, type FixtureSeries } from './helpers/regress-fixtures.js';
import { hasInfluxd, startInfluxd, type Influxd } from './helpers/influxd.js';
import { runNightly, type NightlyOptions } from '../src/cli/nightly-action.js';
import { DEFAULT_REGRESS_OPTIONS } from '../src/analysis/regress.js';
import { acquireLock, LockHeldError } from '../src/util/lock.js';
import { writeSummary } from '../src/results/store.js';
import { readInfluxHistory } from '../src/influx/history.js';
import type { RunOptions, RunOutcome } from '../src/benchmark/run.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'gmembench-nightly-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const SUITE = resolve(ROOT, 'suites/smoke.yaml');
const flat: FixtureSeries = { op: 'alloc', granule: 4096, p50: () => 800 };

/** Stands in for runSuite (the probe has not landed on this branch): writes run number `i` of a fixture history. */
function fixtureMeasure(i: number, series: FixtureSeries[], failedHosts: string[] = []) {
  return async (o: RunOptions): Promise<RunOutcome> => {
    const summary = fixtureSummary(i, series, { suite: o.suite.name, failedHosts });
    const runDir = join(o.resultsDir, summary.runId);
    await writeSummary(runDir, summary);
    return { summary, runDir };
  };
}

function opts(results: string, extra: Partial<NightlyOptions>): NightlyOptions {
  return {
    suiteFile: SUITE,
    resultsDir: results,
    regress: { db: 'gmembench', detect: { ...DEFAULT_REGRESS_OPTIONS, metrics: ['p50'] }, format: 'text' },
    print: () => undefined,
    ...extra,
  };
}

describe('nightly: exit codes, log, state', () => {
  it('0 on a quiet history, 3 when a host failed, 4 on a new regression, then 0 once it is known', async () => {
    const results = join(tmp, 'r1');
    await writeHistory(results, 20, [flat], { suite: 'smoke' });
    const ok = await runNightly(opts(results, { measure: fixtureMeasure(20, [flat]) }));
    expect(ok.exit).toBe(0);
    const partial = await runNightly(opts(results, { measure: fixtureMeasure(21, [flat], ['lab-7']) }));
    expect(partial.exit).toBe(3);
    const slow = { ...flat, p50: (i: number) => (i >= 22 ? 880 : 800) };
    // one or two slow runs are not a regression yet (segments >= 3 runs)
    for (const i of [22, 23])
      expect((await runNightly(opts(results, { measure: fixtureMeasure(i, [slow]) }))).exit).toBe(0);
    const bad = await runNightly(opts(results, { measure: fixtureMeasure(24, [slow]) }));
    expect(bad.exit).toBe(4);
    // told once
    for (const i of [25, 26])
      expect((await runNightly(opts(results, { measure: fixtureMeasure(i, [slow]) }))).exit).toBe(0);
    const log = await readFile(join(results, 'nightly.log'), 'utf8');
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z nightly\[\d+\]: run: suite smoke/m);
    expect(log).toContain('host lab-7 failed (unreachable): connect ECONNREFUSED');
    expect(log).toMatch(
      /REGRESSION local\/shmem\/alloc\/4096\/1 p50 (9|10)\.\d% from run 2026-01-23T02-00-00Z-smoke-0022/,
    );
    expect(log).toMatch(/regress: 27 runs, 1 series, 0 new regression\(s\), \d+ known/);
    expect(log.match(/done: exit (\d)/g)).toEqual([
      'done: exit 0',
      'done: exit 3',
      'done: exit 0',
      'done: exit 0',
      'done: exit 4',
      'done: exit 0',
      'done: exit 0',
    ]);
    expect(existsSync(join(results, '.regress-state.json'))).toBe(true);
    expect(existsSync(join(results, '.nightly.lock'))).toBe(false);
  });

  it('1 when every host failed or the suite cannot be measured; 2 for a bad suite', async () => {
    const results = join(tmp, 'r2');
    expect(
      (
        await runNightly(
          opts(results, {
            measure: async (o) => {
              const r = await fixtureMeasure(0, [])(o);
              r.summary.hosts = [{ name: 'local', status: 'failed', subStatus: 'lost', labels: {}, fingerprint: null }];
              return r;
            },
          }),
        )
      ).exit,
    ).toBe(1);
    expect(
      (
        await runNightly(
          opts(results, {
            measure: async () => {
              throw new Error('probe build failed: cc not found');
            },
          }),
        )
      ).exit,
    ).toBe(1);
    await writeFile(join(tmp, 'bad.yaml'), 'workloads: 3\n');
    expect((await runNightly(opts(results, { suiteFile: join(tmp, 'bad.yaml') }))).exit).toBe(2);
    const log = await readFile(join(results, 'nightly.log'), 'utf8');
    expect(log).toContain('error: every host failed, nothing to push or analyse');
    expect(log).toContain('error: probe build failed: cc not found');
    expect(log).toMatch(/error: .*bad\.yaml:1:\d+: workloads/);
  });

  it('a push failure is logged, regress falls back to the local history, exit 1', async () => {
    const results = join(tmp, 'r3');
    await writeHistory(results, 10, [flat], { suite: 'smoke' });
    const r = await runNightly(
      opts(results, {
        influx: 'http://127.0.0.1:9',
        measure: fixtureMeasure(10, [flat]),
        push: async () => {
          throw new Error('push to http://127.0.0.1:9 failed: ECONNREFUSED');
        },
      }),
    );
    expect(r.exit).toBe(1);
    const log = await readFile(join(results, 'nightly.log'), 'utf8');
    expect(log).toContain(
      `push failed (analysing ${results} instead): push to http://127.0.0.1:9 failed: ECONNREFUSED`,
    );
    expect(log).toContain('regress: 11 runs');
  });
});

describe('nightly lock', () => {
  it('a live holder keeps a second nightly out (exit 5, logged); a dead one is taken over', async () => {
    const results = join(tmp, 'r4');
    const lockFile = join(results, '.nightly.lock');
    const lock = await acquireLock(join(tmp, 'x.lock'));
    await expect(acquireLock(join(tmp, 'x.lock'))).rejects.toBeInstanceOf(LockHeldError);
    await lock.release();
    expect(existsSync(join(tmp, 'x.lock'))).toBe(false);

    await writeHistory(results, 1, [flat]);
    await writeFile(
      lockFile,
      JSON.stringify({ pid: process.pid, host: hostname(), startedAt: '2026-01-01T00:00:00Z' }),
    );
    const held = await cli(['nightly', '--suite', SUITE, '--results', results]);
    expect(held.code).toBe(5);
    expect(held.stderr).toContain(
      `another run holds the lock (pid ${process.pid} on ${hostname()}, since 2026-01-01T00:00:00Z)`,
    );

    const child = execa('true');
    const dead = { pid: child.pid };
    await child;
    await writeFile(lockFile, JSON.stringify({ pid: dead.pid, host: hostname(), startedAt: '2026-01-01T00:00:00Z' }));
    const r = await runNightly(opts(results, { measure: fixtureMeasure(1, [flat]) }));
    expect(r.exit).toBe(0);
    expect(await readFile(join(results, 'nightly.log'), 'utf8')).toContain(
      `took over a stale lock (pid ${dead.pid} is gone)`,
    );
    expect(existsSync(lockFile)).toBe(false);
  });
});

const hasProbe =
  existsSync(resolve(ROOT, 'probe')) && readdirSync(resolve(ROOT, 'probe')).some((f) => f.endsWith('.c'));
if (!hasProbe) console.warn('SKIP nightly end to end: the probe (probe/*.c) has not landed on this branch yet');
if (!hasInfluxd) console.warn('SKIP nightly end to end: influxd is not installed');

describe.skipIf(!hasProbe || !hasInfluxd)('nightly end to end: real probe, real influxd', () => {
  let influxd: Influxd;
  beforeAll(async () => {
    influxd = await startInfluxd();
  });
  afterAll(async () => {
    await influxd?.stop();
  });
  it('runs the suite, pushes, regresses: exit 0 on a first night', async () => {
    const results = join(tmp, 'r5');
    const suite = join(tmp, 'tiny.yaml');
    await writeFile(
      suite,
      'name: tiny\ndefaults: {repetitions: 2, warmup: 0}\nworkloads:\n  - {paths: [shmem], ops: [alloc], granules: [4K], region: 1M}\n',
    );
    const r = await cli(['nightly', '--suite', suite, '--results', results, '--influx', influxd.url, '--db', 'gm']);
    expect(r.code, r.stderr).toBe(0);
    const { runs } = await readInfluxHistory({ url: influxd.url, db: 'gm' });
    expect(runs).toHaveLength(1);
    expect(await readFile(join(results, 'nightly.log'), 'utf8')).toMatch(/push: 1 points/);
    // the nightly measures as run does (before 2026-12-08 it ran one process a job, unpinned)
    const [run] = (await readdir(results)).filter((n) => n.includes('tiny'));
    const s = JSON.parse(await readFile(join(results, run, 'summary.json'), 'utf8'));
    expect(s.measurement).toEqual({ processes: 3, pin: 'auto', settle: false });
  });
});
