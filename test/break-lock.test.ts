/**
 * `run --break-lock` against real lock directories: a holder whose controller is alive (a real
 * process of this machine) is refused unless --force is given too, and the run says whose lock it
 * broke; a holder that cannot be checked (another machine) is broken with that said.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { cli } from './helpers/cli.js';
import { hasCc, skipReason } from './helpers/host.js';

if (!hasCc) skipReason('--break-lock tests', 'no C compiler (cc) to build the probe');

describe.skipIf(!hasCc)('run --break-lock', () => {
  let dir: string;
  let suite: string;
  let inv: string;
  let lock: string;
  let holder: ResultPromise;

  const hold = async (owner: object) => {
    await rm(lock, { recursive: true, force: true });
    await mkdir(lock);
    await writeFile(join(lock, 'owner.json'), JSON.stringify(owner));
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gmembench-breaklock-'));
    suite = join(dir, 's.yaml');
    await writeFile(
      suite,
      'name: bl\ndefaults: {repetitions: 2, warmup: 0}\nworkloads:\n  - {paths: [shmem], ops: [alloc], granules: [4K], region: 1M}\n',
    );
    lock = join(dir, 'lock');
    inv = join(dir, 'hosts.yaml');
    await writeFile(inv, JSON.stringify({ hosts: [{ name: 'loc', transport: 'local', lockPath: lock }] }));
    // a live "controller" of this machine: its pid is what the lock names
    holder = execa('sleep', ['300'], { reject: false });
  });
  afterAll(async () => {
    holder?.kill('SIGKILL');
    await holder;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses the lock of a live controller, naming it, unless --force; then says whose run it broke', async () => {
    const owner = {
      controller: hostname(),
      pid: holder.pid,
      user: 'alice',
      startedAt: '2026-12-02T10:00:00Z',
      runId: 'alices-nightly',
    };
    await hold(owner);
    const plain = await cli(['run', suite, '--hosts', inv, '--results', join(dir, 'results'), '--progress', 'silent']);
    expect(plain.code).toBe(3);
    expect(plain.stdout).toContain(`locked by alice@${hostname()} pid ${holder.pid}, run alices-nightly`);
    const refused = await cli([
      'run',
      suite,
      '--hosts',
      inv,
      '--results',
      join(dir, 'results'),
      '--progress',
      'silent',
      '--break-lock',
    ]);
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stdout).toContain(`pid ${holder.pid} is alive on ${hostname()}`);
    expect(refused.stdout).toContain('add --force');
    expect(existsSync(join(lock, 'owner.json'))).toBe(true);

    const forced = await cli([
      'run',
      suite,
      '--hosts',
      inv,
      '--results',
      join(dir, 'results'),
      '--progress',
      'silent',
      '--break-lock',
      '--force',
    ]);
    expect(forced.code, forced.stdout + forced.stderr).toBe(0);
    expect(forced.stdout).toContain(
      `loc: --break-lock broke the lock of alice@${hostname()} pid ${holder.pid}, run alices-nightly, since 2026-12-02T10:00:00Z; its controller is still running`,
    );
    // released after the run: the lock directory was the run's own by then
    expect(existsSync(lock)).toBe(false);
  });

  it('breaks a lock whose controller cannot be checked (another machine), saying so; --force alone is a usage error', async () => {
    await hold({
      controller: 'far-away-box',
      pid: 4242,
      user: 'bob',
      startedAt: '2026-12-02T09:00:00Z',
      runId: 'bobs-run',
    });
    const r = await cli([
      'run',
      suite,
      '--hosts',
      inv,
      '--results',
      join(dir, 'results'),
      '--progress',
      'silent',
      '--break-lock',
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('loc: --break-lock broke the lock of bob@far-away-box pid 4242, run bobs-run');
    expect(r.stdout).toContain('whether its controller still runs cannot be checked from here');
    const u = await cli(['run', suite, '--hosts', inv, '--results', join(dir, 'results'), '--force']);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('--force goes with --break-lock');
  });

  it('takes over, without --break-lock, the lock of a controller of this machine that is gone', async () => {
    const gone = Number((await execa('sh', ['-c', 'sh -c "echo \\$\\$"'])).stdout.trim());
    await hold({
      controller: hostname(),
      pid: gone,
      user: 'carol',
      startedAt: '2026-12-02T08:00:00Z',
      runId: 'crashed',
    });
    const r = await cli(['run', suite, '--hosts', inv, '--results', join(dir, 'results'), '--progress', 'plain']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain(`loc: took over a stale lock held by carol@${hostname()} pid ${gone}, run crashed`);
  });
});
