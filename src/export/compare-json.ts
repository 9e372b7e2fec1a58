/** compare as JSON: the Comparison model itself (camelCase, ns; changePct in percent, cv as a fraction). */
import type { Comparison } from '../analysis/compare.js';
import type { CompareFormat } from './compare-format.js';

export const compareJson: CompareFormat = {
  name: 'json',
  render: (c: Comparison) => `${JSON.stringify(c, null, 2)}\n`,
};
