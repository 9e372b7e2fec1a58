/** Synthetic but realistic inputs for the controller micro-benchmarks (fixed seed: repeatable). */
import type { RepLine } from '../src/probe/protocol.js';
import type { ProbeJob } from '../src/probe/protocol.js';
import type { RunSummary } from '../src/results/schema.js';
import { RowBuilder } from '../src/analysis/summarize.js';

/** xorshift32: a repeatable stream of numbers in [0, 1) */
export function rng(seed = 0x9e3779b9): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** A probe repetition line like a 4 KiB job's: `samples` log-normal latencies around `median` ns. */
export function repLine(index: number, samples: number, median: number, rand = rng(index + 1)): RepLine {
  const counts = new Map<number, number>();
  let sum = 0,
    sumsq = 0,
    min = Infinity,
    max = 0;
  for (let i = 0; i < samples; i++) {
    const u = Math.max(1e-12, rand());
    const v = Math.round(median * Math.exp(0.35 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand())));
    // the probe's buckets: exact below 2048, then 1024 sub-buckets per power of two
    const shift = v < 2048 ? 0 : Math.floor(Math.log2(v)) - 10;
    const low = (v >> shift) << shift;
    counts.set(low, (counts.get(low) ?? 0) + 1);
    sum += v;
    sumsq += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return {
    type: 'rep',
    index,
    samples,
    min,
    max,
    sum,
    sumsq,
    buckets: [...counts.entries()].sort((a, b) => a[0] - b[0]),
  };
}

export const JOB: ProbeJob = {
  path: 'shmem',
  op: 'alloc',
  granule: 4096,
  region: 64 << 20,
  threads: 1,
  repetitions: 10,
  warmup: 1,
  maxMemShare: 0.5,
  raw: false,
  params: {},
};

/** A run over `hosts` hosts with `rowsPerHost` measured rows each (10 repetitions of 16384 calls). */
export function bigSummary(hosts: number, rowsPerHost: number): RunSummary {
  const reps = Array.from({ length: 10 }, (_, i) => repLine(i, 16384, 1300));
  const paths = ['shmem', 'gmem', 'hugetlb', 'secretmem'];
  const ops = ['alloc', 'fault', 'punch', 'to-private', 'to-shared'];
  const results = [];
  for (let h = 0; h < hosts; h++)
    for (let r = 0; r < rowsPerHost; r++) {
      const job = { ...JOB, path: paths[r % 4], op: ops[Math.floor(r / 4) % 5], threads: 1 + Math.floor(r / 20) };
      const b = new RowBuilder(`host${h}`, job);
      for (const rep of reps) b.addRep(rep);
      results.push(
        b.finish({
          type: 'result',
          path: job.path,
          op: job.op,
          granule: job.granule,
          threads: job.threads,
          status: 'ok',
          samples: 163840,
        }),
      );
    }
  return {
    schemaVersion: 1,
    runId: '2026-11-24T00-00-00Z-bench-0000',
    suite: { name: 'bench', file: 'bench.yaml' },
    startedAt: '2026-11-24T00:00:00.000Z',
    finishedAt: '2026-11-24T01:00:00.000Z',
    harness: { version: '0.1.0', probeSha256: '0'.repeat(64), node: process.version },
    hosts: Array.from({ length: hosts }, (_, h) => ({
      name: `host${h}`,
      status: 'ok' as const,
      labels: { platform: 'snp' },
      fingerprint: null,
    })),
    results,
  };
}

/**
 * Two runs for `compare` with `rows` rows each (distinct series over hosts, paths, ops, granules
 * and threads), 10 repetitions per row (p50 ~1% apart), one row in ten 8% slower in the candidate.
 * No histograms: compare and its text table do not read them.
 */
export function comparePair(rows: number): [RunSummary, RunSummary] {
  const paths = ['shmem', 'gmem', 'hugetlb', 'secretmem'];
  const ops = ['alloc', 'fault', 'punch', 'to-private', 'to-shared'];
  const granules = [4096, 2 << 20];
  const threads = [1, 2, 4, 8, 16];
  const perHost = paths.length * ops.length * granules.length * threads.length; // 200
  const run = (seed: number, slower: boolean): RunSummary => {
    const rand = rng(seed);
    const results = Array.from({ length: rows }, (_, i) => {
      const k = i % perHost;
      const median = 1000 * (1 + (i % 37)) * (slower && i % 10 === 0 ? 1.08 : 1);
      const repetitions = Array.from({ length: 10 }, () => {
        const p50 = Math.round(median * (1 + 0.01 * (rand() - 0.5)));
        return { samples: 16384, p50, p99: Math.round(p50 * 3), mean: p50 * 1.1 };
      });
      return {
        host: `host${Math.floor(i / perHost)}`,
        path: paths[k % 4],
        op: ops[Math.floor(k / 4) % 5],
        granule: granules[Math.floor(k / 20) % 2],
        threads: threads[Math.floor(k / 40) % 5],
        status: 'ok' as const,
        samples: 163840,
        unit: 'ns' as const,
        min: median * 0.9,
        p50: median,
        p90: median * 1.5,
        p99: median * 3,
        p999: median * 5,
        max: median * 9,
        mean: median * 1.1,
        stddev: median * 0.3,
        histogram: null,
        repetitions,
        params: { region: 64 << 20, repetitions: 10, warmup: 1 },
      };
    });
    const hosts = [...new Set(results.map((r) => r.host))].map((name) => ({
      name,
      status: 'ok' as const,
      labels: {},
      fingerprint: null,
    }));
    return {
      schemaVersion: 1,
      runId: `2026-11-2${seed}T00-00-00Z-bench-000${seed}`,
      suite: { name: 'bench', file: 'bench.yaml' },
      startedAt: '2026-11-24T00:00:00.000Z',
      finishedAt: '2026-11-24T01:00:00.000Z',
      harness: { version: '0.1.0', probeSha256: '0'.repeat(64), node: process.version },
      hosts,
      results,
    };
  };
  return [run(1, false), run(2, true)];
}
