/**
 * Change points as Grafana annotations through Grafana's HTTP API (POST /api/annotations with a
 * service-account token). One annotation per new change, at the first run's start time, tagged
 * gmembench, regression|improvement, the host, path, op and metric, so a dashboard's annotation
 * query can filter on them. (The InfluxDB alternative is influx/history.ts writeAnnotations.)
 */
import type { Change } from '../analysis/regress.js';
import { formatSize } from '../util/units.js';
import { seriesLabel } from '../export/regress-text.js';
import { formatChange } from '../analysis/change.js';
import { postJson } from './http-post.js';

export interface GrafanaTarget {
  /** e.g. http://grafana:3000 */
  url: string;
  token: string;
  dashboardUID?: string;
}

export function annotationTags(c: Change): string[] {
  return ['gmembench', c.kind, c.host, c.path, c.op, formatSize(c.granule), `threads=${c.threads}`, c.metric];
}

export function annotationText(c: Change): string {
  return `${c.kind}: ${seriesLabel(c)} ${c.metric} ${formatChange(c.changePct)} (run ${c.firstRunId})`;
}

export async function postGrafanaAnnotations(target: GrafanaTarget, changes: Change[]): Promise<number> {
  const endpoint = `${target.url.replace(/\/+$/, '')}/api/annotations`;
  for (const c of changes) {
    await postJson(
      endpoint,
      {
        time: Date.parse(c.firstStartedAt),
        tags: annotationTags(c),
        text: annotationText(c),
        ...(target.dashboardUID && { dashboardUID: target.dashboardUID }),
      },
      { what: 'grafana annotation', headers: { authorization: `Bearer ${target.token}` } },
    );
  }
  return changes.length;
}
