/**
 * The conversion, guest fault-in, migration, compaction and stress workloads on this machine's real
 * kernel: every row that can run here is ok with the expected sample count and figures, and every
 * row that cannot is `unsupported` with its reason (never failed, never missing).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProbe, type ProbeBinary } from '../src/probe/build.js';
import { ProbeClient } from '../src/probe/client.js';
import { LocalTransport } from '../src/transport/local.js';
import { runSuite } from '../src/benchmark/run.js';
import { LOCAL_INVENTORY } from '../src/config/hosts.js';
import type { Suite } from '../src/config/suite.js';
import type { ResultRow, RunSummary } from '../src/results/schema.js';
import type { Fingerprint } from '../src/probe/fingerprint.js';
import { stressExtra } from '../src/workloads/stress.js';
import { execa } from 'execa';
import { formatRunTable } from '../src/output/table.js';
import { guestMemfd, hasCc, hasGuestMemfd, hasKvm, isRoot, skipReason } from './helpers/host.js';

const MB = 1024 * 1024;
const REPS = 2;
const CONVERSION = ['to-private', 'to-shared', 'vmm-to-private', 'vmm-to-shared', 'touch-private', 'touch-shared'];
const GUEST = ['guest-fault', 'guest-refault'];

if (!hasCc) skipReason('workload tests', 'no C compiler (cc) on this machine');
if (!hasKvm)
  skipReason('gmem and guest rows', 'no /dev/kvm: they must come back unsupported, which is what is checked');
else if (!hasGuestMemfd)
  skipReason('gmem rows', `${guestMemfd.why}: they must come back unsupported, which is what is checked`);
/** the reason a gmem row gives where this machine has no guest_memfd */
const NO_GMEM = hasKvm ? /KVM_CAP_GUEST_MEMFD is 0/ : /\/dev\/kvm/;
if (!isRoot) skipReason('compaction rows', 'not root: they must come back unsupported, which is what is checked');

describe.skipIf(!hasCc)('conversion, guest fault-in, migration, compaction and stress on this machine', () => {
  let probe: ProbeBinary;
  let summary: RunSummary;
  let fp: Fingerprint;
  const row = (path: string, op: string, granule: number, threads = 1): ResultRow => {
    const r = summary.results.find(
      (x) => x.path === path && x.op === op && x.granule === granule && x.threads === threads,
    );
    if (!r) throw new Error(`no row for ${path} ${op} ${granule} t${threads}`);
    return r;
  };
  // what the probe's loops must do: one sample per granule of the region, except guest-refault, which
  // re-faults every other granule of each thread's range (the punched ones)
  const perRep = (r: ResultRow) =>
    r.op === 'guest-refault'
      ? r.threads * Math.ceil(r.params.region / r.threads / r.granule / 2)
      : Math.floor(r.params.region / r.granule);
  const expectedSamples = (r: ResultRow) => REPS * perRep(r);
  const privateVm = () =>
    (fp.kvm.caps?.memoryAttributes ?? 0) > 0 ||
    (fp.kvm.caps?.vmTypeNames ?? []).some((t) => ['sw-protected', 'snp', 'tdx'].includes(t));

  beforeAll(async () => {
    probe = await buildProbe();
    fp = await new ProbeClient(new LocalTransport(), probe.path).fingerprint();
    const suite: Suite = {
      name: 'workloads-test',
      file: 'workloads-test.yaml',
      defaults: { repetitions: REPS, warmup: 1 },
      workloads: [
        {
          paths: ['shmem', 'gmem', 'hugetlb', 'secretmem'],
          ops: [...CONVERSION, ...GUEST, 'migrate'],
          granules: [4096],
          region: 2 * MB,
        },
        { paths: ['shmem', 'gmem'], ops: [...CONVERSION, ...GUEST], granules: [2 * MB], region: 16 * MB },
        {
          paths: ['shmem', 'gmem'],
          ops: ['vmm-to-private', 'guest-fault'],
          granules: [4096],
          region: 2 * MB,
          threads: [2],
        },
        { paths: ['shmem', 'gmem'], ops: ['compact'], granules: [4096], region: 8 * MB, repetitions: 1 },
        {
          paths: ['shmem', 'gmem', 'secretmem'],
          ops: ['stress'],
          granules: [4096],
          region: 8 * MB,
          threads: [2],
          repetitions: 1,
          params: { durationMs: 200 },
        },
      ],
    };
    ({ summary } = await runSuite({
      suite,
      inventory: LOCAL_INVENTORY,
      resultsDir: await mkdtemp(join(tmpdir(), 'gmembench-workloads-')),
      progress: 'silent',
      probe,
    }));
  });

  it('no row failed, and every row that is not ok says why', () => {
    expect(summary.results.filter((r) => r.status === 'failed').map((r) => `${r.path} ${r.op}: ${r.reason}`)).toEqual(
      [],
    );
    for (const r of summary.results.filter((x) => x.status !== 'ok'))
      expect(r.reason, `${r.path} ${r.op}`).toBeTruthy();
  });

  const paths = hasGuestMemfd ? ['shmem', 'gmem'] : ['shmem'];
  const gmemUnsupported = (r: ResultRow) => {
    expect(r.status, `${r.path} ${r.op}`).toBe('unsupported');
    expect(r.reason).toMatch(NO_GMEM);
  };
  if (!hasGuestMemfd)
    it('gmem conversion, guest, migrate, compact and stress rows: unsupported with the reason', () => {
      for (const r of summary.results.filter((x) => x.path === 'gmem')) gmemUnsupported(r);
    });
  for (const path of paths)
    for (const op of ['vmm-to-private', 'vmm-to-shared', 'touch-private', 'touch-shared'])
      it(`${path} ${op}: ok at 4K and 2M with the expected counts, integrity kept`, () => {
        for (const r of [row(path, op, 4096), row(path, op, 2 * MB)]) {
          expect(r.status, r.reason).toBe('ok');
          expect(r.samples).toBe(expectedSamples(r));
          expect(r.extra).toMatchObject({ stalePages: 0 });
          expect(r.extra?.integrityPages as number).toBeGreaterThan(0);
          expect(r.extra?.attributesIoctl).toBe(path === 'gmem' && privateVm());
        }
        expect(row(path, op, 2 * MB).p50!).toBeGreaterThan(row(path, op, 4096).p50!);
      });

  it('the attributes ioctl rows: ok where a VM type has private memory, else unsupported naming what is missing', () => {
    for (const op of ['to-private', 'to-shared']) {
      const shmem = row('shmem', op, 4096);
      expect(shmem.status).toBe('unsupported');
      expect(shmem.reason).toMatch(/guest_memfd-bound/);
      const gmem = row('gmem', op, 4096);
      if (hasGuestMemfd && privateVm()) {
        expect(gmem.status, gmem.reason).toBe('ok');
        expect(gmem.samples).toBe(expectedSamples(gmem));
      } else if (hasGuestMemfd) {
        expect(gmem.status).toBe('unsupported');
        expect(gmem.reason).toMatch(/no VM type with private memory: KVM_CAP_VM_TYPES=/);
      } else gmemUnsupported(gmem);
    }
  });

  it('conversion on hugetlb and secretmem is unsupported with a reason', () => {
    for (const path of ['hugetlb', 'secretmem']) {
      const r = row(path, 'vmm-to-private', 4096);
      expect(r.status).toBe('unsupported');
      expect(r.reason).toMatch(path === 'hugetlb' ? /huge/i : /no private\/shared split/);
    }
  });

  for (const path of paths)
    it(`${path} guest-fault and guest-refault: a real guest touches every granule`, () => {
      for (const op of GUEST) {
        for (const g of [4096, 2 * MB]) {
          const r = row(path, op, g);
          expect(r.status, r.reason).toBe('ok');
          expect(r.samples).toBe(expectedSamples(r));
          expect(r.extra?.exitOnlyNs as number).toBeGreaterThan(0);
          // a KVM_RUN that faults costs at least the entry/exit without one (allow HDR rounding)
          expect(r.p50!).toBeGreaterThan(0.9 * (r.extra!.exitOnlyNs as number));
        }
        expect(row(path, op, 2 * MB).p50!).toBeGreaterThan(row(path, op, 4096).p50!);
      }
      const two = row(path, 'guest-fault', 4096, 2);
      expect(two.status, two.reason).toBe('ok');
      expect(two.samples).toBe(expectedSamples(two));
    });

  it('migrate: ok with per-page outcomes on a NUMA host, else unsupported naming the single node', () => {
    for (const path of paths) {
      const r = row(path, 'migrate', 4096);
      if (fp.numa.nodes >= 2) {
        expect(r.status, r.reason).toBe('ok');
        expect(r.extra?.pages).toBe(r.samples);
      } else {
        expect(r.status).toBe('unsupported');
        expect(r.reason).toMatch(/one NUMA node/);
      }
    }
  });

  it('compact (root): one sample per pass, and the region pages it moved; guest_memfd pages stay put', () => {
    for (const path of paths) {
      const r = row(path, 'compact', 4096);
      if (!isRoot) {
        expect(r.status).toBe('unsupported');
        expect(r.reason).toMatch(/root/);
        continue;
      }
      expect(r.status, r.reason).toBe('ok');
      expect(r.samples).toBe(1);
      expect(r.extra).toMatchObject({ passes: 1, pages: 2048, pagesWithoutPfn: 0 });
      expect(r.extra?.vmstat).toHaveProperty('pgmigrate_success');
    }
    // guest_memfd folios are unmovable upstream (their migrate callback refuses): none may move
    if (isRoot && hasGuestMemfd) expect(row('gmem', 'compact', 4096).extra?.pagesMoved).toBe(0);
  });

  it('stress: every op of the mix ran, integrity held, the job held nothing after it closed everything', () => {
    for (const path of paths) {
      const r = row(path, 'stress', 4096, 2);
      expect(r.status, r.reason).toBe('ok');
      const x = stressExtra.parse(r.extra);
      expect(Object.keys(x.ops).sort()).toEqual(['alloc', 'convert', 'punch', 'touch']);
      for (const o of Object.values(x.ops)) expect(o.calls).toBeGreaterThan(0);
      expect(x.calls).toBe(r.samples);
      expect(x.integrity.mismatchedPages).toBe(0);
      expect(x.integrity.touchesChecked).toBe(x.ops.touch.calls);
      expect(x.memAvailable.afterBytes).toBeGreaterThan(0);
      expect(x.leak).toMatchObject({ shmemBytes: 0, guestMemfdBytes: 0, hugetlbBytes: 0 });
      expect(x.leak.method).toMatch(isRoot ? /^cgroup-v[12]$|^backing-files$/ : /^backing-files$/);
    }
    const secret = row('secretmem', 'stress', 4096, 2);
    expect(secret.status).toBe('unsupported');
    expect(secret.reason).toMatch(/fallocate/);
  });

  const stressJob = (path: string, params: Record<string, number>) =>
    new ProbeClient(new LocalTransport(), probe.path).run({
      path,
      op: 'stress',
      granule: 4096,
      region: 4 * MB,
      threads: 2,
      repetitions: 1,
      warmup: 0,
      maxMemShare: 0.5,
      raw: false,
      params,
    });

  it('stress under memory pressure holds that share of MemAvailable in a helper and still gives it all back', async () => {
    const out = await stressJob('shmem', { durationMs: 100, pressure: 0.02 });
    expect(out.result.status, out.result.reason).toBe('ok');
    const x = stressExtra.parse(out.result.extra);
    expect(x.memAvailable.pressureBytes).toBeGreaterThan(0.01 * x.memAvailable.beforeBytes);
    expect(x.leak).toMatchObject({ shmemBytes: 0, guestMemfdBytes: 0, hugetlbBytes: 0 });
    const bad = await new ProbeClient(new LocalTransport(), probe.path).run({
      path: 'shmem',
      op: 'stress',
      granule: 4096,
      region: 4 * MB,
      threads: 1,
      repetitions: 1,
      warmup: 0,
      maxMemShare: 0.5,
      raw: false,
      params: { pressure: 0.9 },
    });
    expect(bad.result.status).toBe('failed');
    expect(bad.result.reason).toMatch(/params.pressure/);
  });

  // both leak methods where this host has a cgroup for the job; only the fallback elsewhere
  const methods = [{ noCgroup: 0 }, { noCgroup: 1 }];
  for (const m of methods)
    it(`stress leak check (${m.noCgroup ? 'backing files' : 'own cgroup where possible'}): a clean run passes while another process holds and frees 1 GiB`, async () => {
      // the other process takes 1 GiB once the job's first pass is done (its leak baseline is taken) and
      // holds it until the job has reported, so a system-wide figure (MemAvailable) sees 1 GiB gone; the
      // job's own count must not. How fast the other process gets there depends on the machine, so a run
      // it did not overlap is repeated, longer, until one did; every run must pass.
      let overlapped = false;
      for (const durationMs of [700, 2000, 6000]) {
        let other: ReturnType<typeof execa> | undefined;
        let held: Promise<number> | undefined;
        const o = await new ProbeClient(new LocalTransport(), probe.path).run(
          {
            path: 'shmem',
            op: 'stress',
            granule: 4096,
            region: 4 * MB,
            threads: 2,
            repetitions: 3,
            warmup: 0,
            maxMemShare: 0.5,
            raw: false,
            params: { durationMs, ...m },
          },
          {
            onRep: (rep) => {
              if (rep.index !== 0) return;
              other = execa(
                process.execPath,
                [
                  '-e',
                  "const b = Buffer.alloc(2 ** 30, 1); process.stdout.write('held ' + b[b.length - 1] + '\\n'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));",
                ],
                { stdin: 'pipe', stdout: 'pipe' },
              );
              held = new Promise<number>((res) => other!.stdout!.once('data', () => res(Date.now())));
            },
          },
        );
        const doneAt = Date.now();
        expect(other, 'the job wrote its first rep line').toBeDefined();
        const heldAt = await held!;
        other!.stdin!.end();
        await other;
        expect(o.result.status, o.result.reason).toBe('ok');
        const x = stressExtra.parse(o.result.extra);
        expect(x.leak).toMatchObject({ shmemBytes: 0, guestMemfdBytes: 0, hugetlbBytes: 0 });
        if (m.noCgroup) expect(x.leak).toMatchObject({ method: 'backing-files', noCgroup: 'params.noCgroup' });
        if ((overlapped = heldAt < doneAt)) break;
      }
      expect(overlapped, 'the other process held its 1 GiB while a job was still running').toBe(true);
    }, 120_000);

  for (const m of methods)
    for (const path of paths)
      it(`stress leak check (${m.noCgroup ? 'backing files' : 'own cgroup where possible'}): a ${path} backing kept open is a leak of exactly its size`, async () => {
        const o = await stressJob(path, { durationMs: 100, keepBacking: 1, ...m });
        expect(o.result.status).toBe('failed');
        expect(o.result.reason).toMatch(/^leak: /);
        const x = stressExtra.parse(o.result.extra);
        const kind = path === 'gmem' ? 'guestMemfdBytes' : 'shmemBytes';
        expect(x.leak).toMatchObject({ shmemBytes: 0, guestMemfdBytes: 0, hugetlbBytes: 0, [kind]: 4 * MB });
        if (m.noCgroup) expect(x.leak.method).toBe('backing-files');
      }, 60_000);

  it('stress leaves no cgroup of its own behind', async () => {
    const dirs = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified', '/sys/fs/cgroup/memory'];
    const own = (
      await Promise.all(
        dirs.map((d) => execa('find', [d, '-maxdepth', '4', '-type', 'd', '-name', 'gmembench-*'], { reject: false })),
      )
    ).flatMap((r) => r.stdout.split('\n').filter(Boolean));
    // a probe still running elsewhere on this machine may own some: only those of exited probes are left behind
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(own.filter((d) => !alive(Number(/gmembench-(\d+)-/.exec(d)?.[1] ?? 0)))).toEqual([]);
  });

  it('the run table carries the notes: integrity, exit cost, pages moved', () => {
    const t = formatRunTable(summary);
    if (hasKvm) expect(t).toMatch(/integrity ok/);
    if (hasKvm) expect(t).toMatch(/KVM_RUN without a fault/);
    if (isRoot) expect(t).toMatch(/pages of the region moved/);
  });

  it('integrity check: a conversion that skips the shared discard reads stale data and fails the row', async () => {
    const out = await new ProbeClient(new LocalTransport(), probe.path).run({
      path: 'shmem',
      op: 'vmm-to-private',
      granule: 4096,
      region: 1 * MB,
      threads: 1,
      repetitions: 1,
      warmup: 0,
      maxMemShare: 0.5,
      raw: false,
      params: { skipSharedDiscard: 1 },
    });
    expect(out.result.status).toBe('failed');
    expect(out.result.reason).toMatch(/^integrity: \d+ page\(s\) read stale data/);
  });
});
