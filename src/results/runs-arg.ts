/** A RUN argument of compare: a run directory, its summary.json, or a results folder holding several runs. */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { RunSummary } from './schema.js';
import { loadRun, RunNotFoundError } from './resolve.js';
import { listRuns, readSummary } from './store.js';

/** The runs an argument names, oldest first; RunNotFoundError naming the path otherwise. */
export async function loadRunsArg(arg: string): Promise<RunSummary[]> {
  try {
    return [await loadRun(arg)];
  } catch (err) {
    if (!(err instanceof RunNotFoundError)) throw err;
    const isDir = await stat(resolve(arg)).then((s) => s.isDirectory(), () => false);
    const dirs = isDir ? await listRuns(resolve(arg)) : [];
    if (dirs.length === 0) throw isDir ? new RunNotFoundError(`${(err as Error).message}, nor a results folder of runs`) : err;
    const runs: RunSummary[] = [];
    for (const d of dirs) {
      try {
        runs.push(await readSummary(d));
      } catch (e) {
        throw new RunNotFoundError(`${arg}: ${(e as Error).message}`);
      }
    }
    return runs.sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt) || a.runId.localeCompare(b.runId));
  }
}

/** Every run of several arguments, in order, each once (by run id). */
export async function loadRunsArgs(args: string[]): Promise<RunSummary[]> {
  const out: RunSummary[] = [];
  for (const a of args) for (const r of await loadRunsArg(a)) if (!out.some((x) => x.runId === r.runId)) out.push(r);
  return out;
}
