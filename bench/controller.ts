/**
 * Controller micro-benchmarks (tinybench): the per-call costs a lab-sized nightly run puts on the
 * controller. Each task states its input size; figures are ops/s with the relative margin of error.
 */
import { Bench } from 'tinybench';
import { RowBuilder } from '../src/analysis/summarize.js';
import { decode, merge, newHistogram } from '../src/analysis/histogram.js';
import { createServer } from 'node:http';
import { summaryToPoints } from '../src/influx/schema.js';
import { connectInflux } from '../src/influx/connect.js';
import { toIPoint } from '../src/influx/push.js';
import { detectChangePoints } from '../src/analysis/changepoint/edivisive.js';
import { formatColumns } from '../src/output/columns.js';
import { compareRuns } from '../src/analysis/compare.js';
import { renderCompareText } from '../src/export/compare-text.js';
import { JOB, bigSummary, comparePair, repLine, rng } from './fixtures.js';

interface Section {
  name: string;
  input: string;
  fn: () => unknown;
  /** a slow task (seconds per call): this many timed iterations instead of the 1 s / 10 default */
  iterations?: number;
}

export function sections(): Section[] {
  const reps = Array.from({ length: 10 }, (_, i) => repLine(i, 16384, 1300));
  const buckets = reps.reduce((a, r) => a + r.buckets.length, 0);
  const lab = bigSummary(8, 120);
  const encoded = lab.results.map((r) => r.histogram!);
  const [cmpBase, cmpCand] = comparePair(10_000);
  const rand = rng(7);
  const nightly = Array.from({ length: 1000 }, (_, s) =>
    Float64Array.from(
      { length: 365 },
      (_, i) => 1000 * (1 + 0.02 * (rand() - 0.5)) * (s % 10 === 0 && i >= 200 ? 1.08 : 1),
    ),
  );
  return [
    {
      name: 'fold probe repetitions into a row',
      input: `10 rep lines x 16384 calls (${buckets} buckets), decode + HDR merge + percentiles + encode`,
      fn: () => {
        const b = new RowBuilder('h', JOB);
        for (const r of reps) b.addRep(r);
        return b.finish({
          type: 'result',
          path: 'shmem',
          op: 'alloc',
          granule: 4096,
          threads: 1,
          status: 'ok',
          samples: 163840,
        });
      },
    },
    {
      name: 'merge stored histograms across hosts',
      input: `${encoded.length} compressed HdrHistograms (8 hosts x 120 rows) decoded and merged`,
      fn: () => {
        const all = newHistogram();
        for (const e of encoded) {
          const h = decode(e);
          merge(all, h);
          h.destroy();
        }
        return all.getValueAtPercentile(99);
      },
    },
    {
      name: 'build and serialise a run summary',
      input: `8 hosts x 120 rows, JSON as written to summary.json`,
      fn: () => JSON.stringify(lab, null, 2).length,
    },
    {
      name: 'time-series points for a large run',
      input: `8 hosts x 120 rows -> points (tags, fields, run-start timestamp)`,
      fn: () => summaryToPoints(lab).length,
    },
    {
      name: 'change points, 1000 series x 365 nights',
      input: '1000 series of 365 nightly p50s, 10% with a +8% step',
      fn: () => {
        let n = 0;
        for (const s of nightly) n += detectChangePoints(s).length;
        return n;
      },
    },
    {
      name: 'compare table over 10,000 rows',
      input:
        '2 runs x 10,000 rows x 10 repetitions: pair, Mann-Whitney U + 2000-resample bootstrap per row, 80-column text',
      fn: () => renderCompareText(compareRuns(cmpBase, cmpCand)).length,
      iterations: 3,
    },
  ];
}

/**
 * Line protocol is encoded inside the influx client's writePoints (it has no separate encoder), so
 * this task times writePoints against an in-process HTTP sink that reads the body and answers 204:
 * points -> line protocol -> one loopback request, with no database behind it.
 */
async function lineProtocolSection(): Promise<{ section: Section; close: () => void }> {
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  // the client keeps its connection alive across tasks: the sink must not drop it while others run
  sink.keepAliveTimeout = 600_000;
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  const { port } = sink.address() as { port: number };
  const influx = connectInflux({ url: `http://127.0.0.1:${port}`, db: 'sink' });
  const points = summaryToPoints(bigSummary(8, 120)).map(toIPoint);
  return {
    section: {
      name: 'line protocol for a large run',
      input: `${points.length} points (8 hosts x 120 rows) -> influx writePoints (line protocol, ns) -> loopback HTTP sink`,
      fn: () => influx.writePoints(points, { precision: 'n' }),
    },
    close: () => sink.close(),
  };
}

export async function run(extra: Section[] = []): Promise<void> {
  const bench = new Bench({ time: 1000, iterations: 10, warmupTime: 100, warmupIterations: 2 });
  const lp = await lineProtocolSection();
  const all = [...sections(), lp.section, ...extra];
  for (const s of all) if (!s.iterations) bench.add(s.name, s.fn);
  await bench.run();
  lp.close();
  const tasks = [...bench.tasks];
  for (const s of all.filter((x) => x.iterations)) {
    const slow = new Bench({ time: 0, iterations: s.iterations, warmupTime: 0, warmupIterations: 1 });
    slow.add(s.name, s.fn);
    await slow.run();
    tasks.push(...slow.tasks);
  }
  const rows = tasks.map((t) => {
    const r = t.result as
      | { throughput?: { mean: number; rme: number }; latency?: { mean: number }; totalTime?: number; error?: Error }
      | undefined;
    const section = all.find((s) => s.name === t.name)!;
    if (r?.error) return [t.name, 'error', '-', '-', r.error.message];
    return [
      t.name,
      r?.throughput ? fmt(r.throughput.mean) : '-',
      r?.throughput ? `±${r.throughput.rme.toFixed(1)}%` : '-',
      r?.latency ? `${r.latency.mean.toFixed(2)} ms` : '-',
      section.input,
    ];
  });
  process.stdout.write(
    formatColumns(
      [
        { header: 'task' },
        { header: 'ops/s', align: 'right' },
        { header: 'rme', align: 'right' },
        { header: 'mean', align: 'right' },
        { header: 'input' },
      ],
      rows,
    ) + '\n',
  );
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(4);
}
