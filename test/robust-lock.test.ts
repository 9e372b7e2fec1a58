/** A host lock never removes what the harness did not create: a real directory with files beside the lock. */
import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalTransport } from '../src/transport/local.js';
import { acquireHostLock } from '../src/benchmark/host-lock.js';

describe('host lock on a directory that is not a lock', () => {
  const t = new LocalTransport('here');

  it('an old ownerless directory with contents (lockPath: /var/lock) is refused, its files survive', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'gmembench-rl-')), 'varlock');
    await mkdir(dir);
    await writeFile(join(dir, 'precious.txt'), 'keep me');
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'deep'), 'me too');
    const old = new Date(Date.now() - 3_600_000);
    await utimes(dir, old, old);
    const err = await acquireHostLock(t, dir, { runId: 'r' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ subStatus: 'locked' });
    expect((err as Error).message).toContain('not a gmembench lock');
    expect(readFileSync(join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
    expect(readFileSync(join(dir, 'sub', 'deep'), 'utf8')).toBe('me too');
    // even --break-lock does not delete them
    const forced = await acquireHostLock(t, dir, { runId: 'r', breakLock: true }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((forced as Error).message).toContain('not a gmembench lock');
    expect(existsSync(join(dir, 'sub', 'deep'))).toBe(true);
  });

  it('a stale gmembench lock is taken over; a stranger file beside owner.json is kept', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'gmembench-rl-')), 'lock');
    await mkdir(dir);
    await writeFile(
      join(dir, 'owner.json'),
      JSON.stringify({ controller: 'far', pid: 7, user: 'bob', startedAt: 'x', runId: 'old' }),
    );
    const old = new Date(Date.now() - 3_600_000);
    await utimes(dir, old, old);
    const ok = await acquireHostLock(t, dir, { runId: 'r', maxAgeMs: 1000 });
    expect(ok.tookOver).toMatchObject({ runId: 'old' });
    await ok.release();
    expect(existsSync(dir)).toBe(false);

    await mkdir(dir);
    await writeFile(
      join(dir, 'owner.json'),
      JSON.stringify({ controller: 'far', pid: 7, user: 'bob', startedAt: 'x', runId: 'old' }),
    );
    await writeFile(join(dir, 'notes'), 'not ours');
    await utimes(dir, old, old);
    const err = await acquireHostLock(t, dir, { runId: 'r', maxAgeMs: 1000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as Error).message).toContain('not a gmembench lock');
    expect(readFileSync(join(dir, 'notes'), 'utf8')).toBe('not ours');
  });
});
