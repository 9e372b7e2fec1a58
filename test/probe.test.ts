/**
 * The real probe on this machine: fingerprint, every path and op at 4K and 2M, sample counts,
 * percentile order, unsupported reasons, the memory guard, and summary.json on disk.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { chmod, copyFile, mkdtemp, readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProbe, wantWerror, type ProbeBinary } from '../src/probe/build.js';
import { ProbeClient } from '../src/probe/client.js';
import { LocalTransport } from '../src/transport/local.js';
import { runSuite } from '../src/benchmark/run.js';
import { LOCAL_INVENTORY } from '../src/config/hosts.js';
import type { Suite } from '../src/config/suite.js';
import type { ResultRow, RunSummary } from '../src/results/schema.js';
import { decode } from '../src/analysis/histogram.js';
import { readSummary } from '../src/results/store.js';
import { guestMemfd, hasCc, hasGuestMemfd, hasKvm, hugePagesFree, isRoot, skipReason } from './helpers/host.js';
import { readFileSync } from 'node:fs';

const MB = 1024 * 1024;
const REPS = 3;

function suite(workloads: Suite['workloads'], name = 'probe-test'): Suite {
  return { name, file: `${name}.yaml`, workloads, defaults: { repetitions: REPS, warmup: 1 } };
}

if (!hasCc) skipReason('probe tests', 'no C compiler (cc) on this machine');
if (!isRoot) skipReason('hugetlb reservation test', 'not root: cannot write /proc/sys/vm/nr_hugepages');

describe.skipIf(!hasCc)('probe on this machine', () => {
  let probe: ProbeBinary;
  let summary: RunSummary;
  let runDir: string;
  const row = (path: string, op: string, granule: number, threads = 1): ResultRow => {
    const r = summary.results.find(
      (x) => x.path === path && x.op === op && x.granule === granule && x.threads === threads,
    );
    if (!r) throw new Error(`no row for ${path} ${op} ${granule} t${threads}`);
    return r;
  };

  beforeAll(async () => {
    probe = await buildProbe();
    const results = await mkdtemp(join(tmpdir(), 'gmembench-results-'));
    ({ summary, runDir } = await runSuite({
      suite: suite([
        {
          paths: ['shmem', 'gmem', 'hugetlb', 'secretmem'],
          ops: ['alloc', 'fault', 'punch'],
          granules: [4096],
          region: 4 * MB,
          threads: [1, 2],
        },
        {
          paths: ['shmem', 'gmem', 'hugetlb', 'secretmem'],
          ops: ['alloc', 'fault', 'punch'],
          granules: [2 * MB],
          region: 32 * MB,
        },
      ]),
      inventory: LOCAL_INVENTORY,
      resultsDir: results,
      progress: 'silent',
      probe,
    }));
  });

  it('builds a static binary cached by source hash', async () => {
    expect(probe.sha256).toMatch(/^[0-9a-f]{64}$/);
    const again = await buildProbe();
    expect(again.path).toBe(probe.path);
    expect(again.sha256).toBe(probe.sha256);
    const head = await readFile(probe.path);
    expect(head.subarray(1, 4).toString()).toBe('ELF');
  });

  it('builds warning-free with -Wall -Wextra -Werror (tests and CI), without -Werror for users', async () => {
    const strict = await buildProbe({ werror: true });
    expect(strict.path).toBe(probe.path); // the tests' default build is the -Werror one
    expect(wantWerror({ CI: 'true' })).toBe(true);
    expect(wantWerror({})).toBe(false);
  });

  it('an unknown path is a failed row naming the paths (the name is parsed once, in job_parse)', async () => {
    const out = await new ProbeClient(new LocalTransport(), probe.path).run({
      path: 'tmpfs',
      op: 'alloc',
      granule: 4096,
      region: MB,
      threads: 1,
      repetitions: 1,
      warmup: 0,
      maxMemShare: 0.5,
      raw: false,
      params: {},
    });
    expect(out.result.status).toBe('failed');
    expect(out.result.reason).toBe('unknown path "tmpfs" (shmem, gmem, hugetlb, secretmem)');
  });

  it('fingerprints the host', async () => {
    const fp = await new ProbeClient(new LocalTransport(), probe.path).fingerprint();
    expect(fp.kernel.release).toMatch(/^\d+\.\d+/);
    expect(fp.cpu.cores).toBeGreaterThan(0);
    expect(fp.memory.availableBytes).toBeGreaterThan(0);
    expect(fp.memory.pageSize).toBe(4096);
    expect(fp.numa.nodes).toBeGreaterThanOrEqual(1);
    expect(typeof fp.secretmem.available).toBe('boolean');
    expect(fp.kvm.present).toBe(hasKvm);
    if (hasKvm) {
      expect(fp.kvm.apiVersion).toBe(12);
      expect(fp.kvm.caps?.vmTypeNames).toContain('default');
      if (hasGuestMemfd) expect(fp.kvm.caps?.guestMemfd).toBeGreaterThan(0);
      else expect(fp.kvm.caps?.guestMemfd).toBe(0);
    } else {
      expect(fp.kvm.reason).toBeTruthy();
    }
  });

  it('writes summary.json with the host and every job', async () => {
    const onDisk = await readSummary(runDir);
    expect(onDisk.runId).toBe(summary.runId);
    expect(onDisk.finishedAt).not.toBeNull();
    expect(onDisk.hosts).toHaveLength(1);
    expect(onDisk.hosts[0]).toMatchObject({ name: 'local', status: 'ok' });
    expect(onDisk.results).toHaveLength(4 * 3 * 2 + 4 * 3);
    expect(onDisk.harness.probeSha256).toBe(probe.sha256);
  });

  const paths = hasGuestMemfd ? ['shmem', 'gmem'] : ['shmem'];
  if (!hasGuestMemfd) {
    skipReason(
      'gmem alloc, fault, punch ok',
      `${guestMemfd.why}: they must come back unsupported, which is what is checked`,
    );
    it('gmem alloc, fault, punch: unsupported with the reason where KVM has no guest_memfd', () => {
      for (const op of ['alloc', 'fault', 'punch'])
        for (const g of [4096, 2 * MB]) {
          const r = row('gmem', op, g);
          expect(r.status).toBe('unsupported');
          expect(r.reason).toMatch(hasKvm ? /KVM_CAP_GUEST_MEMFD is 0/ : /\/dev\/kvm/);
        }
    });
  }

  for (const path of paths)
    for (const op of ['alloc', 'fault', 'punch'])
      it(`${path} ${op}: ok at 4K and 2M, counts match the job, 2M costs more`, () => {
        const small = row(path, op, 4096);
        const big = row(path, op, 2 * MB);
        const two = row(path, op, 4096, 2);
        for (const [r, expected] of [
          [small, REPS * 1024],
          [big, REPS * 16],
          [two, REPS * 1024],
        ] as const) {
          expect(r.status, r.reason).toBe('ok');
          expect(r.samples).toBe(expected);
          expect(r.repetitions).toHaveLength(REPS);
          expect(r.repetitions.reduce((a, x) => a + x.samples, 0)).toBe(expected);
          // percentiles in order, within the exact [min, max] (HDR values are clamped to them)
          const tol = 1;
          expect(r.min!).toBeLessThanOrEqual(r.p50! * tol);
          expect(r.p50!).toBeLessThanOrEqual(r.p90!);
          expect(r.p90!).toBeLessThanOrEqual(r.p99!);
          expect(r.p99!).toBeLessThanOrEqual(r.p999!);
          expect(r.p999!).toBeLessThanOrEqual(r.max! * tol);
          expect(r.mean!).toBeGreaterThan(0);
          const h = decode(r.histogram!);
          expect(h.totalCount).toBe(expected);
          // the null syscall timed beside every pass (probe/ref.c); the row's is its passes' mean
          for (const x of r.repetitions) expect(x.syscallNs).toBeGreaterThan(0);
          expect(r.syscallNs).toBeCloseTo(r.repetitions.reduce((a, x) => a + x.syscallNs!, 0) / REPS, 6);
        }
        expect(big.p50!).toBeGreaterThan(small.p50!);
        expect(big.p50!).toBeGreaterThan(big.syscallNs!);
        // the pass's wall time a call (all threads' calls), rows of 2+ threads only: at least each
        // thread's share of the calls' time (they overlap at best), the row's figure their passes'
        expect(small.wall).toBeUndefined();
        for (const x of two.repetitions) expect(x.wall! * x.samples * 2).toBeGreaterThanOrEqual(x.mean * x.samples);
        const wallNs = two.repetitions.reduce((a, x) => a + x.wall! * x.samples, 0);
        expect(two.wall).toBeCloseTo(wallNs / two.samples, 6);
      });

  it('hugetlb: a 4K granule is unsupported, with the reason', () => {
    const r = row('hugetlb', 'alloc', 4096);
    expect(r.status).toBe('unsupported');
    expect(r.reason).toMatch(/huge/i);
  });

  it('hugetlb at 2M: ok with reserved pages, else unsupported naming the reservation', () => {
    const r = row('hugetlb', 'alloc', 2 * MB);
    if (hugePagesFree() >= 16) expect(r.status).toBe('ok');
    else {
      expect(r.status).toBe('unsupported');
      expect(r.reason).toMatch(/nr_hugepages|HugePages/);
    }
  });

  it('secretmem: every row is ok or unsupported with a reason, never silent', () => {
    for (const op of ['alloc', 'fault', 'punch']) {
      const r = row('secretmem', op, 4096);
      expect(['ok', 'unsupported']).toContain(r.status);
      if (r.status !== 'ok') expect(r.reason).toBeTruthy();
    }
  });

  it('no row failed', () => {
    expect(summary.results.filter((r) => r.status === 'failed')).toEqual([]);
  });

  it('the memory guard refuses a job above its share of MemAvailable', async () => {
    const fp = await new ProbeClient(new LocalTransport(), probe.path).fingerprint();
    // 6x the share: MemAvailable would have to grow sixfold between the two reads for the guard to let
    // it pass, whatever else the machine does; and were it let through, 30% of MemAvailable is still safe
    const region = Math.ceil((fp.memory.availableBytes * 0.3) / (2 * MB)) * 2 * MB;
    const out = await new ProbeClient(new LocalTransport(), probe.path).run({
      path: 'shmem',
      op: 'alloc',
      granule: 2 * MB,
      region,
      threads: 1,
      repetitions: 1,
      warmup: 0,
      maxMemShare: 0.05,
      raw: false,
      params: {},
    });
    expect(out.result.status).toBe('failed');
    expect(out.result.reason).toMatch(/^memory guard:/);
    expect(out.reps).toHaveLength(0);
  });
});

describe.skipIf(!hasCc || !isRoot)('hugetlb reservation from the inventory', () => {
  it('reserves the pages for the run, measures hugetlb (a guest on it too), and gives the host back as it was', async () => {
    const before = readFileSync('/proc/sys/vm/nr_hugepages', 'utf8').trim();
    const results = await mkdtemp(join(tmpdir(), 'gmembench-huge-'));
    const { summary } = await runSuite({
      suite: suite(
        [{ paths: ['hugetlb'], ops: ['alloc', 'fault', 'punch', 'guest-fault'], granules: [2 * MB], region: 16 * MB }],
        'huge',
      ),
      inventory: { hosts: [{ name: 'local', transport: 'local', labels: {}, hugetlbPages: 16 + hugePagesFree() }] },
      resultsDir: results,
      progress: 'silent',
    });
    expect(readFileSync('/proc/sys/vm/nr_hugepages', 'utf8').trim()).toBe(before);
    for (const r of summary.results) {
      expect(r.status, r.reason).toBe('ok');
      expect(r.samples).toBe(REPS * 8);
    }
  });
});

describe.skipIf(!hasCc || !isRoot)('secretmem and RLIMIT_MEMLOCK', () => {
  // secretmem pages count as locked memory; past the limit a fault kills the probe with SIGBUS on
  // some kernels (Debian's 6.12 and 7.3, checked on lab hosts): the probe raises the limit where it may
  const job = JSON.stringify({
    path: 'secretmem',
    op: 'fault',
    granule: 4096,
    region: 4 * MB,
    threads: 1,
    repetitions: 1,
    warmup: 0,
    maxMemShare: 0.5,
    raw: false,
    params: {},
  });
  let bin: string;
  beforeAll(async () => {
    const probe = await buildProbe();
    const dir = await mkdtemp(join(tmpdir(), 'gmembench-memlock-'));
    bin = join(dir, 'gmembench-probe');
    await copyFile(probe.path, bin);
    await chmod(dir, 0o755);
    await chmod(bin, 0o755);
  });
  const result = async (argv: string[]) => {
    const r = await execa(argv[0], [...argv.slice(1), bin, 'run'], { input: job, reject: false });
    const line = r.stdout.split('\n').find((l) => l.includes('"type":"result"'));
    expect(line, `${r.stdout}\n${r.stderr}`).toBeDefined();
    return JSON.parse(line!) as { status: string; reason?: string };
  };

  it('a soft limit below the region is raised to the hard limit, and the job measures', async () => {
    const r = await result([
      'prlimit',
      '--memlock=1048576:',
      'setpriv',
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
    ]);
    expect(['ok', 'unsupported']).toContain(r.status);
    if (r.status === 'unsupported') expect(r.reason).not.toMatch(/RLIMIT_MEMLOCK/);
  });
});
