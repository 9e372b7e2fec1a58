/**
 * The per-host lock that keeps two controllers from measuring the same host at once. It lives on
 * the host and is taken through the transport (local or SSH alike): an atomic `mkdir <lockPath>`,
 * then <lockPath>/owner.json naming the holder. A second controller gets a `locked` failure naming
 * who holds it. A lock is stale (taken over) when its controller is this machine and its pid is
 * gone, when it is older than maxAgeMs, or with --break-lock.
 */
import { hostname, userInfo } from 'node:os';
import { DEFAULT_LOCK_PATH, type HostConfig } from '../config/hosts.js';
import type { Transport } from '../transport/transport.js';
import { pidAlive } from '../util/lock.js';
import { HostFailure } from './failure.js';

export interface HostLockOwner {
  controller: string;
  pid: number;
  user: string;
  startedAt: string;
  runId: string;
}

export interface HostLock {
  path: string;
  owner: HostLockOwner;
  /** the stale lock this one replaced, if any */
  tookOver?: HostLockOwner | null;
  release(): Promise<void>;
}

export interface HostLockOptions {
  runId: string;
  /** take the lock whoever holds it */
  breakLock?: boolean;
  /** a lock older than this is stale even if its controller may be alive (default 24 h) */
  maxAgeMs?: number;
}

export function lockPathOf(host: HostConfig): string {
  return host.lockPath ?? DEFAULT_LOCK_PATH;
}

export function describeOwner(o: HostLockOwner | null): string {
  if (!o) return 'an unknown controller (no owner file)';
  return `${o.user}@${o.controller} pid ${o.pid}, run ${o.runId}, since ${o.startedAt}`;
}

export async function acquireHostLock(t: Transport, path: string, opts: HostLockOptions): Promise<HostLock> {
  const owner: HostLockOwner = {
    controller: hostname(), pid: process.pid, user: safeUser(), startedAt: new Date().toISOString(), runId: opts.runId,
  };
  const ownerFile = `${path}/owner.json`;
  let tookOver: HostLockOwner | null | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const mk = await t.exec(['mkdir', path]);
    if (mk.exitCode === 0) {
      const w = await t.exec(['sh', '-c', 'cat > "$1"', 'sh', ownerFile], { stdin: `${JSON.stringify(owner)}\n` });
      if (w.exitCode !== 0) {
        await t.exec(['rm', '-rf', path]).catch(() => undefined);
        throw new HostFailure(t.host, 'probe-error', `cannot write the host lock ${ownerFile}: ${w.stderr.trim()}`);
      }
      return {
        path, owner, ...(tookOver !== undefined && { tookOver }),
        release: async () => {
          const now = await readOwner(t, ownerFile);
          if (now && now.controller === owner.controller && now.pid === owner.pid && now.runId === owner.runId) {
            await t.exec(['rm', '-rf', path]);
          }
        },
      };
    }
    const exists = await t.exec(['test', '-d', path]);
    if (exists.exitCode !== 0) {
      throw new HostFailure(t.host, 'probe-error', `cannot create the host lock ${path}: ${mk.stderr.trim()}`);
    }
    const holder = await readOwner(t, ownerFile);
    const age = await ageMs(t, path);
    const stale =
      opts.breakLock ||
      age > (opts.maxAgeMs ?? 24 * 3_600_000) ||
      // no owner file yet: being written right now, or its writer died; a minute settles which
      (!holder && age > 60_000) ||
      (holder !== null && holder.controller === hostname() && !pidAlive(holder.pid));
    if (!stale) {
      throw new HostFailure(
        t.host, 'locked',
        `locked by ${describeOwner(holder)} (${path} on the host); wait for it, or use --break-lock if that run is gone`,
      );
    }
    tookOver = holder;
    await t.exec(['rm', '-rf', path]);
  }
  throw new HostFailure(t.host, 'locked', `could not take the host lock ${path} (another controller keeps taking it)`);
}

async function readOwner(t: Transport, file: string): Promise<HostLockOwner | null> {
  const r = await t.exec(['cat', file]);
  if (r.exitCode !== 0) return null;
  try {
    const o = JSON.parse(r.stdout) as HostLockOwner;
    return typeof o.pid === 'number' && typeof o.controller === 'string' ? o : null;
  } catch {
    return null;
  }
}

/** age of the lock by the host's own clock (controller and host clocks may differ) */
async function ageMs(t: Transport, path: string): Promise<number> {
  const r = await t.exec(['sh', '-c', 'echo $(( $(date +%s) - $(stat -c %Y "$1") ))', 'sh', path]);
  const s = Number(r.stdout.trim());
  return r.exitCode === 0 && Number.isFinite(s) ? s * 1000 : 0;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '?');
  }
}
