/** Turn a probe outcome (repetition lines + result line) into a summary row. */
import type { ProbeJob, RepLine, ResultLine } from '../probe/protocol.js';
import type { RepStat, ResultRow } from '../results/schema.js';
import { encode, fromBuckets, merge, newHistogram, percentiles } from './histogram.js';

export function summarizeRow(host: string, job: ProbeJob, reps: RepLine[], result: ResultLine): ResultRow {
  const base = {
    host,
    path: job.path,
    op: job.op,
    granule: job.granule,
    threads: job.threads,
    status: result.status,
    ...(result.reason !== undefined && { reason: result.reason }),
    ...(result.errno !== undefined && { errno: result.errno }),
    ...(result.errnoName !== undefined && { errnoName: result.errnoName }),
    unit: 'ns' as const,
    params: { region: job.region, repetitions: job.repetitions, warmup: job.warmup, ...job.params },
    ...(result.extra !== undefined && { extra: result.extra }),
  };
  const withSamples = reps.filter((r) => r.samples > 0);
  if (withSamples.length === 0) {
    return {
      ...base, samples: 0, min: null, p50: null, p90: null, p99: null, p999: null,
      max: null, mean: null, stddev: null, histogram: null, repetitions: [],
    };
  }
  const all = newHistogram();
  const repStats: RepStat[] = [];
  let n = 0, sum = 0, sumsq = 0, min = Infinity, max = -Infinity;
  for (const rep of withSamples) {
    const h = fromBuckets(rep.buckets);
    const p = percentiles(h);
    repStats.push({ samples: rep.samples, p50: p.p50, p99: p.p99, mean: rep.sum / rep.samples });
    merge(all, h);
    n += rep.samples;
    sum += rep.sum;
    sumsq += rep.sumsq;
    min = Math.min(min, rep.min);
    max = Math.max(max, rep.max);
  }
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, (sumsq - n * mean * mean) / (n - 1)) : 0;
  return {
    ...base,
    samples: n,
    min,
    ...percentiles(all),
    max,
    mean,
    stddev: Math.sqrt(variance),
    histogram: encode(all),
    repetitions: repStats,
  };
}
