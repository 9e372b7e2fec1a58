/**
 * Shared pieces of the generated dashboards: the InfluxQL query type (the pinned Grafana Foundation
 * SDK has no InfluxDB query builder, so this is the SDK's documented "custom query type"), the
 * datasource references, template variables and the WHERE/GROUP BY builders. Every query reads the
 * schema in src/influx/schema.ts (measurement, tag and field names come from there).
 */
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import { DatasourceVariableBuilder, QueryVariableBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { escape } from 'influx';
import { MEASUREMENT, type FieldKey, type TagKey } from '../influx/schema.js';
import { ANNOTATION_MEASUREMENT } from '../influx/history.js';
import type { CHANGE_TAGS } from '../influx/changes.js';
import type { SPEED_INDEX_TAGS } from '../influx/speed-index.js';

/** the dashboards' datasource: a variable, so one import works with any InfluxDB datasource */
export const DATASOURCE_VAR = 'datasource';
export const DATASOURCE: DataSourceRef = { type: 'influxdb', uid: `\${${DATASOURCE_VAR}}` };
/** alert rules cannot use variables: provision the InfluxDB datasource with this uid (README) */
export const ALERT_DATASOURCE_UID = 'gmembench-influxdb';
/** Grafana server-side expressions (math, reduce, threshold) */
export const EXPR_DATASOURCE: DataSourceRef = { type: '__expr__', uid: '__expr__' };

/** An InfluxQL query as Grafana's InfluxDB datasource stores it (raw mode). */
export interface InfluxQLQuery {
  refId?: string;
  hide?: boolean;
  datasource?: DataSourceRef;
  rawQuery: true;
  query: string;
  resultFormat: 'time_series' | 'table';
  /** series name; $tag_<key> and $col are replaced by Grafana */
  alias?: string;
  _implementsDataqueryVariant(): void;
}

export class InfluxQLBuilder implements Builder<Dataquery> {
  private readonly internal: InfluxQLQuery;

  constructor(query: string) {
    this.internal = { datasource: DATASOURCE, rawQuery: true, query, resultFormat: 'time_series', _implementsDataqueryVariant() {} };
  }

  build(): InfluxQLQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  table(): this {
    this.internal.resultFormat = 'table';
    return this;
  }

  datasource(ds: DataSourceRef): this {
    this.internal.datasource = ds;
    return this;
  }

  hide(hide: boolean): this {
    this.internal.hide = hide;
    return this;
  }
}

/** an InfluxQL identifier, quoted */
export const q = (s: string): string => escape.quoted(s);
export const FROM = q(MEASUREMENT);
export const ANNOTATIONS_FROM = q(ANNOTATION_MEASUREMENT);

/**
 * the tags the dashboards filter on, each a template variable of the same name. `suite` is one value
 * at a time: suites measure the same series with different regions, their numbers do not mix.
 */
export type FilterTag = Extract<TagKey, 'suite' | 'host' | 'path' | 'op' | 'granule' | 'threads' | 'kernel'>;

/** `"tag" =~ /^$tag$/`: the tag matches its variable (Grafana writes a multi-value or All as (a|b|c)) */
const matchVar = (v: FilterTag): string => `${q(v)} =~ /^$${v}$/`;

/** each variable's match, then fixed conditions, then $timeFilter */
export function where(vars: readonly FilterTag[], fixed: string[] = []): string {
  return [...vars.map(matchVar), ...fixed, '$timeFilter'].join(' AND ');
}

/** a tag key of one of the measurements the dashboards read */
export type AnyTagKey = TagKey | (typeof CHANGE_TAGS)[number] | (typeof SPEED_INDEX_TAGS)[number];

export function groupBy(tags: readonly AnyTagKey[], opts: { interval?: boolean } = {}): string {
  const parts = [...(opts.interval ? ['time($__interval)'] : []), ...tags.map(q)];
  return `GROUP BY ${parts.join(', ')}${opts.interval ? ' fill(none)' : ''}`;
}

/** one field aggregated per $__interval bucket and per series of `tags` */
export function fieldOverTime(field: FieldKey, vars: readonly FilterTag[], tags: readonly TagKey[], opts: { fn?: 'mean' | 'max' | 'min'; fixed?: string[] } = {}): string {
  return `SELECT ${opts.fn ?? 'mean'}(${q(field)}) AS ${q(field)} FROM ${FROM} WHERE ${where(vars, opts.fixed)} ${groupBy(tags, { interval: true })}`;
}

export function tagVariable(tag: FilterTag, label: string, opts: { multi?: boolean; filterBy?: FilterTag[] } = {}): QueryVariableBuilder {
  const filter = opts.filterBy?.length ? ` WHERE ${opts.filterBy.map(matchVar).join(' AND ')}` : '';
  const multi = opts.multi ?? true;
  return new QueryVariableBuilder(tag)
    .label(label)
    .datasource(DATASOURCE)
    .query(`SHOW TAG VALUES FROM ${FROM} WITH KEY = ${q(tag)}${filter}`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(tag === 'granule' || tag === 'threads' ? VariableSort.NumericalAsc : VariableSort.AlphabeticalAsc)
    .multi(multi)
    .includeAll(multi)
    .current(multi ? { selected: true, text: ['All'], value: ['$__all'] } : { selected: false, text: '', value: '' });
}

export function suiteVariable(): QueryVariableBuilder {
  return tagVariable('suite', 'suite', { multi: false });
}

export function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder(DATASOURCE_VAR).label('InfluxDB').type('influxdb');
}
