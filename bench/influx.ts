/**
 * `npm run bench -- --only influx`: push throughput beside a raw line-protocol POST of the same
 * points with curl, against a real influxd on a free port (the test helper's), in one run.
 *
 * The push side is what `gmembench push <dirs>` does, in process: read every summary.json, build
 * the points, create the database, write the batches. The raw side is the floor: the exact request
 * bodies push sends (captured once, untimed, by a local HTTP stub) POSTed by one curl process over
 * one keep-alive connection. Each trial writes into a fresh database, sides alternate, the median of
 * the trials is reported. Target: push at least 0.8x the raw points/s. A third row times push with
 * the summaries already parsed, to tell the cost of reading summary.json from the write path's.
 */
import { execa } from 'execa';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInfluxd } from '../test/helpers/influxd.js';
import { pushRuns, loadRun, DEFAULT_PUSH_OPTIONS, type LoadedRun, type PushOptions } from '../src/influx/push.js';
import { writeSummary } from '../src/results/store.js';
import { formatColumns } from '../src/output/columns.js';
import { bigSummary } from './fixtures.js';
import { median } from '../src/analysis/stats/describe.js';

const RUNS = 25;
const HOSTS = 8;
const ROWS = 120;
const TRIALS = 7;
const TARGET = 0.8;

/** Capture the /write bodies push sends (a stub that says every database exists and every write worked). */
async function captureBodies(dirs: string[]): Promise<string[]> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (req.url?.startsWith('/write')) {
        bodies.push(body);
        res.writeHead(204).end();
      } else {
        // SHOW DATABASES: the target database exists already
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            results: [{ statement_id: 0, series: [{ name: 'databases', columns: ['name'], values: [['capture']] }] }],
          }),
        );
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  try {
    const reports = await pushRuns(dirs, { url: `http://127.0.0.1:${port}`, db: 'capture' });
    const bad = reports.find((r) => r.error);
    if (bad) throw new Error(bad.error);
  } finally {
    server.close();
  }
  return bodies;
}

export async function run(): Promise<void> {
  const tmp = await mkdtemp(join(tmpdir(), 'gmembench-bench-influx-'));
  const influxd = await startInfluxd();
  try {
    // RUNS run directories of a lab-sized run (HOSTS hosts x ROWS rows), one night apart
    const dirs: string[] = [];
    const base = bigSummary(HOSTS, ROWS);
    for (let i = 0; i < RUNS; i++) {
      const startedAt = new Date(Date.parse(base.startedAt) + i * 86_400_000).toISOString();
      const s = { ...base, runId: `bench-${String(i).padStart(4, '0')}`, startedAt };
      dirs.push(join(tmp, 'results', s.runId));
      await writeSummary(dirs[i], s);
    }
    const summaryBytes = (await stat(join(dirs[0], 'summary.json'))).size;
    const bodies = await captureBodies(dirs);
    const points = bodies.reduce((a, b) => a + b.split('\n').length, 0);
    const files = await Promise.all(
      bodies.map(async (b, i) => {
        const f = join(tmp, `batch-${i}.lp`);
        await writeFile(f, b);
        return f;
      }),
    );

    // the same runs already in memory: push's write path alone (batching, client, retry wrapper)
    const loaded = new Map<string, LoadedRun>();
    for (const d of dirs) loaded.set(d, await loadRun(d));
    const fromMemory = async (d: string) => loaded.get(d)!;

    const timePush = async (db: string, o: PushOptions = {}) => {
      const t0 = performance.now();
      const reports = await pushRuns(dirs, { url: influxd.url, db }, o);
      const secs = (performance.now() - t0) / 1000;
      const written = reports.reduce((a, r) => a + r.written, 0);
      if (written !== points)
        throw new Error(`push wrote ${written} of ${points} points: ${reports.find((r) => r.error)?.error}`);
      return points / secs;
    };

    const pushRates: number[] = [];
    const writeRates: number[] = [];
    const rawRates: number[] = [];
    const rawCurl = async (db: string) => {
      await influxd.client().createDatabase(db);
      const args = files.flatMap((f, i) => [
        ...(i > 0 ? ['--next'] : []),
        '-sS',
        '--fail',
        '-XPOST',
        '--data-binary',
        `@${f}`,
        `${influxd.url}/write?db=${db}&precision=n`,
      ]);
      const t0 = performance.now();
      await execa('curl', args);
      return points / ((performance.now() - t0) / 1000);
    };
    const sides: [number[], (db: string) => Promise<number>][] = [
      // raw: one curl, every batch in turn (--next), same keep-alive connection
      [rawRates, rawCurl],
      // push: reads the run directories, creates the database, writes
      [pushRates, (db) => timePush(db)],
      // push with the summaries already parsed: the write path alone
      [writeRates, (db) => timePush(db, { load: fromMemory })],
    ];
    for (let t = 0; t < TRIALS; t++) {
      // rotate which side goes first; drop the databases so every trial starts from the same state
      for (let k = 0; k < sides.length; k++) {
        const [rates, fn] = sides[(t + k) % sides.length];
        const db = `trial${t}_${k}`;
        rates.push(await fn(db));
        await influxd.client().dropDatabase(db);
      }
    }
    const [push, write, raw] = [median(pushRates), median(writeRates), median(rawRates)];
    const ratio = (x: number) =>
      `${(x / raw).toFixed(2)} (target >= ${TARGET}: ${x / raw >= TARGET ? 'met' : 'NOT met'})`;
    const fmt = (x: number) => `${Math.round(x).toLocaleString('en-US')} points/s`;
    process.stdout.write(
      `${points} points: ${RUNS} run directories x ${HOSTS} hosts x ${ROWS} rows, batches of ${DEFAULT_PUSH_OPTIONS.batchSize}, ${bodies.length} requests; median of ${TRIALS} trials (order rotated), fresh database each\n` +
        formatColumns(
          [{ header: 'writer' }, { header: 'throughput', align: 'right' }, { header: 'trials' }],
          [
            ['curl POST of the same line protocol', fmt(raw), rawRates.map((r) => Math.round(r)).join(' ')],
            ['gmembench push: read summary.json + write', fmt(push), pushRates.map((r) => Math.round(r)).join(' ')],
            ['gmembench push, summaries already parsed', fmt(write), writeRates.map((r) => Math.round(r)).join(' ')],
          ],
        ) +
        `\nsummary.json per run: ${(summaryBytes / 1e6).toFixed(1)} MB (${Math.round(summaryBytes / (points / RUNS))} bytes per point, mostly the HdrHistogram)\n` +
        `ratio push / raw:                    ${ratio(push)}\n` +
        `ratio push write path / raw:         ${ratio(write)}\n`,
    );
  } finally {
    await influxd.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}
