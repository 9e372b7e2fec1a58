/** regress as JSON: the RegressReport itself (camelCase, ns; changePct in percent). */
import type { RegressReport } from '../analysis/regress.js';
import type { RegressFormat } from './regress-format.js';

export const regressJson: RegressFormat = {
  name: 'json',
  render: (r: RegressReport) => `${JSON.stringify(r, null, 2)}\n`,
};
