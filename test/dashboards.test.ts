/**
 * The generated Grafana files: committed copies match the code, and every query in them (panels,
 * template variables, annotations, alert rules) runs against a real influxd holding a real pushed
 * run and returns data, with Grafana's macros and variables substituted as Grafana would.
 */
import { mkdir, readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from './helpers/cli.js';
import { guestMemfd, hasCc, hasGuestMemfd, skipReason } from './helpers/host.js';
import { hasInfluxd, startInfluxd, type Influxd } from './helpers/influxd.js';
import { realSmokeRun } from './helpers/real-run.js';
import { pushRun } from '../src/influx/push.js';
import { writeInfluxAnnotations } from '../src/influx/history.js';
import { writeChangePoints } from '../src/influx/changes.js';
import { regress } from '../src/analysis/regress.js';
import { historyRunFromSummary } from '../src/analysis/series.js';
import { readSummary, writeSummary } from '../src/results/store.js';
import { DEFAULT_DB } from '../src/influx/connect.js';
import type { RunSummary } from '../src/results/schema.js';

const DASHBOARDS = join(ROOT, 'dashboards');

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

describe('generated dashboards are up to date', () => {
  it('dashboards/ is byte for byte what `gmembench dashboards` writes', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'gmembench-dash-'));
    try {
      const r = await cli(['dashboards', '--out', tmp]);
      expect(r.code, r.stderr).toBe(0);
      const generated = await listFiles(tmp);
      expect(generated.length).toBeGreaterThanOrEqual(4);
      expect(
        await listFiles(DASHBOARDS),
        'dashboards/ has other files than the generator writes: run `gmembench dashboards` (and remove stale files)',
      ).toEqual(generated);
      for (const f of generated) {
        const want = await readFile(join(tmp, f), 'utf8');
        const have = await readFile(join(DASHBOARDS, f), 'utf8');
        expect(
          have === want,
          `dashboards/${f} differs from src/dashboards/: run \`gmembench dashboards\` and commit the result`,
        ).toBe(true);
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});

interface Target {
  refId?: string;
  query?: string;
  expression?: string;
  type?: string;
  hide?: boolean;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id?: number;
  title: string;
  type: string;
  targets?: (Target & { alias?: string; resultFormat?: string })[];
  panels?: Panel[];
  options?: { legend?: { showLegend?: boolean; displayMode?: string; calcs?: string[] } };
  transformations?: { id: string; options: { regex: string; renamePattern: string } }[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string | object; current?: { value?: unknown } }[] };
  annotations: { list: { name: string; target?: Target }[] };
}
interface AlertQuery {
  refId: string;
  datasourceUid: string;
  model: Target & { conditions?: unknown };
}
interface AlertFile {
  apiVersion: number;
  groups: {
    name: string;
    folder: string;
    rules: { uid: string; title: string; condition: string; data: AlertQuery[] }[];
  }[];
}

/** a query to run, and where it came from (for the failure message) */
interface Found {
  where: string;
  query: string;
}

async function dashboards(): Promise<Dashboard[]> {
  const files = (await listFiles(DASHBOARDS)).filter((f) => f.endsWith('.json'));
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(join(DASHBOARDS, f), 'utf8')) as Dashboard));
}

async function alertFile(): Promise<AlertFile> {
  return parse(await readFile(join(DASHBOARDS, 'alerts/gmembench-regressions.yaml'), 'utf8')) as AlertFile;
}

function panelsOf(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

const isExpr = (t: Target) => t.datasource?.type === '__expr__';

/** the refIds an expression reads ($A, A) */
function exprRefs(t: Target): string[] {
  return [...(t.expression ?? '').matchAll(/\$?\b([A-Z][A-Za-z0-9]*)\b/g)].map((m) => m[1]);
}

/** Grafana's InfluxDB interpolation: regex-escaped values joined as (a|b) inside /.../, raw elsewhere */
function substitute(query: string, vars: Record<string, string[]>, timeFilter = 'time > now() - 3650d'): string {
  let s = query
    .replace(/\$timeFilter/g, timeFilter)
    .replace(/\$__interval_ms/g, '3600000')
    .replace(/\$__interval/g, '1h')
    .replace(/\$__from/g, String(Date.now() - 3650 * 86_400_000))
    .replace(/\$__to/g, String(Date.now()));
  // inside a regex literal: escaped and alternated
  s = s.replace(/\/\^\$(\w+)\$\//g, (m, name: string) => {
    const v = vars[name];
    if (!v) return m;
    const esc = v.map((x) => x.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&'));
    return `/^${esc.length === 1 ? esc[0] : `(${esc.join('|')})`}$/`;
  });
  s = s.replace(/\$(\w+)|\$\{(\w+)\}/g, (m, a: string, b: string) => vars[a ?? b]?.[0] ?? m);
  return s;
}

interface InfluxResult {
  series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[];
  error?: string;
}

async function influxql(url: string, query: string): Promise<InfluxResult> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ db: DEFAULT_DB, q: query })}`);
  const body = (await res.json()) as { results?: InfluxResult[]; error?: string };
  if (body.error) return { error: body.error };
  return body.results?.[0] ?? { error: 'no result' };
}

function hasData(r: InfluxResult): boolean {
  return (r.series ?? []).some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null)));
}

/** Grafana's renameByRegex: stringToJsRegex (no slashes: anchored to the whole name), then String.replace */
function grafanaRename(name: string, transformations: Panel['transformations'] = []): string {
  for (const t of transformations.filter((x) => x.id === 'renameByRegex')) {
    const m = /^\/(.*?)\/(g?i?m?y?s?)$/.exec(t.options.regex);
    const re = m ? new RegExp(m[1], m[2]) : new RegExp(`^${t.options.regex}$`);
    if (re.test(name)) name = name.replace(re, t.options.renamePattern);
  }
  return name;
}

/** $tag_x in an alias, as Grafana's InfluxDB datasource fills it */
const aliasName = (alias: string, tags: Record<string, string>, field = '') =>
  alias.replace(/\$tag_(\w+)/g, (_, k: string) => tags[k] ?? '').replace(/\$col/g, field);

describe('dashboards a reader can use', () => {
  it('every time series shows its legend as a table with the last value and the mean', async () => {
    let n = 0;
    for (const d of await dashboards()) {
      for (const p of panelsOf(d).filter((x) => x.type === 'timeseries')) {
        n++;
        expect(p.options?.legend, `${d.uid} "${p.title}"`).toMatchObject({ showLegend: true, displayMode: 'table' });
        expect(p.options!.legend!.calcs).toEqual(expect.arrayContaining(['lastNotNull', 'mean']));
      }
    }
    expect(n).toBeGreaterThan(5);
  });

  it('every panel and row has an id of its own', async () => {
    for (const d of await dashboards()) {
      const ids = panelsOf(d).map((p) => p.id);
      expect(
        ids.every((i) => typeof i === 'number' && i > 0),
        `${d.uid}: ${ids}`,
      ).toBe(true);
      expect(new Set(ids).size, `${d.uid}: ${ids}`).toBe(ids.length);
    }
  });

  it('legend names read 4K and 2M, not 4096 B and 2097152 B', async () => {
    let named = 0;
    for (const d of await dashboards()) {
      for (const p of panelsOf(d).filter((x) => x.type === 'timeseries')) {
        // series with a granule (the speed index is one per host and metric: it has none)
        for (const t of (p.targets ?? []).filter((x) => x.alias?.includes('$tag_granule'))) {
          named++;
          for (const [bytes, size] of [
            [4096, '4K'],
            [2 << 20, '2M'],
            [1 << 30, '1G'],
          ] as const) {
            const name = grafanaRename(
              aliasName(t.alias!, { path: 'gmem', granule: String(bytes), threads: '1', host: 'local', op: 'alloc' }),
              p.transformations,
            );
            expect(name, `${d.uid} "${p.title}" ${t.refId}`).toContain(` ${size}`);
            expect(name).not.toMatch(/\d{4,}|\d B\b/);
          }
        }
      }
    }
    expect(named).toBeGreaterThan(5);
    // an expression's series are named by their labels: granule=2097152 -> granule=2M
    const cmp = (await dashboards()).find((x) => x.uid === 'gmembench-shmem-vs-gmem')!;
    const ratio = panelsOf(cmp).find((p) => p.title.startsWith('guest_memfd / shmem'))!;
    expect(grafanaRename('C {granule="2097152", host="local", op="alloc", threads="1"}', ratio.transformations)).toBe(
      'C {granule="2M", host="local", op="alloc", threads="1"}',
    );
    // a granule that is not a power of two stays as it is
    expect(grafanaRename('gmem 12288 B x1', ratio.transformations)).toBe('gmem 12288 B x1');
  });

  it('datasource and dashboard provisioning files beside the dashboards; the datasource is the provisioned one', async () => {
    const ds = parse(await readFile(join(DASHBOARDS, 'provisioning/datasources/gmembench.yaml'), 'utf8'));
    expect(ds).toMatchObject({
      apiVersion: 1,
      datasources: [{ uid: 'gmembench-influxdb', type: 'influxdb', access: 'proxy', jsonData: { dbName: DEFAULT_DB } }],
    });
    const prov = parse(await readFile(join(DASHBOARDS, 'provisioning/dashboards/gmembench.yaml'), 'utf8'));
    expect(prov).toMatchObject({
      apiVersion: 1,
      providers: [{ type: 'file', folder: 'gmembench', options: { path: expect.stringMatching(/^\//) } }],
    });
    for (const d of await dashboards()) {
      const v = d.templating.list.find((x) => x.type === 'datasource')!;
      expect(v.current?.value, d.uid).toBe('gmembench-influxdb');
    }
    const uids = new Set(
      (await alertFile()).groups.flatMap((g) => g.rules.flatMap((r) => r.data.map((q) => q.datasourceUid))),
    );
    expect([...uids].sort()).toEqual(['__expr__', 'gmembench-influxdb']);
  });

  it('--datasource-uid, --influx, --db and --dashboards-path go into every file that names them; a bad uid is refused', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'gmembench-dash-uid-'));
    try {
      const r = await cli([
        'dashboards',
        '--out',
        tmp,
        '--datasource-uid',
        'lab-influx_2',
        '--influx',
        'http://127.0.0.1:18086',
        '--db',
        'nightly',
        '--dashboards-path',
        '/srv/grafana/gmembench',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`wrote ${join(tmp, 'provisioning/datasources/gmembench.yaml')}`);
      const ds = parse(await readFile(join(tmp, 'provisioning/datasources/gmembench.yaml'), 'utf8'));
      expect(ds.datasources[0]).toMatchObject({
        uid: 'lab-influx_2',
        url: 'http://127.0.0.1:18086',
        jsonData: { dbName: 'nightly' },
      });
      const prov = parse(await readFile(join(tmp, 'provisioning/dashboards/gmembench.yaml'), 'utf8'));
      expect(prov.providers[0].options.path).toBe('/srv/grafana/gmembench');
      for (const f of ['overview.json', 'shmem-vs-gmem.json', 'host.json']) {
        const d = JSON.parse(await readFile(join(tmp, f), 'utf8')) as Dashboard;
        expect(d.templating.list.find((x) => x.type === 'datasource')!.current?.value, f).toBe('lab-influx_2');
      }
      const alerts = await readFile(join(tmp, 'alerts/gmembench-regressions.yaml'), 'utf8');
      expect(alerts).not.toContain('gmembench-influxdb');
      expect(alerts).toContain('datasourceUid: lab-influx_2');
      const bad = await cli(['dashboards', '--out', tmp, '--datasource-uid', 'no spaces/here']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--datasource-uid: "no spaces/here" is not a Grafana uid');
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});

if (!hasInfluxd) skipReason('dashboard queries', 'influxd is not installed (Debian package influxdb)');
if (!hasCc) skipReason('dashboard queries', 'no C compiler (cc) to build the probe for a real run');

describe.skipIf(!hasInfluxd || !hasCc)('every dashboard and alert query returns data from a real pushed run', () => {
  let influxd: Influxd;
  let tmp: string;
  let summary: RunSummary;
  /** one value per variable (the first ok row's) and all values, as SHOW TAG VALUES gives them */
  let single: Record<string, string[]>;
  let all: Record<string, string[]>;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'gmembench-dashq-'));
    let runDir: string;
    [influxd, runDir] = await Promise.all([startInfluxd(), realSmokeRun(join(tmp, 'results'))]);
    summary = await readSummary(runDir);
    if (!hasGuestMemfd) {
      // the gmem panels need gmem points: here the run's shmem rows, pushed again as path gmem
      skipReason('real gmem points', `${guestMemfd.why}: the run's shmem rows stand in for them, relabelled gmem`);
      runDir = join(tmp, 'with-gmem');
      await mkdir(runDir);
      const shmem = summary.results.filter((r) => r.path === 'shmem');
      summary = {
        ...summary,
        results: [...summary.results.filter((r) => r.path !== 'gmem'), ...shmem.map((r) => ({ ...r, path: 'gmem' }))],
      };
      await writeSummary(runDir, summary);
    }
    const target = { url: influxd.url, db: DEFAULT_DB };
    await pushRun(runDir, target);
    const row = summary.results.find((r) => r.status === 'ok' && r.path === 'gmem')!;
    // a change point as `gmembench regress --annotate-influx` writes it, for the annotation query
    await writeInfluxAnnotations(target, [
      {
        kind: 'regression',
        series: `${row.host}/${row.path}/${row.op}/${row.granule}/${row.threads}`,
        host: row.host,
        path: row.path,
        op: row.op,
        granule: row.granule,
        threads: row.threads,
        metric: 'p50',
        firstRunId: summary.runId,
        firstStartedAt: summary.startedAt,
        lastGoodRunId: 'earlier',
        before: 1,
        after: 2,
        changePct: 100,
        pValue: 0.001,
        runsBefore: 5,
        runsAfter: 3,
        known: false,
      },
    ]);
    // the verdicts `gmembench regress --influx` writes, for the alert rules' queries
    const history = [historyRunFromSummary(summary)];
    await writeChangePoints(target, regress(history), history);
    const kernel = summary.hosts.find((h) => h.name === row.host)?.fingerprint?.kernel.release ?? 'unknown';
    single = {
      suite: [summary.suite.name],
      host: [row.host],
      path: [row.path],
      op: [row.op],
      granule: [String(row.granule)],
      threads: [String(row.threads)],
      kernel: [kernel],
    };
    all = {};
    for (const key of Object.keys(single)) {
      const r = await influxql(influxd.url, `SHOW TAG VALUES FROM "gmembench_latency" WITH KEY = "${key}"`);
      all[key] = (r.series?.[0]?.values ?? []).map((v) => String(v[1]));
    }
  });
  afterAll(async () => {
    await influxd?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function expectData(found: Found[]): Promise<void> {
    expect(found.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const f of found) {
      for (const [label, vars] of [
        ['one value each', single],
        ['All', all],
      ] as const) {
        const query = substitute(f.query, vars);
        expect(query, `${f.where}: a variable or macro left unsubstituted`).not.toMatch(/\$[A-Za-z_{]/);
        const r = await influxql(influxd.url, query);
        if (r.error || !hasData(r)) failures.push(`${f.where} (${label}): ${r.error ?? 'no data'}\n    ${query}`);
      }
    }
    expect(failures, failures.join('\n')).toEqual([]);
  }

  it('template variables list the pushed values', async () => {
    const found: Found[] = [];
    for (const d of await dashboards()) {
      for (const v of d.templating.list)
        if (v.type === 'query') found.push({ where: `${d.uid} variable $${v.name}`, query: String(v.query) });
    }
    await expectData(found);
    expect(all.path).toEqual(expect.arrayContaining(['shmem', 'gmem']));
  });

  it('panel queries', async () => {
    const found: Found[] = [];
    for (const d of await dashboards()) {
      const panels = panelsOf(d).filter((p) => p.type !== 'row');
      expect(panels.length, d.uid).toBeGreaterThan(0);
      for (const p of panels) {
        const targets = p.targets ?? [];
        expect(targets.length, `${d.uid} "${p.title}" has no queries`).toBeGreaterThan(0);
        const ids = new Set(targets.map((t) => t.refId));
        expect(ids.size, `${d.uid} "${p.title}": duplicate refIds`).toBe(targets.length);
        for (const t of targets) {
          if (isExpr(t)) {
            for (const ref of exprRefs(t))
              expect(
                ids.has(ref),
                `${d.uid} "${p.title}" ${t.refId}: ${t.expression} reads a missing query ${ref}`,
              ).toBe(true);
          } else {
            expect(t.query, `${d.uid} "${p.title}" ${t.refId}`).toBeTruthy();
            found.push({ where: `${d.uid} "${p.title}" ${t.refId}`, query: t.query! });
          }
        }
      }
    }
    await expectData(found);
  });

  it('annotation queries', async () => {
    const found: Found[] = [];
    for (const d of await dashboards()) {
      for (const a of d.annotations.list)
        if (a.target?.query) found.push({ where: `${d.uid} annotation ${a.name}`, query: a.target.query });
    }
    await expectData(found);
  });

  it('the ratio panels pair every gmem series with a shmem series of the same labels, and divide to gmem/shmem', async () => {
    const d = (await dashboards()).find((x) => x.uid === 'gmembench-shmem-vs-gmem')!;
    const ratios = panelsOf(d).filter((p) => p.targets?.some((t) => isExpr(t) && t.expression === '$A / $B'));
    expect(ratios.length).toBeGreaterThanOrEqual(2);
    for (const p of ratios) {
      const run = async (refId: string) =>
        (await influxql(influxd.url, substitute(p.targets!.find((t) => t.refId === refId)!.query!, all))).series ?? [];
      const [a, b] = [await run('A'), await run('B')];
      expect(a.length, p.title).toBeGreaterThan(0);
      const metric = /guest_memfd \/ shmem (\w+)/.exec(p.title)![1] as 'p50' | 'p99';
      for (const sa of a) {
        const sb = b.find((x) => JSON.stringify(x.tags) === JSON.stringify(sa.tags));
        expect(sb, `${p.title}: no shmem series for ${JSON.stringify(sa.tags)}`).toBeDefined();
        const find = (path: string) =>
          summary.results.find(
            (r) =>
              r.path === path &&
              r.op === sa.tags!.op &&
              String(r.granule) === sa.tags!.granule &&
              r.host === sa.tags!.host,
          )!;
        expect(Number(sa.values[0][1]) / Number(sb!.values[0][1])).toBeCloseTo(
          find('gmem')[metric]! / find('shmem')[metric]!,
          9,
        );
      }
    }
  });

  it("the latest-value table shows each series with its own run's time, not the start of the range", async () => {
    const d = (await dashboards()).find((x) => x.uid === 'gmembench-overview')!;
    const table = panelsOf(d).find((p) => p.type === 'table')!;
    const r = await influxql(influxd.url, substitute(table.targets![0].query!, all));
    expect(r.error).toBeUndefined();
    const series = r.series ?? [];
    expect(series.length).toBe(summary.results.filter((x) => x.status === 'ok' && x.p50 !== null).length);
    const want = new Date(summary.startedAt).toISOString();
    for (const s of series) {
      expect(s.values).toHaveLength(1);
      expect(new Date(String(s.values[0][0])).toISOString(), JSON.stringify(s.tags)).toBe(want);
      expect(s.values[0][s.columns.indexOf('run_id')]).toBe(summary.runId);
    }
  });

  it('legend names of the pushed series read as sizes', async () => {
    const names: string[] = [];
    for (const d of await dashboards()) {
      for (const p of panelsOf(d).filter((x) => x.type === 'timeseries')) {
        for (const t of (p.targets ?? []).filter((x) => x.alias && x.query)) {
          const r = await influxql(influxd.url, substitute(t.query!, all));
          for (const s of r.series ?? [])
            names.push(grafanaRename(aliasName(t.alias!, s.tags ?? {}), p.transformations));
        }
      }
    }
    expect(names.length).toBeGreaterThan(10);
    expect(names.some((n) => / 2M /.test(n))).toBe(true);
    expect(names.some((n) => / 4K /.test(n))).toBe(true);
    for (const n of names) expect(n).not.toMatch(/\d B\b|\d{4,}/);
  });

  it('alert rules: provisioning shape, expressions read existing queries, InfluxQL queries return data', async () => {
    const doc = await alertFile();
    expect(doc.apiVersion).toBe(1);
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.uid)).toEqual([
      'gmembench-p50-regression',
      'gmembench-p99-regression',
      'gmembench-wall-regression',
      'gmembench-nightly-silent',
    ]);
    const found: Found[] = [];
    for (const r of rules) {
      const ids = new Set(r.data.map((q) => q.refId));
      expect(ids.has(r.condition), `${r.uid}: condition ${r.condition}`).toBe(true);
      for (const q of r.data) {
        if (q.datasourceUid === '__expr__') {
          for (const ref of exprRefs(q.model)) expect(ids.has(ref), `${r.uid} ${q.refId} reads ${ref}`).toBe(true);
        } else {
          found.push({ where: `alert ${r.uid} ${q.refId}`, query: q.model.query! });
        }
      }
    }
    await expectData(found);
  });
});
