/** How a failed host is described everywhere (progress lines, the run table, `hosts`). */
import type { HostEntry } from '../results/schema.js';

/** "failed (<sub-status>): <error>" */
export function hostFailureText(h: Pick<HostEntry, 'subStatus' | 'error'>): string {
  return `failed (${h.subStatus ?? 'error'}): ${h.error ?? ''}`;
}
