/** The README's op table is the one the workload files generate, and each op is in it once. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { opTable, withOpTable, OP_TABLE_BEGIN } from '../src/workloads/readme.js';
import { WORKLOAD_NAMES } from '../src/workloads/index.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe("the README's op table", () => {
  it('matches src/workloads (run `npx tsx scripts/readme-ops.ts` after changing a workload)', () => {
    expect(readme).toContain(OP_TABLE_BEGIN);
    expect(withOpTable(readme)).toBe(readme);
  });

  it('has one row per op, in the registry order', () => {
    const names = opTable()
      .split('\n')
      .slice(2)
      .map((l) => /^\| `([^`]+)` \|/.exec(l)?.[1]);
    expect(names).toEqual(WORKLOAD_NAMES);
  });
});
