/**
 * The changes regress has already reported (a JSON file; nightly keeps it in the results folder),
 * so each regression is told once. Written atomically; a missing file is an empty state.
 */
import { readFile } from 'node:fs/promises';
import type { KnownChange } from '../analysis/regress.js';
import { writeFileAtomic } from './store.js';

export const STATE_FILE = '.regress-state.json';

interface StateFile {
  version: 1;
  reported: KnownChange[];
}

export async function readRegressState(file: string): Promise<KnownChange[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`${file}: cannot read the regress state: ${(err as Error).message}`, { cause: err });
  }
  let data: Partial<StateFile>;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: not JSON (${(err as Error).message}); remove it to start over`, { cause: err });
  }
  if (!data || !Array.isArray(data.reported)) throw new Error(`${file}: field "reported" must be an array; remove the file to start over`);
  return data.reported;
}

/** Remember these changes too (the old entries are kept). */
export async function addToRegressState(file: string, known: KnownChange[], told: KnownChange[]): Promise<void> {
  const all = [...known, ...told];
  const state: StateFile = { version: 1, reported: all };
  await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
}
