/** A real run directory: suites/smoke.yaml measured on this machine through the CLI (about 5 s). */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { cli, ROOT } from './cli.js';

export async function realSmokeRun(resultsDir: string): Promise<string> {
  const r = await cli(['run', resolve(ROOT, 'suites/smoke.yaml'), '--results', resultsDir, '--progress', 'silent']);
  if (r.code !== 0 && r.code !== 3)
    throw new Error(`gmembench run suites/smoke.yaml failed (exit ${r.code}):\n${r.stderr}`);
  const [run] = await readdir(resultsDir);
  return join(resultsDir, run);
}
