/**
 * A host's speed index, and its series judged relative to it ("measure timings as ratios in one
 * run"). On a shared or nested machine most of the spread between two runs is common to every
 * series of the run: the whole host ran fast or slow that hour. Per run and metric the index is
 * exp(median over the host's series of ln(value / the series' median over the history)): 1 is the
 * host's usual speed, 1.08 a run where the typical series was 8% slower. The median keeps one
 * series' own change (or a few) from moving it.
 *
 * regress then judges each series divided by its run's index (what moved relative to the rest of
 * the host) and the index itself as one series per host and metric (the host as a whole got
 * slower: a host-wide shift, told once with what changed in the fingerprint). Measured in
 * bench/regress-quality.ts on this machine's histories: false alarms per 30 nightlies 11.5 -> 5.8
 * (runs back to back) and 13.7 -> 6.9 (runs ~2 min apart).
 *
 * Below MIN_INDEX_SERIES series a host has no index: the median of a few series is mostly those
 * series themselves, and dividing by it would hide their changes. Written by hand: a median and a
 * division, no library does this for a history of runs.
 */
import type { Metric, Series, SeriesPoint } from './series.js';
import { median } from './stats/describe.js';
import { exponentsOf, type Exponent, type ExponentObservation } from './reference-exponent.js';

/** fewest series (of one metric) a host needs for a speed index */
export const MIN_INDEX_SERIES = 8;

export interface SpeedIndex {
  host: string;
  metric: Metric;
  /** series the index is the median of */
  series: number;
  /** one point per run of the host: value = the index (1 = the host's usual speed) */
  points: SeriesPoint[];
}

/** The speed index of every host and metric with at least MIN_INDEX_SERIES series. */
export function speedIndices(series: Series[]): SpeedIndex[] {
  const groups = new Map<string, Series[]>();
  for (const s of series) {
    const k = `${s.host}#${s.metric}`;
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  const out: SpeedIndex[] = [];
  for (const mine of groups.values()) {
    if (mine.length < MIN_INDEX_SERIES) continue;
    // per run: the logs of its values relative to each series' median over the history
    const byRun = new Map<string, { point: SeriesPoint; logs: number[] }>();
    for (const s of mine) {
      const ref = median(s.points.map((p) => p.value));
      for (const p of s.points) {
        const e = byRun.get(p.runId) ?? { point: p, logs: [] };
        e.logs.push(Math.log(p.value / ref));
        byRun.set(p.runId, e);
      }
    }
    const points = [...byRun.values()]
      .map(({ point, logs }) => ({
        runId: point.runId,
        startedAt: point.startedAt,
        value: Math.exp(median(logs)),
        ...(point.kernel && { kernel: point.kernel }),
      }))
      .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || a.runId.localeCompare(b.runId));
    out.push({ host: mine[0].host, metric: mine[0].metric, series: mine.length, points });
  }
  return out;
}

const indexAt = (indices: SpeedIndex[]) =>
  new Map(indices.map((ix) => [`${ix.host}#${ix.metric}`, new Map(ix.points.map((p) => [p.runId, p.value]))]));

/** what names a series with its metric in indexExponents' map */
export const seriesMetricKey = (s: Pick<Series, 'key' | 'metric'>) => `${s.key}#${s.metric}`;

/**
 * Each series divided, run by run, by its host's index (series of a host without one stay as they
 * are); with `exponents`, by the index to the power given for the series (indexExponents).
 */
export function relativeTo(series: Series[], indices: SpeedIndex[], exponents?: Map<string, Exponent>): Series[] {
  const at = indexAt(indices);
  return series.map((s) => {
    const ix = at.get(`${s.host}#${s.metric}`);
    if (!ix) return s;
    const b = exponents?.get(seriesMetricKey(s))?.exponent ?? 1;
    return { ...s, points: s.points.map((p) => ({ ...p, value: p.value / ix.get(p.runId)! ** b })) };
  });
}

/**
 * Per series how closely it follows its host's index over the history (reference-exponent.ts, each
 * kernel's runs centred together). Dividing every series by the index (exponent 1) takes the
 * host's moment out of the series that move with it, but adds the index's own noise to the series
 * that do not: on a quiet instance here (index CV 1%), shmem punch 4K moved 0.5% run to run as
 * measured and 1.0-1.7% divided, so its magnitude floor (3 x its noise) stood at 4-6% and +5% steps
 * went untold. The index is the median over the host's series, so one series' own noise barely
 * enters it. Series of a host without an index have no entry.
 */
export function indexExponents(series: Series[], indices: SpeedIndex[]): Map<string, Exponent> {
  const at = indexAt(indices);
  function* observations(): Generator<ExponentObservation> {
    for (const s of series) {
      const ix = at.get(`${s.host}#${s.metric}`);
      if (!ix) continue;
      for (const p of s.points)
        yield { pool: seriesMetricKey(s), group: p.kernel ?? '', value: p.value, reference: ix.get(p.runId)! };
    }
  }
  return exponentsOf(observations());
}

/** The index as a series of its own (judged like one): path "all", op "speed-index". */
export function indexSeries(ix: SpeedIndex): Series {
  return {
    key: `${ix.host}/all/speed-index/0/0`,
    host: ix.host,
    path: 'all',
    op: 'speed-index',
    granule: 0,
    threads: 0,
    metric: ix.metric,
    points: ix.points,
  };
}
