import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { fixtureSummary } from './helpers/regress-fixtures.js';
import { hasInfluxd, startInfluxd, type Influxd } from './helpers/influxd.js';
import { summaryToPoints } from '../src/influx/schema.js';
import { readInfluxHistory } from '../src/influx/history.js';

if (!hasInfluxd) console.warn('SKIP regress --influx: influxd is not installed (scripts/setup-test-deps.sh installs it)');

describe.skipIf(!hasInfluxd)('regress --influx against a real influxd', () => {
  let influxd: Influxd;
  let tmp: string;
  const series = [
    { op: 'alloc', granule: 4096, p50: (i: number) => (i < 18 ? 800 : 880) },
    { op: 'fault', granule: 4096, p50: () => 1200 },
    { host: 'box2', op: 'alloc', granule: 4096, p50: () => 700 },
  ];
  beforeAll(async () => {
    influxd = await startInfluxd();
    tmp = await mkdtemp(join(tmpdir(), 'gmembench-regress-influx-'));
    const influx = new InfluxDB({ host: '127.0.0.1', port: Number(new URL(influxd.url).port), database: 'gm' });
    await influx.createDatabase('gm');
    for (let i = 0; i < 24; i++) {
      const s = fixtureSummary(i, series);
      await influx.writePoints(
        summaryToPoints(s).map((p) => ({ measurement: p.measurement, tags: p.tags, fields: p.fields, timestamp: p.timestampNs.toString() })),
        { precision: 'n' },
      );
    }
    // another suite's points in the same measurement
    await influx.writePoints(summaryToPoints(fixtureSummary(30, [{ op: 'alloc', granule: 4096, p50: () => 9000 }], { suite: 'smoke' })).map((p) => ({ measurement: p.measurement, tags: p.tags, fields: p.fields, timestamp: p.timestampNs.toString() })), { precision: 'n' });
  });
  afterAll(async () => {
    await influxd?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('reads the history back grouped by series and run', async () => {
    const runs = await readInfluxHistory({ url: influxd.url, db: 'gm' }, { suite: 'nightly' });
    expect(runs).toHaveLength(24);
    expect(runs[0].runId).toBe('2026-01-01T02-00-00Z-nightly-0000');
    expect(runs[0].rows).toHaveLength(3);
    expect(runs[0].rows.find((r) => r.host === 'box2')).toMatchObject({ path: 'shmem', op: 'alloc', granule: 4096, threads: 1, kernel: '6.18.0' });
    expect(runs[23].startedAt).toBe('2026-01-24T02:00:00.000Z');
  });

  it('finds the regression, writes gmembench_annotations, exit 4', async () => {
    const r = await cli(['regress', '--influx', influxd.url, '--db', 'gm', '--suite', 'nightly', '--metrics', 'p50', '--annotate-influx', '--format', 'json']);
    expect(r.code, r.stderr).toBe(4);
    const report = JSON.parse(r.stdout);
    expect(report.source).toBe(`${influxd.url} db gm (suite nightly)`);
    expect(report.regressions).toHaveLength(1);
    expect(report.regressions[0]).toMatchObject({ series: 'local/shmem/alloc/4096/1', firstRunId: '2026-01-19T02-00-00Z-nightly-0018' });
    const influx = new InfluxDB({ host: '127.0.0.1', port: Number(new URL(influxd.url).port), database: 'gm' });
    const ann = await influx.query<{ time: Date; text: string; tags: string; kind: string; change_pct: number }>('SELECT * FROM gmembench_annotations');
    expect(ann).toHaveLength(1);
    expect(ann[0].time.toISOString()).toBe('2026-01-19T02:00:00.000Z');
    expect(ann[0].kind).toBe('regression');
    expect(ann[0].tags).toBe('gmembench,regression,local,alloc,p50');
    expect(ann[0].text).toMatch(/^local\/shmem\/alloc\/4096\/1 p50 \+(9|10)\.\d% from run 2026-01-19T02-00-00Z-nightly-0018/);
  });

  it('names the server when it cannot be reached', async () => {
    const r = await cli(['regress', '--influx', 'http://127.0.0.1:9/', '--db', 'gm']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--influx http:\/\/127\.0\.0\.1:9 \(db gm\): cannot read gmembench_latency/);
  });
});
