/** The output formats of `gmembench regress`, one file each behind this interface. */
import type { RegressReport } from '../analysis/regress.js';
import { regressText } from './regress-text.js';
import { regressJson } from './regress-json.js';
import { regressJunit } from './regress-junit.js';

export interface RegressFormat {
  name: string;
  extension: string;
  render(report: RegressReport): string;
}

export const REGRESS_FORMATS: Record<string, RegressFormat> = {
  text: regressText,
  json: regressJson,
  junit: regressJunit,
};

export function regressFormat(name: string): RegressFormat {
  const f = REGRESS_FORMATS[name];
  if (!f) throw new Error(`--format: unknown format "${name}" (one of ${Object.keys(REGRESS_FORMATS).join(', ')})`);
  return f;
}
