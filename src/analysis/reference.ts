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
import type { HistoryRow, HistoryRun } from './series.js';
import { median } from './stats/describe.js';

/** The series of a host's null-syscall reference. */
export const REFERENCE_SERIES = { path: 'all', op: 'null-syscall', granule: 0, threads: 0 } as const;

export interface PerSyscall {
  runs: HistoryRun[];
  /** hosts whose rows were scaled, with their typical reference (ns) */
  hosts: { host: string; typicalNs: number }[];
  /** hosts left as they were: some or all of their rows have no reference (an older probe) */
  unscaled: string[];
}

const hasRef = (r: HistoryRow): r is HistoryRow & { syscallNs: number } =>
  typeof r.syscallNs === 'number' && r.syscallNs > 0;

export function perSyscall(runs: HistoryRun[]): PerSyscall {
  const refs = new Map<string, number[]>();
  const unscaled = new Set<string>();
  for (const run of runs)
    for (const r of run.rows) {
      if (!hasRef(r)) unscaled.add(r.host);
      else refs.set(r.host, [...(refs.get(r.host) ?? []), r.syscallNs]);
    }
  const typical = new Map(
    [...refs].filter(([host]) => !unscaled.has(host)).map(([host, ns]) => [host, median(ns)] as const),
  );
  const scaled = runs.map((run) => {
    const rows: HistoryRow[] = [];
    const byHost = new Map<string, HistoryRow[]>();
    for (const r of run.rows) {
      const t = typical.get(r.host);
      if (t === undefined || !hasRef(r)) {
        rows.push(r);
        continue;
      }
      const k = t / r.syscallNs;
      rows.push({ ...r, p50: r.p50 === null ? null : r.p50 * k, p99: r.p99 === null ? null : r.p99 * k });
      byHost.set(r.host, [...(byHost.get(r.host) ?? []), r]);
    }
    for (const [host, mine] of byHost)
      rows.push({
        host,
        ...REFERENCE_SERIES,
        p50: median(mine.map((r) => r.syscallNs!)),
        p99: null,
        ...(mine[0].kernel && { kernel: mine[0].kernel }),
      });
    return { ...run, rows };
  });
  return {
    runs: scaled,
    hosts: [...typical].map(([host, typicalNs]) => ({ host, typicalNs })),
    unscaled: [...unscaled],
  };
}
