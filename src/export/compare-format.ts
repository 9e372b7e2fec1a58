/** The output formats of `gmembench compare`, one file each, in the Format<T> registry (format.ts). */
import type { Comparison } from '../analysis/compare.js';
import { formatRegistry, type Format } from './format.js';
import { compareText } from './compare-text.js';
import { compareMarkdown } from './compare-markdown.js';
import { compareJson } from './compare-json.js';
import { compareCsv } from './compare-csv.js';

export type CompareFormat = Format<Comparison>;

export const COMPARE_REGISTRY = formatRegistry<Comparison>([compareText, compareMarkdown, compareJson, compareCsv]);

export const COMPARE_FORMATS = COMPARE_REGISTRY.byName;

export function compareFormat(name: string): CompareFormat {
  return COMPARE_REGISTRY.get(name);
}
