/**
 * One line per measured row that carries op-specific figures (the probe's `extra`): what the latency
 * columns cannot say, e.g. how many pages compaction moved or whether a conversion kept integrity.
 * Each op's line is written by its workload file (src/workloads/); an op without one gets no note.
 */
import type { ResultRow } from '../results/schema.js';
import { issueText } from '../util/zod-issue.js';
import { WORKLOADS } from '../workloads/index.js';

export function rowNote(r: ResultRow): string | null {
  const w = WORKLOADS[r.op];
  if (!w?.note || !w.extra || !r.extra) return null;
  const x = w.extra.safeParse(r.extra);
  // a row read from an older run may carry other figures: say so instead of printing zeros
  return x.success ? w.note(x.data) : `extra does not match what ${r.op} reports: ${issueText(x.error, 'extra')}`;
}
