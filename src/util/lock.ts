/**
 * A lock file so two nightlies never overlap: created with O_EXCL, holding {pid, host, startedAt}.
 * A lock whose pid is no longer alive on this host is stale and taken over.
 */
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
}

export class LockHeldError extends Error {
  constructor(
    readonly file: string,
    readonly holder: LockInfo,
  ) {
    super(`${file}: another run holds the lock (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`);
    this.name = 'LockHeldError';
  }
}

export interface Lock {
  file: string;
  info: LockInfo;
  release(): Promise<void>;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function acquireLock(file: string): Promise<Lock & { tookOverStale?: LockInfo }> {
  const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  let tookOverStale: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(`${JSON.stringify(info)}\n`);
      await fh.close();
      return {
        file,
        info,
        ...(tookOverStale && { tookOverStale }),
        release: async () => {
          const now = await readLock(file);
          if (now && now.pid === info.pid && now.startedAt === info.startedAt)
            await unlink(file).catch(() => undefined);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new Error(`${file}: cannot create the lock: ${(err as Error).message}`, { cause: err });
    }
    const holder = await readLock(file);
    // empty or unreadable: being written right now, or left by a process killed between open and
    // write; give it a minute before calling it stale
    if (!holder && (await ageMs(file)) < 60_000)
      throw new LockHeldError(file, { pid: 0, host: '?', startedAt: 'just now' });
    if (holder && holder.host === hostname() && pidAlive(holder.pid)) throw new LockHeldError(file, holder);
    if (holder && holder.host !== hostname()) throw new LockHeldError(file, holder);
    tookOverStale = holder ?? { pid: 0, host: '?', startedAt: '?' };
    await unlink(file).catch(() => undefined);
  }
  throw new Error(`${file}: could not take the lock`);
}

async function readLock(file: string): Promise<LockInfo | null> {
  try {
    const d = JSON.parse(await readFile(file, 'utf8'));
    return typeof d?.pid === 'number' ? (d as LockInfo) : null;
  } catch {
    return null;
  }
}

async function ageMs(file: string): Promise<number> {
  try {
    return Date.now() - (await stat(file)).mtimeMs;
  } catch {
    return Infinity;
  }
}
