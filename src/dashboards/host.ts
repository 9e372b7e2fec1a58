/**
 * Host drill-down: one host's percentiles, spread and sample counts per path and op, the kernels it
 * ran, and what regress decided about it (its speed index and each series' latest verdict, written
 * by regress --influx: src/influx/speed-index.ts, src/influx/changes.ts).
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { baseDashboard, latencyPanel } from './common.js';
import { datasourceVariable, suiteVariable, fieldOverTime, FROM, groupBy, InfluxQLBuilder, q, tagVariable, where, type FilterTag } from './queries.js';
import type { FieldKey } from '../influx/schema.js';
import { CHANGES_MEASUREMENT } from '../influx/changes.js';
import { SPEED_INDEX_MEASUREMENT } from '../influx/speed-index.js';

export const HOST_UID = 'gmembench-host';
const VARS: FilterTag[] = ['suite', 'host', 'path', 'op', 'granule', 'threads'];
const LINE = ['path', 'granule', 'threads'] as const;
const ALIAS = '$tag_path $tag_granule B x$tag_threads';

/** the series of a verdict in gmembench_changes (size: the granule as 4K/2M) */
const VERDICT_SERIES = ['path', 'op', 'size', 'threads', 'metric'] as const;

function metricTarget(field: FieldKey, refId: string): InfluxQLBuilder {
  return new InfluxQLBuilder(fieldOverTime(field, VARS, [...LINE])).refId(refId).alias(`${ALIAS} ${field}`);
}

export function hostDashboard(): Dashboard {
  return baseDashboard(HOST_UID, 'gmembench / host', 'One host in detail: every percentile, mean and stddev, samples, and the kernels it ran.')
    .withVariable(datasourceVariable())
    .withVariable(suiteVariable())
    .withVariable(tagVariable('host', 'host', { multi: false }))
    .withVariable(tagVariable('path', 'path', { filterBy: ['host'] }))
    .withVariable(tagVariable('op', 'op', { filterBy: ['host'] }))
    .withVariable(tagVariable('granule', 'granule (bytes)', { filterBy: ['host'] }))
    .withVariable(tagVariable('threads', 'threads', { filterBy: ['host'] }))
    .withRow(new RowBuilder('$host: percentiles per op'))
    .withPanel(
      latencyPanel('$op on $host: p50, p90, p99, p99.9', 'Percentiles of one call per path (repeated for each selected op).')
        .repeat('op')
        .maxPerRow(2)
        .withTarget(metricTarget('p50', 'A'))
        .withTarget(metricTarget('p90', 'B'))
        .withTarget(metricTarget('p99', 'C'))
        .withTarget(metricTarget('p999', 'D')),
    )
    .withRow(new RowBuilder('$host: tails and spread'))
    .withPanel(
      latencyPanel('max per call', 'The slowest call of each run (one outlier is enough to move it).')
        .withTarget(new InfluxQLBuilder(fieldOverTime('max', VARS, ['op', ...LINE], { fn: 'max' })).refId('A').alias(`$tag_op ${ALIAS}`)),
    )
    .withPanel(
      latencyPanel('mean and stddev', 'Mean per call and its standard deviation.')
        .withTarget(new InfluxQLBuilder(fieldOverTime('mean', VARS, ['op', ...LINE])).refId('A').alias(`$tag_op ${ALIAS} mean`))
        .withTarget(new InfluxQLBuilder(fieldOverTime('stddev', VARS, ['op', ...LINE])).refId('B').alias(`$tag_op ${ALIAS} stddev`)),
    )
    .withPanel(
      latencyPanel('timed calls per run', 'Samples behind each point: a drop means a smaller region or failed repetitions.')
        .unit('short')
        .withTarget(new InfluxQLBuilder(fieldOverTime('samples', VARS, ['op', ...LINE], { fn: 'max' })).refId('A').alias(`$tag_op ${ALIAS}`)),
    )
    .withPanel(
      new TablePanel()
        .title('kernels and platforms')
        .description('Each kernel release this host ran in the time range, with its first and last run.')
        .span(12)
        .height(9)
        .withTarget(
          new InfluxQLBuilder(`SELECT first("run_id") AS "first run", last("run_id") AS "last run", count("p50") AS "points" FROM ${FROM} WHERE ${where(['host'])} ${groupBy(['kernel', 'platform'])}`)
            .table()
            .refId('A'),
        ),
    )
    .withRow(new RowBuilder('$host: what regress decided'))
    .withPanel(
      latencyPanel(
        'speed index of $host: % vs its usual speed (+ = slower)',
        "From regress --influx: per run, the host's typical series (the median of all its series) against its usual speed over the history regress judged, in % (+ = slower, - = faster). The whole host moving shows here once; a step regress told is a host-wide shift (its text says what changed in the fingerprint).",
      )
        .unit('percent')
        .withTarget(
          new InfluxQLBuilder(
            `SELECT mean(${q('change_pct')}) AS ${q('change_pct')} FROM ${q(SPEED_INDEX_MEASUREMENT)} WHERE ${where(['suite', 'host'])} ${groupBy(['metric'], { interval: true })}`,
          )
            .refId('A')
            .alias('speed index $tag_metric, % (+ = slower)'),
        ),
    )
    .withPanel(
      new TablePanel()
        .title('latest verdict per series')
        .description(
          "From regress --influx: each series' latest verdict. regressed 1 while the series is regressed (what the alert rules fire on); change_pct = (candidate - baseline) / baseline of the latency, + = slower; host_wide: part of a shift of the whole host.",
        )
        .span(12)
        .height(9)
        .withTarget(
          // the newest point of each series as it is (several last() selectors would give the range's start as the time)
          new InfluxQLBuilder(
            `SELECT "regressed", "direction", "change_pct", "first_run", "last_good_run", "host_wide" FROM ${q(CHANGES_MEASUREMENT)} WHERE ${where(['suite', 'host'])} ${groupBy(VERDICT_SERIES)} ORDER BY time DESC LIMIT 1`,
          )
            .table()
            .refId('A'),
        ),
    )
    .build();
}
