/**
 * Grafana alert rules for regressions, as a unified-alerting provisioning file
 * (provisioning/alerting/*.yaml: apiVersion 1, groups[].rules[]). Each rule compares the latest run
 * (last day) with the mean of the 30 days before it, per series:
 *   A  InfluxQL last(metric)  over the last day           B  InfluxQL mean(metric) from 30d to 1d ago
 *   C  reduce(A, last)   D  reduce(B, mean)   E  math $C / $D   F  threshold E > 1 + limit  (the condition)
 * The rules are built with the SDK's alerting builders; only the provisioning envelope (orgId,
 * folder, group name) is written here, because the SDK models the HTTP API's shape.
 */
import { QueryBuilder, RuleBuilder, type Rule } from '@grafana/grafana-foundation-sdk/alerting';
import { TypeMathBuilder, TypeReduceBuilder, TypeThresholdBuilder } from '@grafana/grafana-foundation-sdk/expr';
import { ALERT_DATASOURCE_UID, EXPR_DATASOURCE, FROM, groupBy, InfluxQLBuilder, q } from './queries.js';
import type { FieldKey } from '../influx/schema.js';

export const ALERT_FOLDER = 'gmembench';
export const ALERT_GROUP = 'gmembench-regressions';
/** suite too: suites measure the same series with different regions */
const SERIES = ['suite', 'host', 'path', 'op', 'granule', 'threads'] as const;
const DAY = 86_400;

export interface RegressionRule {
  metric: FieldKey;
  /** fire when latest / baseline exceeds 1 + limit */
  limit: number;
}

export const REGRESSION_RULES: RegressionRule[] = [
  { metric: 'p50', limit: 0.1 },
  { metric: 'p99', limit: 0.2 },
];

function influxQuery(refId: string, query: string, from: number, to: number): QueryBuilder {
  return new QueryBuilder(refId)
    .datasourceUid(ALERT_DATASOURCE_UID)
    .relativeTimeRange({ from, to })
    .model(new InfluxQLBuilder(query).refId(refId).datasource({ type: 'influxdb', uid: ALERT_DATASOURCE_UID }));
}

function exprQuery(refId: string, model: TypeMathBuilder | TypeReduceBuilder | TypeThresholdBuilder): QueryBuilder {
  return new QueryBuilder(refId).datasourceUid(EXPR_DATASOURCE.uid!).relativeTimeRange({ from: 0, to: 0 }).model(model.refId(refId).datasource(EXPR_DATASOURCE));
}

export function regressionRule({ metric, limit }: RegressionRule): Rule {
  const pct = Math.round(limit * 100);
  const by = groupBy([...SERIES]);
  return new RuleBuilder(`gmembench ${metric} regression > ${pct}%`)
    .uid(`gmembench-${metric}-regression`)
    .condition('F')
    .withQuery(influxQuery('A', `SELECT last(${q(metric)}) FROM ${FROM} WHERE $timeFilter ${by}`, DAY, 0))
    .withQuery(influxQuery('B', `SELECT mean(${q(metric)}) FROM ${FROM} WHERE $timeFilter ${by}`, 30 * DAY, DAY))
    .withQuery(exprQuery('C', new TypeReduceBuilder().expression('A').reducer('last').settings({ mode: 'dropNN' })))
    .withQuery(exprQuery('D', new TypeReduceBuilder().expression('B').reducer('mean').settings({ mode: 'dropNN' })))
    .withQuery(exprQuery('E', new TypeMathBuilder().expression('$C / $D')))
    .withQuery(exprQuery('F', new TypeThresholdBuilder().expression('E').conditions([{ evaluator: { type: 'gt', params: [1 + limit] } }])))
    .noDataState('OK')
    .execErrState('Error')
    .forDuration('0s')
    .labels({ team: 'gmembench', severity: metric === 'p50' ? 'warning' : 'info' })
    .annotations({
      summary: `{{ $labels.suite }} {{ $labels.host }} {{ $labels.path }} {{ $labels.op }} {{ $labels.granule }}B x{{ $labels.threads }}: ${metric} of the last run is {{ humanizePercentage (index $values "E").Value }} of the 30-day mean`,
      description: `The latest ${metric} is more than ${pct}% above the mean of the 30 days before it. Confirm with: gmembench regress --influx <url> --metrics ${metric}`,
    })
    .build();
}

/** The provisioning document (apiVersion 1); Grafana loads it from provisioning/alerting/. */
export function alertProvisioning(): unknown {
  const rules = REGRESSION_RULES.map(regressionRule).map((r) => ({
    uid: r.uid,
    title: r.title,
    condition: r.condition,
    data: r.data,
    noDataState: r.noDataState,
    execErrState: r.execErrState,
    for: r.for,
    labels: r.labels,
    annotations: r.annotations,
    isPaused: false,
  }));
  return { apiVersion: 1, groups: [{ orgId: 1, name: ALERT_GROUP, folder: ALERT_FOLDER, interval: '1h', rules }] };
}
