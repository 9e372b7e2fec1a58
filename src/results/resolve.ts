/** Command-line run arguments: a run directory or its summary.json, with a clear error otherwise. */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RunSummary } from './schema.js';
import { SUMMARY_FILE, readSummary } from './store.js';

export class RunNotFoundError extends Error {}

/** The summary.json a run argument names; throws RunNotFoundError naming the path when it is not a run. */
export async function resolveRunFile(arg: string): Promise<string> {
  const p = resolve(arg);
  let st;
  try {
    st = await stat(p);
  } catch {
    throw new RunNotFoundError(`${arg}: no such run (give a run directory or its ${SUMMARY_FILE})`);
  }
  if (!st.isDirectory()) return p;
  const file = join(p, SUMMARY_FILE);
  try {
    if ((await stat(file)).isFile()) return file;
  } catch {
    /* fall through */
  }
  throw new RunNotFoundError(`${arg}: not a run directory (no ${SUMMARY_FILE} in it)`);
}

export async function loadRun(arg: string): Promise<RunSummary> {
  const file = await resolveRunFile(arg);
  try {
    return await readSummary(file);
  } catch (err) {
    throw new RunNotFoundError((err as Error).message);
  }
}
