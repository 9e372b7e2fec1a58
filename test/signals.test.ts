/**
 * Ctrl-C and SIGTERM to a real controller (the CLI from source) under a real pseudo-terminal, on
 * this machine and over real sshd on loopback: the first signal stops the run in order (every probe
 * killed, the summary written with the hosts interrupted and the jobs they did not run, every host
 * lock released, the table printed, exit 130 or 143); a second Ctrl-C exits at once. The probes
 * looked for afterwards are only the ones these runs started (by pid, or by this lab's own paths).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { descendants, sshdMissing, startLab, type SshLab } from './helpers/sshd.js';
import { ROOT } from './helpers/cli.js';
import { hasCc, skipReason } from './helpers/host.js';
import { ptyMissing, runInPty, type PtyRun } from './helpers/pty.js';
import { buildProbe, type ProbeBinary } from '../src/probe/build.js';
import { readSummary } from '../src/results/store.js';
import type { RunSummary } from '../src/results/schema.js';
import { signalNumber } from '../src/transport/ssh/exec.js';
import { signalExitCode } from '../src/cli/interrupt.js';

const why = ptyMissing ?? (hasCc ? null : 'no C compiler (cc) to build the probe');
if (why) skipReason('signal tests', why);
const sshWhy = why ?? sshdMissing;
if (!why && sshWhy) skipReason('signal tests over SSH', sshWhy);

/** one short job, then one that runs for minutes and prints a repetition every few ms */
const SUITE = `name: sig
defaults: {warmup: 0}
workloads:
  - {paths: [shmem], ops: [alloc], granules: [4K], region: 1M, repetitions: 2}
  - {paths: [shmem], ops: [fault], granules: [4K], region: 16M, repetitions: 100000}
`;

const waitUntil = async (what: string, cond: () => Promise<boolean> | boolean) => {
  // a wait for a state, not a timed assertion: the test timeout bounds it
  while (!(await cond())) await new Promise((r) => setTimeout(r, 50));
  return what;
};

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

describe('signal numbers', () => {
  it('an ssh exit-signal name maps to its number through os.constants.signals', () => {
    expect([signalNumber('TERM'), signalNumber('KILL'), signalNumber('INT'), signalNumber('USR1')]).toEqual([
      15, 9, 2, 10,
    ]);
    expect(signalNumber('NOSUCH')).toBe(0);
    expect(signalNumber(null)).toBe(0);
    expect([signalExitCode('SIGINT'), signalExitCode('SIGTERM'), signalExitCode('SIGHUP')]).toEqual([130, 143, 129]);
  });
});

describe.skipIf(why !== null)('Ctrl-C and SIGTERM through a real terminal', () => {
  let dir: string;
  let probe: ProbeBinary;
  let suiteFile: string;
  let n = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gmembench-signals-'));
    probe = await buildProbe();
    suiteFile = join(dir, 'sig.yaml');
    await writeFile(suiteFile, SUITE);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  // a test that failed half-way must not leave its controller running: it and its terminal go
  const started: PtyRun[] = [];
  afterEach(async () => {
    for (const run of started.splice(0)) {
      if (run.proc.exitCode !== null) continue;
      const pid = await run.pid().catch(() => null);
      for (const p of pid !== null ? [pid, ...descendants(pid)] : []) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      run.proc.kill('SIGKILL');
    }
  });

  const localHost = (name: string) => ({
    name,
    transport: 'local',
    lockPath: join(dir, `${name}-lock`),
    labels: { platform: 'test' },
  });
  const inventory = async (hosts: object[]) => {
    const f = join(dir, `inv-${n++}.yaml`);
    await writeFile(f, JSON.stringify({ hosts }));
    return f;
  };
  const start = (inv: string, runId: string) => {
    const run = runInPty(
      [
        'node',
        '--import',
        'tsx',
        join(ROOT, 'src/cli/index.ts'),
        'run',
        suiteFile,
        '--hosts',
        inv,
        '--results',
        join(dir, 'results'),
        '--run-id',
        runId,
        '--progress',
        'plain',
        '--processes',
        '1',
      ],
      { cwd: ROOT, env: { NO_COLOR: '1' } },
    );
    started.push(run);
    return run;
  };
  const summaryOf = async (runId: string): Promise<RunSummary | null> =>
    readSummary(join(dir, 'results', runId)).catch(() => null);
  /** the local probes the run's controller started (its descendants running the probe binary) */
  const localProbes = async (run: PtyRun) =>
    descendants(await run.pid()).filter((p) => cmdline(p).startsWith(`${probe.path} run`));
  const alive = (pids: number[]) => pids.filter((p) => cmdline(p).startsWith(probe.path));
  /** the first job's row is on disk and the endless job's probe runs */
  const measuring = async (_run: PtyRun, runId: string, host: string) => {
    await waitUntil(
      'the first row is written',
      async () => ((await summaryOf(runId))?.results.filter((r) => r.host === host).length ?? 0) >= 1,
    );
  };

  it('the first Ctrl-C on a local run kills the probe, marks the host interrupted, frees the lock, prints the table, exits 130', async () => {
    const run = start(await inventory([localHost('loc')]), 'local-int');
    await measuring(run, 'local-int', 'loc');
    await waitUntil('the endless probe runs', async () => (await localProbes(run)).length > 0);
    const probes = await localProbes(run);
    run.ctrlC();
    expect(await run.exit(), run.output()).toBe(130);
    expect(alive(probes)).toEqual([]);
    const out = run.output();
    expect(out).toContain('SIGINT: stopping');
    // --progress plain: every line names its host
    expect(out).toContain('› loc: taking the host lock');
    // the table of what was measured, and the host's line
    expect(out).toMatch(/alloc\s+4K\s+1\s/);
    expect(out).toContain('host loc: failed (interrupted): interrupted (SIGINT): stopped after 1 of 2 jobs, 1 not run');
    const s = (await summaryOf('local-int'))!;
    expect(s.finishedAt).not.toBeNull();
    expect(s.results.map((r) => r.op)).toEqual(['alloc']);
    expect(s.hosts).toEqual([
      expect.objectContaining({ name: 'loc', status: 'failed', subStatus: 'interrupted', jobsTotal: 2, jobsNotRun: 1 }),
    ]);
    expect(existsSync(join(dir, 'loc-lock'))).toBe(false);
  });

  it('nightly: the first Ctrl-C kills the probe, frees the host and nightly locks, keeps the run, exits 130', async () => {
    const results = join(dir, 'nightly-results');
    const run = runInPty(
      [
        'node',
        '--import',
        'tsx',
        join(ROOT, 'src/cli/index.ts'),
        'nightly',
        '--suite',
        suiteFile,
        '--hosts',
        await inventory([localHost('nly')]),
        '--results',
        results,
      ],
      { cwd: ROOT, env: { NO_COLOR: '1' } },
    );
    started.push(run);
    await waitUntil('the endless probe runs', async () => (await localProbes(run)).length > 0);
    const probes = await localProbes(run);
    run.ctrlC();
    expect(await run.exit(), run.output()).toBe(130);
    expect(alive(probes)).toEqual([]);
    expect(existsSync(join(dir, 'nly-lock'))).toBe(false);
    expect(existsSync(join(results, '.nightly.lock'))).toBe(false);
    const runs = (await readdir(results)).filter((d) => d.includes('-sig-'));
    expect(runs).toHaveLength(1);
    const s = (await readSummary(join(results, runs[0])))!;
    expect(s.finishedAt).not.toBeNull();
    expect(s.hosts[0]).toMatchObject({ name: 'nly', status: 'failed', subStatus: 'interrupted' });
  });

  it('SIGTERM to the controller (not to its group) does the same and exits 143', async () => {
    const run = start(await inventory([localHost('loc')]), 'local-term');
    await measuring(run, 'local-term', 'loc');
    await waitUntil('the endless probe runs', async () => (await localProbes(run)).length > 0);
    const probes = await localProbes(run);
    process.kill(await run.pid(), 'SIGTERM');
    expect(await run.exit(), run.output()).toBe(143);
    expect(alive(probes)).toEqual([]);
    const s = (await summaryOf('local-term'))!;
    expect(s.finishedAt).not.toBeNull();
    expect(s.hosts[0]).toMatchObject({ status: 'failed', subStatus: 'interrupted', jobsNotRun: 1 });
    expect(s.hosts[0].error).toContain('interrupted (SIGTERM)');
    expect(existsSync(join(dir, 'loc-lock'))).toBe(false);
  });

  it('the terminal closing (SIGHUP) stops the run in order too: probe killed, summary finished, lock released', async () => {
    const run = start(await inventory([localHost('hup')]), 'local-hup');
    await measuring(run, 'local-hup', 'hup');
    await waitUntil('the endless probe runs', async () => (await localProbes(run)).length > 0);
    const probes = await localProbes(run);
    const controller = await run.pid();
    run.proc.kill('SIGKILL'); // the terminal's master side goes away: the kernel hangs the session up
    // (an ended process has no command line, whether reaped yet or not)
    await waitUntil('the controller ends', () => cmdline(controller) === '');
    expect(alive(probes)).toEqual([]);
    const s = (await summaryOf('local-hup'))!;
    expect(s.finishedAt).not.toBeNull();
    expect(s.hosts[0]).toMatchObject({ subStatus: 'interrupted', jobsNotRun: 1 });
    expect(s.hosts[0].error).toContain('interrupted (SIGHUP)');
    expect(existsSync(join(dir, 'hup-lock'))).toBe(false);
  });

  it('a controller killed outright (kill -9) leaves a summary whose host says interrupted, with the jobs not run', async () => {
    const run = start(await inventory([localHost('k9')]), 'local-kill9');
    await measuring(run, 'local-kill9', 'k9');
    await waitUntil('the endless probe runs', async () => (await localProbes(run)).length > 0);
    const probes = await localProbes(run);
    process.kill(await run.pid(), 'SIGKILL');
    expect(await run.exit()).toBe(137);
    const s = (await summaryOf('local-kill9'))!;
    expect(s.finishedAt).toBeNull();
    expect(s.hosts[0]).toMatchObject({
      name: 'k9',
      status: 'failed',
      subStatus: 'interrupted',
      jobsTotal: 2,
      jobsNotRun: 1,
    });
    // nothing could clean up: this test does (its own probe and lock only)
    for (const p of alive(probes)) process.kill(-p, 'SIGKILL');
    await rm(join(dir, 'k9-lock'), { recursive: true, force: true });
  });

  it('a command that handles no signal (fingerprint, hosts) still takes its local children with it on Ctrl-C', async () => {
    const script = join(dir, 'no-handler.mts');
    const mark = `gmembench-nohandler-${process.pid}`;
    await writeFile(
      script,
      `
import { LocalTransport } from ${JSON.stringify(join(ROOT, 'src/transport/local.ts'))};
void new LocalTransport('here').exec(['sh', '-c', 'sleep 300; : ${mark}']);
`,
    );
    const run = runInPty(['node', '--import', 'tsx', script], { cwd: ROOT });
    started.push(run);
    // the shell (its command line carries the mark) and its sleep
    const children = async () => {
      const sh = descendants(await run.pid()).filter((p) => cmdline(p).includes(mark));
      return [...sh, ...sh.flatMap((p) => descendants(p))].map((p) => [p, cmdline(p)] as const);
    };
    await waitUntil('the shell and its sleep run', async () => (await children()).length >= 2);
    const before = await children();
    run.ctrlC();
    expect(await run.exit()).toBe(130);
    expect(before.filter(([p, c]) => cmdline(p) === c)).toEqual([]);
  });

  describe.skipIf(sshWhy !== null)('over SSH (real sshd on loopback)', () => {
    let lab: SshLab;
    const remoteProbes = async (i: number) =>
      (await execa('pgrep', ['-f', join(lab.hosts[i].dir, 'remote')], { reject: false })).stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map(Number);
    const sshHost = (i: number, extra: object = {}) => ({ ...JSON.parse(lab.inventoryYaml()).hosts[i], ...extra });

    beforeAll(async () => {
      lab = await startLab(2);
    });
    afterAll(async () => {
      await lab?.stop();
    });

    it('Ctrl-C on an SSH run kills the remote probe at once and exits 130 well before idleTimeout', async () => {
      // idleTimeout 1800 s (the default): a timer re-armed by the killed probe's last lines would hold the controller
      const run = start(await inventory([sshHost(0)]), 'ssh-int');
      await measuring(run, 'ssh-int', 'h0');
      await waitUntil('the remote probe runs', async () => (await remoteProbes(0)).length > 0);
      run.ctrlC();
      expect(await run.exit(), run.output()).toBe(130);
      expect(await remoteProbes(0)).toEqual([]);
      const s = (await summaryOf('ssh-int'))!;
      expect(s.finishedAt).not.toBeNull();
      expect(s.hosts[0]).toMatchObject({
        name: 'h0',
        status: 'failed',
        subStatus: 'interrupted',
        jobsTotal: 2,
        jobsNotRun: 1,
      });
      expect(existsSync(join(lab.hosts[0].dir, 'lock'))).toBe(false);
      expect(run.output()).toMatch(/alloc\s+4K\s+1\s/);
    });

    it('SIGTERM on a mixed run (this machine and an SSH host) stops both, frees both locks, exits 143', async () => {
      const run = start(await inventory([localHost('mix'), sshHost(1)]), 'mixed-term');
      await measuring(run, 'mixed-term', 'mix');
      await measuring(run, 'mixed-term', 'h1');
      await waitUntil(
        'both probes run',
        async () => (await localProbes(run)).length > 0 && (await remoteProbes(1)).length > 0,
      );
      const probes = await localProbes(run);
      process.kill(await run.pid(), 'SIGTERM');
      expect(await run.exit(), run.output()).toBe(143);
      expect(alive(probes)).toEqual([]);
      expect(await remoteProbes(1)).toEqual([]);
      const s = (await summaryOf('mixed-term'))!;
      expect(s.finishedAt).not.toBeNull();
      expect(s.hosts.map((h) => [h.name, h.subStatus, h.jobsNotRun]).sort()).toEqual([
        ['h1', 'interrupted', 1],
        ['mix', 'interrupted', 1],
      ]);
      expect(existsSync(join(dir, 'mix-lock'))).toBe(false);
      // two hosts' plain progress lines interleave: each names its host
      expect(run.output()).toContain('› mix: [1/2] shmem alloc 4K x1');
      expect(run.output()).toContain('› h1: [1/2] shmem alloc 4K x1');
      expect(run.output()).not.toMatch(/› \[\d+\/\d+\]/);
      expect(existsSync(join(lab.hosts[1].dir, 'lock'))).toBe(false);
    });

    it('a second Ctrl-C exits at once while the first is still cleaning up (an SSH host that stopped answering)', async () => {
      const run = start(await inventory([localHost('two'), sshHost(0)]), 'twice');
      await measuring(run, 'twice', 'two');
      await measuring(run, 'twice', 'h0');
      await waitUntil(
        'both probes run',
        async () => (await localProbes(run)).length > 0 && (await remoteProbes(0)).length > 0,
      );
      const probes = await localProbes(run);
      const remote = await remoteProbes(0);
      // freeze h0's sshd session processes (not its probe): the remote kill and the lock release hang
      const sessions = descendants(lab.hosts[0].proc.pid!).filter((p) => cmdline(p).startsWith('sshd'));
      expect(sessions.length).toBeGreaterThan(0);
      for (const p of sessions) process.kill(p, 'SIGSTOP');
      try {
        run.ctrlC();
        await waitUntil('the first Ctrl-C is taken', () => run.output().includes('SIGINT: stopping'));
        run.ctrlC();
        expect(await run.exit(), run.output()).toBe(130);
        expect(run.output()).toContain('SIGINT again: exiting now');
        // no clean-up: the summary still says what the run was doing, unfinished
        const s = (await summaryOf('twice'))!;
        expect(s.finishedAt).toBeNull();
        expect(s.hosts.find((h) => h.name === 'h0')).toMatchObject({ subStatus: 'interrupted', jobsNotRun: 1 });
        // the local probe goes with the controller all the same (its process group is killed on exit)
        expect(alive(probes)).toEqual([]);
      } finally {
        for (const p of sessions) process.kill(p, 'SIGCONT');
        for (const p of remote) process.kill(p, 'SIGKILL');
        await rm(join(lab.hosts[0].dir, 'lock'), { recursive: true, force: true });
        await rm(join(dir, 'two-lock'), { recursive: true, force: true });
      }
    });

    it('an SSH command cancelled while it still prints leaves no timer behind: the process ends by itself', async () => {
      const script = join(dir, 'cancel-chatty.mts');
      const host = { ...sshHost(1), idleTimeout: 600 };
      await writeFile(
        script,
        `
import { SshTransport } from ${JSON.stringify(join(ROOT, 'src/transport/ssh/index.ts'))};
const t = await SshTransport.open(${JSON.stringify(host)});
const ac = new AbortController();
let lines = 0;
const r = t.exec(['sh', '-c', 'while :; do echo gmembench-chatty-${process.pid}; done'], {
  signal: ac.signal, onStdoutLine: () => { if (++lines === 100) ac.abort(); },
});
console.log(await r.then(() => 'resolved', (e) => 'rejected: ' + e.message));
await t.close();
`,
      );
      const began = Date.now();
      const r = await execa('node', ['--import', 'tsx', script], { cwd: ROOT, reject: false, timeout: 100_000 });
      expect(r.timedOut, 'the process was still alive 100 s later').toBe(false);
      expect(r.stdout).toContain('rejected: h1: sh was cancelled');
      expect(r.exitCode).toBe(0);
      expect(Date.now() - began).toBeLessThan(600_000);
      expect((await execa('pgrep', ['-f', `gmembench-chatty-${process.pid}`], { reject: false })).stdout).toBe('');
    });
  });
});
