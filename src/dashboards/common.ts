/** What every gmembench dashboard shares: header settings, the regress annotations, panel defaults. */
import { AnnotationEventFieldMappingBuilder, AnnotationEventFieldSource, AnnotationQueryBuilder, DashboardBuilder, DashboardLinkBuilder, DashboardLinkType } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { VisibilityMode } from '@grafana/grafana-foundation-sdk/common';
import { ANNOTATIONS_FROM, DATASOURCE, InfluxQLBuilder } from './queries.js';

export const TAG = 'gmembench';

export function baseDashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([TAG])
    .time({ from: 'now-90d', to: 'now' })
    .timezone('utc')
    .refresh('')
    .link(new DashboardLinkBuilder('gmembench').type(DashboardLinkType.Dashboards).tags([TAG]).asDropdown(true).includeVars(true).keepTime(true))
    .annotation(regressAnnotations());
}

/** change points written by `gmembench regress --annotate-influx` (src/influx/history.ts) */
export function regressAnnotations(): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name('regressions (gmembench regress)')
    .datasource(DATASOURCE)
    .enable(true)
    .iconColor('red')
    .target(new InfluxQLBuilder(`SELECT "text", "tags" FROM ${ANNOTATIONS_FROM} WHERE "host" =~ /^$host$/ AND $timeFilter`).table().refId('Anno'))
    .mappings({
      text: new AnnotationEventFieldMappingBuilder().source(AnnotationEventFieldSource.Field).value('text'),
      tags: new AnnotationEventFieldMappingBuilder().source(AnnotationEventFieldSource.Field).value('tags'),
    });
}

/** a latency time series panel: nanoseconds, one point per run */
export function latencyPanel(title: string, description: string): TimeseriesPanel {
  return new TimeseriesPanel()
    .title(title)
    .description(description)
    .unit('ns')
    .showPoints(VisibilityMode.Always)
    .pointSize(5)
    .spanNulls(true)
    .height(9)
    .span(12);
}
