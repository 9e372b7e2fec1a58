/**
 * compare as JSON: the Comparison model itself (camelCase, ns; changePct in percent, cv and noise
 * as fractions), with its legend first (the sign convention: + = slower) and each metric's
 * direction (slower/faster/same, by the sign) and verdict (slower/faster when marked).
 */
import type { Comparison } from '../analysis/compare.js';
import type { CompareFormat } from './compare-format.js';
import { direction, legend, verdictOf } from './compare-cells.js';

export function renderCompareJson(c: Comparison): string {
  const rows = c.rows.map((r) => ({
    ...r,
    metrics: r.metrics.map((m) => ({ ...m, direction: direction(m.changePct), verdict: verdictOf(m) || null })),
  }));
  return `${JSON.stringify({ legend: legend(c), ...c, rows }, null, 2)}\n`;
}

export const compareJson: CompareFormat = { name: 'json', render: renderCompareJson };
