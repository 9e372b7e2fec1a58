/** What `compare --plot FILE` draws: every figure of the comparison, one file each, sized to paste. */
import type { Comparison, Pairing } from '../analysis/compare.js';
import { comparisonSources } from './figures.js';
import { layoutFigures, writeFigures } from './render.js';
import { PLOT_LAYOUT } from './theme.js';

/** FILE.png -> FILE-p50.png, FILE-percentiles.png (FILE-p50-1.png ... when split); the files written. */
export async function plotComparison(file: string, p: Pairing, c: Comparison): Promise<string[]> {
  return writeFigures(file, await layoutFigures(comparisonSources(p, c), PLOT_LAYOUT));
}
