/**
 * The time-series schema (InfluxDB 1.x line protocol; InfluxDB 2/3 accept it through /write).
 * One point per measured row. Tags are low-cardinality only; the run id and other unique values are
 * fields. The timestamp is the run's start, so pushing a run twice writes the same points.
 */
import type { ResultRow, RunSummary } from '../results/schema.js';
import { hostEmulation } from '../lab/emulation.js';

export const MEASUREMENT = 'gmembench_latency';

/** tag keys, in the order used everywhere (queries, dashboards, regress) */
export const TAGS = ['host', 'platform', 'kernel', 'emulation', 'suite', 'path', 'op', 'granule', 'threads'] as const;
export type TagKey = (typeof TAGS)[number];

/** numeric fields (ns, except samples); wall: the pass's wall time a call, rows of 2+ threads (ResultRow.wall) */
export const FIELDS = ['p50', 'p90', 'p99', 'p999', 'min', 'max', 'mean', 'stddev', 'samples', 'wall'] as const;
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
  // the null syscall beside the row's passes (probe/ref.c): regress --influx --reference syscall
  if (row.syscallNs) fields.syscall_ns = row.syscallNs;
  return {
    measurement: MEASUREMENT,
    tags: {
      host: row.host,
      platform: host?.labels?.platform ?? 'unknown',
      kernel: host?.fingerprint?.kernel.release ?? 'unknown',
      // tcg rows are pushed only with --allow-emulated; the tag keeps them apart from real hosts' rows
      emulation: (host && hostEmulation(host)) ?? 'unknown',
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

/**
 * Line protocol, exactly as InfluxDB 1.x reads it (models/points.go, checked against influxd in
 * test/push.test.ts): in a tag value a space, comma or "=" is escaped by the backslash before it and
 * every other backslash is literal; so a value ending in a backslash (it would escape the separator
 * after it), a control character (a newline ends the line) and an empty value cannot be written.
 * The suite's names and labels are refused at load for the same reasons (config/names.ts); a point
 * that still has one is not written, never mangled.
 */
export function tagValueProblem(v: string): string | null {
  if (v.length === 0) return 'is empty';
  const c = CONTROL_CHAR.exec(v);
  if (c) return `contains a control character (U+${c[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`;
  if (v.endsWith('\\')) return 'ends with a backslash (InfluxDB line protocol cannot store that)';
  return null;
}

/** C0 and C1 control characters and DEL (matching them is the point) */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/;

export class LineProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LineProtocolError';
  }
}

/** A tag key or value as line protocol writes it (throws LineProtocolError when it cannot be). */
export function escapeTag(v: string, what = 'tag'): string {
  const problem = tagValueProblem(v);
  if (problem) throw new LineProtocolError(`${what} ${JSON.stringify(v)} ${problem}`);
  return v.replace(/[ ,=]/g, '\\$&');
}

/** A string field value, quoted: backslashes and double quotes escaped (control characters refused). */
export function escapeStringField(v: string, what = 'field'): string {
  const c = CONTROL_CHAR.exec(v);
  if (c) throw new LineProtocolError(`${what} ${JSON.stringify(v)} contains a control character`);
  return `"${v.replace(/[\\"]/g, '\\$&')}"`;
}

/**
 * An InfluxQL string literal: backslashes and single quotes escaped (the influx package's
 * escape.stringLit leaves backslashes alone, so a suite named a\b is a query syntax error).
 */
export function influxqlString(v: string): string {
  return `'${v.replace(/[\\']/g, '\\$&')}'`;
}

export function summaryToPoints(summary: RunSummary): Point[] {
  return summary.results.map((r) => rowToPoint(summary, r)).filter((p): p is Point => p !== null);
}
