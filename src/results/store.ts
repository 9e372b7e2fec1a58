/** results/<runId>/summary.json: create run directories, write atomically, read back. */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
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

export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

export async function writeSummary(runDir: string, summary: RunSummary): Promise<string> {
  await mkdir(runDir, { recursive: true });
  const file = join(runDir, SUMMARY_FILE);
  await writeFileAtomic(file, `${JSON.stringify(summary, null, 2)}\n`);
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
