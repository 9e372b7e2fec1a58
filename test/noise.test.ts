/**
 * Less noise at the source: a job measured by several probe processes (counts, process indices,
 * merged histograms, suite order), thread pinning recorded in the row, --settle refused cleanly
 * without root, and the machine-state check on the real fingerprint and on a synthetic noisy one.
 * No timings are asserted.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProbe, type ProbeBinary } from '../src/probe/build.js';
import { ProbeClient } from '../src/probe/client.js';
import { LocalTransport } from '../src/transport/local.js';
import type { ExecOptions, ExecResult } from '../src/transport/transport.js';
import { runSuite } from '../src/benchmark/run.js';
import { mergeResults, pairable, repetitionsOf, runHost } from '../src/benchmark/runner.js';
import { checkSettle } from '../src/benchmark/settle.js';
import { LOCAL_INVENTORY } from '../src/config/hosts.js';
import type { Suite } from '../src/config/suite.js';
import type { RunSummary } from '../src/results/schema.js';
import { RunWriter } from '../src/results/writer.js';
import { decode } from '../src/analysis/histogram.js';
import { checkSystem, formatSystemState, noisy } from '../src/system/check.js';
import { checkReferenceSpread, referenceSpread } from '../src/system/reference-spread.js';
import type { Fingerprint, SystemState } from '../src/probe/fingerprint.js';
import { cli } from './helpers/cli.js';
import { guestMemfd, hasCc, hasGuestMemfd, skipReason } from './helpers/host.js';
import type { ProbeJob } from '../src/probe/protocol.js';
import { formatRunTable } from '../src/output/table.js';

const KB = 1024;
const tiny = (repetitions: number): Suite => ({
  name: 'noise-test',
  file: 'noise-test.yaml',
  defaults: { repetitions, warmup: 0 },
  workloads: [
    { paths: ['shmem', 'hugetlb'], ops: ['alloc'], granules: [4096], region: 256 * KB },
    { paths: ['shmem'], ops: ['punch'], granules: [4096], region: 256 * KB, threads: [2] },
  ],
});

/** LocalTransport that answers the settle check as a non-root user would */
class NotRoot extends LocalTransport {
  async exec(argv: string[], opts?: ExecOptions): Promise<ExecResult> {
    if (argv[0] === 'sh' && argv[2]?.startsWith('id -u')) return { exitCode: 1, stdout: '1000\n', stderr: '' };
    return super.exec(argv, opts);
  }
}

if (!hasCc) skipReason('noise tests on the probe', 'no C compiler (cc) on this machine');

describe('repetitions dealt to processes', () => {
  it('sums to the job repetitions, as evenly as they go', () => {
    expect([0, 1, 2].map((p) => repetitionsOf(7, 3, p))).toEqual([3, 2, 2]);
    expect([0, 1].map((p) => repetitionsOf(2, 2, p))).toEqual([1, 1]);
    expect(repetitionsOf(5, 1, 0)).toBe(5);
  });

  it("merges result lines: the first not-ok status wins, samples add up, extra is the first process's", () => {
    const ok = {
      type: 'result' as const,
      path: 'shmem',
      op: 'alloc',
      granule: 4096,
      threads: 1,
      status: 'ok' as const,
      samples: 10,
      extra: { a: 1 },
    };
    const bad = {
      ...ok,
      status: 'failed' as const,
      samples: 3,
      reason: 'boom',
      errno: 12,
      errnoName: 'ENOMEM',
      extra: { a: 2 },
    };
    const m = mergeResults([ok, bad]);
    expect(m).toMatchObject({ status: 'failed', reason: 'boom', errnoName: 'ENOMEM', samples: 13, extra: { a: 1 } });
    expect(mergeResults([ok, ok]).status).toBe('ok');
  });
});

describe.skipIf(!hasCc)('several probe processes per job', () => {
  let probe: ProbeBinary;
  let summary: RunSummary;
  beforeAll(async () => {
    probe = await buildProbe();
    ({ summary } = await runSuite({
      suite: tiny(5),
      inventory: LOCAL_INVENTORY,
      resultsDir: await mkdtemp(join(tmpdir(), 'gmembench-noise-')),
      progress: 'silent',
      probe,
      processes: 3,
    }));
  });

  it('shares the repetitions between the processes and records which process measured each', () => {
    const row = summary.results.find((r) => r.path === 'shmem' && r.op === 'alloc')!;
    expect(row.status).toBe('ok');
    expect(row.processes).toBe(3);
    expect(row.repetitions).toHaveLength(5);
    expect(row.repetitions.map((r) => r.process)).toEqual([0, 0, 1, 1, 2]);
    expect(row.samples).toBe(5 * 64);
    expect(row.repetitions.reduce((a, r) => a + r.samples, 0)).toBe(row.samples);
    expect(row.params.repetitions).toBe(5);
  });

  it('takes the row percentiles from the histograms merged over every process', () => {
    const row = summary.results.find((r) => r.path === 'shmem' && r.op === 'alloc')!;
    const h = decode(row.histogram!);
    expect(h.totalCount).toBe(row.samples);
    expect(row.min!).toBeLessThanOrEqual(row.p50!);
    expect(row.p50!).toBeLessThanOrEqual(row.p99!);
  });

  it('runs an unsupported job once, keeps the suite order and records the measurement', () => {
    const huge = summary.results.find((r) => r.path === 'hugetlb')!;
    expect(huge.status).toBe('unsupported');
    expect(huge.processes).toBe(1);
    expect(summary.results.map((r) => `${r.path}/${r.op}`)).toEqual(['shmem/alloc', 'hugetlb/alloc', 'shmem/punch']);
    expect(summary.measurement).toEqual({ processes: 3, pin: 'none', settle: false });
  });

  it('leaves placement to the scheduler by default and says so (cpus: null)', () => {
    for (const r of summary.results.filter((x) => x.status === 'ok')) expect(r.cpus).toBeNull();
  });

  it('a single process keeps the row as before (no processes field, no process index)', async () => {
    const { summary: one } = await runSuite({
      suite: tiny(2),
      inventory: LOCAL_INVENTORY,
      resultsDir: await mkdtemp(join(tmpdir(), 'gmembench-noise-')),
      progress: 'silent',
      probe,
    });
    const row = one.results.find((r) => r.path === 'shmem' && r.op === 'alloc')!;
    expect(row.processes).toBeUndefined();
    expect(row.repetitions.every((r) => r.process === undefined)).toBe(true);
    expect(row.repetitions).toHaveLength(2);
  });
});

describe.skipIf(!hasCc)('thread pinning', () => {
  it('pins every thread to an allowed CPU and records it in the row (--pin auto)', async () => {
    const { summary } = await runSuite({
      suite: tiny(1),
      inventory: LOCAL_INVENTORY,
      resultsDir: await mkdtemp(join(tmpdir(), 'gmembench-noise-')),
      progress: 'silent',
      pin: 'auto',
    });
    const cores = summary.hosts[0].fingerprint!.cpu.cores;
    const one = summary.results.find((r) => r.op === 'alloc' && r.path === 'shmem')!;
    const two = summary.results.find((r) => r.op === 'punch')!;
    expect(one.cpus).toHaveLength(1);
    expect(two.cpus).toHaveLength(2);
    for (const c of [...one.cpus!, ...two.cpus!]) expect(c).toBeGreaterThanOrEqual(0);
    // a job with fewer threads than CPUs keeps off CPU 0; two threads on two CPUs get one each
    if (cores > 1) {
      expect(one.cpus![0]).toBeGreaterThan(0);
      expect(new Set(two.cpus).size).toBe(2);
    }
    expect(summary.measurement?.pin).toBe('auto');
  });

  it('pins to a given CPU list, and the probe refuses a CPU it may not use', async () => {
    const probe = await buildProbe();
    const client = new ProbeClient(new LocalTransport(), probe.path);
    const job = {
      path: 'shmem',
      op: 'alloc',
      granule: 4096,
      region: 64 * KB,
      threads: 1,
      repetitions: 1,
      warmup: 0,
      maxMemShare: 0.5,
      raw: false,
      params: {},
    };
    expect((await client.run(job, { cpus: '0' })).result.cpus).toEqual([0]);
    await expect(client.run(job, { cpus: '4095' })).rejects.toThrow(/CPU 4095 is not allowed/);
  });

  it('run refuses a malformed --pin or --processes before measuring', async () => {
    const bad = await cli(['run', 'suites/smoke.yaml', '--pin', 'cpu1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--pin/);
    const zero = await cli(['run', 'suites/smoke.yaml', '--processes', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/--processes/);
  });
});

describe.skipIf(!hasCc)('two paths in one process (--pair)', () => {
  // gmem where KVM has guest_memfd; secretmem faults in on every kernel these tests run on
  const other = hasGuestMemfd ? 'gmem' : 'secretmem';
  if (!hasGuestMemfd) skipReason('--pair with gmem', `${guestMemfd.why}: shmem is paired with secretmem instead`);
  const job = (over: Partial<ProbeJob> = {}): ProbeJob => ({
    path: 'shmem',
    op: 'fault',
    granule: 4096,
    region: 256 * KB,
    threads: 1,
    repetitions: 2,
    warmup: 0,
    maxMemShare: 0.5,
    raw: false,
    params: {},
    ...over,
  });
  let probe: ProbeBinary;
  let client: ProbeClient;
  beforeAll(async () => {
    probe = await buildProbe();
    client = new ProbeClient(new LocalTransport(), probe.path);
  });

  it('the probe times both jobs in one process, passes interleaved A B B A, a rep and a result line per path', async () => {
    const out = await client.run(job({ pair: other }));
    expect(out.reps.map((r) => r.path)).toEqual(['shmem', other, other, 'shmem']);
    expect(out.reps.every((r) => r.samples === 64)).toBe(true);
    expect(out.results.map((r) => [r.path, r.status, r.samples])).toEqual([
      ['shmem', 'ok', 128],
      [other, 'ok', 128],
    ]);
    expect(out.result.path).toBe('shmem');
  });

  it('a pair the host cannot give gets its own result line and the job runs alone (its reps name no path)', async () => {
    const out = await client.run(job({ op: 'alloc', pair: 'hugetlb' }));
    expect(out.results.map((r) => [r.path, r.status])).toEqual([
      ['hugetlb', 'unsupported'],
      ['shmem', 'ok'],
    ]);
    expect(out.reps).toHaveLength(2);
    expect(out.reps.every((r) => r.path === undefined)).toBe(true);
  });

  it('an op that acts on the whole system runs alone: the probe refuses a pair for it, and run never asks', async () => {
    await expect(client.run(job({ op: 'compact', repetitions: 1, pair: other }))).rejects.toThrow(
      /op "compact" runs alone: no "pair"/,
    );
    await expect(client.run(job({ pair: 'shmem' }))).rejects.toThrow(/"pair" must be a known path other than "path"/);
    expect(pairable(job({ op: 'compact' }), job({ op: 'compact', path: other }))).toBe(false);
    expect(pairable(job(), job({ path: other }))).toBe(true);
    expect(pairable(job(), job({ path: other, region: 512 * KB }))).toBe(false);
  });

  it('run --pair: each pair of rows shares its processes and says so; other rows run alone', async () => {
    const { summary } = await runSuite({
      suite: {
        name: 'pair-test',
        file: 'pair-test.yaml',
        defaults: { repetitions: 4, warmup: 0 },
        workloads: [
          { paths: ['shmem', other], ops: ['fault'], granules: [4096], region: 256 * KB },
          { paths: ['shmem'], ops: ['punch'], granules: [4096], region: 256 * KB },
        ],
      },
      inventory: LOCAL_INVENTORY,
      resultsDir: await mkdtemp(join(tmpdir(), 'gmembench-pair-')),
      progress: 'silent',
      probe,
      processes: 2,
      pair: ['shmem', other],
    });
    expect(summary.measurement).toEqual({ processes: 2, pin: 'none', settle: false, pair: ['shmem', other] });
    const row = (path: string, op: string) => summary.results.find((r) => r.path === path && r.op === op)!;
    for (const [path, twin] of [
      ['shmem', other],
      [other, 'shmem'],
    ]) {
      const r = row(path, 'fault');
      expect(r.status).toBe('ok');
      expect(r.pairedWith).toBe(twin);
      expect(r.processes).toBe(2);
      expect(r.repetitions.map((x) => x.process)).toEqual([0, 0, 1, 1]);
      expect(r.samples).toBe(4 * 64);
    }
    expect(row('shmem', 'punch').pairedWith).toBeUndefined();
    expect(summary.results.map((r) => `${r.path}/${r.op}`)).toEqual(['shmem/fault', `${other}/fault`, 'shmem/punch']);
    // the table's ratio column says how its two paths were timed
    if (hasGuestMemfd)
      expect(formatRunTable(summary, { width: 200 })).toContain(
        'both paths timed in the same probe processes (--pair)',
      );
  });

  it('run refuses a malformed --pair before measuring', async () => {
    for (const bad of ['shmem', 'shmem,shmem', 'shmem,tmpfs', 'shmem,gmem,hugetlb']) {
      const r = await cli(['run', 'suites/smoke.yaml', '--pair', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/--pair/);
    }
  });
});

describe.skipIf(!hasCc)('--settle', () => {
  it('without root: refuses cleanly, warns in the host entry, measures unsettled', async () => {
    expect(await checkSettle(new NotRoot())).toEqual({
      ok: false,
      reason: expect.stringMatching(/--settle needs root on local \(uid 1000\)/),
    });
    const dir = await mkdtemp(join(tmpdir(), 'gmembench-noise-'));
    const summary: RunSummary = {
      schemaVersion: 1,
      runId: 'settle-test',
      suite: { name: 'noise-test', file: 'noise-test.yaml' },
      startedAt: new Date().toISOString(),
      finishedAt: null,
      harness: { version: '0', probeSha256: '0', node: process.version },
      hosts: [],
      results: [],
    };
    const messages: string[] = [];
    const entry = await runHost({
      host: { name: 'local', transport: 'local' } as never,
      transport: new NotRoot(),
      probe: await buildProbe(),
      suite: tiny(1),
      writer: new RunWriter(dir, summary),
      settle: true,
      onProgress: (m) => messages.push(m),
    });
    expect(entry.status).toBe('ok');
    expect(entry.systemWarnings).toContainEqual(expect.stringMatching(/--settle needs root.*memory not settled/));
    expect(messages.some((m) => /--settle needs root/.test(m))).toBe(true);
    expect(summary.results.find((r) => r.path === 'shmem' && r.op === 'alloc')?.status).toBe('ok');
  });
});

const QUIET: SystemState = {
  governor: 'performance',
  cpufreqDriver: 'intel_pstate',
  noTurbo: '1',
  clocksource: 'tsc',
  isolatedCpus: '',
  loadAvg: [0.02, 0.05, 0.1],
  swapTotalBytes: 0,
  swapUsedBytes: 0,
  ksmRun: '0',
  numaBalancing: '0',
  compactionProactiveness: '0',
  damonKdamonds: 0,
  pageReportingOrder: null,
  hypervisor: false,
  kvmModules: ['kvm', 'kvm_intel'],
  kvmIntelNested: 'N',
  kvmAmdNested: null,
  sampleMs: 250,
  stealPercent: 0,
  busyProcesses: [],
};
const fp = (system: SystemState, thp: Partial<Fingerprint['thp']> = {}) => ({
  cpu: { model: 'x', microcode: null, cores: 2 },
  numa: { nodes: 2, online: '0-1' },
  thp: { enabled: 'madvise', shmemEnabled: 'never', defrag: 'madvise', hpagePmdSize: 2097152, ...thp },
  system,
});

describe('machine-state check', () => {
  it('a quiet host: no warning', () => {
    expect(checkSystem(fp(QUIET))).toEqual([]);
    expect(noisy(checkSystem(fp(QUIET)))).toBe(false);
  });

  it('a synthetic noisy host: one warning per cause, naming it', () => {
    const loud: SystemState = {
      ...QUIET,
      governor: 'powersave',
      loadAvg: [3.5, 2, 1],
      swapUsedBytes: 512 * 1048576,
      ksmRun: '1',
      numaBalancing: '1',
      damonKdamonds: 1,
      pageReportingOrder: 9,
      stealPercent: 12.5,
      hypervisor: true,
      kvmModules: ['kvm', 'kvm_pvm'],
      clocksource: 'hpet',
      busyProcesses: [
        { pid: 42, comm: 'cc1', cpuPercent: 97 },
        { pid: 43, comm: 'idle-ish', cpuPercent: 6 },
      ],
    };
    const f = checkSystem(fp(loud, { defrag: 'always', shmemEnabled: 'always' }));
    const warned = f
      .filter((x) => x.level === 'warn')
      .map((x) => x.check)
      .sort();
    expect(warned).toEqual(
      [
        'busy',
        'clocksource',
        'damon',
        'governor',
        'ksm',
        'load',
        'numa-balancing',
        'page-reporting',
        'steal',
        'swap',
        'thp-defrag',
      ].sort(),
    );
    expect(f.find((x) => x.check === 'busy')!.message).toContain('cc1 (pid 42) 97%');
    expect(f.find((x) => x.check === 'busy')!.message).not.toContain('idle-ish');
    expect(f.find((x) => x.check === 'virtualized')!.message).toContain('kvm_pvm');
    expect(f.find((x) => x.check === 'shmem-thp')!.level).toBe('info');
    expect(f.find((x) => x.check === 'page-reporting')!.message).toContain('blocks of 2M)');
    expect(noisy(f)).toBe(true);
  });

  // the null syscall beside each pass, as rows carry it: a quiet host's and one that moved as an instance here did
  const rowsOf = (ns: number[]) => [{ repetitions: ns.map((syscallNs) => ({ syscallNs })) }] as never[];
  const steady = Array.from({ length: 60 }, (_, i) => 59 + (i % 5) * 0.3);
  const moving = Array.from({ length: 60 }, (_, i) => 440 + (i * 300) / 59);

  it('a reference that held still over the run: no warning', () => {
    expect(checkReferenceSpread(rowsOf(steady))).toBeNull();
    expect(referenceSpread(rowsOf(steady))).toMatchObject({ passes: 60, p10: 59 });
  });

  it('a reference that moved 1.6x over the run: one warning saying how far, over how many passes, and what to do', () => {
    const f = checkReferenceSpread(rowsOf(moving))!;
    expect(f).toMatchObject({ level: 'warn', check: 'reference' });
    expect(f.message).toMatch(/entering the kernel moved 1\.\d\dx during the run/);
    expect(f.message).toMatch(/p10 to p90 over 60 passes/);
    expect(f.message).toMatch(/compare several runs per side/);
  });

  it('too few passes with a reference (an older probe, a run of unsupported rows): no verdict', () => {
    expect(referenceSpread(rowsOf(moving.slice(0, 9)))).toBeNull();
    expect(checkReferenceSpread([{ repetitions: [{}, {}] }] as never[])).toBeNull();
  });

  it('free page reporting held off (an order above the largest buddy order) is not a warning', () => {
    const f = checkSystem(fp({ ...QUIET, pageReportingOrder: 11 }));
    expect(f.find((x) => x.check === 'page-reporting')).toBeUndefined();
  });

  it.skipIf(!hasCc)('the real fingerprint reports every field of the state', async () => {
    const probe = await buildProbe();
    const real = await new ProbeClient(new LocalTransport(), probe.path).fingerprint();
    const s = real.system!;
    expect(Object.keys(s).sort()).toEqual(Object.keys(QUIET).sort());
    expect(typeof s.hypervisor).toBe('boolean');
    expect(s.loadAvg).toHaveLength(3);
    expect(s.swapUsedBytes).toBeGreaterThanOrEqual(0);
    expect(Array.isArray(s.busyProcesses)).toBe(true);
    for (const p of s.busyProcesses) expect(p.pid).not.toBe(process.pid);
    expect(real.thp.defrag).toBeTypeOf('string');
    const text = formatSystemState('local', real);
    for (const k of [
      'governor',
      'load average',
      'swap used',
      'THP enabled / defrag',
      'shmem THP',
      'busy processes',
      'hypervisor flag',
    ]) {
      expect(text).toContain(k);
    }
  });

  it.skipIf(!hasCc)('gmembench system show prints the state and --json its findings', async () => {
    const r = await cli(['system', 'show', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [local] = JSON.parse(r.stdout);
    expect(local.host).toBe('local');
    expect(local.system.kvmModules).toBeInstanceOf(Array);
    expect(local.findings).toBeInstanceOf(Array);
  });
});
