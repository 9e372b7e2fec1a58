/**
 * Turn a probe's output (repetition lines, then a result line) into a summary row. Repetitions are
 * folded into one HdrHistogram as they arrive, so memory does not grow with the number of calls.
 */
import type { ProbeJob, RepLine, ResultLine } from '../probe/protocol.js';
import type { RepStat, ResultRow } from '../results/schema.js';
import { encode, fromBuckets, merge, newHistogram, percentiles, type Histogram } from './histogram.js';

export class RowBuilder {
  private readonly all: Histogram = newHistogram();
  private readonly reps: RepStat[] = [];
  private n = 0;
  private sum = 0;
  private sumsq = 0;
  private min = Infinity;
  private max = -Infinity;

  constructor(
    readonly host: string,
    readonly job: ProbeJob,
  ) {}

  /** process: the index of the probe process that measured it, when several did */
  addRep(rep: RepLine, process?: number): void {
    if (rep.samples <= 0) return;
    const h = fromBuckets(rep.buckets);
    const p = percentiles(h);
    const wall = this.job.threads > 1 && rep.wallNs !== undefined;
    this.reps.push({
      samples: rep.samples,
      p50: p.p50,
      p99: p.p99,
      mean: rep.sum / rep.samples,
      ...(process !== undefined && { process }),
      ...(rep.syscallNs && { syscallNs: rep.syscallNs }),
      ...(wall && { wall: rep.wallNs! / rep.samples }),
    });
    merge(this.all, h);
    h.destroy();
    this.n += rep.samples;
    this.sum += rep.sum;
    this.sumsq += rep.sumsq;
    this.min = Math.min(this.min, rep.min);
    this.max = Math.max(this.max, rep.max);
  }

  finish(result: ResultLine): ResultRow {
    const { host, job } = this;
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
    if (this.n === 0) {
      return {
        ...base,
        samples: 0,
        min: null,
        p50: null,
        p90: null,
        p99: null,
        p999: null,
        max: null,
        mean: null,
        stddev: null,
        histogram: null,
        repetitions: [],
      };
    }
    const n = this.n;
    const mean = this.sum / n;
    const variance = n > 1 ? Math.max(0, (this.sumsq - n * mean * mean) / (n - 1)) : 0;
    // HDR percentiles are bucket-equivalent values (< 0.1% off): keep them within the exact min and max
    const p = percentiles(this.all);
    const clamp = (v: number) => Math.min(this.max, Math.max(this.min, v));
    const refs = this.reps.flatMap((r) => (r.syscallNs ? [r.syscallNs] : []));
    // the passes' wall time over their calls, when every repetition timed it (jobs of 2+ threads)
    const walled = this.reps.every((r) => r.wall !== undefined);
    return {
      ...base,
      samples: n,
      min: this.min,
      p50: clamp(p.p50),
      p90: clamp(p.p90),
      p99: clamp(p.p99),
      p999: clamp(p.p999),
      max: this.max,
      mean,
      stddev: Math.sqrt(variance),
      ...(walled && { wall: this.reps.reduce((a, r) => a + r.wall! * r.samples, 0) / n }),
      histogram: encode(this.all),
      repetitions: this.reps,
      ...(refs.length && { syscallNs: refs.reduce((a, b) => a + b, 0) / refs.length }),
    };
  }
}

/** All at once, for callers that already hold the lines. */
export function summarizeRow(host: string, job: ProbeJob, reps: RepLine[], result: ResultLine): ResultRow {
  const b = new RowBuilder(host, job);
  for (const r of reps) b.addRep(r);
  return b.finish(result);
}
