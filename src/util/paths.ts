/** Where the package's own files are, from src/ (tsx, tests) or dist/ (the installed CLI) alike. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PROBE_SRC_DIR = resolve(PACKAGE_ROOT, 'probe');

export const HARNESS_VERSION: string = JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')).version;

export function cacheDir(): string {
  return (
    process.env.GMEMBENCH_CACHE ?? resolve(process.env.XDG_CACHE_HOME ?? resolve(homedir(), '.cache'), 'gmembench')
  );
}
