/**
 * Grafana alert rules, as a unified-alerting provisioning file (provisioning/alerting/*.yaml:
 * apiVersion 1, groups[].rules[]). They fire on what `gmembench regress` decided, never on one run's
 * value: regress --influx writes one verdict point per series and metric to gmembench_changes
 * (src/influx/changes.ts) with regressed = 1 while the series' latest change point is a regression.
 *
 *   regression rules (p50, p99), per series (suite, host, path, op, size, threads):
 *     A  InfluxQL last(regressed) over the last 36 h    B  InfluxQL last(change_pct), the same
 *     C  reduce(A, last)   D  reduce(B, last)   E  threshold C > 0  (the condition)
 *     no verdict in 36 h is OK here: the silence rule tells that
 *   silence rule: A  InfluxQL count(p50) of gmembench_latency over the last 36 h   B reduce(A, last)
 *     C threshold B < 1; no point at all is NoData, and noDataState Alerting makes that fire
 * The rules are built with the SDK's alerting builders; only the provisioning envelope (orgId,
 * folder, group name) is written here, because the SDK models the HTTP API's shape.
 */
import { QueryBuilder, RuleBuilder, type Rule } from '@grafana/grafana-foundation-sdk/alerting';
import { TypeMathBuilder, TypeReduceBuilder, TypeThresholdBuilder } from '@grafana/grafana-foundation-sdk/expr';
import { escape } from 'influx';
import { ALERT_DATASOURCE_UID, EXPR_DATASOURCE, FROM, InfluxQLBuilder, q } from './queries.js';
import { CHANGES_MEASUREMENT } from '../influx/changes.js';
import type { Metric } from '../analysis/series.js';

export const ALERT_FOLDER = 'gmembench';
export const ALERT_GROUP = 'gmembench-regressions';
/** the labels of a regression alert: suite too (suites measure the same series with different regions); size is the granule as 4K/2M */
const SERIES = ['suite', 'host', 'path', 'op', 'size', 'threads'] as const;
const HOUR = 3600;
/** how far back a verdict or a pushed point counts: a nightly a day, plus the time it takes */
export const FRESH_SECONDS = 36 * HOUR;

export const REGRESSION_METRICS: Metric[] = ['p50', 'p99', 'wall'];

function influxQuery(refId: string, query: string, from: number, to: number): QueryBuilder {
  return new QueryBuilder(refId)
    .datasourceUid(ALERT_DATASOURCE_UID)
    .relativeTimeRange({ from, to })
    .model(new InfluxQLBuilder(query).refId(refId).datasource({ type: 'influxdb', uid: ALERT_DATASOURCE_UID }));
}

function exprQuery(refId: string, model: TypeMathBuilder | TypeReduceBuilder | TypeThresholdBuilder): QueryBuilder {
  return new QueryBuilder(refId).datasourceUid(EXPR_DATASOURCE.uid!).relativeTimeRange({ from: 0, to: 0 }).model(model.refId(refId).datasource(EXPR_DATASOURCE));
}

/** the verdicts' query: the latest value of `field` per series of one metric */
export function verdictQuery(metric: Metric, field: 'regressed' | 'change_pct'): string {
  return `SELECT last(${q(field)}) AS ${q(field)} FROM ${q(CHANGES_MEASUREMENT)} WHERE ${q('metric')} = ${escape.stringLit(metric)} AND $timeFilter GROUP BY ${SERIES.map(q).join(', ')}`;
}

export function regressionRule(metric: Metric): Rule {
  return new RuleBuilder(`gmembench ${metric} regressed (regress verdict)`)
    .uid(`gmembench-${metric}-regression`)
    .condition('E')
    .withQuery(influxQuery('A', verdictQuery(metric, 'regressed'), FRESH_SECONDS, 0))
    .withQuery(influxQuery('B', verdictQuery(metric, 'change_pct'), FRESH_SECONDS, 0))
    .withQuery(exprQuery('C', new TypeReduceBuilder().expression('A').reducer('last').settings({ mode: 'dropNN' })))
    .withQuery(exprQuery('D', new TypeReduceBuilder().expression('B').reducer('last').settings({ mode: 'dropNN' })))
    .withQuery(exprQuery('E', new TypeThresholdBuilder().expression('C').conditions([{ evaluator: { type: 'gt', params: [0] } }])))
    .noDataState('OK')
    .execErrState('Error')
    .forDuration('0s')
    .labels({ team: 'gmembench', severity: metric === 'p50' ? 'warning' : 'info' })
    .annotations({
      summary: `{{ $labels.suite }} {{ $labels.host }} {{ $labels.path }} {{ $labels.op }} {{ $labels.size }} x{{ $labels.threads }}: ${metric} regressed, {{ printf "%+.1f" (index $values "D").Value }}% (+ = slower)`,
      description: `gmembench regress found a change point in ${metric} that made this series slower, and it still holds (its latest change). Details: gmembench regress --influx <url> --metrics ${metric}`,
    })
    .build();
}

export function silenceRule(): Rule {
  return new RuleBuilder('gmembench nightly stopped reporting')
    .uid('gmembench-nightly-silent')
    .condition('C')
    .withQuery(influxQuery('A', `SELECT count(${q('p50')}) FROM ${FROM} WHERE $timeFilter`, FRESH_SECONDS, 0))
    .withQuery(exprQuery('B', new TypeReduceBuilder().expression('A').reducer('last').settings({ mode: 'dropNN' })))
    .withQuery(exprQuery('C', new TypeThresholdBuilder().expression('B').conditions([{ evaluator: { type: 'lt', params: [1] } }])))
    .noDataState('Alerting')
    .execErrState('Error')
    .forDuration('0s')
    .labels({ team: 'gmembench', severity: 'warning' })
    .annotations({
      summary: 'no gmembench run pushed to InfluxDB for 36 h: the nightly stopped reporting',
      description: 'Nothing in gmembench_latency for 36 hours, so no regression can be told. Check the nightly log (<results>/nightly.log) and its cron job.',
    })
    .build();
}

/** The provisioning document (apiVersion 1); Grafana loads it from provisioning/alerting/. */
export function alertProvisioning(): unknown {
  const rules = [...REGRESSION_METRICS.map(regressionRule), silenceRule()].map((r) => ({
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
