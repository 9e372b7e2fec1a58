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
  let sum = 0, sumsq = 0, min = Infinity, max = 0;
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
  return { type: 'rep', index, samples, min, max, sum, sumsq, buckets: [...counts.entries()].sort((a, b) => a[0] - b[0]) };
}

export const JOB: ProbeJob = { path: 'shmem', op: 'alloc', granule: 4096, region: 64 << 20, threads: 1, repetitions: 10, warmup: 1, maxMemShare: 0.5, raw: false, params: {} };

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
      results.push(b.finish({ type: 'result', path: job.path, op: job.op, granule: job.granule, threads: job.threads, status: 'ok', samples: 163840 }));
    }
  return {
    schemaVersion: 1, runId: '2026-11-24T00-00-00Z-bench-0000', suite: { name: 'bench', file: 'bench.yaml' },
    startedAt: '2026-11-24T00:00:00.000Z', finishedAt: '2026-11-24T01:00:00.000Z',
    harness: { version: '0.1.0', probeSha256: '0'.repeat(64), node: process.version },
    hosts: Array.from({ length: hosts }, (_, h) => ({ name: `host${h}`, status: 'ok' as const, labels: { platform: 'snp' }, fingerprint: null })),
    results,
  };
}
