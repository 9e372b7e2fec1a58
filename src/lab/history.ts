/** regress over a results folder: the rows of hosts measured under TCG emulation are left out (src/lab/emulation.ts). */
import type { HistoryRun } from '../analysis/series.js';
import { listRuns, readSummary } from '../results/store.js';
import { describeLeft, emulatedHosts } from './emulation.js';

/**
 * Drop, in place, the emulated hosts' rows from the runs loaded from `dir`; one line per run that
 * lost rows, for the report's `skipped:` lines. The summaries are read again for their host
 * entries (the history keeps only the rows and a few fingerprint facts).
 */
export async function leaveOutEmulated(dir: string, runs: HistoryRun[]): Promise<string[]> {
  const byId = new Map(runs.map((r) => [r.runId, r]));
  const lines: string[] = [];
  for (const runDir of await listRuns(dir)) {
    const summary = await readSummary(runDir).catch(() => null);
    const run = summary && byId.get(summary.runId);
    if (!run) continue;
    const emulated = emulatedHosts(summary);
    if (emulated.size === 0) continue;
    const left = new Map<string, number>();
    run.rows = run.rows.filter((r) => {
      if (!emulated.has(r.host)) return true;
      left.set(r.host, (left.get(r.host) ?? 0) + 1);
      return false;
    });
    if (left.size > 0)
      lines.push(
        `${run.runId}: rows of ${describeLeft(left)} left out: measured under TCG emulation (--allow-emulated keeps them)`,
      );
  }
  return lines;
}
