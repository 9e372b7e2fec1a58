/**
 * The SSH fleet against real OpenSSH sshd instances on loopback (test/helpers/sshd.ts): a run over
 * three hosts, host keys (hashed, changed, unknown + accept-new), a wrong user key, an sshd killed
 * mid-run, Ctrl-C and job timeouts leaving no probe behind, host locks, a jump host, probe delivery.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { startLab, startSshd, descendants, sshdMissing, type SshLab } from './helpers/sshd.js';
import { cli, ROOT } from './helpers/cli.js';
import { hasCc, skipReason } from './helpers/host.js';
import { buildProbe, type ProbeBinary } from '../src/probe/build.js';
import { ProbeClient } from '../src/probe/client.js';
import { loadInventory, type Inventory, type SshHostConfig } from '../src/config/hosts.js';
import { loadSuite, type Suite } from '../src/config/suite.js';
import { runSuite } from '../src/benchmark/run.js';
import { openTransport } from '../src/transport/index.js';
import { SshTransport } from '../src/transport/ssh/index.js';
import { HostFailure } from '../src/benchmark/failure.js';
import { readSummary } from '../src/results/store.js';
import type { RunSummary } from '../src/results/schema.js';

const why = sshdMissing ?? (hasCc ? null : 'no C compiler (cc) to build the probe');
if (why) skipReason('SSH fleet tests', why);

describe.skipIf(why !== null)('SSH fleet against real sshd on loopback', () => {
  let lab: SshLab;
  let probe: ProbeBinary;
  let tiny: Suite;
  let long: Suite;
  let endless: Suite;
  let n = 0;
  const file = async (name: string, text: string) => {
    const f = join(lab.dir, `${n++}-${name}`);
    await writeFile(f, text);
    return f;
  };
  const inventory = async (extra?: Parameters<SshLab['inventoryYaml']>[0], only?: number[]): Promise<Inventory> => {
    const inv = await loadInventory(await file('lab.yaml', lab.inventoryYaml(extra)));
    return only ? { hosts: only.map((i) => inv.hosts[i]) } : inv;
  };
  const ssh = (inv: Inventory, i: number) => inv.hosts[i] as SshHostConfig;
  const results = () => join(lab.dir, 'results');
  const remoteProbes = async (i: number) =>
    (await execa('pgrep', ['-f', join(lab.hosts[i].dir, 'remote')], { reject: false })).stdout
      .trim()
      .split('\n')
      .filter(Boolean);
  const waitUntil = async (what: string, cond: () => Promise<boolean> | boolean) => {
    // a wait for a state, not a timed assertion: the test timeout bounds it
    while (!(await cond())) await new Promise((r) => setTimeout(r, 25));
    return what;
  };

  beforeAll(async () => {
    lab = await startLab(4);
    probe = await buildProbe();
    tiny = await loadSuite(
      await file(
        'tiny.yaml',
        'name: ssh-tiny\ndefaults: {repetitions: 2, warmup: 0}\nworkloads:\n  - {paths: [shmem, gmem], ops: [alloc], granules: [4K], region: 1M}\n',
      ),
    );
    long = await loadSuite(
      await file(
        'long.yaml',
        'name: ssh-long\ndefaults: {repetitions: 5, warmup: 0}\nworkloads:\n  - {paths: [shmem], ops: [alloc, fault, punch], granules: [4K, 8K, 16K, 32K, 64K, 128K], region: 32M}\n',
      ),
    );
    endless = await loadSuite(
      await file(
        'endless.yaml',
        'name: ssh-endless\ndefaults: {repetitions: 100000, warmup: 0}\nworkloads:\n  - {paths: [shmem], ops: [fault], granules: [4K], region: 256M}\n',
      ),
    );
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('runs a suite over three hosts from the CLI (one known_hosts entry hashed), then reuses the uploaded probe', async () => {
    const inv = await file('three.yaml', lab.inventoryYaml(undefined));
    const three = (await loadInventory(inv)).hosts.slice(0, 3);
    const invFile = await file('three-only.yaml', JSON.stringify({ hosts: three }));
    const suiteFile = tiny.file;
    const r = await cli(['run', suiteFile, '--hosts', invFile, '--results', results(), '--progress', 'plain']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const path = /results: (\S+)\/summary\.json/.exec(r.stdout)?.[1];
    const s = await readSummary(path!);
    expect(s.hosts.map((h) => [h.name, h.status]).sort()).toEqual([
      ['h0', 'ok'],
      ['h1', 'ok'],
      ['h2', 'ok'],
    ]);
    for (const h of ['h0', 'h1', 'h2']) {
      expect(
        s.results
          .filter((x) => x.host === h)
          .map((x) => x.path)
          .sort(),
      ).toEqual(['gmem', 'shmem']);
      expect(s.results.find((x) => x.host === h && x.path === 'shmem')).toMatchObject({ status: 'ok', samples: 512 });
      expect(s.hosts.find((x) => x.name === h)?.fingerprint?.kernel.release).toBeTruthy();
    }
    expect(r.stdout + r.stderr).toContain('uploading probe');
    // the lock is gone after the run
    for (const i of [0, 1, 2]) expect(existsSync(join(lab.hosts[i].dir, 'lock'))).toBe(false);
    const again = await cli(['run', suiteFile, '--hosts', invFile, '--results', results(), '--progress', 'plain']);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toContain('probe already on host (checksum ok)');
    expect(again.stdout + again.stderr).not.toContain('uploading probe');
  });

  it('prints every host as a capability table with `gmembench hosts`', async () => {
    const invFile = await file(
      'hosts.yaml',
      lab.inventoryYaml((h, i) => (i === 3 ? { port: 1 } : {})),
    );
    const r = await cli(['hosts', invFile, '--progress', 'silent']);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^host\s+status\s+kernel\s+arch\s+kvm\s+vm types\s+guest_memfd flags\s+numa\s+hugetlb\s+secretmem$/,
    );
    for (const h of ['h0', 'h1', 'h2'])
      expect(r.stdout).toMatch(new RegExp(`^${h}\\s+ok\\s+\\S+\\s+${probe.arch}\\s`, 'm'));
    expect(r.stdout).toMatch(/^h3\s+failed \(unreachable\)/m);
    expect(r.stdout).toMatch(/^host h3: failed \(unreachable\): 127\.0\.0\.1:1: ECONNREFUSED/m);
  });

  it('refuses a changed host key, naming the host and the fingerprint it offered; the other hosts finish (exit 3)', async () => {
    const kh = join(lab.dir, 'known_hosts.changed');
    // h1's entry holds h2's key: to the controller, h1's key has changed
    await writeFile(kh, (await readFile(lab.knownHosts, 'utf8')).replace(lab.hosts[1].hostKey, lab.hosts[2].hostKey));
    const fp = (
      await execa('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(lab.hosts[1].dir, 'host_ed25519.pub')])
    ).stdout.split(' ')[1];
    expect(fp).toMatch(/^SHA256:/);
    const invFile = await file(
      'changed.yaml',
      lab.inventoryYaml(() => ({ knownHosts: kh })),
    );
    const r = await cli([
      'run',
      tiny.file,
      '--hosts',
      invFile,
      '--results',
      results(),
      '--progress',
      'plain',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(3);
    const s = JSON.parse(r.stdout) as RunSummary;
    const h1 = s.hosts.find((h) => h.name === 'h1')!;
    expect(h1).toMatchObject({ status: 'failed', subStatus: 'hostkey' });
    expect(h1.error).toContain(`HOST KEY CHANGED for [127.0.0.1]:${lab.hosts[1].port}`);
    expect(h1.error).toContain(fp);
    expect(s.results.some((x) => x.host === 'h1')).toBe(false);
    for (const h of ['h0', 'h2', 'h3']) expect(s.hosts.find((x) => x.name === h)?.status).toBe('ok');
    // even --accept-new-host-keys does not accept a changed key
    const again = await cli([
      'run',
      tiny.file,
      '--hosts',
      invFile,
      '--results',
      results(),
      '--progress',
      'silent',
      '--json',
      '--accept-new-host-keys',
    ]);
    expect((JSON.parse(again.stdout) as RunSummary).hosts.find((h) => h.name === 'h1')?.subStatus).toBe('hostkey');
  });

  it('refuses an unknown host key unless accept-new is given, which writes it to known_hosts like OpenSSH', async () => {
    const kh = join(lab.dir, 'known_hosts.empty');
    await writeFile(kh, '');
    const inv = await inventory(() => ({ knownHosts: kh }), [3]);
    const refused = await runSuite({ suite: tiny, inventory: inv, resultsDir: results(), progress: 'silent', probe });
    expect(refused.summary.hosts[0]).toMatchObject({ status: 'failed', subStatus: 'hostkey' });
    expect(refused.summary.hosts[0].error).toMatch(
      new RegExp(`unknown host key for \\[127\\.0\\.0\\.1\\]:${lab.hosts[3].port}: ssh-ed25519 SHA256:\\S+ is not in`),
    );
    expect(await readFile(kh, 'utf8')).toBe('');
    const accepted = await runSuite({
      suite: tiny,
      inventory: inv,
      resultsDir: results(),
      progress: 'silent',
      probe,
      acceptNewHostKeys: true,
    });
    expect(accepted.summary.hosts[0].status).toBe('ok');
    expect(await readFile(kh, 'utf8')).toBe(`[127.0.0.1]:${lab.hosts[3].port} ${lab.hosts[3].hostKey}\n`);
    const found = await execa('ssh-keygen', ['-F', `[127.0.0.1]:${lab.hosts[3].port}`, '-f', kh], { reject: false });
    expect(found.exitCode).toBe(0);
    const plain = await runSuite({ suite: tiny, inventory: inv, resultsDir: results(), progress: 'silent', probe });
    expect(plain.summary.hosts[0].status).toBe('ok');
  });

  it('asks for the key type known_hosts holds: a host with ed25519 and RSA keys, known by its RSA key only', async () => {
    const both = await startSshd(lab.dir, 'rsa-too', join(lab.dir, 'authorized_keys'), ['ed25519', 'rsa']);
    try {
      const kh = join(lab.dir, 'known_hosts.rsa');
      await writeFile(kh, `[127.0.0.1]:${both.port} ${both.hostKeys.rsa}\n`);
      const host: SshHostConfig = { ...ssh(await inventory(), 0), name: 'rsa-too', port: both.port, knownHosts: kh };
      const t = await openTransport(host);
      expect((await t.exec(['echo', 'rsa'])).stdout).toBe('rsa\n');
      await t.close();
    } finally {
      await both.stop();
    }
  });

  it('marks a wrong user key `auth` and a closed port `unreachable`', async () => {
    const inv = await inventory(
      (h, i) => (i === 0 ? { identityFile: lab.wrongKey } : i === 1 ? { port: 1 } : {}),
      [0, 1, 2],
    );
    const { summary } = await runSuite({
      suite: tiny,
      inventory: inv,
      resultsDir: results(),
      progress: 'silent',
      probe,
    });
    const by = (n: string) => summary.hosts.find((h) => h.name === n)!;
    expect(by('h0')).toMatchObject({ status: 'failed', subStatus: 'auth' });
    expect(by('h0').error).toMatch(/authentication refused/);
    expect(by('h1')).toMatchObject({ status: 'failed', subStatus: 'unreachable' });
    expect(by('h1').error).toContain('ECONNREFUSED');
    expect(by('h2').status).toBe('ok');
  });

  it('marks a server that accepts TCP but never speaks SSH `unreachable` after connectTimeout', async () => {
    const silent = createServer((sock) => sock.on('error', () => undefined));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as AddressInfo).port;
      const inv = await inventory(() => ({ port, connectTimeout: 1 }), [0]);
      const { summary } = await runSuite({
        suite: tiny,
        inventory: inv,
        resultsDir: results(),
        progress: 'silent',
        probe,
      });
      expect(summary.hosts[0]).toMatchObject({ status: 'failed', subStatus: 'unreachable' });
      expect(summary.hosts[0].error).toContain(`127.0.0.1:${port}: no SSH login within 1 s`);
    } finally {
      silent.close();
    }
  });

  it('marks a host whose sshd stops answering mid-run `lost` once keepalives go unanswered', async () => {
    const inv = await inventory(() => ({ keepaliveInterval: 0.5, keepaliveCountMax: 2 }), [3]);
    const running = runSuite({ suite: endless, inventory: inv, resultsDir: results(), progress: 'silent', probe });
    await waitUntil('the probe runs on h3', async () => (await remoteProbes(3)).length > 0);
    // freeze every sshd process of h3 (the host "hangs"); the probe itself keeps running
    const probes = new Set((await remoteProbes(3)).map(Number));
    const frozen = [lab.hosts[3].proc.pid!, ...descendants(lab.hosts[3].proc.pid!)].filter((p) => !probes.has(p));
    const signal = (p: number, sig: NodeJS.Signals) => {
      try {
        process.kill(p, sig);
      } catch {
        /* a short-lived process already gone */
      }
    };
    for (const p of frozen) signal(p, 'SIGSTOP');
    try {
      const { summary } = await running;
      expect(summary.hosts[0]).toMatchObject({ status: 'failed', subStatus: 'lost' });
      expect(summary.hosts[0].error).toMatch(/Keepalive timeout/);
    } finally {
      for (const p of frozen) signal(p, 'SIGCONT');
      // a lost host cannot be cleaned up by the controller: this test does it
      for (const p of await remoteProbes(3)) signal(Number(p), 'SIGKILL');
      await rm(join(lab.hosts[3].dir, 'lock'), { recursive: true, force: true });
    }
  });

  it('logs in with a passphrase-protected key whose passphrase comes from the environment, and never prints it', async () => {
    const key = join(lab.dir, 'locked_ed25519');
    const secret = 'correct horse battery staple 42';
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', secret, '-f', key]);
    await appendFile(join(lab.dir, 'authorized_keys'), await readFile(`${key}.pub`, 'utf8'));
    const inv = await inventory(() => ({ identityFile: key, passphraseEnv: 'GMEMBENCH_TEST_KEY_PASS' }), [2]);
    process.env.GMEMBENCH_TEST_KEY_PASS = secret;
    try {
      const t = await openTransport(inv.hosts[0]);
      expect((await t.exec(['echo', 'hi'])).stdout).toBe('hi\n');
      await t.close();
      process.env.GMEMBENCH_TEST_KEY_PASS = 'not the passphrase';
      const err = await openTransport(inv.hosts[0]).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(HostFailure);
      expect((err as HostFailure).subStatus).toBe('auth');
      expect((err as Error).message).not.toContain('not the passphrase');
      delete process.env.GMEMBENCH_TEST_KEY_PASS;
      const unset = await openTransport(inv.hosts[0]).then(
        () => null,
        (e: unknown) => e,
      );
      expect((unset as Error).message).toContain('environment variable GMEMBENCH_TEST_KEY_PASS is not set');
    } finally {
      delete process.env.GMEMBENCH_TEST_KEY_PASS;
    }
  });

  it('keeps the results of the other hosts, and what the lost host measured, when one sshd is killed mid-run', async () => {
    const inv = await inventory(undefined, [0, 1, 2]);
    const runId = 'killed-mid-run';
    const running = runSuite({
      suite: long,
      inventory: inv,
      resultsDir: results(),
      runId,
      progress: 'silent',
      probe,
      jobTimeoutMs: 600_000,
    });
    const summaryFile = join(results(), runId, 'summary.json');
    await waitUntil('h1 has a saved row', async () => {
      try {
        return (JSON.parse(await readFile(summaryFile, 'utf8')) as RunSummary).results.some((r) => r.host === 'h1');
      } catch {
        return false;
      }
    });
    lab.hosts[1].killTree();
    const { summary } = await running;
    const h1 = summary.hosts.find((h) => h.name === 'h1')!;
    expect(h1).toMatchObject({ status: 'failed', subStatus: 'lost' });
    const jobs = 18;
    const h1Rows = summary.results.filter((r) => r.host === 'h1');
    expect(h1Rows.length).toBeGreaterThanOrEqual(1);
    expect(h1Rows.length).toBeLessThan(jobs);
    for (const h of ['h0', 'h2']) {
      expect(summary.hosts.find((x) => x.name === h)?.status).toBe('ok');
      expect(summary.results.filter((r) => r.host === h && r.status === 'ok')).toHaveLength(jobs);
    }
    // what is on disk is what was returned
    const disk = await readSummary(join(results(), runId));
    expect(disk.results.filter((r) => r.host === 'h1')).toHaveLength(h1Rows.length);
    expect(disk.hosts.find((h) => h.name === 'h1')?.subStatus).toBe('lost');
    // h1 stays down: the tests below use h0, h2 and h3
  });

  it('a second controller is told who holds the host; Ctrl-C then kills the remote probe and frees the lock', async () => {
    const inv = await inventory(undefined, [0]);
    const ac = new AbortController();
    const first = runSuite({
      suite: endless,
      inventory: inv,
      resultsDir: results(),
      runId: 'holder-run',
      progress: 'silent',
      probe,
      signal: ac.signal,
    });
    await waitUntil('the probe runs on h0', async () => (await remoteProbes(0)).length > 0);
    const second = await runSuite({ suite: tiny, inventory: inv, resultsDir: results(), progress: 'silent', probe });
    expect(second.summary.hosts[0]).toMatchObject({ status: 'failed', subStatus: 'locked' });
    expect(second.summary.hosts[0].error).toContain(`@${hostname()} pid ${process.pid}, run holder-run`);
    ac.abort();
    const { summary } = await first;
    expect(summary.hosts[0]).toMatchObject({ status: 'failed', subStatus: 'interrupted' });
    expect(await remoteProbes(0)).toEqual([]);
    expect(existsSync(join(lab.hosts[0].dir, 'lock'))).toBe(false);
  });

  it('Ctrl-C on the CLI kills the remote probe, frees the lock and finishes the summary (exit 130)', async () => {
    const invFile = await file('ctrlc.yaml', JSON.stringify({ hosts: [JSON.parse(lab.inventoryYaml()).hosts[0]] }));
    const child = execa(
      'node',
      [
        '--import',
        'tsx',
        join(ROOT, 'src/cli/index.ts'),
        'run',
        endless.file,
        '--hosts',
        invFile,
        '--results',
        results(),
        '--run-id',
        'ctrl-c',
        '--progress',
        'plain',
      ],
      { cwd: ROOT, reject: false, env: { FORCE_COLOR: '0' } },
    );
    await waitUntil('the probe runs on h0', async () => (await remoteProbes(0)).length > 0);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(130);
    expect(await remoteProbes(0)).toEqual([]);
    expect(existsSync(join(lab.hosts[0].dir, 'lock'))).toBe(false);
    const s = await readSummary(join(results(), 'ctrl-c'));
    expect(s.hosts[0]).toMatchObject({ name: 'h0', status: 'failed', subStatus: 'interrupted' });
    expect(s.finishedAt).not.toBeNull();
  });

  it('kills the remote probe when a job runs past its time limit (`timeout`)', async () => {
    const inv = await inventory(undefined, [2]);
    const { summary } = await runSuite({
      suite: endless,
      inventory: inv,
      resultsDir: results(),
      progress: 'silent',
      probe,
      jobTimeoutMs: 1500,
    });
    expect(summary.hosts[0]).toMatchObject({ status: 'failed', subStatus: 'timeout' });
    expect(summary.hosts[0].error).toMatch(/timed out after 1\.5 s/);
    expect(await remoteProbes(2)).toEqual([]);
  });

  it('kills a command that prints nothing for idleTimeout, and a short command past commandTimeout', async () => {
    const inv = await inventory(() => ({ idleTimeout: 1, commandTimeout: 1.5 }), [2]);
    const t = await openTransport(inv.hosts[0]);
    const mark = `gmembench-limit-${process.pid}`;
    const running = async () => (await execa('pgrep', ['-f', mark], { reject: false })).stdout.trim();
    try {
      const quiet = await t.exec(['sh', '-c', `sleep 60; echo ${mark}-quiet`], { onStdoutLine: () => undefined }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(quiet).toMatchObject({ subStatus: 'timeout' });
      expect((quiet as Error).message).toContain('printed nothing for 1 s (idleTimeout)');
      expect(await running()).toBe('');
      const chatty = await t.exec(['sh', '-c', `while :; do echo ${mark}-chatty; sleep 0.2; done`]).then(
        () => null,
        (e: unknown) => e,
      );
      expect(chatty).toMatchObject({ subStatus: 'timeout' });
      expect((chatty as Error).message).toContain('timed out after 1.5 s');
      expect(await running()).toBe('');
      // the connection is still good after the kills
      expect((await t.exec(['echo', 'ok'])).stdout).toBe('ok\n');
    } finally {
      await t.close();
    }
  });

  it('finds the process group even when the login shell writes to stderr first, and still kills by group', async () => {
    const noise = join(lab.dir, 'noise.sh');
    await writeFile(noise, 'echo "motd-like noise" >&2\n');
    const noisy = await startSshd(
      lab.dir,
      'noisy',
      join(lab.dir, 'authorized_keys'),
      ['ed25519'],
      [`SetEnv BASH_ENV=${noise}`],
    );
    try {
      const kh = join(lab.dir, 'known_hosts.noisy');
      await writeFile(kh, `[127.0.0.1]:${noisy.port} ${noisy.hostKey}\n`);
      const host: SshHostConfig = {
        ...ssh(await inventory(), 0),
        name: 'noisy',
        port: noisy.port,
        knownHosts: kh,
        idleTimeout: 1,
      };
      const t = await openTransport(host);
      try {
        const r = await t.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
        expect(r).toMatchObject({ exitCode: 3, stdout: 'out\n' });
        // (once per bash the rc files start: root's may start several)
        expect(r.stderr).toMatch(/^(motd-like noise\n)+err\n$/);
        const mark = `gmembench-noisy-${process.pid}`;
        const err = await t.exec(['sh', '-c', `sleep 60; echo ${mark}`]).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toMatchObject({ subStatus: 'timeout' });
        expect((await execa('pgrep', ['-f', mark], { reject: false })).stdout).toBe('');
      } finally {
        await t.close();
      }
    } finally {
      await noisy.stop();
    }
  });

  it("takes over a stale lock of this controller, refuses another controller's, and breaks it with breakLock", async () => {
    const inv = await inventory(undefined, [3]);
    const lock = join(lab.hosts[3].dir, 'lock');
    const hold = async (owner: object) => {
      await rm(lock, { recursive: true, force: true });
      await mkdir(lock);
      await writeFile(join(lock, 'owner.json'), JSON.stringify(owner));
    };
    await hold({
      controller: 'other-box',
      pid: 4242,
      user: 'alice',
      startedAt: new Date().toISOString(),
      runId: 'their-nightly',
    });
    const refused = await runSuite({ suite: tiny, inventory: inv, resultsDir: results(), progress: 'silent', probe });
    expect(refused.summary.hosts[0]).toMatchObject({ status: 'failed', subStatus: 'locked' });
    expect(refused.summary.hosts[0].error).toContain('locked by alice@other-box pid 4242, run their-nightly');
    expect(existsSync(join(lock, 'owner.json'))).toBe(true);
    const broken = await runSuite({
      suite: tiny,
      inventory: inv,
      resultsDir: results(),
      progress: 'silent',
      probe,
      breakLock: true,
    });
    expect(broken.summary.hosts[0].status).toBe('ok');
    // a lock of this machine whose pid is gone is stale
    const dead = (await execa('sh', ['-c', 'sh -c "echo \\$\\$"'])).stdout.trim();
    await hold({
      controller: hostname(),
      pid: Number(dead),
      user: 'root',
      startedAt: new Date().toISOString(),
      runId: 'crashed',
    });
    const stale = await runSuite({ suite: tiny, inventory: inv, resultsDir: results(), progress: 'silent', probe });
    expect(stale.summary.hosts[0].status).toBe('ok');
    expect(existsSync(lock)).toBe(false);
  });

  it('reaches a host through a jump host (by inventory name, and as user@host:port)', async () => {
    const base = await inventory();
    const bastion = { ...ssh(base, 0), name: 'bastion' };
    const target: SshHostConfig = { ...ssh(base, 3), name: 'behind', jump: 'bastion' };
    const t = await openTransport(target, { hosts: [bastion, target] });
    try {
      const before = descendants(lab.hosts[0].proc.pid!).length;
      expect(before).toBeGreaterThan(0); // the bastion's sshd serves the forwarded connection
      const r = await t.exec(['sh', '-c', 'echo "$SSH_CONNECTION"']);
      expect(r.stdout).toMatch(new RegExp(` ${lab.hosts[3].port}\\n$`));
    } finally {
      await t.close();
    }
    const viaAddress: SshHostConfig = {
      ...ssh(base, 3),
      name: 'behind2',
      jump: `${ssh(base, 0).user}@127.0.0.1:${lab.hosts[0].port}`,
    };
    const { summary } = await runSuite({
      suite: tiny,
      inventory: { hosts: [viaAddress] },
      resultsDir: results(),
      progress: 'silent',
      probe,
    });
    expect(summary.hosts[0].status).toBe('ok');
    expect(summary.results.filter((r) => r.host === 'behind2')).toHaveLength(2);
    // a jump host that refuses us fails the target with the jump's reason
    const badJump = { ...bastion, identityFile: lab.wrongKey };
    const err = await openTransport(target, { hosts: [badJump, target] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ subStatus: 'auth' });
    expect((err as Error).message).toMatch(/^via jump host bastion: /);
  });

  it('fails `probe-error` naming the reason when the architecture differs and the host has no compiler', async () => {
    // a host whose PATH has the tools the harness uses but no cc, gcc or clang
    const bin = join(lab.dir, 'nocc-bin');
    await mkdir(bin, { recursive: true });
    for (const tool of [
      'sh',
      'uname',
      'sha256sum',
      'mkdir',
      'cat',
      'mv',
      'rm',
      'chmod',
      'test',
      'cut',
      'stat',
      'date',
      'grep',
      'kill',
      'sleep',
      'printf',
    ]) {
      const real = (await execa('sh', ['-c', `command -v ${tool}`], { reject: false })).stdout.trim();
      if (real.startsWith('/')) await execa('ln', ['-sf', real, join(bin, tool)]);
    }
    const nocc = await startSshd(
      lab.dir,
      'nocc',
      join(lab.dir, 'authorized_keys'),
      ['ed25519'],
      [`SetEnv PATH=${bin}`],
    );
    try {
      const kh = join(lab.dir, 'known_hosts.nocc');
      await writeFile(kh, `[127.0.0.1]:${nocc.port} ${nocc.hostKey}\n`);
      const host: SshHostConfig = {
        ...ssh(await inventory(), 0),
        name: 'nocc',
        port: nocc.port,
        knownHosts: kh,
        remoteDir: join(nocc.dir, 'remote'),
      };
      const t = (await openTransport(host)) as SshTransport;
      try {
        // (the login shell's rc files may add to PATH; no compiler must be on it either way)
        expect((await t.exec(['sh', '-c', 'echo $PATH'])).stdout.trim().endsWith(bin)).toBe(true);
        expect((await t.exec(['sh', '-c', 'command -v cc || command -v gcc || command -v clang'])).exitCode).not.toBe(
          0,
        );
        const err = await t.deliverProbe({ ...probe, arch: `not-${probe.arch}` }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toMatchObject({ host: 'nocc', subStatus: 'probe-error' });
        expect((err as Error).message).toBe(
          `host is ${probe.arch}, the controller built the probe for not-${probe.arch}, and the host has no C compiler (cc, gcc, clang) to build it`,
        );
        // the same host takes the controller's build when the architectures match
        expect(await t.deliverProbe(probe)).toBe(join(nocc.dir, 'remote', 'probe', probe.sha256, 'gmembench-probe'));
      } finally {
        await t.close();
      }
    } finally {
      await nocc.stop();
    }
  });

  it('uploads the probe once per host (checksum checked), replaces a damaged copy, and builds on a host of another architecture', async () => {
    const inv = await inventory(undefined, [3]);
    const t = (await openTransport(inv.hosts[0])) as SshTransport;
    try {
      await rm(join(lab.hosts[3].dir, 'remote'), { recursive: true, force: true });
      const log: string[] = [];
      const path = await t.deliverProbe(probe, (m) => log.push(m));
      expect(path).toBe(join(lab.hosts[3].dir, 'remote', 'probe', probe.sha256, 'gmembench-probe'));
      expect(log).toEqual(['uploading probe']);
      log.length = 0;
      await t.deliverProbe(probe, (m) => log.push(m));
      expect(log).toEqual(['probe already on host (checksum ok)']);
      await writeFile(path, 'damaged');
      log.length = 0;
      await t.deliverProbe(probe, (m) => log.push(m));
      expect(log).toEqual(['uploading probe']);
      expect((await execa('sha256sum', [path])).stdout.split(' ')[0]).toBe(probe.sha256);
      // a controller build for another architecture: the host compiles the sources itself
      const foreign = { ...probe, arch: `not-${probe.arch}` };
      log.length = 0;
      const built = await t.deliverProbe(foreign, (m) => log.push(m));
      expect(built).toBe(
        join(lab.hosts[3].dir, 'remote', 'probe', `src-${probe.sourceHash}-${probe.arch}`, 'gmembench-probe'),
      );
      expect(log[0]).toMatch(/^building probe on host/);
      const fp = await new ProbeClient(t, built).fingerprint();
      expect(fp.kernel.machine).toBe(probe.arch);
      log.length = 0;
      await t.deliverProbe(foreign, (m) => log.push(m));
      expect(log).toEqual([`probe already built on host (${probe.arch})`]);
    } finally {
      await t.close();
    }
  });
});
