/** gmembench push / run --influx against a real influxd: idempotent pushes, nothing lost when it goes away. */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from './helpers/cli.js';
import { hasCc, skipReason } from './helpers/host.js';
import { hasInfluxd, startInfluxd, type Influxd } from './helpers/influxd.js';
import { realSmokeRun } from './helpers/real-run.js';
import { formatPushReport, pushRun, pushRuns, RETENTION_POLICY } from '../src/influx/push.js';
import { fixtureSummary } from './helpers/regress-fixtures.js';
import { FIELDS, influxqlString, MEASUREMENT, TAGS, summaryToPoints } from '../src/influx/schema.js';
import { readSummary, writeSummary } from '../src/results/store.js';
import type { RunSummary } from '../src/results/schema.js';

if (!hasInfluxd) skipReason('push tests', 'influxd is not installed (Debian package influxdb)');
if (!hasCc) skipReason('push tests', 'no C compiler (cc) to build the probe for a real run');

interface Row {
  time: Date;
  host: string;
  path: string;
  op: string;
  granule: string;
  threads: string;
  kernel: string;
  suite: string;
  platform: string;
  p50: number;
  p99: number;
  max: number;
  samples: number;
  wall?: number | null;
  run_id: string;
}

async function count(influxd: Influxd, db: string): Promise<number> {
  const r = await influxd.client(db).query<{ count: number }>(`SELECT count("p50") FROM "${MEASUREMENT}"`);
  return r.length === 0 ? 0 : r[0].count;
}

/** the real run with its rows copied onto `hosts` hosts: enough points for many small batches */
function widen(s: RunSummary, hosts: number): RunSummary {
  const names = Array.from({ length: hosts }, (_, i) => `lab-${i}`);
  return {
    ...s,
    runId: `${s.runId}-wide`,
    hosts: names.map((name) => ({ ...s.hosts[0], name })),
    results: names.flatMap((host) => s.results.map((r) => ({ ...r, host }))),
  };
}

describe('the schema is documented', () => {
  it('README "Time series and dashboards" lists every tag and field of src/influx/schema.ts', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Time series and dashboards'));
    expect(section).toContain(`**\`${MEASUREMENT}\`**`);
    for (const t of TAGS) expect(section, `tag ${t}`).toMatch(new RegExp(`\\| tag \\| \`${t}\` \\|`));
    for (const f of [...FIELDS, 'run_id', 'probe_sha256'])
      expect(section, `field ${f}`).toMatch(new RegExp(`\\| field \\|[^\\n]*\`${f}\``));
  });
});

describe.skipIf(!hasInfluxd || !hasCc)('push to a real influxd', () => {
  let influxd: Influxd;
  let tmp: string;
  let runDir: string;
  let summary: RunSummary;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'gmembench-push-'));
    [influxd, runDir] = await Promise.all([startInfluxd(), realSmokeRun(join(tmp, 'results'))]);
    summary = await readSummary(runDir);
  });
  afterAll(async () => {
    await influxd?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('creates the database with its retention policy, writes one point per ok row, reads back the same values', async () => {
    const points = summaryToPoints(summary);
    expect(points.length).toBeGreaterThan(0);
    const r = await cli(['push', runDir, '--influx', influxd.url, '--db', 'gm']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`pushed ${summary.runId}: ${points.length} points`);
    expect(r.stdout).toContain(`1/1 run(s) pushed, ${points.length} points to ${influxd.url} db gm`);

    const rps = await influxd.client('gm').showRetentionPolicies('gm');
    expect(Array.from(rps)).toEqual([
      expect.objectContaining({ name: RETENTION_POLICY, duration: '0s', default: true }),
    ]);

    const rows = (await influxd.client('gm').query<Row>(`SELECT * FROM "${MEASUREMENT}"`)) as unknown as Row[];
    expect(rows).toHaveLength(points.length);
    const kernel = summary.hosts[0].fingerprint?.kernel.release ?? 'unknown';
    const platform = summary.hosts[0].labels.platform ?? 'unknown';
    for (const row of summary.results.filter((x) => x.status === 'ok')) {
      const got = rows.find(
        (x) =>
          x.path === row.path &&
          x.op === row.op &&
          x.granule === String(row.granule) &&
          x.threads === String(row.threads),
      );
      expect(got, `${row.path}/${row.op}/${row.granule}/${row.threads}`).toBeDefined();
      expect(got).toMatchObject({
        host: row.host,
        threads: String(row.threads),
        kernel,
        suite: 'smoke',
        platform,
        p50: row.p50,
        p99: row.p99,
        max: row.max,
        samples: row.samples,
        run_id: summary.runId,
      });
      // the pass's wall time a call: rows of 2+ threads of alloc, fault and punch, and only those
      expect(got!.wall ?? undefined).toBe(row.wall);
      if (row.threads > 1 && ['alloc', 'fault', 'punch'].includes(row.op)) expect(row.wall).toBeGreaterThan(0);
      expect(got!.time.toISOString()).toBe(new Date(summary.startedAt).toISOString());
    }
  });

  it('pushing the same run again leaves the same points (and the same series)', async () => {
    const before = await count(influxd, 'gm');
    const series = (await influxd.client('gm').query(`SHOW SERIES FROM "${MEASUREMENT}"`)).length;
    for (let i = 0; i < 2; i++)
      expect((await cli(['push', runDir, '--influx', influxd.url, '--db', 'gm'])).code).toBe(0);
    expect(await count(influxd, 'gm')).toBe(before);
    expect((await influxd.client('gm').query(`SHOW SERIES FROM "${MEASUREMENT}"`)).length).toBe(series);
  });

  it('pushes every run of a results folder; an existing database keeps its own retention policies', async () => {
    await influxd.client().createDatabase('kept');
    await influxd
      .client()
      .createRetentionPolicy('week', { database: 'kept', duration: '7d', replication: 1, isDefault: true });
    const r = await cli(['push', join(tmp, 'results'), '--influx', influxd.url, '--db', 'kept']);
    expect(r.code, r.stderr).toBe(0);
    expect(await count(influxd, 'kept')).toBe(summaryToPoints(summary).length);
    expect((await influxd.client().showRetentionPolicies('kept')).map((p) => p.name).sort()).toEqual([
      'autogen',
      'week',
    ]);
  });

  it('several runs share batches; an unreadable run directory is reported and the others are pushed', async () => {
    const a = { ...widen(summary, 3), runId: 'multi-a' };
    const b = {
      ...widen(summary, 2),
      runId: 'multi-b',
      startedAt: new Date(Date.parse(summary.startedAt) + 1000).toISOString(),
    };
    const [da, db] = [join(tmp, 'multi', 'a'), join(tmp, 'multi', 'b')];
    await writeSummary(da, a);
    await writeSummary(db, b);
    const batches: number[] = [];
    const reports = await pushRuns(
      [da, join(tmp, 'multi', 'missing'), db],
      { url: influxd.url, db: 'multi' },
      {
        batchSize: 25,
        onBatch: ({ written }) => void batches.push(written),
      },
    );
    const [na, nb] = [summaryToPoints(a).length, summaryToPoints(b).length];
    expect(reports.map((r) => [r.runId, r.points, r.written])).toEqual([
      ['multi-a', na, na],
      [null, 0, 0],
      ['multi-b', nb, nb],
    ]);
    expect(reports[0].error).toBeUndefined();
    expect(reports[1].error).toMatch(/multi\/missing .*failed \(summary\.json not read\)/);
    expect(reports[2].error).toBeUndefined();
    // batches of 25 across both runs (two in flight, so they may finish in any order)
    expect(batches).toHaveLength(Math.ceil((na + nb) / 25));
    expect(batches.at(-1)).toBe(na + nb);
    expect(await count(influxd, 'multi')).toBe(na + nb);
  });

  it('run --influx measures, then pushes', async () => {
    const results = join(tmp, 'run-influx');
    const r = await cli([
      'run',
      join(ROOT, 'suites/smoke.yaml'),
      '--results',
      results,
      '--progress',
      'silent',
      '--influx',
      influxd.url,
      '--db',
      'fromrun',
    ]);
    expect([0, 3], r.stderr).toContain(r.code);
    const [run] = await readdir(results);
    expect(r.stderr).toMatch(new RegExp(`pushed ${run}: \\d+ points`));
    expect(await count(influxd, 'fromrun')).toBe(summaryToPoints(await readSummary(join(results, run))).length);
  });

  it('InfluxDB stopped in the middle of a push: the retries wait for it and every point arrives once', async () => {
    const wide = widen(summary, 40);
    const dir = join(tmp, 'wide', wide.runId);
    await writeSummary(dir, wide);
    const total = summaryToPoints(wide).length;
    let restarted: Promise<void> | undefined;
    const retries: string[] = [];
    const report = await pushRun(
      dir,
      { url: influxd.url, db: 'mid' },
      {
        batchSize: 50,
        retries: 30,
        initialDelayMs: 100,
        maxDelayMs: 1000,
        timeoutMs: 5000,
        onRetry: (r) => retries.push(r.error),
        onBatch: async ({ written }) => {
          if (written < 100 || restarted) return;
          await influxd.halt(); // the server goes away after the second batch ...
          restarted = new Promise((res) => setTimeout(res, 1500)).then(() => influxd.start()); // ... and comes back
        },
      },
    );
    await restarted;
    expect(retries.length).toBeGreaterThan(0);
    expect(report).toMatchObject({ points: total, written: total });
    expect(report.error).toBeUndefined();
    expect(await count(influxd, 'mid')).toBe(total);
  });

  it('InfluxDB down for good: the report says what was not written, the run stays on disk, a later push completes it', async () => {
    const dir = join(tmp, 'down', `${summary.runId}-down`);
    await writeSummary(dir, { ...widen(summary, 10), runId: `${summary.runId}-down` });
    const before = await readFile(join(dir, 'summary.json'), 'utf8');
    const total = summaryToPoints(await readSummary(dir)).length;
    let halted = false;
    const [first] = await pushRuns(
      [dir],
      { url: influxd.url, db: 'down' },
      {
        batchSize: 20,
        retries: 2,
        initialDelayMs: 50,
        timeoutMs: 2000,
        onBatch: async ({ written }) => {
          if (written >= 40 && !halted) {
            halted = true;
            await influxd.halt();
          }
        },
      },
    );
    // two batches may be in flight when it stops: at least the 40 points before the stop are in, not all
    expect(first.written).toBeGreaterThanOrEqual(40);
    expect(first.written).toBeLessThan(total);
    expect(first.error).toMatch(new RegExp(`failed \\(${first.written}/${total} points written\\)`));
    await influxd.start();
    // every acknowledged point is there (a batch cut off by the stop may have landed unacknowledged:
    // the later push writes it again over the same points, see the count below)
    expect(await count(influxd, 'down')).toBeGreaterThanOrEqual(first.written);

    // the CLI tells what was not pushed, with a non-zero exit, and never prints credentials
    const auth = influxd.url.replace('http://', 'http://admin:s3cret@').replace(/:\d+$/, ':9');
    const failed = await cli(['push', dir, '--influx', auth, '--db', 'down', '--retries', '1']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`NOT PUSHED ${summary.runId}-down`);
    expect(failed.stderr).toContain(`not pushed (still on disk; push them again later): ${dir}`);
    expect(failed.stderr + failed.stdout).not.toContain('s3cret');

    expect(await readFile(join(dir, 'summary.json'), 'utf8')).toBe(before);
    const again = await cli(['push', dir, '--influx', influxd.url, '--db', 'down']);
    expect(again.code, again.stderr).toBe(0);
    expect(await count(influxd, 'down')).toBe(total);
  });

  it('InfluxDB too slow to answer: the request times out, is sent again, and the points are there once', async () => {
    // a proxy in front of the real influxd that holds back the answer to the first write for longer than the timeout
    let writes = 0;
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const slow = req.url!.startsWith('/write') && writes++ === 0;
        const r = await fetch(`${influxd.url}${req.url}`, {
          method: req.method,
          headers: { 'content-type': req.headers['content-type'] ?? 'text/plain' },
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        });
        const body = Buffer.from(await r.arrayBuffer());
        setTimeout(
          () => res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain' }).end(body),
          slow ? 1500 : 0,
        ).unref();
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
      const retries: string[] = [];
      const report = await pushRun(
        runDir,
        { url, db: 'slow' },
        { timeoutMs: 500, initialDelayMs: 50, onRetry: (r) => retries.push(r.error) },
      );
      expect(retries).toEqual([expect.stringMatching(/timed out/i)]);
      expect(report.written).toBe(summaryToPoints(summary).length);
      expect(await count(influxd, 'slow')).toBe(report.written);
    } finally {
      proxy.close();
    }
  });

  it('a server whose 1.x API refuses database statements (InfluxDB 2/3) still gets the points', async () => {
    await influxd.client().createDatabase('v2bucket'); // the bucket an administrator mapped
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        if (!req.url!.startsWith('/write')) {
          res.writeHead(422, { 'content-type': 'application/json' }).end('{"error":"unsupported statement"}');
          return;
        }
        const r = await fetch(`${influxd.url}${req.url}`, { method: 'POST', body: Buffer.concat(chunks) });
        res.writeHead(r.status).end(Buffer.from(await r.arrayBuffer()));
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
      const report = await pushRun(runDir, { url, db: 'v2bucket' }, { retries: 0 });
      expect(report.written).toBe(summaryToPoints(summary).length);
      expect(await count(influxd, 'v2bucket')).toBe(report.written);
    } finally {
      proxy.close();
    }
  });

  it('a refused request (4xx: bad credentials) is not retried, and says why', async () => {
    const proxy = createServer((req, res) => {
      req.resume();
      req.on('end', () =>
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"authorization failed"}'),
      );
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const url = `http://admin:wrong@127.0.0.1:${(proxy.address() as { port: number }).port}`;
      const retries: string[] = [];
      const [report] = await pushRuns([runDir], { url, db: 'x' }, { onRetry: (r) => retries.push(r.error) });
      expect(retries).toEqual([]);
      expect(report.written).toBe(0);
      expect(report.error).toMatch(
        /failed \(0\/\d+ points written\): A 401 Unauthorized error occurred: \{"error":"authorization failed"\}/,
      );
      expect(report.error).not.toContain('wrong');
    } finally {
      proxy.close();
    }
  });

  it('a bad --influx URL or --retries is refused before anything runs (exit 2)', async () => {
    const bad = await cli([
      'run',
      join(ROOT, 'suites/smoke.yaml'),
      '--results',
      join(tmp, 'never'),
      '--influx',
      'ftp://admin:s3cret@host',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('gmembench run: --influx: ftp://host: only http and https are supported');
    expect(bad.stderr).not.toContain('s3cret');
    await expect(readdir(join(tmp, 'never'))).rejects.toThrow();
    expect((await cli(['push', runDir, '--influx', 'not a url'])).code).toBe(2);
    expect((await cli(['push', runDir, '--influx', influxd.url, '--retries', 'many'])).code).toBe(2);
  });

  it('run --influx with InfluxDB unreachable: exit 1, results saved, the push command to run later', async () => {
    const results = join(tmp, 'run-down');
    const r = await cli([
      'run',
      join(ROOT, 'suites/smoke.yaml'),
      '--results',
      results,
      '--progress',
      'silent',
      '--influx',
      'http://admin:s3cret@127.0.0.1:9',
      '--db',
      'later',
    ]);
    expect(r.code).toBe(1);
    const [run] = await readdir(results);
    expect(r.stderr).toContain('the results are saved; push them later with:');
    expect(r.stderr).toContain(`gmembench push ${join(results, run)} --influx http://127.0.0.1:9 --db later`);
    expect(r.stderr).toContain(
      '(add the user name and password to the --influx URL: it had them, they are not printed)',
    );
    expect(r.stderr).not.toContain('s3cret');
    expect(summaryToPoints(await readSummary(join(results, run))).length).toBeGreaterThan(0);
  });
});

describe.skipIf(!hasInfluxd)('line protocol and the push report, against a real influxd', () => {
  let influxd: Influxd;
  let tmp: string;
  const SERIES = [
    { path: 'shmem', op: 'alloc', p50: () => 800 },
    { path: 'gmem', op: 'alloc', p50: () => 900 },
    { path: 'shmem', op: 'punch', granule: 2 << 20, p50: () => 5000 },
  ];
  /** a run on disk: fixture rows, with `edit` applied */
  const stored = async (
    name: string,
    edit: (s: RunSummary) => RunSummary = (s) => s,
    start?: number,
  ): Promise<string> => {
    const dir = join(tmp, name);
    await writeSummary(dir, edit({ ...fixtureSummary(0, SERIES, { start }), runId: name }));
    return dir;
  };
  const query = async <T>(db: string, q: string): Promise<T[]> =>
    (await influxd.client(db).query<T>(q)) as unknown as T[];
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'gmembench-lp-'));
    influxd = await startInfluxd();
  });
  afterAll(async () => {
    await influxd?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('names with spaces, commas, equals signs, quotes and backslashes round-trip exactly, tags and fields', async () => {
    const suite = `my suite, "v=2" a\\b 'q' \\,x= y\\\\z`;
    const platform = `tdx =1,"x"\\y`;
    const runId = `run "quoted" \\ back\\slash, a=b`;
    const dir = await stored('names', (s) => ({
      ...s,
      runId,
      suite: { ...s.suite, name: suite },
      hosts: s.hosts.map((h) => ({ ...h, labels: { platform } })),
    }));
    const report = await pushRun(dir, { url: influxd.url, db: 'names' });
    expect(report).toMatchObject({ runId, points: SERIES.length, written: SERIES.length });
    const rows = await query<{ suite: string; platform: string; run_id: string; op: string }>(
      'names',
      `SELECT * FROM "${MEASUREMENT}"`,
    );
    expect(rows).toHaveLength(SERIES.length);
    for (const r of rows)
      expect({ suite: r.suite, platform: r.platform, run_id: r.run_id }).toEqual({ suite, platform, run_id: runId });
    expect((await query<{ name: string }>('names', 'SHOW MEASUREMENTS')).map((m) => m.name)).toEqual([MEASUREMENT]);
    // and regress can select by it
    const bySuite = await query('names', `SELECT "p50" FROM "${MEASUREMENT}" WHERE "suite" = ${influxqlString(suite)}`);
    expect(bySuite).toHaveLength(SERIES.length);
  });

  it('a run with a name line protocol cannot hold (a newline) is not written at all, and the report says so', async () => {
    const bad = await stored('newline', (s) => ({ ...s, suite: { ...s.suite, name: 'smoke\nevil,host=x p50=1 1' } }));
    const good = await stored('good', (s) => s, Date.parse('2026-02-01T00:00:00Z'));
    const reports = await pushRuns([bad, good], { url: influxd.url, db: 'ctl' });
    expect(reports.map((r) => [r.runId, r.points, r.written])).toEqual([
      ['newline', SERIES.length, 0],
      ['good', SERIES.length, SERIES.length],
    ]);
    expect(reports[0].error).toMatch(
      /failed \(0\/3 points written\): tag suite "smoke\\nevil,host=x p50=1 1" contains a control character \(U\+000A\)/,
    );
    expect(reports[1].error).toBeUndefined();
    expect(formatPushReport(reports[0])).toMatch(/^NOT PUSHED newline: /);
    expect(formatPushReport(reports[1])).toBe('pushed good: 3 points');
    // no stray measurement, no point of the bad run
    expect((await query<{ name: string }>('ctl', 'SHOW MEASUREMENTS')).map((m) => m.name)).toEqual([MEASUREMENT]);
    expect(await count(influxd, 'ctl')).toBe(SERIES.length);
  });

  it('a request InfluxDB refuses in part: each run of it is reported for exactly what was written', async () => {
    // run "old" lands in a shard where p50 already is a string: InfluxDB drops its points and keeps the other run's
    const old = Date.parse('2001-01-01T00:00:00Z');
    await influxd.client().createDatabase('conflict');
    await influxd.client('conflict').writePoints([
      {
        measurement: MEASUREMENT,
        tags: { host: 'other' },
        fields: { p50: 'text' },
        timestamp: new Date(old + 3_600_000),
      },
    ]);
    const [a, b] = [await stored('fresh'), await stored('old', (s) => s, old)];
    const reports = await pushRuns([a, b], { url: influxd.url, db: 'conflict' }); // one batch holds both
    expect(reports.map((r) => [r.runId, r.points, r.written])).toEqual([
      ['fresh', SERIES.length, SERIES.length],
      ['old', SERIES.length, 0],
    ]);
    expect(reports[0].error).toBeUndefined();
    expect(reports[1].error).toMatch(/failed \(0\/3 points written\): .*field type conflict/);
    const runIds = await query<{ run_id: string }>(
      'conflict',
      `SELECT "run_id", "p50" FROM "${MEASUREMENT}" WHERE "host" != 'other'`,
    );
    expect(runIds.map((r) => r.run_id)).toEqual(['fresh', 'fresh', 'fresh']);
  });

  it("without credentials no Authorization header is sent (not the client's root:root); with them, exactly those", async () => {
    const seen: (string | undefined)[] = [];
    // a real HTTP server in front of the real influxd, recording each request's Authorization header
    const proxy = createServer((req, res) => {
      seen.push(req.headers.authorization);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const r = await fetch(`${influxd.url}${req.url}`, {
          method: req.method,
          headers: { 'content-type': req.headers['content-type'] ?? 'text/plain' },
          body: chunks.length ? Buffer.concat(chunks) : undefined,
        });
        res
          .writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain' })
          .end(Buffer.from(await r.arrayBuffer()));
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const port = (proxy.address() as { port: number }).port;
      const dir = await stored('auth');
      const plain = await cli(['push', dir, '--influx', `http://127.0.0.1:${port}`, '--db', 'auth']);
      expect(plain.code, plain.stderr).toBe(0);
      expect(seen.length).toBeGreaterThanOrEqual(2); // the database check and the write
      expect(seen).toEqual(seen.map(() => undefined));
      seen.length = 0;
      const withUser = await pushRun(dir, { url: `http://admin:s%3Acret@127.0.0.1:${port}`, db: 'auth' });
      expect(withUser.written).toBe(SERIES.length);
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(new Set(seen)).toEqual(new Set([`Basic ${Buffer.from('admin:s:cret').toString('base64')}`]));
    } finally {
      proxy.close();
    }
  });

  it('a failed push prints the command to push later, and says to add the credentials the URL had', async () => {
    const dir = await stored('later');
    const withCreds = await cli([
      'push',
      dir,
      '--influx',
      'http://admin:s3cret@127.0.0.1:9',
      '--db',
      'later',
      '--retries',
      '0',
    ]);
    expect(withCreds.code).toBe(1);
    expect(withCreds.stderr).toContain(
      `gmembench push ${dir} --influx http://127.0.0.1:9 --db later\n  (add the user name and password to the --influx URL: it had them, they are not printed)`,
    );
    expect(withCreds.stderr + withCreds.stdout).not.toContain('s3cret');
    const without = await cli(['push', dir, '--influx', 'http://127.0.0.1:9', '--retries', '0']);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain(`gmembench push ${dir} --influx http://127.0.0.1:9`);
    expect(without.stderr).not.toContain('add the user name');
  }, 60_000);
});
