/** The output formats of `gmembench compare`, one file each behind this interface. */
import type { Comparison } from '../analysis/compare.js';
import { compareText } from './compare-text.js';
import { compareMarkdown } from './compare-markdown.js';
import { compareJson } from './compare-json.js';
import { compareCsv } from './compare-csv.js';

export interface CompareFormat {
  name: string;
  extension: string;
  render(c: Comparison): string;
}

export const COMPARE_FORMATS: Record<string, CompareFormat> = {
  text: compareText,
  markdown: compareMarkdown,
  json: compareJson,
  csv: compareCsv,
};

export function compareFormat(name: string): CompareFormat {
  const f = COMPARE_FORMATS[name];
  if (!f) throw new Error(`--format: unknown format "${name}" (one of ${Object.keys(COMPARE_FORMATS).join(', ')})`);
  return f;
}
