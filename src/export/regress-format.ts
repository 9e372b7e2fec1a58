/** The output formats of `gmembench regress`, one file each, in the Format<T> registry (format.ts). */
import type { RegressReport } from '../analysis/regress.js';
import { formatRegistry, type Format } from './format.js';
import { regressText } from './regress-text.js';
import { regressJson } from './regress-json.js';
import { regressJunit } from './regress-junit.js';

export type RegressFormat = Format<RegressReport>;

export const REGRESS_REGISTRY = formatRegistry<RegressReport>([regressText, regressJson, regressJunit]);

export const REGRESS_FORMATS = REGRESS_REGISTRY.byName;

export function regressFormat(name: string): RegressFormat {
  return REGRESS_REGISTRY.get(name);
}
