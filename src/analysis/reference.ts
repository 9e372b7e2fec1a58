/**
 * Each row relative to the null syscall timed beside its passes (probe/ref.c, a row's `syscallNs`).
 * On a nested or shared host what entering the kernel costs moves by tens of percent from one
 * second to the next, and every op moves with it: measured on this project's kvm_pvm machine, over
 * 20 smoke runs the median between-run CV of p50 was 11.2% raw and 6.2% divided by the row's own
 * reference; the run's speed index alone (speed-index.ts) gave 6.9%, both together 5.9%.
 *
 * A row's p50 and p99 are scaled by (the host's typical syscallNs over the runs given) / (the row's),
 * so they stay in ns: what the row would have measured at the host's usual kernel-entry cost. The
 * reference itself becomes a series of its own per host (path "all", op "null-syscall": the median
 * of the run's rows' references), judged like any other, so a kernel whose entry path got slower is
 * told, not divided away. A host with a row that has no reference (an older probe) is left as it
 * is: dividing some of its runs and not others would make a step of them. Written by hand: a
 * median and a division per row.
 */
import type { RepStat, ResultRow, RunSummary } from '../results/schema.js';
import type { HistoryRow, HistoryRun } from './series.js';
import { decode, encode, scaled } from './histogram.js';
import { median } from './stats/describe.js';
import {
  exponentsOf,
  PRIOR_EXPONENT,
  scaleFactor,
  type Exponent,
  type ExponentObservation,
} from './reference-exponent.js';

/**
 * syscall: every row divided by its reference (exponent 1); auto: scaled by reference^b with the
 * exponent b its host's runs give (reference-exponent.ts: 0 where the reference explains nothing).
 */
export type ScaleMode = 'syscall' | 'auto';
/** what --reference takes: none leaves every row as measured */
export type ReferenceMode = ScaleMode | 'none';
export const REFERENCE_MODES = ['auto', 'syscall', 'none'] as const;
/** what compare, report and bisect-check scale by unless told otherwise */
export const DEFAULT_REFERENCE: ReferenceMode = 'auto';
/** --reference's help, the same in every command */
export const REFERENCE_HELP =
  "auto: each row scaled by the null syscall timed beside its passes to the power its host's runs give (1: divided by it, 0: as measured), the reference a row of its own; syscall: divided by it; none: as measured";

/** The series of a host's null-syscall reference. */
export const REFERENCE_SERIES = { path: 'all', op: 'null-syscall', granule: 0, threads: 0 } as const;

/** The reference's own row or series (not an op: left out of a comparison's geomean). */
export const isReference = (r: { path: string; op: string }) =>
  r.path === REFERENCE_SERIES.path && r.op === REFERENCE_SERIES.op;

export interface ScaledHost {
  host: string;
  /** the host's typical reference (ns): rows are scaled to it */
  typicalNs: number;
  /** rows scaled by (typicalNs / their reference)^exponent: 1 divides, 0 leaves as measured */
  exponent: number;
  /** mode auto: what the exponent was estimated from */
  estimate?: Omit<Exponent, 'exponent'>;
}

export interface PerSyscall {
  runs: HistoryRun[];
  /** hosts whose rows were scaled, with their typical reference (ns) and exponent */
  hosts: ScaledHost[];
  /** hosts left as they were: some or all of their rows have no reference (an older probe) */
  unscaled: string[];
}

const hasRef = <R extends { syscallNs?: number }>(r: R): r is R & { syscallNs: number } =>
  typeof r.syscallNs === 'number' && r.syscallNs > 0;

/** Per host its typical reference (the median of its rows'); hosts with a row without one are unscaled. */
function typicalOf(rows: Iterable<{ host: string; syscallNs?: number }>) {
  const refs = new Map<string, number[]>();
  const unscaled = new Set<string>();
  for (const r of rows) {
    if (!hasRef(r)) unscaled.add(r.host);
    else refs.set(r.host, [...(refs.get(r.host) ?? []), r.syscallNs]);
  }
  const typical = new Map(
    [...refs].filter(([host]) => !unscaled.has(host)).map(([host, ns]) => [host, median(ns)] as const),
  );
  return { typical, unscaled: [...unscaled] };
}

/** Per scaled host its exponent: 1 (syscall), or what the observations give (auto); `exponent` by host. */
function exponents(
  typical: Map<string, number>,
  mode: ScaleMode,
  observations: () => Iterable<ExponentObservation>,
): { hosts: ScaledHost[]; exponent: Map<string, number> } {
  const estimated = mode === 'auto' ? exponentsOf(observations()) : undefined;
  const hosts = [...typical].map(([host, typicalNs]): ScaledHost => {
    if (!estimated) return { host, typicalNs, exponent: 1 };
    const e = estimated.get(host) ?? { exponent: PRIOR_EXPONENT, slope: null, se: null, observations: 0, groups: 0 };
    const { exponent, ...estimate } = e;
    return { host, typicalNs, exponent, estimate };
  });
  return { hosts, exponent: new Map(hosts.map((h) => [h.host, h.exponent])) };
}

const seriesOf = (r: { path: string; op: string; granule: number; threads: number }) =>
  `${r.path}/${r.op}/${r.granule}/${r.threads}`;

/** The reference rows of a run: per scaled host, the median of its rows' references. */
function referenceRows<R extends { host: string; syscallNs?: number }>(rows: R[], typical: Map<string, number>) {
  const byHost = new Map<string, R[]>();
  for (const r of rows) if (typical.has(r.host) && hasRef(r)) byHost.set(r.host, [...(byHost.get(r.host) ?? []), r]);
  return [...byHost].map(([host, mine]) => ({ host, mine, ns: median(mine.map((r) => r.syscallNs!)) }));
}

/**
 * A history's rows relative to their reference. auto: each host's exponent from its rows, a series
 * of one kernel centred together (a kernel change is not noise to explain).
 */
export function perSyscall(runs: HistoryRun[], mode: ScaleMode = 'syscall'): PerSyscall {
  const { typical, unscaled } = typicalOf(runs.flatMap((r) => r.rows));
  const { hosts, exponent } = exponents(typical, mode, function* () {
    for (const run of runs)
      for (const r of run.rows)
        if (hasRef(r) && r.p50 !== null)
          yield { pool: r.host, group: `${seriesOf(r)} ${r.kernel ?? ''}`, value: r.p50, reference: r.syscallNs };
  });
  const scaled = runs.map((run) => {
    const rows: HistoryRow[] = run.rows.map((r) => {
      const t = typical.get(r.host);
      if (t === undefined || !hasRef(r)) return r;
      const k = scaleFactor(t, r.syscallNs, exponent.get(r.host)!);
      return {
        ...r,
        p50: r.p50 === null ? null : r.p50 * k,
        p99: r.p99 === null ? null : r.p99 * k,
        ...(typeof r.wall === 'number' && { wall: r.wall * k }),
      };
    });
    for (const { host, mine, ns } of referenceRows(run.rows, typical))
      rows.push({
        host,
        ...REFERENCE_SERIES,
        p50: ns,
        p99: null,
        ...(mine[0].kernel && { kernel: mine[0].kernel }),
      });
    return { ...run, rows };
  });
  return { runs: scaled, hosts, unscaled };
}

const NS_FIELDS = ['min', 'p50', 'p90', 'p99', 'p999', 'max', 'mean', 'stddev'] as const;

/** a repetition's figures times k (its process and reference as they were) */
export function scaledRep(x: RepStat, k: number): RepStat {
  return { ...x, p50: x.p50 * k, p99: x.p99 * k, mean: x.mean * k, ...(x.wall !== undefined && { wall: x.wall * k }) };
}

/**
 * The same for whole run summaries (compare): one typical reference per host over every run given
 * (both sides), each row's figures, histogram and repetitions scaled by its own reference, and a
 * row "all null-syscall" per host and run. auto: each host's exponent from the repetitions (each
 * beside its own reference), a series on one side centred together (the change between the sides
 * is what is being measured, not noise to explain).
 */
export function summariesPerSyscall(
  sides: RunSummary[][],
  mode: ScaleMode = 'syscall',
): {
  sides: RunSummary[][];
  hosts: PerSyscall['hosts'];
  unscaled: string[];
} {
  const ok = (s: RunSummary) => s.results.filter((r) => r.status === 'ok');
  const { typical, unscaled } = typicalOf(sides.flat().flatMap(ok));
  const { hosts, exponent } = exponents(typical, mode, () => repetitionObservations(sides));
  const scaleRow = (r: ResultRow): ResultRow => {
    const t = typical.get(r.host);
    if (r.status !== 'ok' || t === undefined || !hasRef(r)) return r;
    const b = exponent.get(r.host)!;
    const k = scaleFactor(t, r.syscallNs, b);
    const out: ResultRow = { ...r };
    for (const f of NS_FIELDS) out[f] = r[f] === null ? null : r[f]! * k;
    if (r.wall !== undefined) out.wall = r.wall * k;
    if (r.histogram) {
      const h = decode(r.histogram);
      const s = scaled(h, k);
      out.histogram = encode(s);
      h.destroy();
      s.destroy();
    }
    out.repetitions = r.repetitions.map((x) => {
      const kx = hasRef(x) ? scaleFactor(t, x.syscallNs, b) : k;
      return scaledRep(x, kx);
    });
    return out;
  };
  const reference = (host: string, ns: number, rows: number): ResultRow => ({
    host,
    ...REFERENCE_SERIES,
    status: 'ok',
    samples: rows,
    unit: 'ns',
    min: ns,
    p50: ns,
    p90: null,
    p99: null,
    p999: null,
    max: ns,
    mean: ns,
    stddev: null,
    histogram: null,
    repetitions: [],
    params: { region: 0, repetitions: 0, warmup: 0 },
  });
  return {
    sides: sides.map((runs) =>
      runs.map((s) => ({
        ...s,
        results: [
          ...s.results.map(scaleRow),
          ...referenceRows(ok(s), typical).map(({ host, mine, ns }) => reference(host, ns, mine.length)),
        ],
      })),
    ),
    hosts,
    unscaled,
  };
}

/** Each ok row's repetitions (or the row, without them) as observations, grouped by side and series. */
export function* repetitionObservations(sides: RunSummary[][]): Generator<ExponentObservation> {
  for (const [i, runs] of sides.entries())
    for (const s of runs)
      for (const r of s.results) {
        if (r.status !== 'ok') continue;
        const group = `${i} ${seriesOf(r)}`;
        const reps = r.repetitions.filter(hasRef);
        if (reps.length > 0) for (const x of reps) yield { pool: r.host, group, value: x.p50, reference: x.syscallNs };
        else if (hasRef(r) && r.p50 !== null) yield { pool: r.host, group, value: r.p50, reference: r.syscallNs };
      }
}

/** How a host was scaled, for a header: "local (251 ns, exponent 0.41 +- 0.05 from 1,020 passes)". */
function describeHost(h: ScaledHost): string {
  if (!h.estimate) return `${h.host} (${h.typicalNs.toFixed(0)} ns)`;
  const { slope, se, observations } = h.estimate;
  return slope === null || se === null
    ? `${h.host} (${h.typicalNs.toFixed(0)} ns, exponent ${h.exponent.toFixed(2)}: ${observations} passes, ` +
        `too few or too alike within a side to estimate it)`
    : `${h.host} (${h.typicalNs.toFixed(0)} ns, exponent ${h.exponent.toFixed(2)}: ${slope.toFixed(2)} +- ${se.toFixed(2)} ` +
        `from ${observations} passes)`;
}

/** One line for a report's header: which hosts were scaled, to what, and which were left as measured. */
export function describeReference(ref: Pick<PerSyscall, 'hosts' | 'unscaled'>): string {
  const scaled = ref.hosts.map(describeHost).join(', ');
  const auto = ref.hosts.some((h) => h.estimate);
  return (
    (scaled
      ? (auto
          ? `each row scaled by (the host's typical null syscall / the one timed beside its passes)^exponent, ` +
            `the exponent how closely the host's latencies follow it within each side or kernel (1: divided by it, 0: as measured; ` +
            `without evidence 1): ${scaled}; `
          : `each row relative to the null syscall timed beside its passes, in ns at the host's typical one: ${scaled}; `) +
        `the reference itself is the series ${REFERENCE_SERIES.path}/${REFERENCE_SERIES.op}`
      : 'no row has a null-syscall reference (older probes): compared as measured') +
    (ref.unscaled.length ? `; as measured (rows without a reference, an older probe): ${ref.unscaled.join(', ')}` : '')
  );
}
