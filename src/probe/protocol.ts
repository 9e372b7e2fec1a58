/** The probe's job and output lines (docs/probe-protocol.md is the prose version of this file). */
import type { RowStatus } from '../results/schema.js';

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
}

export interface RepLine {
  type: 'rep';
  index: number;
  samples: number;
  min: number;
  max: number;
  sum: number;
  sumsq: number;
  /** [lowest value of bucket in ns, count] */
  buckets: [number, number][];
  raw?: number[];
}

export interface ResultLine {
  type: 'result';
  path: string;
  op: string;
  granule: number;
  threads: number;
  status: RowStatus;
  samples: number;
  reason?: string;
  errno?: number;
  errnoName?: string;
  elapsedNs?: number;
  /** the CPU each thread was pinned to, in thread order; null when the scheduler placed them */
  cpus?: number[] | null;
  extra?: Record<string, unknown>;
}

export type ProbeLine = RepLine | ResultLine | { type: string; [k: string]: unknown };

export function parseProbeLine(line: string): ProbeLine {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error(`probe wrote a line that is not JSON: ${line.slice(0, 200)}`);
  }
  if (typeof v !== 'object' || v === null || typeof (v as { type?: unknown }).type !== 'string') {
    throw new Error(`probe wrote a line without a "type": ${line.slice(0, 200)}`);
  }
  return v as ProbeLine;
}
