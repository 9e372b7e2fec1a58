import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from 'influx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { fixtureSummary } from './helpers/regress-fixtures.js';
import { hasInfluxd, startInfluxd, type Influxd } from './helpers/influxd.js';
import { summaryToPoints, type Point } from '../src/influx/schema.js';
import { readInfluxHistory } from '../src/influx/history.js';
import { alertProvisioning } from '../src/dashboards/alerts.js';
import { hostDashboard } from '../src/dashboards/host.js';

interface AlertRule {
  uid: string;
  condition: string;
  noDataState: string;
  data: {
    refId: string;
    relativeTimeRange: { from: number; to: number };
    model: {
      query?: string;
      type?: string;
      expression?: string;
      conditions?: { evaluator: { type: string; params: number[] } }[];
    };
  }[];
}
interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

async function influxql(url: string, db: string, query: string): Promise<InfluxSeries[]> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ db, q: query })}`);
  const body = (await res.json()) as { results: { series?: InfluxSeries[]; error?: string }[] };
  if (body.results[0].error) throw new Error(`${body.results[0].error}: ${query}`);
  return body.results[0].series ?? [];
}

function rules(): AlertRule[] {
  return (alertProvisioning() as { groups: { rules: AlertRule[] }[] }).groups.flatMap((g) => g.rules);
}

if (!hasInfluxd)
  console.warn('SKIP regress --influx: influxd is not installed (scripts/setup-test-deps.sh installs it)');

/** our points, written as the influx package takes them */
function writePoints(influx: InfluxDB, points: Point[]): Promise<void> {
  return influx.writePoints(
    points.map((p) => ({
      measurement: p.measurement,
      tags: p.tags,
      fields: p.fields,
      timestamp: p.timestampNs.toString(),
    })),
    { precision: 'n' },
  );
}

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
      // the null syscall beside each row (probe/ref.c), read back for regress --reference syscall
      s.results = s.results.map((r) => ({ ...r, syscallNs: 240 + i }));
      await writePoints(influx, summaryToPoints(s));
    }
    // another suite's points in the same measurement
    await writePoints(
      influx,
      summaryToPoints(fixtureSummary(30, [{ op: 'alloc', granule: 4096, p50: () => 9000 }], { suite: 'smoke' })),
    );
  });
  afterAll(async () => {
    await influxd?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('reads the history back grouped by series and run', async () => {
    const { runs } = await readInfluxHistory({ url: influxd.url, db: 'gm' }, { suite: 'nightly' });
    expect(runs).toHaveLength(24);
    expect(runs[0].runId).toBe('2026-01-01T02-00-00Z-nightly-0000');
    expect(runs[0].rows).toHaveLength(3);
    expect(runs[0].rows.find((r) => r.host === 'box2')).toMatchObject({
      path: 'shmem',
      op: 'alloc',
      granule: 4096,
      threads: 1,
      kernel: '6.18.0',
      // the samples, so a p99 of too few of them is not judged (--tail-samples)
      samples: 1015,
      syscallNs: 240,
    });
    expect(runs[23].rows[0].syscallNs).toBe(263);
    expect(runs[23].startedAt).toBe('2026-01-24T02:00:00.000Z');
  });

  it('leaves out rows tagged emulation=tcg unless allowEmulated, and says so', async () => {
    // a database of its own: the other tests count gm's points
    const influx = new InfluxDB({ host: '127.0.0.1', port: Number(new URL(influxd.url).port), database: 'gmlab' });
    await influx.createDatabase('gmlab');
    const points = summaryToPoints(
      fixtureSummary(
        40,
        [
          { op: 'alloc', granule: 4096, p50: () => 7000 },
          { host: 'box2', op: 'alloc', granule: 4096, p50: () => 7000 },
        ],
        { suite: 'lab' },
      ),
    );
    // no CPU model, no hypervisor flag in these fingerprints
    expect(new Set(points.map((p) => p.tags.emulation))).toEqual(new Set(['none']));
    await writePoints(
      influx,
      points.map((p) => ({ ...p, tags: { ...p.tags, emulation: p.tags.host === 'box2' ? 'tcg' : 'none' } })),
    );
    const hosts = (runs: { rows: { host: string }[] }[]) => [
      ...new Set(runs.flatMap((r) => r.rows.map((x) => x.host))),
    ];
    const left = await readInfluxHistory({ url: influxd.url, db: 'gmlab' }, { suite: 'lab' });
    expect(hosts(left.runs)).not.toContain('box2');
    expect(hosts(left.runs).length).toBeGreaterThan(0);
    expect(left.skipped).toEqual([
      expect.stringMatching(/^\S+-lab-\S+: rows of box2 \(1 row\) left out: measured under TCG emulation/),
    ]);
    const kept = await readInfluxHistory({ url: influxd.url, db: 'gmlab' }, { suite: 'lab', allowEmulated: true });
    expect(hosts(kept.runs)).toContain('box2');
    expect(kept.skipped).toEqual([]);
  });

  it('finds the regression, writes gmembench_annotations, exit 4', async () => {
    const r = await cli([
      'regress',
      '--influx',
      influxd.url,
      '--db',
      'gm',
      '--suite',
      'nightly',
      '--metrics',
      'p50',
      '--annotate-influx',
      '--format',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(4);
    const report = JSON.parse(r.stdout);
    expect(report.source).toBe(`${influxd.url} db gm (suite nightly)`);
    expect(report.regressions).toHaveLength(1);
    expect(report.regressions[0]).toMatchObject({
      series: 'local/shmem/alloc/4096/1',
      firstRunId: '2026-01-19T02-00-00Z-nightly-0018',
    });
    const influx = new InfluxDB({ host: '127.0.0.1', port: Number(new URL(influxd.url).port), database: 'gm' });
    const ann = await influx.query<{ time: Date; text: string; tags: string; kind: string; change_pct: number }>(
      'SELECT * FROM gmembench_annotations',
    );
    expect(ann).toHaveLength(1);
    expect(ann[0].time.toISOString()).toBe('2026-01-19T02:00:00.000Z');
    expect(ann[0].kind).toBe('regression');
    expect(ann[0].tags).toBe('gmembench,regression,local,alloc,p50');
    expect(ann[0].text).toMatch(
      /^local\/shmem\/alloc\/4096\/1 p50 \+(9|10)\.\d% from run 2026-01-19T02-00-00Z-nightly-0018/,
    );
  });

  it('writes its verdicts to gmembench_changes, and the alert rule fires on exactly the regressed series', async () => {
    const args = [
      'regress',
      '--influx',
      influxd.url,
      '--db',
      'gm',
      '--suite',
      'nightly',
      '--metrics',
      'p50',
      '--format',
      'json',
    ];
    const r = await cli(args);
    expect(r.code, r.stderr).toBe(4);
    const influx = new InfluxDB({ host: '127.0.0.1', port: Number(new URL(influxd.url).port), database: 'gm' });
    type Row = {
      time: Date;
      host: string;
      op: string;
      size: string;
      suite: string;
      metric: string;
      regressed: number;
      direction: string;
      change_pct: number;
      first_run: string;
      last_good_run: string;
      as_of_run: string;
    };
    const points = await influx.query<Row>('SELECT * FROM gmembench_changes');
    expect(points).toHaveLength(3); // one per series and metric, at the newest run
    for (const p of points) {
      expect(p.time.toISOString()).toBe('2026-01-24T02:00:00.000Z');
      expect(p).toMatchObject({
        suite: 'nightly',
        metric: 'p50',
        size: '4K',
        as_of_run: '2026-01-24T02-00-00Z-nightly-0023',
      });
    }
    const alloc = points.find((p) => p.host === 'local' && p.op === 'alloc')!;
    expect(alloc).toMatchObject({
      regressed: 1,
      direction: 'slower',
      first_run: '2026-01-19T02-00-00Z-nightly-0018',
      last_good_run: '2026-01-18T02-00-00Z-nightly-0017',
    });
    expect(alloc.change_pct).toBeGreaterThan(9); // + = slower
    expect(alloc.change_pct).toBeLessThan(11);
    expect(points.filter((p) => p !== alloc).map((p) => [p.regressed, p.direction])).toEqual([
      [0, 'none'],
      [0, 'none'],
    ]);
    // judging the same history again writes the same points, not more
    expect((await cli(args)).code).toBe(4);
    expect(await influx.query('SELECT * FROM gmembench_changes')).toHaveLength(3);

    // the p50 rule's queries, with Grafana's $timeFilter (wide: the fixture runs are dated January)
    const rule = rules().find((x) => x.uid === 'gmembench-p50-regression')!;
    const query = (refId: string) =>
      rule.data.find((d) => d.refId === refId)!.model.query!.replace('$timeFilter', 'time > now() - 3650d');
    const a = await influxql(influxd.url, 'gm', query('A'));
    expect(a).toHaveLength(3);
    // the condition: threshold(reduce(A, last)) > 0 per series
    const threshold = rule.data.find((d) => d.refId === rule.condition)!.model;
    expect(threshold).toMatchObject({
      type: 'threshold',
      expression: 'C',
      conditions: [{ evaluator: { type: 'gt', params: [0] } }],
    });
    const firing = a.filter((s) => Number(s.values[s.values.length - 1][1]) > 0).map((s) => s.tags);
    expect(firing).toEqual([{ suite: 'nightly', host: 'local', path: 'shmem', op: 'alloc', size: '4K', threads: '1' }]);
    const b = await influxql(influxd.url, 'gm', query('B'));
    expect(Number(b.find((s) => s.tags!.op === 'alloc' && s.tags!.host === 'local')!.values[0][1])).toBeCloseTo(
      alloc.change_pct,
      6,
    );
  });

  it("writes each run's speed index to gmembench_speed_index, what the host dashboard plots", async () => {
    // a database of its own: 8 series on one host (enough for an index), all 20% slower from run 12 on
    const influx = new InfluxDB({ host: '127.0.0.1', port: Number(new URL(influxd.url).port), database: 'gmwide' });
    await influx.createDatabase('gmwide');
    const wide = ['alloc', 'fault', 'punch', 'touch-shared'].flatMap((op) =>
      [4096, 2 << 20].map((granule) => ({ op, granule, p50: (i: number) => (i < 12 ? 1000 : 1200) })),
    );
    for (let i = 0; i < 24; i++) await writePoints(influx, summaryToPoints(fixtureSummary(i, wide)));
    const args = ['regress', '--influx', influxd.url, '--db', 'gmwide', '--metrics', 'p50', '--format', 'json'];
    const r = await cli(args);
    expect(r.stderr).not.toContain('cannot write');
    const report = JSON.parse(r.stdout);
    expect(report.speedIndex).toHaveLength(1);
    expect(report.speedIndex[0]).toMatchObject({ host: 'local', metric: 'p50', series: 8 });
    expect(report.speedIndex[0].points).toHaveLength(24);
    type Row = {
      time: Date;
      suite: string;
      host: string;
      metric: string;
      index: number;
      change_pct: number;
      series: number;
      run_id: string;
    };
    const points = await influx.query<Row>('SELECT * FROM gmembench_speed_index');
    expect(points).toHaveLength(24); // one per run, at the run's start
    expect(points[0]).toMatchObject({ suite: 'nightly', host: 'local', metric: 'p50', series: 8 });
    expect(points[0].time.toISOString()).toBe('2026-01-01T02:00:00.000Z');
    expect(points[0].run_id).toBe('2026-01-01T02-00-00Z-nightly-0000');
    // the index is relative to the history's usual speed: the later runs 20% slower than the earlier
    expect(points[23].index / points[0].index).toBeCloseTo(1.2, 2);
    expect(points[23].change_pct).toBeGreaterThan(0); // + = slower
    expect(points[23].change_pct).toBeCloseTo((points[23].index - 1) * 100, 6);
    // judging the same history again rewrites the same points
    await cli(args);
    expect(await influx.query('SELECT * FROM gmembench_speed_index')).toHaveLength(24);

    // the host dashboard's speed index panel, with Grafana's variables and macros filled in
    type Panel = { title?: string; targets?: { query?: string }[]; panels?: Panel[] };
    const panels = (hostDashboard().panels as Panel[]).flatMap((p) => [p, ...(p.panels ?? [])]);
    const panel = panels.find((p) => p.title?.startsWith('speed index of'))!;
    const query = panel
      .targets![0].query!.replaceAll('$suite', 'nightly')
      .replaceAll('$host', 'local')
      .replace('$timeFilter', 'time > now() - 3650d')
      .replace('$__interval', '1d');
    const series = await influxql(influxd.url, 'gmwide', query);
    expect(series.map((x) => x.tags)).toEqual([{ metric: 'p50' }]);
    expect(series[0].values).toHaveLength(24);
  });

  it('the silence rule: its 36 h window holds no point of these January runs (NoData, which it alerts on)', async () => {
    const rule = rules().find((x) => x.uid === 'gmembench-nightly-silent')!;
    expect(rule.noDataState).toBe('Alerting');
    const a = rule.data.find((d) => d.refId === 'A')!;
    expect(a.relativeTimeRange.from).toBe(36 * 3600);
    const q = (filter: string) => influxql(influxd.url, 'gm', a.model.query!.replace('$timeFilter', filter));
    expect(await q(`time > now() - ${a.relativeTimeRange.from}s`)).toEqual([]);
    const wide = await q('time > now() - 3650d');
    expect(Number(wide[0].values[0][1])).toBe(24 * 3 + 1);
  });

  it('names the server when it cannot be reached', async () => {
    const r = await cli(['regress', '--influx', 'http://127.0.0.1:9/', '--db', 'gm']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--influx http:\/\/127\.0\.0\.1:9 \(db gm\): cannot read gmembench_latency/);
  });
});
