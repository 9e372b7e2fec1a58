/** results/<runId>/summary.json: create run directories, write atomically, read back. */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SCHEMA_VERSION, type RunSummary } from './schema.js';
import { MIGRATIONS, runSummary } from './summary-schema.js';
import { issueText } from '../util/zod-issue.js';

export const SUMMARY_FILE = 'summary.json';

/** Sortable and unique: 2026-11-24T23-50-12Z-smoke-3fa1 */
export function newRunId(suiteName: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const safe = suiteName.replace(/[^A-Za-z0-9_.-]+/g, '-');
  return `${stamp}-${safe}-${randomBytes(2).toString('hex')}`;
}

/** A result file that could not be written: which file, what was being done, the errno's words. */
export class ResultsWriteError extends Error {
  constructor(readonly file: string, readonly action: string, readonly code: string | undefined, cause: unknown) {
    super(`cannot ${action} ${file}: ${errnoText(cause)}`);
    this.name = 'ResultsWriteError';
  }
}

/** "ENOSPC: no space left on device, write" -> "no space left on device (ENOSPC)" */
function errnoText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const m = /^[A-Z0-9]+: (.*?)(?:, \w+(?: '.*')?)?$/.exec(e?.message ?? '');
  return e?.code && m ? `${m[1]} (${e.code})` : String(e?.message ?? err);
}

/**
 * mkdir -p that names the real cause: Node's recursive mkdir reports ENOENT when a parent cannot
 * be created (a read-only file system, EROFS), so on failure the missing parts are made one by one.
 */
export async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    return;
  } catch {
    const missing: string[] = [];
    let d = resolve(dir);
    while (!(await stat(d).then(() => true, () => false)) && dirname(d) !== d) {
      missing.unshift(d);
      d = dirname(d);
    }
    for (const m of missing) {
      try {
        await mkdir(m);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new ResultsWriteError(m, 'create the directory', (err as NodeJS.ErrnoException).code, err);
      }
    }
  }
}

/**
 * Write through a temporary file in the same directory, then rename it into place: a reader sees
 * the old file or the new one, never half of one. A failed write removes its temporary file.
 */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new ResultsWriteError(file, 'write', (err as NodeJS.ErrnoException).code, err);
  }
}

export function summaryText(summary: RunSummary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}

/** Write summary.json (the text may be made beforehand: a snapshot of the summary at that moment). */
export async function writeSummary(runDir: string, summary: RunSummary, text = summaryText(summary)): Promise<string> {
  await makeDir(runDir);
  const file = join(runDir, SUMMARY_FILE);
  await writeFileAtomic(file, text);
  return file;
}

/**
 * Read a run from its directory or its summary.json, checked against the summary schema: a file of an
 * older schemaVersion is migrated, one of a newer or unknown version refused, saying why.
 */
export async function readSummary(dirOrFile: string): Promise<RunSummary> {
  let file = resolve(dirOrFile);
  if ((await stat(file)).isDirectory()) file = join(file, SUMMARY_FILE);
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not a readable run summary: ${(err as Error).message}`, { cause: err });
  }
  if (!isObject(data) || typeof data.runId !== 'string' || !Array.isArray(data.results) || !Array.isArray(data.hosts)) {
    throw new Error(`${file}: not a gmembench run summary (runId, hosts and results are required)`);
  }
  const parsed = runSummary.safeParse(migrate(file, data));
  if (!parsed.success) {
    throw new Error(`${file}: not a gmembench run summary of schemaVersion ${SCHEMA_VERSION}: ${issueText(parsed.error)}`);
  }
  const summary: RunSummary = parsed.data;
  return summary;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Bring a summary to SCHEMA_VERSION through MIGRATIONS, or refuse it with the reason. */
function migrate(file: string, data: Record<string, unknown>): Record<string, unknown> {
  const v = data.schemaVersion;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new Error(`${file}: schemaVersion ${JSON.stringify(v)} is not a gmembench summary version (1..${SCHEMA_VERSION})`);
  }
  if (v > SCHEMA_VERSION) {
    throw new Error(
      `${file}: schemaVersion ${v} was written by a newer gmembench; this one reads up to ${SCHEMA_VERSION}: upgrade gmembench to read it`,
    );
  }
  let out = data;
  for (let from = v; from < SCHEMA_VERSION; from++) {
    const step = MIGRATIONS[from];
    if (!step) throw new Error(`${file}: schemaVersion ${from} cannot be read any more (no migration to ${from + 1})`);
    out = { ...step(out), schemaVersion: from + 1 };
  }
  return out;
}

/** Every run directory under a results folder, oldest first (run ids sort by time). */
export async function listRuns(resultsDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(resultsDir);
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const n of names.sort()) {
    const f = join(resultsDir, n, SUMMARY_FILE);
    try {
      if ((await stat(f)).isFile()) dirs.push(join(resultsDir, n));
    } catch {
      /* not a run */
    }
  }
  return dirs;
}

export function runIdOf(dir: string): string {
  return basename(dir);
}
