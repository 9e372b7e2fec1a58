/** Which hosts of a run failed: the host itself, or every one of its rows (a host that measured nothing that worked). */
import type { RunSummary } from '../results/schema.js';

export function failedHosts(summary: Pick<RunSummary, 'hosts' | 'results'>): string[] {
  return summary.hosts
    .filter((h) => {
      if (h.status !== 'ok') return true;
      const rows = summary.results.filter((r) => r.host === h.name);
      return rows.length > 0 && rows.every((r) => r.status === 'failed');
    })
    .map((h) => h.name);
}
