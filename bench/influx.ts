/**
 * `npm run bench -- --only influx`: push throughput beside a raw line-protocol POST of the same
 * points with curl, against a real influxd on a free port (the test helper's), in one run.
 *
 * The push side is what `gmembench push <dirs>` does, in process: read every summary.json, build
 * the points, create the database, write the batches. The raw side is the floor: the exact request
 * bodies push sends (captured once, untimed, by a local HTTP stub) POSTed by one curl process over
 * one keep-alive connection. Each trial writes into a fresh database, sides alternate, the median of
 * the trials is reported. Target: push at least 0.8x the raw points/s.
 */
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInfluxd } from '../test/helpers/influxd.js';
import { pushRuns, DEFAULT_PUSH_OPTIONS } from '../src/influx/push.js';
import { writeSummary } from '../src/results/store.js';
import { formatColumns } from '../src/output/columns.js';
import { bigSummary } from './fixtures.js';

const RUNS = 25;
const HOSTS = 8;
const ROWS = 120;
const TRIALS = 5;
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
        res.writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ results: [{ statement_id: 0, series: [{ name: 'databases', columns: ['name'], values: [['capture']] }] }] }));
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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
    const bodies = await captureBodies(dirs);
    const points = bodies.reduce((a, b) => a + b.split('\n').length, 0);
    const files = await Promise.all(bodies.map(async (b, i) => {
      const f = join(tmp, `batch-${i}.lp`);
      await writeFile(f, b);
      return f;
    }));

    const pushRates: number[] = [];
    const rawRates: number[] = [];
    for (let t = 0; t < TRIALS; t++) {
      // raw: one curl, every batch in turn (--next), same keep-alive connection
      const rawDb = `raw${t}`;
      await influxd.client().createDatabase(rawDb);
      const args = files.flatMap((f, i) => [...(i > 0 ? ['--next'] : []), '-sS', '--fail', '-XPOST', '--data-binary', `@${f}`, `${influxd.url}/write?db=${rawDb}&precision=n`]);
      let t0 = performance.now();
      await execa('curl', args);
      rawRates.push(points / ((performance.now() - t0) / 1000));

      // push: reads the run directories, creates the database, writes
      t0 = performance.now();
      const reports = await pushRuns(dirs, { url: influxd.url, db: `push${t}` });
      const secs = (performance.now() - t0) / 1000;
      const written = reports.reduce((a, r) => a + r.written, 0);
      if (written !== points) throw new Error(`push wrote ${written} of ${points} points: ${reports.find((r) => r.error)?.error}`);
      pushRates.push(points / secs);
    }
    const [push, raw] = [median(pushRates), median(rawRates)];
    const fmt = (x: number) => `${Math.round(x).toLocaleString('en-US')} points/s`;
    process.stdout.write(
      `${points} points: ${RUNS} run directories x ${HOSTS} hosts x ${ROWS} rows, batches of ${DEFAULT_PUSH_OPTIONS.batchSize}, ${bodies.length} requests; median of ${TRIALS} trials, fresh database each\n` +
        formatColumns([{ header: 'writer' }, { header: 'throughput', align: 'right' }, { header: 'trials' }], [
          ['gmembench push (read summaries + write)', fmt(push), pushRates.map((r) => Math.round(r)).join(' ')],
          ['curl POST of the same line protocol', fmt(raw), rawRates.map((r) => Math.round(r)).join(' ')],
        ]) +
        `\nratio push / raw: ${(push / raw).toFixed(2)} (target >= ${TARGET}: ${push / raw >= TARGET ? 'met' : 'NOT met'})\n`,
    );
  } finally {
    await influxd.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}
