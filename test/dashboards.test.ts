/**
 * The generated Grafana files: committed copies match the code, and every query in them (panels,
 * template variables, annotations, alert rules) runs against a real influxd holding a real pushed
 * run and returns data, with Grafana's macros and variables substituted as Grafana would.
 */
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from './helpers/cli.js';
import { hasCc, skipReason } from './helpers/host.js';
import { hasInfluxd, startInfluxd, type Influxd } from './helpers/influxd.js';
import { realSmokeRun } from './helpers/real-run.js';
import { pushRun } from '../src/influx/push.js';
import { writeInfluxAnnotations } from '../src/influx/history.js';
import { writeChangePoints } from '../src/influx/changes.js';
import { regress } from '../src/analysis/regress.js';
import { historyRunFromSummary } from '../src/analysis/series.js';
import { readSummary } from '../src/results/store.js';
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
      expect(await listFiles(DASHBOARDS), 'dashboards/ has other files than the generator writes: run `gmembench dashboards` (and remove stale files)').toEqual(generated);
      for (const f of generated) {
        const want = await readFile(join(tmp, f), 'utf8');
        const have = await readFile(join(DASHBOARDS, f), 'utf8');
        expect(have === want, `dashboards/${f} differs from src/dashboards/: run \`gmembench dashboards\` and commit the result`).toBe(true);
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});

interface Target { refId?: string; query?: string; expression?: string; type?: string; hide?: boolean; datasource?: { type?: string; uid?: string } }
interface Panel { title: string; type: string; targets?: Target[]; panels?: Panel[] }
interface Dashboard { uid: string; title: string; panels: Panel[]; templating: { list: { name: string; type: string; query?: string | object }[] }; annotations: { list: { name: string; target?: Target }[] } }
interface AlertQuery { refId: string; datasourceUid: string; model: Target & { conditions?: unknown } }
interface AlertFile { apiVersion: number; groups: { name: string; folder: string; rules: { uid: string; title: string; condition: string; data: AlertQuery[] }[] }[] }

/** a query to run, and where it came from (for the failure message) */
interface Found { where: string; query: string }

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

interface InfluxResult { series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[]; error?: string }

async function influxql(url: string, query: string): Promise<InfluxResult> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ db: DEFAULT_DB, q: query })}`);
  const body = (await res.json()) as { results?: InfluxResult[]; error?: string };
  if (body.error) return { error: body.error };
  return body.results?.[0] ?? { error: 'no result' };
}

function hasData(r: InfluxResult): boolean {
  return (r.series ?? []).some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null)));
}

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
    const target = { url: influxd.url, db: DEFAULT_DB };
    await pushRun(runDir, target);
    const row = summary.results.find((r) => r.status === 'ok' && r.path === 'gmem')!;
    // a change point as `gmembench regress --annotate-influx` writes it, for the annotation query
    await writeInfluxAnnotations(target, [{
      kind: 'regression', series: `${row.host}/${row.path}/${row.op}/${row.granule}/${row.threads}`, host: row.host, path: row.path, op: row.op,
      granule: row.granule, threads: row.threads, metric: 'p50', firstRunId: summary.runId, firstStartedAt: summary.startedAt,
      lastGoodRunId: 'earlier', before: 1, after: 2, changePct: 100, pValue: 0.001, runsBefore: 5, runsAfter: 3, known: false,
    }]);
    // the verdicts `gmembench regress --influx` writes, for the alert rules' queries
    const history = [historyRunFromSummary(summary)];
    await writeChangePoints(target, regress(history), history);
    const kernel = summary.hosts.find((h) => h.name === row.host)?.fingerprint?.kernel.release ?? 'unknown';
    single = { suite: [summary.suite.name], host: [row.host], path: [row.path], op: [row.op], granule: [String(row.granule)], threads: [String(row.threads)], kernel: [kernel] };
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
      for (const [label, vars] of [['one value each', single], ['All', all]] as const) {
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
      for (const v of d.templating.list) if (v.type === 'query') found.push({ where: `${d.uid} variable $${v.name}`, query: String(v.query) });
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
            for (const ref of exprRefs(t)) expect(ids.has(ref), `${d.uid} "${p.title}" ${t.refId}: ${t.expression} reads a missing query ${ref}`).toBe(true);
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
      for (const a of d.annotations.list) if (a.target?.query) found.push({ where: `${d.uid} annotation ${a.name}`, query: a.target.query });
    }
    await expectData(found);
  });

  it('the ratio panels pair every gmem series with a shmem series of the same labels, and divide to gmem/shmem', async () => {
    const d = (await dashboards()).find((x) => x.uid === 'gmembench-shmem-vs-gmem')!;
    const ratios = panelsOf(d).filter((p) => p.targets?.some((t) => isExpr(t) && t.expression === '$A / $B'));
    expect(ratios.length).toBeGreaterThanOrEqual(2);
    for (const p of ratios) {
      const run = async (refId: string) => (await influxql(influxd.url, substitute(p.targets!.find((t) => t.refId === refId)!.query!, all))).series ?? [];
      const [a, b] = [await run('A'), await run('B')];
      expect(a.length, p.title).toBeGreaterThan(0);
      const metric = /guest_memfd \/ shmem (\w+)/.exec(p.title)![1] as 'p50' | 'p99';
      for (const sa of a) {
        const sb = b.find((x) => JSON.stringify(x.tags) === JSON.stringify(sa.tags));
        expect(sb, `${p.title}: no shmem series for ${JSON.stringify(sa.tags)}`).toBeDefined();
        const find = (path: string) => summary.results.find((r) => r.path === path && r.op === sa.tags!.op && String(r.granule) === sa.tags!.granule && r.host === sa.tags!.host)!;
        expect(Number(sa.values[0][1]) / Number(sb!.values[0][1])).toBeCloseTo(find('gmem')[metric]! / find('shmem')[metric]!, 9);
      }
    }
  });

  it('alert rules: provisioning shape, expressions read existing queries, InfluxQL queries return data', async () => {
    const doc = await alertFile();
    expect(doc.apiVersion).toBe(1);
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.uid)).toEqual(['gmembench-p50-regression', 'gmembench-p99-regression', 'gmembench-nightly-silent']);
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
