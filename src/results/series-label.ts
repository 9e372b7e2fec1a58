/**
 * A series as people read it: "local shmem alloc 4K x2" (host and path where the context needs them).
 * One spelling for the terminal, exports, notifications and progress lines; the thread count is `xN`.
 */
import { formatSize } from '../util/units.js';

export function threadsLabel(threads: number): string {
  return `x${threads}`;
}

export function seriesLabel(r: { host?: string; path?: string; op: string; granule: number; threads: number }): string {
  return [r.host, r.path, r.op, formatSize(r.granule), threadsLabel(r.threads)].filter((s) => s !== undefined).join(' ');
}
