/**
 * The hosts' speed indices in InfluxDB, what the host dashboard's "speed index" panel plots
 * (src/dashboards/host.ts). regress --influx writes, beside its verdicts (changes.ts), one point per
 * host, metric and run of the history it judged, stamped with the run's start:
 *
 *   gmembench_speed_index,suite=,host=,metric=p50|p99
 *     index=1.03,change_pct=3.0,series=42i,noise_pct=3.2,run_id="..."   <the run's start>
 *
 * index is the host's speed in that run relative to its usual speed over the history (1 = usual,
 * 1.03 = the typical series 3% slower: src/analysis/speed-index.ts); change_pct is the same as
 * (index - 1) x 100, + = slower. The index of a run is relative to the history it was judged in, so
 * each call rewrites the points of the runs it judged (same series and timestamps: overwritten, not
 * added); noise_pct is the index's own run-to-run noise over that history.
 */
import type { IPoint } from 'influx';
import type { RegressReport } from '../analysis/regress.js';

export const SPEED_INDEX_MEASUREMENT = 'gmembench_speed_index';

/** tag keys of gmembench_speed_index */
export const SPEED_INDEX_TAGS = ['suite', 'host', 'metric'] as const;

export function speedIndexPoints(report: RegressReport, suite: string): IPoint[] {
  return (report.speedIndex ?? []).flatMap((ix) =>
    ix.points.map((p) => ({
      measurement: SPEED_INDEX_MEASUREMENT,
      tags: { suite, host: ix.host, metric: ix.metric },
      fields: {
        index: p.value,
        change_pct: (p.value - 1) * 100,
        series: ix.series,
        noise_pct: ix.noisePct,
        run_id: p.runId,
      },
      timestamp: new Date(Date.parse(p.startedAt)),
    })),
  );
}
