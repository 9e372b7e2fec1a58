/** Overview: each op's p50 and p99 over time, one line per path (and host, granule); the latest run as a table. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { baseDashboard, latencyPanel } from './common.js';
import { datasourceVariable, suiteVariable, fieldOverTime, FROM, groupBy, InfluxQLBuilder, tagVariable, where, type FilterTag } from './queries.js';

export const OVERVIEW_UID = 'gmembench-overview';
const VARS: FilterTag[] = ['suite', 'host', 'path', 'op', 'granule', 'threads', 'kernel'];

export function overviewDashboard(): Dashboard {
  const series = ['host', 'path', 'op', 'granule', 'threads'] as const;
  return baseDashboard(OVERVIEW_UID, 'gmembench / overview', 'Guest memory latency per op and backing path over time (gmembench push writes one point per run and series).')
    .withVariable(datasourceVariable())
    .withVariable(suiteVariable())
    .withVariable(tagVariable('host', 'host'))
    .withVariable(tagVariable('path', 'path'))
    .withVariable(tagVariable('op', 'op'))
    .withVariable(tagVariable('granule', 'granule (bytes)'))
    .withVariable(tagVariable('threads', 'threads'))
    .withVariable(tagVariable('kernel', 'kernel', { filterBy: ['host'] }))
    .withRow(new RowBuilder('p50 and p99 per op'))
    .withPanel(
      latencyPanel('$op: p50 and p99 per path', 'Median and 99th percentile of one call, per backing path; one point per run (repeated for each selected op).')
        .repeat('op')
        .repeatDirection('h')
        .maxPerRow(2)
        .withTarget(new InfluxQLBuilder(fieldOverTime('p50', VARS, ['host', 'path', 'granule', 'threads'])).refId('A').alias('$tag_path p50 $tag_granule B x$tag_threads $tag_host'))
        .withTarget(new InfluxQLBuilder(fieldOverTime('p99', VARS, ['host', 'path', 'granule', 'threads'])).refId('B').alias('$tag_path p99 $tag_granule B x$tag_threads $tag_host')),
    )
    .withRow(new RowBuilder('latest run'))
    .withPanel(
      new TablePanel()
        .title('latest value per series')
        .description('The last run of each series in the time range, with that run\'s own time: percentiles in ns and the run id to find results/<run>/summary.json.')
        .unit('ns')
        .overrideByName('samples', [{ id: 'unit', value: 'short' }])
        .overrideByName('run_id', [{ id: 'unit', value: 'string' }])
        .span(24)
        .height(10)
        .withTarget(
          // the newest point of each series as it is, not last() of each field: several selectors in
          // one query return the start of the range as the time instead of the run's
          new InfluxQLBuilder(`SELECT "p50", "p99", "p999", "max", "samples", "run_id" FROM ${FROM} WHERE ${where(VARS)} ${groupBy(series)} ORDER BY time DESC LIMIT 1`)
            .table()
            .refId('A'),
        ),
    )
    .build();
}
