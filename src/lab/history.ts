/** regress over a results folder: the rows of hosts measured under TCG emulation are left out (src/lab/emulation.ts). */
import type { HistoryRun } from '../analysis/series.js';
import { listRuns, readSummary } from '../results/store.js';
import { emulatedHosts, leftOutLine, withoutHosts } from './emulation.js';

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
    const line = dropHosts(run, emulatedHosts(summary));
    if (line) lines.push(line);
  }
  return lines;
}

/** Drop, in place, the rows of these emulated hosts from a run; its `skipped:` line, or null when none. */
export function dropHosts(run: HistoryRun, emulated: ReadonlySet<string>): string | null {
  if (emulated.size === 0) return null;
  const { kept, left } = withoutHosts(run.rows, emulated);
  run.rows = kept;
  return left.size > 0 ? leftOutLine(run.runId, left) : null;
}
