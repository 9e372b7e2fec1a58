/**
 * The probe's job and output lines (docs/probe-protocol.md is the prose version of this file). Every
 * line the probe writes is checked against these zod schemas: a line that does not match is an
 * error naming the field, which the client reports as the host's `probe-error`.
 */
import { z } from 'zod';
import { rowStatus } from '../results/summary-schema.js';
import { issueText } from '../util/zod-issue.js';
import { fingerprintSchema, type Fingerprint } from './fingerprint.js';

export interface ProbeJob {
  path: string;
  op: string;
  granule: number;
  region: number;
  threads: number;
  repetitions: number;
  warmup: number;
  maxMemShare: number;
  raw: boolean;
  params: Record<string, unknown>;
  /** another path timed in the same process, the two jobs' passes interleaved (probe/run.c) */
  pair?: string;
}

const count = z.number().int().nonnegative();

export const repLineSchema = z.object({
  type: z.literal('rep'),
  index: count,
  samples: count,
  min: z.number(),
  max: z.number(),
  sum: z.number(),
  sumsq: z.number(),
  /** the median null syscall timed around the pass (probe/ref.c); absent from older probes */
  syscallNs: z.number().nonnegative().optional(),
  /** the pass's wall time, ns: the first thread leaving the barrier to the last one's last call; absent from older probes */
  wallNs: count.optional(),
  /** [lowest value of bucket in ns, count] */
  buckets: z.array(z.tuple([z.number(), count])),
  raw: z.array(z.number()).optional(),
  /** the job's path, when the process times two (a job with "pair") */
  path: z.string().optional(),
});
export type RepLine = z.infer<typeof repLineSchema>;

export const resultLineSchema = z.object({
  type: z.literal('result'),
  path: z.string(),
  op: z.string(),
  granule: z.number(),
  threads: z.number().int(),
  status: rowStatus,
  samples: count,
  reason: z.string().optional(),
  errno: z.number().int().optional(),
  errnoName: z.string().optional(),
  elapsedNs: z.number().optional(),
  /** the CPU each thread was pinned to, in thread order; null when the scheduler placed them */
  cpus: z.array(z.number().int()).nullable().optional(),
  /** the op's own figures: checked against its workload's extra schema by the client */
  extra: z.record(z.string(), z.unknown()).optional(),
});
export type ResultLine = z.infer<typeof resultLineSchema>;

/** `gmembench-probe version`: its version and the ops it was built with (probe/ops.h) */
export const versionLineSchema = z.object({ type: z.literal('version'), probe: z.string(), ops: z.array(z.string()) });
export type VersionLine = z.infer<typeof versionLineSchema>;

const fingerprintLineSchema = fingerprintSchema.extend({ type: z.literal('fingerprint') });

const LINE_SCHEMAS = [repLineSchema, resultLineSchema, fingerprintLineSchema, versionLineSchema] as const;
export const probeLineSchema = z.discriminatedUnion('type', [...LINE_SCHEMAS]);
export type ProbeLine = RepLine | ResultLine | VersionLine | (Fingerprint & { type: 'fingerprint' });

const LINE_TYPES = ['rep', 'result', 'fingerprint', 'version'];

/** Parse and check one line; throws naming the line type and the field that does not match. */
export function parseProbeLine(line: string): ProbeLine {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error(`probe wrote a line that is not JSON: ${line.slice(0, 200)}`);
  }
  const type = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  if (typeof type !== 'string') throw new Error(`probe wrote a line without a "type": ${line.slice(0, 200)}`);
  if (!LINE_TYPES.includes(type))
    throw new Error(`probe wrote a line of unknown type "${type}": ${line.slice(0, 200)}`);
  const r = probeLineSchema.safeParse(v);
  if (!r.success)
    throw new Error(`probe wrote a "${type}" line that does not match the protocol: ${issueText(r.error)}`);
  return r.data;
}
