/**
 * Whether a stored run finished, in words for report, compare and push. A run that did not finish
 * has hosts marked `interrupted` (with the jobs that did not run), or, written by an older
 * controller or one killed outright before it could mark them, `finishedAt: null` only.
 */
import type { HostEntry, RunSummary } from './schema.js';

function jobsText(h: HostEntry): string {
  if (h.jobsNotRun === undefined) return '';
  return h.jobsTotal !== undefined ? `, ${h.jobsNotRun} of ${h.jobsTotal} jobs not run` : `, ${h.jobsNotRun} jobs not run`;
}

/** One phrase per host that did not finish (empty: every host finished). */
export function unfinishedHosts(run: Pick<RunSummary, 'hosts' | 'finishedAt'>): string[] {
  const out: string[] = [];
  for (const h of run.hosts) {
    if (h.status !== 'ok' && h.subStatus === 'interrupted') out.push(`${h.name} interrupted${jobsText(h)}`);
    else if (h.status !== 'ok' && h.jobsNotRun !== undefined && h.jobsNotRun > 0) out.push(`${h.name} failed (${h.subStatus ?? 'error'})${jobsText(h)}`);
  }
  if (out.length === 0 && run.finishedAt === null) {
    // an older summary, or a controller killed outright: nothing says which host was cut short
    const ok = run.hosts.filter((h) => h.status === 'ok').map((h) => h.name);
    out.push(ok.length > 0 ? `finishedAt is null: the results of ${ok.join(', ')} may be incomplete` : 'finishedAt is null');
  }
  return out;
}

/** "run <id> is incomplete: h0 interrupted, 12 of 40 jobs not run", or null for a complete run. */
export function unfinishedNote(run: Pick<RunSummary, 'runId' | 'hosts' | 'finishedAt'>): string | null {
  const hosts = unfinishedHosts(run);
  if (hosts.length === 0) return null;
  return `run ${run.runId} is incomplete: ${hosts.join('; ')}`;
}
