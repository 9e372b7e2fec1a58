/**
 * The one sign convention of every verdict (compare, regress, bisect-check, report, dashboards):
 * % change = (candidate - baseline) / baseline of the latency, so + means slower and - faster.
 */

/** (candidate - baseline) / baseline in percent: + = slower (higher latency), - = faster. */
export function percentChange(baseline: number, candidate: number): number {
  return baseline === 0 ? NaN : (candidate / baseline - 1) * 100;
}

/** The legend line every output prints with its changes. */
export const SIGN_LEGEND = 'change = (candidate - baseline) / baseline of the latency: + = slower, - = faster';

/** what the wall metric is, for every legend that shows it */
export const WALL_LEGEND =
  "wall = the pass's wall time over the calls of all its threads, 1 / throughput (alloc, fault, punch at 2+ threads): unlike a call's latency it does not move with whether a lock the threads contend for hands over or lets one run on";

/** +2.7%, -31.0%, -1234%: the one percent formatter of every output. */
export function formatChange(pct: number): string {
  if (!Number.isFinite(pct)) return '-';
  const s = Math.abs(pct) >= 100 ? pct.toFixed(0) : pct.toFixed(1);
  return `${pct >= 0 && !s.startsWith('-') ? '+' : ''}${s}%`;
}
