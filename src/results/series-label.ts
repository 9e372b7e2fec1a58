/**
 * A series as people read it: "local shmem alloc 4K x2" (host and path where the context needs them).
 * One spelling for the terminal, exports, notifications and progress lines; the thread count is `xN`.
 */
import { formatSize } from '../util/units.js';

export function threadsLabel(threads: number): string {
  return `x${threads}`;
}

/**
 * "4K x2"; "-" for a series of the whole host (granule and threads 0: the speed index, the null
 * syscall), which has neither
 */
export function granuleLabel(granule: number, threads: number): string {
  return isHostSeries({ granule, threads }) ? '-' : `${formatSize(granule)} ${threadsLabel(threads)}`;
}

/** a series of the whole host (the speed index, the null syscall): no granule, no threads */
export function isHostSeries(r: { granule: number; threads: number }): boolean {
  return r.granule === 0 && r.threads === 0;
}

/** the granule and thread cells of a table with a column for each ("-" for a series of the whole host) */
export function granuleCells(r: { granule: number; threads: number }): [string, string] {
  return isHostSeries(r) ? ['-', '-'] : [formatSize(r.granule), String(r.threads)];
}

export function seriesLabel(r: { host?: string; path?: string; op: string; granule: number; threads: number }): string {
  const g = granuleLabel(r.granule, r.threads);
  return [r.host, r.path, r.op, g === '-' ? undefined : g].filter((s) => s !== undefined).join(' ');
}
