/**
 * The README's table of what each op times, generated from the workload files so the two cannot
 * drift (test/readme-ops.test.ts compares; `npx tsx scripts/readme-ops.ts` rewrites it).
 */
import { WORKLOAD_LIST } from './index.js';
import type { WorkloadDef } from './workload.js';

export const OP_TABLE_BEGIN = '<!-- op table: generated from src/workloads/*.ts by scripts/readme-ops.ts -->';
export const OP_TABLE_END = '<!-- end of op table -->';

/** `|` inside a cell would split it: Markdown tables need it escaped, also inside code spans. */
const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function opTable(workloads: readonly WorkloadDef[] = WORKLOAD_LIST): string {
  const rows = workloads.map((w) => `| \`${w.name}\` | ${cell(w.timed)} | ${cell(w.setup)} |`);
  return ['| op | timed | set-up (untimed) |', '|---|---|---|', ...rows].join('\n');
}

/** The README text with the table between the markers replaced; throws when a marker is missing. */
export function withOpTable(readme: string, table = opTable()): string {
  const begin = readme.indexOf(OP_TABLE_BEGIN);
  const end = readme.indexOf(OP_TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`README.md: the op table markers are missing ("${OP_TABLE_BEGIN}")`);
  return `${readme.slice(0, begin + OP_TABLE_BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}
