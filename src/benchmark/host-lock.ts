/**
 * The per-host lock that keeps two controllers from measuring the same host at once. It lives on
 * the host and is taken through the transport (local or SSH alike): an atomic `mkdir <lockPath>`,
 * then <lockPath>/owner.json naming the holder. A second controller gets a `locked` failure naming
 * who holds it. A lock is stale (taken over) when its controller's pid is gone (checked on the
 * host when the controller ran there, else on this machine when it ran here), or when it is older
 * than maxAgeMs. --break-lock takes a lock that is not stale too, but not one whose controller is
 * seen alive: that also needs `force`.
 */
import { randomBytes } from 'node:crypto';
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
  /** a lock that was not stale, broken by breakLock: its holder, and whether its controller lives */
  broke?: { owner: HostLockOwner | null; holder: Liveness };
  release(): Promise<void>;
}

/** whether a lock holder's controller process still runs: unknown when no machine at hand can tell */
export type Liveness = 'alive' | 'gone' | 'unknown';

export interface HostLockOptions {
  runId: string;
  /** take the lock whoever holds it, unless its controller is seen alive (then `force` is needed too) */
  breakLock?: boolean;
  /** with breakLock: break a lock even when its controller is alive */
  force?: boolean;
  /** a lock older than this is stale even if its controller may be alive (default 24 h) */
  maxAgeMs?: number;
}

/**
 * The host's lock directory: its `lockPath`, else GMEMBENCH_LOCAL_LOCK for the local host (the test
 * setup gives each test run a lock of its own, so a real run elsewhere on the machine cannot decide a
 * test), else the host-wide default.
 */
export function lockPathOf(host: HostConfig): string {
  const local = host.transport === 'local' ? process.env.GMEMBENCH_LOCAL_LOCK || undefined : undefined;
  return host.lockPath ?? local ?? DEFAULT_LOCK_PATH;
}

export function describeOwner(o: HostLockOwner | null): string {
  if (!o) return 'an unknown controller (no owner file)';
  return `${o.user}@${o.controller} pid ${o.pid}, run ${o.runId}, since ${o.startedAt}`;
}

/**
 * One round trip per attempt (each exec is a new SSH session: they cost): create the directory and
 * write the owner, or report the holder and the lock's age by the host's own clock.
 */
const TAKE = [
  'L="$1"',
  'if mkdir "$L" 2>/dev/null; then cat > "$L/owner.json" && echo ACQUIRED; exit; fi',
  'if [ ! -d "$L" ]; then echo "cannot create $L" >&2; exit 1; fi',
  'echo HELD',
  'echo $(( $(date +%s) - $(stat -c %Y "$L") ))',
  'cat "$L/owner.json" 2>/dev/null',
  'true',
].join('\n');

/** $2 = 1: the owner file parsed as a gmembench owner; remove it, then the (now empty) directory */
const REMOVE_STALE = [
  'L="$1"',
  'if [ "$2" = 1 ]; then rm -f "$L/owner.json"; fi',
  'if [ -n "$(ls -A "$L" 2>/dev/null)" ]; then echo "it holds other files: $(ls -A "$L" | head -3 | tr \'\\n\' \' \')" >&2; exit 1; fi',
  'rmdir "$L" 2>/dev/null || [ ! -e "$L" ]',
].join('\n');

export async function acquireHostLock(t: Transport, path: string, opts: HostLockOptions): Promise<HostLock> {
  const owner: HostLockOwner = {
    controller: hostname(),
    pid: process.pid,
    user: safeUser(),
    startedAt: new Date().toISOString(),
    runId: opts.runId,
  };
  // what release() looks for before removing the lock: this controller's own, not a successor's
  const token = `"token":"${randomBytes(8).toString('hex')}"`;
  const ownerJson = `${JSON.stringify(owner).slice(0, -1)},${token}}\n`;
  let tookOver: HostLockOwner | null | undefined;
  let broke: HostLock['broke'];
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = await t.exec(['sh', '-c', TAKE, 'sh', path], { stdin: ownerJson });
    const [status, ageLine, ...rest] = r.stdout.split('\n');
    if (r.exitCode === 0 && status === 'ACQUIRED') {
      return {
        path,
        owner,
        ...(tookOver !== undefined && { tookOver }),
        ...(broke && { broke }),
        release: async () => {
          // only what this controller created: its own owner file, then the directory if now empty
          await t.exec([
            'sh',
            '-c',
            'grep -qF "$2" "$1/owner.json" 2>/dev/null && rm -f "$1/owner.json" && rmdir "$1" 2>/dev/null; true',
            'sh',
            path,
            token,
          ]);
        },
      };
    }
    if (r.exitCode !== 0 || status !== 'HELD') {
      throw new HostFailure(
        t.host,
        'probe-error',
        `cannot create the host lock ${path}: ${r.stderr.trim() || `exit ${r.exitCode}`}`,
      );
    }
    const holder = parseOwner(rest.join('\n'));
    const age = Number(ageLine) * 1000 || 0;
    const live = holder ? await liveness(t, holder) : 'unknown';
    const stale =
      age > (opts.maxAgeMs ?? 24 * 3_600_000) ||
      // no owner file yet: being written right now, or its writer died; a minute settles which
      (!holder && age > 60_000) ||
      live === 'gone';
    if (!stale && !opts.breakLock) {
      throw new HostFailure(
        t.host,
        'locked',
        live === 'alive'
          ? `locked by ${describeOwner(holder)} (${path} on the host), a run still going (pid ${holder!.pid} is alive on ${holder!.controller}); wait for it`
          : `locked by ${describeOwner(holder)} (${path} on the host); wait for it, or use --break-lock if that run is gone`,
      );
    }
    if (!stale && live === 'alive' && !opts.force) {
      throw new HostFailure(
        t.host,
        'locked',
        `locked by ${describeOwner(holder)} (${path} on the host), and that controller is still running (pid ${holder!.pid} is alive on ${holder!.controller}): --break-lock does not break a live run's lock; add --force to break it anyway (both runs would then measure this host at once)`,
      );
    }
    if (!stale) broke = { owner: holder, holder: live };
    tookOver = holder;
    // a stale lock is removed only if it is recognisably one: a directory holding nothing but a
    // gmembench owner file (or nothing at all). Never rm -rf: lockPath may name /tmp or /var/lock.
    const rm = await t.exec(['sh', '-c', REMOVE_STALE, 'sh', path, holder ? '1' : '0']);
    if (rm.exitCode !== 0) {
      throw new HostFailure(
        t.host,
        'locked',
        `${path} on the host is not a gmembench lock (${rm.stderr.trim() || 'it holds other files'}); refusing to remove it: set lockPath to a path of its own`,
      );
    }
  }
  throw new HostFailure(t.host, 'locked', `could not take the host lock ${path} (another controller keeps taking it)`);
}

/**
 * Is the holder's controller process alive? Asked of the host when the controller ran there (its
 * hostname is the owner's `controller`), else of this machine when it ran here; otherwise unknown.
 */
async function liveness(t: Transport, holder: HostLockOwner): Promise<Liveness> {
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return 'unknown';
  const r = await t
    .exec(['sh', '-c', 'hostname; if [ -d "/proc/$1" ]; then echo alive; else echo gone; fi', 'sh', String(holder.pid)])
    .catch(() => null);
  const [name, state] = r?.exitCode === 0 ? r.stdout.split('\n') : [];
  if (name === holder.controller && (state === 'alive' || state === 'gone')) return state;
  if (holder.controller === hostname()) return pidAlive(holder.pid) ? 'alive' : 'gone';
  return 'unknown';
}

/** What a broken lock means for this run's figures, for the host's warnings. */
export function brokeWarning(host: string, b: NonNullable<HostLock['broke']>): string {
  const whose = describeOwner(b.owner);
  const state =
    b.holder === 'alive'
      ? 'its controller is still running'
      : b.holder === 'gone'
        ? 'its controller is gone'
        : 'whether its controller still runs cannot be checked from here';
  return `${host}: --break-lock broke the lock of ${whose}; ${state}: if that run goes on, both measure this host at once`;
}

function parseOwner(text: string): HostLockOwner | null {
  try {
    const o = JSON.parse(text) as HostLockOwner;
    return typeof o.pid === 'number' && typeof o.controller === 'string' ? o : null;
  } catch {
    return null;
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '?');
  }
}
