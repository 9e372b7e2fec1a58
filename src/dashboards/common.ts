/** What every gmembench dashboard shares: header settings, the regress annotations, panel defaults. */
import { AnnotationEventFieldMappingBuilder, AnnotationEventFieldSource, AnnotationQueryBuilder, DashboardBuilder, DashboardLinkBuilder, DashboardLinkType } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { LegendDisplayMode, LegendPlacement, VisibilityMode, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import type { DataTransformerConfig } from '@grafana/grafana-foundation-sdk/dashboard';
import { formatSize } from '../util/units.js';
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

/** the legend of every time series: a table below the graph with each series' last value and mean */
export function tableLegend(): VizLegendOptionsBuilder {
  return new VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(LegendDisplayMode.Table)
    .placement(LegendPlacement.Bottom)
    .calcs(['lastNotNull', 'mean']);
}

/** the granules series names are renamed for: powers of two from 4K to 1G (the tag holds bytes) */
export const GRANULES_RENAMED = Array.from({ length: 19 }, (_, i) => 4096 * 2 ** i);

/**
 * Series names with granules as people write them: "gmem p50 2097152 B x1" -> "gmem p50 2M x1",
 * and the same inside the labels of an expression's series (granule=2097152). The tag holds bytes
 * (InfluxQL cannot format it), so each size is one Grafana renameByRegex transformation.
 */
export function granuleRenames(): DataTransformerConfig[] {
  return GRANULES_RENAMED.map((bytes) => ({
    id: 'renameByRegex',
    // /.../: Grafana anchors a regex without slashes to the whole name (stringToJsRegex);
    // "$1" then the size: JavaScript reads "$14K" as group 1 followed by "4K" (there is one group)
    options: { regex: `/(^|\\D)${bytes}(?: B)?(?=\\D|$)/`, renamePattern: `$1${formatSize(bytes)}` },
  }));
}

/** a latency time series panel: nanoseconds, one point per run */
export function latencyPanel(title: string, description: string): TimeseriesPanel {
  return new TimeseriesPanel()
    .title(title)
    .description(description)
    .legend(tableLegend())
    .transformations(granuleRenames())
    .unit('ns')
    .showPoints(VisibilityMode.Always)
    .pointSize(5)
    .spanNulls(true)
    .height(9)
    .span(12);
}
