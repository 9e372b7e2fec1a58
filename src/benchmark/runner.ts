/** Measure one host: deliver the probe, fingerprint, then run every job of the suite in turn. */
import type { HostConfig } from '../config/hosts.js';
import type { Suite } from '../config/suite.js';
import type { ProbeBinary } from '../probe/build.js';
import { ProbeClient } from '../probe/client.js';
import { ensureProbe } from '../probe/deliver.js';
import type { ProbeJob } from '../probe/protocol.js';
import type { HostEntry, ResultRow } from '../results/schema.js';
import type { RunWriter } from '../results/writer.js';
import type { Transport } from '../transport/transport.js';
import { RowBuilder } from '../analysis/summarize.js';
import { formatSize } from '../util/units.js';
import { expandJobs } from './jobs.js';
import { classify } from './failure.js';
import { reserveHugePages, type Reservation } from './hugetlb.js';

export interface RunHostContext {
  host: HostConfig;
  transport: Transport;
  probe: ProbeBinary;
  suite: Suite;
  writer: RunWriter;
  raw?: boolean;
  maxMemShare?: number;
  signal?: AbortSignal;
  /** per-job time limit; a probe run past it is killed and the host marked `timeout` */
  jobTimeoutMs?: number;
  onProgress?: (message: string, done: number, total: number) => void;
  onRow?: (row: ResultRow) => void;
}

export function jobLabel(j: Pick<ProbeJob, 'path' | 'op' | 'granule' | 'threads'>): string {
  return `${j.path} ${j.op} ${formatSize(j.granule)} t${j.threads}`;
}

export async function runHost(ctx: RunHostContext): Promise<HostEntry> {
  const { host, transport } = ctx;
  const entry: HostEntry = { name: host.name, status: 'ok', labels: host.labels ?? {}, fingerprint: null };
  let hugePages: Reservation | null = null;
  try {
    if (host.hugetlbPages) {
      ctx.onProgress?.(`reserving ${host.hugetlbPages} hugetlb pages`, 0, 0);
      hugePages = await reserveHugePages(transport, host.hugetlbPages).catch((err: Error) => {
        ctx.onProgress?.(`hugetlb reservation refused: ${err.message}`, 0, 0);
        return null;
      });
    }
    ctx.onProgress?.('delivering probe', 0, 0);
    const probePath = await ensureProbe(transport, ctx.probe, (m) => ctx.onProgress?.(m, 0, 0));
    const client = new ProbeClient(transport, probePath);
    ctx.onProgress?.('fingerprint', 0, 0);
    entry.fingerprint = await client.fingerprint(ctx.signal);
    await ctx.writer.setHost(entry);
    const jobs = expandJobs(ctx.suite, entry.fingerprint, {
      raw: ctx.raw,
      maxMemShare: ctx.maxMemShare ?? host.maxMemShare,
    });
    for (const [i, job] of jobs.entries()) {
      if (ctx.signal?.aborted) throw new Error('run cancelled');
      ctx.onProgress?.(jobLabel(job), i, jobs.length);
      // repetitions are folded in as they stream in: memory stays flat however many calls a job times
      const builder = new RowBuilder(host.name, job);
      const raw: number[][] = [];
      const { result } = await client.run(job, {
        signal: ctx.signal,
        timeoutMs: ctx.jobTimeoutMs,
        keepReps: false,
        onRep: (rep) => {
          builder.addRep(rep);
          if (job.raw) raw.push(rep.raw ?? []);
        },
      });
      const row = builder.finish(result);
      if (job.raw && raw.length > 0) {
        row.rawFile = await ctx.writer.writeRaw(`${host.name}-${job.path}-${job.op}-${job.granule}-t${job.threads}`, raw);
      }
      await ctx.writer.addRow(row);
      ctx.onRow?.(row);
    }
    ctx.onProgress?.('done', jobs.length, jobs.length);
  } catch (err) {
    const failure = classify(host.name, err);
    entry.status = 'failed';
    entry.subStatus = failure.subStatus;
    entry.error = failure.message;
  } finally {
    await hugePages?.restore().catch(() => undefined);
  }
  await ctx.writer.setHost(entry);
  return entry;
}
