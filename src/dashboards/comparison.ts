/**
 * shmem vs guest_memfd: the ratio gmem / shmem of p50 and p99 per op, granule and host (below 1:
 * guest_memfd is faster). InfluxQL cannot divide one tag value's series by another's, so each panel
 * has two hidden InfluxQL queries (gmem, shmem; same GROUP BY, hence the same labels) and a Grafana
 * math expression $A / $B that pairs the series by those labels.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { RowBuilder, ThresholdsConfigBuilder, ThresholdsMode } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { TypeMathBuilder } from '@grafana/grafana-foundation-sdk/expr';
import { GraphThresholdsStyleConfigBuilder, GraphThresholdsStyleMode, VisibilityMode } from '@grafana/grafana-foundation-sdk/common';
import { baseDashboard, granuleRenames, latencyPanel, tableLegend } from './common.js';
import { datasourceVariable, suiteVariable, EXPR_DATASOURCE, fieldOverTime, InfluxQLBuilder, tagVariable, type FilterTag } from './queries.js';
import type { FieldKey } from '../influx/schema.js';

export const COMPARISON_UID = 'gmembench-shmem-vs-gmem';
const VARS: FilterTag[] = ['suite', 'host', 'op', 'granule', 'threads', 'kernel'];
const SERIES = ['host', 'op', 'granule', 'threads'] as const;

function ratioPanel(metric: FieldKey): TimeseriesPanel {
  const side = (path: string, refId: string) =>
    new InfluxQLBuilder(fieldOverTime(metric, VARS, [...SERIES], { fixed: [`"path" = '${path}'`] })).refId(refId).hide(true);
  return new TimeseriesPanel()
    .title(`guest_memfd / shmem ${metric}`)
    .description(`${metric} of gmem divided by ${metric} of shmem for the same op, granule, threads and host in the same run. 1 = equal, below 1 = guest_memfd faster.`)
    .legend(tableLegend())
    .transformations(granuleRenames())
    .unit('none')
    .decimals(2)
    .showPoints(VisibilityMode.Always)
    .pointSize(5)
    .spanNulls(true)
    .thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([{ value: null as never, color: 'green' }, { value: 1, color: 'red' }]))
    .thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Line))
    .span(12)
    .height(9)
    .withTarget(side('gmem', 'A'))
    .withTarget(side('shmem', 'B'))
    .withTarget(new TypeMathBuilder().refId('C').datasource(EXPR_DATASOURCE).expression('$A / $B'));
}

export function comparisonDashboard(): Dashboard {
  return baseDashboard(COMPARISON_UID, 'gmembench / shmem vs guest_memfd', 'guest_memfd (gmem) against shmem (memfd) backing: latency ratios and both paths side by side.')
    .withVariable(datasourceVariable())
    .withVariable(suiteVariable())
    .withVariable(tagVariable('host', 'host'))
    .withVariable(tagVariable('op', 'op'))
    .withVariable(tagVariable('granule', 'granule (bytes)'))
    .withVariable(tagVariable('threads', 'threads'))
    .withVariable(tagVariable('kernel', 'kernel', { filterBy: ['host'] }))
    .withRow(new RowBuilder('ratio gmem / shmem'))
    .withPanel(ratioPanel('p50'))
    .withPanel(ratioPanel('p99'))
    .withRow(new RowBuilder('side by side'))
    .withPanel(
      latencyPanel('$op: shmem and guest_memfd p50', 'Median per call of both paths (repeated for each selected op).')
        .repeat('op')
        .maxPerRow(2)
        .withTarget(new InfluxQLBuilder(fieldOverTime('p50', VARS, ['host', 'path', 'granule', 'threads'], { fixed: [`"path" =~ /^(shmem|gmem)$/`] })).refId('A').alias('$tag_path $tag_granule B x$tag_threads $tag_host')),
    )
    .build();
}
