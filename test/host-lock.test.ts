/** The per-host lock through the local transport (the SSH tests take it over real sshd). */
import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalTransport } from '../src/transport/local.js';
import { acquireHostLock } from '../src/benchmark/host-lock.js';
import { HostFailure } from '../src/benchmark/failure.js';

describe('host lock (local transport)', () => {
  const t = new LocalTransport('here');

  it('is taken once, names its holder to the next taker, and is released by its owner only', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'gmembench-hl-')), 'lock');
    const a = await acquireHostLock(t, path, { runId: 'run-a' });
    expect(JSON.parse(readFileSync(join(path, 'owner.json'), 'utf8'))).toMatchObject({
      controller: hostname(),
      pid: process.pid,
      runId: 'run-a',
    });
    const err = await acquireHostLock(t, path, { runId: 'run-b' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HostFailure);
    expect(err).toMatchObject({ host: 'here', subStatus: 'locked' });
    expect((err as Error).message).toContain(`@${hostname()} pid ${process.pid}, run run-a`);
    // run-a's controller (this process) is alive: breakLock alone refuses, naming it; with force,
    // broken by run-b: run-a's release must not remove run-b's lock
    const live = await acquireHostLock(t, path, { runId: 'run-b', breakLock: true }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(live).toMatchObject({ host: 'here', subStatus: 'locked' });
    expect((live as Error).message).toContain(`@${hostname()} pid ${process.pid}, run run-a`);
    expect((live as Error).message).toContain(`pid ${process.pid} is alive on ${hostname()}`);
    expect((live as Error).message).toContain('--force');
    const b = await acquireHostLock(t, path, { runId: 'run-b', breakLock: true, force: true });
    expect(b.broke).toMatchObject({ owner: { runId: 'run-a' }, holder: 'alive' });
    expect(b.tookOver).toMatchObject({ runId: 'run-a' });
    await a.release();
    expect(existsSync(path)).toBe(true);
    await b.release();
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a fresh lock without an owner file, and takes over one older than maxAge', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'gmembench-hl-')), 'lock');
    await mkdir(path);
    const fresh = await acquireHostLock(t, path, { runId: 'r' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((fresh as Error).message).toContain('locked by an unknown controller (no owner file)');
    await writeFile(
      join(path, 'owner.json'),
      JSON.stringify({ controller: 'far-away', pid: 7, user: 'bob', startedAt: '2026-01-01T00:00:00Z', runId: 'old' }),
    );
    await new Promise((r) => setTimeout(r, 1100));
    const old = await acquireHostLock(t, path, { runId: 'r', maxAgeMs: 500 });
    expect(old.tookOver).toMatchObject({ controller: 'far-away', user: 'bob' });
    await old.release();
  });
});
