/**
 * regress's side of InfluxDB: read the run history back from gmembench_latency (one point per run
 * and series, grouped by the series tags; run_id is a field), and write change points as Grafana
 * annotations into the measurement gmembench_annotations:
 *
 *   gmembench_annotations,host=,path=,op=,granule=,threads=,metric=,kind=regression|improvement
 *     title="...",text="...",tags="gmembench,regression,<host>,<op>",run_id="...",change_pct=5.2,
 *     before=812,after=855,p_value=1e-5   <first run's start time>
 *
 * In Grafana: an InfluxDB annotation query `SELECT "text", "tags" FROM "gmembench_annotations" WHERE $timeFilter`
 * (map Text to text and Tags to tags).
 */
import { escape } from 'influx';
import type { Change } from '../analysis/regress.js';
import type { HistoryRow, HistoryRun } from '../analysis/series.js';
import { sortRuns } from '../analysis/series.js';
import { connectInflux, redactUrl, type InfluxTarget } from './connect.js';
import { influxqlString, MEASUREMENT } from './schema.js';
import { dropHosts } from '../lab/history.js';

export const ANNOTATION_MEASUREMENT = 'gmembench_annotations';

const SERIES_TAGS = ['host', 'path', 'op', 'granule', 'threads'] as const;

export function historyQuery(opts: { suite?: string } = {}): string {
  const where = opts.suite !== undefined ? ` WHERE "suite" = ${influxqlString(opts.suite)}` : '';
  return `SELECT "p50", "p99", "wall", "samples", "syscall_ns", "run_id", "kernel", "suite", "emulation" FROM ${escape.measurement(MEASUREMENT)}${where} GROUP BY ${SERIES_TAGS.map((t) => escape.quoted(t)).join(', ')}`;
}

interface LatencyRow {
  time: Date;
  p50?: number | null;
  p99?: number | null;
  wall?: number | null;
  samples?: number | null;
  syscall_ns?: number | null;
  run_id?: string | null;
  kernel?: string | null;
  suite?: string | null;
  emulation?: string | null;
  host: string;
  path: string;
  op: string;
  granule: string;
  threads: string;
}

/**
 * The runs in gmembench_latency, oldest first. Rows tagged `emulation=tcg` (pushed with
 * --allow-emulated) are left out unless `allowEmulated`; `skipped` says, per run, what was.
 */
export async function readInfluxHistory(
  target: InfluxTarget,
  opts: { suite?: string; allowEmulated?: boolean } = {},
): Promise<{ runs: HistoryRun[]; skipped: string[] }> {
  const influx = connectInflux(target);
  let rows: LatencyRow[];
  try {
    rows = (await influx.query<LatencyRow>(historyQuery(opts))) as unknown as LatencyRow[];
  } catch (err) {
    throw new Error(
      `--influx ${redactUrl(target.url)} (db ${target.db}): cannot read ${MEASUREMENT}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const runs = new Map<string, HistoryRun>();
  const emulated = new Map<string, Set<string>>(); // run id -> hosts tagged emulation=tcg
  for (const r of rows) {
    const startedAt = r.time.toISOString();
    // points written without run_id (by other tools) still make one run per timestamp
    const runId = r.run_id ?? startedAt;
    let run = runs.get(runId);
    if (!run) {
      run = { runId, startedAt, suite: r.suite ?? '', rows: [] };
      runs.set(runId, run);
    }
    if (r.emulation === 'tcg') emulated.set(runId, (emulated.get(runId) ?? new Set()).add(r.host));
    const row: HistoryRow = {
      host: r.host,
      path: r.path,
      op: r.op,
      granule: Number(r.granule),
      threads: Number(r.threads),
      p50: typeof r.p50 === 'number' ? r.p50 : null,
      p99: typeof r.p99 === 'number' ? r.p99 : null,
      ...(typeof r.wall === 'number' && { wall: r.wall }),
      ...(typeof r.samples === 'number' && { samples: r.samples }),
      ...(typeof r.syscall_ns === 'number' && { syscallNs: r.syscall_ns }),
      ...(r.kernel && { kernel: r.kernel }),
    };
    run.rows.push(row);
  }
  const sorted = sortRuns([...runs.values()]);
  const skipped = opts.allowEmulated
    ? []
    : sorted.map((run) => dropHosts(run, emulated.get(run.runId) ?? new Set())).filter((l) => l !== null);
  return { runs: sorted, skipped };
}

export async function writeInfluxAnnotations(target: InfluxTarget, changes: Change[]): Promise<number> {
  if (changes.length === 0) return 0;
  const influx = connectInflux(target);
  try {
    await influx.writePoints(
      changes.map((c) => ({
        measurement: ANNOTATION_MEASUREMENT,
        tags: {
          host: c.host,
          path: c.path,
          op: c.op,
          granule: String(c.granule),
          threads: String(c.threads),
          metric: c.metric,
          kind: c.kind,
        },
        fields: {
          title: `${c.kind}: ${c.series} ${c.metric}`,
          text: `${c.series} ${c.metric} ${c.changePct >= 0 ? '+' : ''}${c.changePct.toFixed(1)}% from run ${c.firstRunId} (last good ${c.lastGoodRunId})`,
          tags: ['gmembench', c.kind, c.host, c.op, c.metric].join(','),
          run_id: c.firstRunId,
          change_pct: c.changePct,
          before: c.before,
          after: c.after,
          p_value: c.pValue,
        },
        timestamp: new Date(Date.parse(c.firstStartedAt)),
      })),
      { precision: 'ms' },
    );
  } catch (err) {
    throw new Error(
      `--influx ${redactUrl(target.url)} (db ${target.db}): cannot write ${ANNOTATION_MEASUREMENT}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return changes.length;
}
