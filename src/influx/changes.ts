/**
 * regress's verdicts in InfluxDB, what the Grafana alert rules read (src/dashboards/alerts.ts): each
 * call of regress with --influx writes one point per series and metric, stamped with the start of
 * the newest run it judged (so judging the same history again writes the same points):
 *
 *   gmembench_changes,suite=,host=,path=,op=,granule=,size=4K|2M,threads=,metric=
 *     regressed=1i|0i,direction="slower"|"faster"|"none",change_pct=5.2,first_run="...",
 *     last_good_run="...",host_wide=false,as_of_run="..."   <newest run's start>
 *
 * `regressed` is 1 while the series' latest change point (its own or its part of a host-wide
 * shift) is a regression; change_pct (+ = slower), first_run and last_good_run describe that change
 * point (a series that never changed has direction "none" and change_pct 0). A series that gets
 * better or stops being judged gets regressed=0 or no newer point, so an alert on last(regressed)
 * fires exactly while regress says the series is regressed.
 */
import type { IPoint } from 'influx';
import { seriesStates, type RegressReport } from '../analysis/regress.js';
import type { HistoryRun } from '../analysis/series.js';
import { formatSize } from '../util/units.js';
import { connectInflux, redactUrl, type InfluxTarget } from './connect.js';
import { SPEED_INDEX_MEASUREMENT, speedIndexPoints } from './speed-index.js';

export const CHANGES_MEASUREMENT = 'gmembench_changes';

/** tag keys of gmembench_changes: a series of gmembench_latency (without platform and kernel), the granule also as 4K/2M, the metric */
export const CHANGE_TAGS = ['suite', 'host', 'path', 'op', 'granule', 'size', 'threads', 'metric'] as const;

/** The suite a history is of: the one its runs share, else "mixed". */
export function historySuite(runs: HistoryRun[]): string {
  const suites = [...new Set(runs.map((r) => r.suite))];
  return suites.length === 1 && suites[0] ? suites[0] : 'mixed';
}

export function changePoints(report: RegressReport, runs: HistoryRun[], suite = historySuite(runs)): IPoint[] {
  const newest = runs[runs.length - 1];
  if (!newest) return [];
  return seriesStates(report).map((st) => {
    const [host, path, op, granule, threads] = st.series.split('/');
    const l = st.latest;
    return {
      measurement: CHANGES_MEASUREMENT,
      tags: { suite, host, path, op, granule, size: formatSize(Number(granule)), threads, metric: st.metric },
      fields: {
        regressed: st.regressed ? 1 : 0,
        direction: st.direction,
        change_pct: l?.changePct ?? 0,
        first_run: l?.firstRunId ?? '',
        last_good_run: l?.lastGoodRunId ?? '',
        host_wide: l?.hostWide ?? false,
        as_of_run: newest.runId,
        ...(l?.change && { before: l.change.before, after: l.change.after, p_value: l.change.pValue }),
      },
      timestamp: new Date(Date.parse(newest.startedAt)),
    };
  });
}

/**
 * Write the verdicts, and the hosts' speed indices (speed-index.ts), into the database the history
 * was read from; returns the points written.
 */
export async function writeChangePoints(
  target: InfluxTarget,
  report: RegressReport,
  runs: HistoryRun[],
  suite = historySuite(runs),
): Promise<number> {
  const points = [...changePoints(report, runs, suite), ...speedIndexPoints(report, suite)];
  if (points.length === 0) return 0;
  const influx = connectInflux(target);
  try {
    await influx.writePoints(points, { precision: 'ms', database: target.db });
  } catch (err) {
    throw new Error(
      `--influx ${redactUrl(target.url)} (db ${target.db}): cannot write ${CHANGES_MEASUREMENT} and ${SPEED_INDEX_MEASUREMENT}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return points.length;
}
