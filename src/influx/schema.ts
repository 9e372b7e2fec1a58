/**
 * The time-series schema (InfluxDB 1.x line protocol; InfluxDB 2/3 accept it through /write).
 * One point per measured row. Tags are low-cardinality only; the run id and other unique values are
 * fields. The timestamp is the run's start, so pushing a run twice writes the same points.
 */
import type { ResultRow, RunSummary } from '../results/schema.js';

export const MEASUREMENT = 'gmembench_latency';

/** tag keys, in the order used everywhere (queries, dashboards, regress) */
export const TAGS = ['host', 'platform', 'kernel', 'suite', 'path', 'op', 'granule', 'threads'] as const;
export type TagKey = (typeof TAGS)[number];

/** numeric fields (ns, except samples) */
export const FIELDS = ['p50', 'p90', 'p99', 'p999', 'min', 'max', 'mean', 'stddev', 'samples'] as const;
export type FieldKey = (typeof FIELDS)[number];

export interface Point {
  measurement: string;
  tags: Record<TagKey, string>;
  fields: Record<string, number | string>;
  /** nanoseconds since the epoch (the run's start) */
  timestampNs: bigint;
}

export function rowToPoint(summary: RunSummary, row: ResultRow): Point | null {
  if (row.status !== 'ok' || row.p50 === null) return null;
  const host = summary.hosts.find((h) => h.name === row.host);
  const fields: Record<string, number | string> = {
    run_id: summary.runId,
    probe_sha256: summary.harness.probeSha256,
  };
  for (const f of FIELDS) {
    const v = row[f];
    if (typeof v === 'number' && Number.isFinite(v)) fields[f] = v;
  }
  return {
    measurement: MEASUREMENT,
    tags: {
      host: row.host,
      platform: host?.labels?.platform ?? 'unknown',
      kernel: host?.fingerprint?.kernel.release ?? 'unknown',
      suite: summary.suite.name,
      path: row.path,
      op: row.op,
      granule: String(row.granule),
      threads: String(row.threads),
    },
    fields,
    timestampNs: BigInt(Date.parse(summary.startedAt)) * 1_000_000n,
  };
}

export function summaryToPoints(summary: RunSummary): Point[] {
  return summary.results.map((r) => rowToPoint(summary, r)).filter((p): p is Point => p !== null);
}
