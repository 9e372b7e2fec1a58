/**
 * Build the probe with the local C compiler into a static binary, cached by the hash of its
 * sources and build command, so the same bytes can later be pushed to remote hosts.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { PROBE_SRC_DIR, cacheDir } from '../util/paths.js';

export interface ProbeBinary {
  /** absolute path of the built binary on the controller */
  path: string;
  /** sha256 of the binary: what a remote host checks after an upload */
  sha256: string;
  /** sha256 of sources + compiler command: the cache key */
  sourceHash: string;
  /** `uname -m` the binary was built for */
  arch: string;
}

/** The flags of every probe build, here and on a host that builds its own (its compiler may be older). */
export const PROBE_CFLAGS = ['-O2', '-std=gnu11', '-Wall', '-Wextra', '-static', '-pthread'];
/**
 * Added in tests and CI (and with GMEMBENCH_PROBE_WERROR=1): a warning there is a bug to fix. Left out
 * of a user's build, where a newer or older compiler than ours may warn about code that is fine.
 */
export const PROBE_WERROR = ['-Werror'];

export function wantWerror(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.CI || env.VITEST || env.GMEMBENCH_PROBE_WERROR === '1');
}

export async function probeSources(dir = PROBE_SRC_DIR): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.c') || n.endsWith('.h')).sort();
  return names.map((n) => resolve(dir, n));
}

export async function hashSources(files: string[], extra: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f.slice(f.lastIndexOf('/') + 1))
      .update('\0')
      .update(await readFile(f))
      .update('\0');
  }
  h.update(extra.join(' '));
  return h.digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

export async function buildProbe(opts: { cc?: string; dir?: string; werror?: boolean } = {}): Promise<ProbeBinary> {
  const cc = opts.cc ?? process.env.CC ?? 'cc';
  const files = await probeSources(opts.dir);
  const arch = (await execa('uname', ['-m'])).stdout.trim();
  const cflags = [...PROBE_CFLAGS, ...((opts.werror ?? wantWerror()) ? PROBE_WERROR : [])];
  const sourceHash = await hashSources(files, [cc, ...cflags, arch]);
  const outDir = resolve(cacheDir(), 'probe', sourceHash);
  const out = resolve(outDir, 'gmembench-probe');
  if (!(await exists(out))) {
    await mkdir(outDir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    const cfiles = files.filter((f) => f.endsWith('.c'));
    try {
      await execa(cc, [...cflags, ...cfiles, '-o', tmp]);
    } catch (err) {
      const e = err as { stderr?: string; shortMessage?: string };
      throw new Error(`building the probe with ${cc} failed:\n${e.stderr ?? e.shortMessage ?? String(err)}`, {
        cause: err,
      });
    }
    await rename(tmp, out);
  }
  return { path: out, sha256: await sha256File(out), sourceHash, arch };
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
