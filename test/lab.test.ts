/**
 * Lab hosts under QEMU (gmembench lab up/status/down), measured through the SSH transport: one run
 * over this machine and two Debian kernels (6.12, 7.3) on two NUMA nodes, whose rows say what each
 * kernel can do; a lab host whose QEMU is killed mid-run ends `lost` while the others keep their
 * rows; the cover-letter flow (same host, kernel 6.12 then 7.3, compare); a host goes down with
 * its owner; TCG rows stay out of push and regress unless --allow-emulated.
 * Sw-protected hosts of both kernels (KVM modules rebuilt; 7.3's in a trixie build root) run the
 * attributes rows and guest-convert with integrity ok.
 * Skips, saying why, without QEMU and its tools or without the kernel packages (the archive).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { cli, ROOT } from './helpers/cli.js';
import { hasCc, hasGuestMemfd, isRoot, skipReason } from './helpers/host.js';
import { labToolsMissing } from '../src/lab/initramfs.js';
import { isOurQemu, labState } from '../src/lab/host.js';
import { labHostDir } from '../src/lab/paths.js';
import { KERNEL_SCRIPT } from '../src/lab/kernel.js';
import { loadRun } from '../src/influx/push.js';
import { loadInventory } from '../src/config/hosts.js';
import { openTransport } from '../src/transport/index.js';
import { deliverProbeOverSsh } from '../src/transport/ssh/deliver.js';
import { buildProbe } from '../src/probe/build.js';
import { detectEmulation, emulatedHosts, withoutEmulated } from '../src/lab/emulation.js';
import { qemuArgs, parseMemMiB } from '../src/lab/qemu.js';
import { moduleLoadOrder } from '../src/lab/initramfs.js';
import type { Fingerprint } from '../src/probe/fingerprint.js';
import type { ResultRow, RunSummary } from '../src/results/schema.js';

/** the kernels, fetched (or found in the cache) before anything is decided */
async function kernelsMissing(): Promise<string | null> {
  for (const k of ['6.12', '7.3']) {
    const r = await execa('bash', [KERNEL_SCRIPT, k], { reject: false, all: true, stdin: 'ignore', timeout: 600_000 });
    if (r.exitCode !== 0) return `Debian kernel ${k} not available (${String(r.all).trim().split('\n').at(-1)})`;
  }
  return null;
}

describe('lab parts that need no QEMU', () => {
  const fp = (model: string, hypervisor: boolean) =>
    ({ cpu: { model, microcode: null, cores: 2 }, system: { hypervisor } }) as unknown as Fingerprint;

  it('emulation: the inventory label first, else the CPU model and hypervisor flag', () => {
    expect(detectEmulation(fp('QEMU TCG CPU version 2.5+', true))).toBe('tcg');
    expect(detectEmulation(fp('AMD EPYC 9654', true))).toBe('kvm');
    expect(detectEmulation(fp('AMD EPYC 9654', false))).toBe('none');
    expect(detectEmulation(fp('AMD EPYC 9654', true), { emulation: 'tcg' })).toBe('tcg');
    const s = {
      hosts: [
        { name: 'a', status: 'ok', labels: {}, fingerprint: fp('QEMU TCG CPU version 2.5+', true) },
        { name: 'b', status: 'ok', labels: {}, fingerprint: { ...fp('Xeon', true), emulation: 'kvm' } },
      ],
      results: [
        { host: 'a', status: 'ok' },
        { host: 'b', status: 'ok' },
        { host: 'a', status: 'unsupported' },
      ],
    } as unknown as RunSummary;
    expect([...emulatedHosts(s)]).toEqual(['a']);
    const w = withoutEmulated(s);
    expect(w.summary.results.map((r) => r.host)).toEqual(['b']);
    expect(w.left.get('a')).toBe(2);
    expect(s.results).toHaveLength(3); // the run itself is left as it is
  });

  it('QEMU: loopback-only restricted user network, NUMA nodes with their own sockets, pidfile, no reboot', () => {
    const a = qemuArgs({
      kernel: '/k',
      initrd: '/i',
      consoleLog: '/c',
      pidFile: '/p',
      port: 2222,
      cpus: 4,
      numa: 2,
      memMiB: parseMemMiB('2G'),
      accel: 'tcg',
    });
    const joined = a.join(' ');
    expect(joined).toContain('user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:2222-:22');
    expect(joined).toContain('-smp 4,sockets=2,cores=2,threads=1');
    expect(joined).toContain('node,nodeid=1,cpus=2-3,memdev=m1');
    expect(joined).toContain('memory-backend-ram,id=m0,size=1024M');
    expect(a).toContain('-no-reboot');
    expect(a.slice(a.indexOf('-pidfile'))[1]).toBe('/p');
    expect(() =>
      qemuArgs({
        kernel: '/k',
        initrd: '/i',
        consoleLog: '/c',
        pidFile: '/p',
        port: 1,
        cpus: 3,
        numa: 2,
        memMiB: 2048,
        accel: 'tcg',
      }),
    ).toThrow(/split evenly/);
    expect(() => parseMemMiB('lots')).toThrow(/--mem lots/);
  });

  it('modules: the wanted ones after their dependencies, from modules.dep', () => {
    const dep = [
      'kernel/arch/x86/kvm/kvm-amd.ko.xz: kernel/arch/x86/kvm/kvm.ko.xz kernel/drivers/crypto/ccp/ccp.ko.xz kernel/virt/lib/irqbypass.ko.xz',
      'kernel/arch/x86/kvm/kvm.ko.xz: kernel/virt/lib/irqbypass.ko.xz',
      'kernel/virt/lib/irqbypass.ko.xz:',
      'kernel/drivers/crypto/ccp/ccp.ko.xz:',
      'kernel/drivers/net/virtio_net.ko.xz: kernel/drivers/net/net_failover.ko.xz kernel/net/core/failover.ko.xz',
      'kernel/drivers/net/net_failover.ko.xz: kernel/net/core/failover.ko.xz',
      'kernel/net/core/failover.ko.xz:',
    ].join('\n');
    const order = moduleLoadOrder(dep, ['kvm-amd', 'virtio_net', 'absent']).map((p) => p.split('/').pop());
    expect(order[0]).toBe('irqbypass.ko.xz');
    const at = (m: string) => order.indexOf(m);
    expect(at('irqbypass.ko.xz')).toBeLessThan(at('kvm.ko.xz'));
    expect(at('kvm.ko.xz')).toBeLessThan(at('kvm-amd.ko.xz'));
    expect(at('failover.ko.xz')).toBeLessThan(at('net_failover.ko.xz'));
    expect(at('net_failover.ko.xz')).toBeLessThan(at('virtio_net.ko.xz'));
    expect(order).toHaveLength(7);
  });
});

const why = labToolsMissing() ?? (hasCc ? null : 'no C compiler (cc) to build the probe') ?? (await kernelsMissing());
if (why) skipReason('lab host tests', why);

const SUITE = resolve(ROOT, 'suites/lab.yaml');
const tag = `gmbt${process.pid}`;
const A = `${tag}-612`;
const B = `${tag}-73`;
const K = `${tag}-k`;
const S = `${tag}-swp`;
/** sw-protected hosts: 6.12 built here, 7.3 (a trixie kernel) in a debootstrap build root, which needs root */
const SW_PROTECTED = [
  { kernel: '6.12', name: `${S}612`, skip: null },
  {
    kernel: '7.3',
    name: `${S}73`,
    skip: !isRoot
      ? 'not root (its trixie build root is a debootstrap + chroot)'
      : !existsSync('/usr/sbin/debootstrap')
        ? 'no debootstrap (apt-get install debootstrap) for its trixie build root'
        : null,
  },
];
for (const w of SW_PROTECTED) if (w.skip && !why) skipReason(`sw-protected ${w.kernel} lab host`, w.skip);

describe.skipIf(why !== null)('lab hosts under QEMU, measured over SSH', () => {
  let dir: string;
  let invA: string;
  let invB: string;
  let both: string;
  let run1: RunSummary;
  let run1Dir: string;
  const t0 = Date.now();

  const up = async (name: string, kernel: string, owner = String(process.pid)) => {
    const r = await cli(['lab', 'up', name, '--kernel', kernel, '--numa', '2', '--owner', owner], {
      timeoutMs: 900_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const inventory = r.stdout.trim().split('\n').at(-1)!;
    expect(existsSync(inventory)).toBe(true);
    return { inventory, stderr: r.stderr };
  };
  const summary = async (runDir: string) =>
    JSON.parse(await readFile(join(runDir, 'summary.json'), 'utf8')) as RunSummary;
  const row = (s: RunSummary, host: string, path: string, op: string, granule = 4096) => {
    const r = s.results.find((x) => x.host === host && x.path === path && x.op === op && x.granule === granule);
    expect(r, `${host} ${path} ${op} ${granule}`).toBeDefined();
    return r as ResultRow;
  };
  // one process per job: TCG is slow, and these rows are about statuses, not timings
  const runArgs = (inventory: string, id: string) => [
    'run',
    SUITE,
    '--hosts',
    inventory,
    '--results',
    dir,
    '--run-id',
    id,
    '--progress',
    'silent',
    '--processes',
    '1',
  ];
  const run = async (inventory: string, id: string, extra: string[] = []) => {
    const r = await cli([...runArgs(inventory, id), ...extra], { timeoutMs: 900_000 });
    // a lab host that failed: what its serial console said last (a guest panic, an oops)
    const consoleTail = async (name: string) => {
      const d = labHostDir(name);
      const logs = existsSync(d) ? (await readdir(d)).filter((f) => f.startsWith('console-')).sort() : [];
      return logs.length
        ? (await readFile(join(d, logs.at(-1)!), 'utf8')).split('\n').slice(-15).join('\n')
        : '(no console log)';
    };
    const failed = await summary(join(dir, id)).then(
      async (s) => {
        const lines: string[] = [];
        for (const h of s.hosts.filter((x) => x.status !== 'ok'))
          lines.push(`${h.name}: ${h.subStatus} ${h.error}\n${h.name === 'local' ? '' : await consoleTail(h.name)}`);
        return lines.join('\n');
      },
      () => '',
    );
    return { ...r, runDir: join(dir, id), why: `${failed}\n${r.stderr}` };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gmembench-lab-'));
    invA = (await up(A, 'debian:6.12')).inventory;
    invB = (await up(B, 'debian:7.3')).inventory;
    const hosts = [
      { name: 'local', transport: 'local' },
      ...parse(await readFile(invA, 'utf8')).hosts,
      ...parse(await readFile(invB, 'utf8')).hosts,
    ];
    both = join(dir, 'three.yaml');
    await writeFile(both, stringify({ hosts }));
  }, 1_200_000);

  afterAll(async () => {
    for (const n of [A, B, K, ...SW_PROTECTED.map((w) => w.name)]) {
      const s = await labState(n).catch(() => null);
      await cli(['lab', 'down', n]);
      if (s) expect(isOurQemu(s.pid, n)).toBe(false);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
    console.log(`lab tests: ${((Date.now() - t0) / 1000).toFixed(0)} s after the kernels were there`);
  }, 120_000);

  it('lab status lists both hosts up, with their kernels and TCG', async () => {
    const r = await cli(['lab', 'status', '--json']);
    const hosts = JSON.parse(r.stdout) as {
      name: string;
      running: boolean;
      release: string;
      accel: string;
      numa: number;
    }[];
    const a = hosts.find((h) => h.name === A)!;
    const b = hosts.find((h) => h.name === B)!;
    expect(a.running && b.running).toBe(true);
    expect(a.release).toMatch(/^6\.12\./);
    expect(b.release).toMatch(/^7\.3\./);
    expect(a.numa).toBe(2);
    // the inventory: loopback only, its own key and known_hosts in the host's directory
    const h = parse(await readFile(invA, 'utf8')).hosts[0];
    expect(h.address).toBe('127.0.0.1');
    expect(h.identityFile.startsWith(resolve(invA, '..'))).toBe(true);
    expect(await readFile(h.knownHosts, 'utf8')).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${h.port} ssh-ed25519 `));
  });

  it('one run over this machine and the two kernels: each row says what its kernel can do', async () => {
    const r = await run(both, 'three');
    expect(r.code, r.why).toBe(0);
    run1Dir = r.runDir;
    run1 = await summary(r.runDir);
    const host = (n: string) => run1.hosts.find((h) => h.name === n)!;
    expect(run1.hosts.map((h) => h.status)).toEqual(['ok', 'ok', 'ok']);
    expect(host(A).fingerprint!.kernel.release).toMatch(/^6\.12\./);
    expect(host(B).fingerprint!.kernel.release).toMatch(/^7\.3\./);
    expect(host(A).fingerprint!.emulation).toBe('tcg');
    expect(host(B).fingerprint!.emulation).toBe('tcg');
    expect(host('local').fingerprint!.emulation).not.toBe('tcg');
    expect(host(A).fingerprint!.numa.nodes).toBe(2);

    // 6.12: guest_memfd exists (alloc, punch) but cannot be mapped, so nothing that maps it runs
    for (const op of ['alloc', 'punch']) expect(row(run1, A, 'gmem', op).status).toBe('ok');
    for (const [op, g] of [
      ['fault', 4096],
      ['migrate', 4096],
      ['migrate', 2 << 20],
      ['guest-fault', 4096],
    ] as const) {
      const x = row(run1, A, 'gmem', op, g);
      expect(x.status, `${op} ${x.reason}`).toBe('unsupported');
      expect(x.reason).toMatch(/cannot be mmap\(\)ed.*GUEST_MEMFD_FLAG_MMAP/);
    }
    // ... and a default VM cannot take it as a memslot there
    expect(row(run1, A, 'gmem', 'vmm-to-private').status).toBe('unsupported');
    expect(row(run1, A, 'gmem', 'vmm-to-private').reason).toMatch(/cannot bind a guest_memfd to a memslot/);
    // 7.3: all of it, on a default VM
    for (const op of ['alloc', 'fault', 'punch', 'vmm-to-private', 'guest-fault'])
      expect(row(run1, B, 'gmem', op).status, op).toBe('ok');
    // integrity: every page checked, none stale
    expect(row(run1, B, 'gmem', 'vmm-to-private').extra).toMatchObject({ memslot: true, stalePages: 0 });
    expect(row(run1, B, 'gmem', 'vmm-to-private').extra?.integrityPages).toBeGreaterThan(0);
    // neither stock kernel has a VM type with private memory: no attributes ioctl
    for (const h of [A, B, 'local']) {
      expect(row(run1, h, 'gmem', 'to-private').status).toBe('unsupported');
      // this machine's kernel may build KVM without guest_memfd at all (helpers/gmemcap.c): then it says that
      expect(row(run1, h, 'gmem', 'to-private').reason).toMatch(
        h !== 'local' || hasGuestMemfd ? /no VM type with private memory/ : /KVM_CAP_GUEST_MEMFD is 0/,
      );
    }

    // two nodes: move_pages moves every shmem page and refuses every guest_memfd page (7.3)
    for (const h of [A, B]) {
      for (const g of [4096, 2 << 20]) {
        const m = row(run1, h, 'shmem', 'migrate', g);
        expect(m.status).toBe('ok');
        expect(m.extra?.pages).toBeGreaterThan(0);
        expect(m.extra?.moved).toBe(m.extra?.pages);
        expect(m.extra?.fromNode).not.toBe(m.extra?.toNode);
      }
    }
    for (const g of [4096, 2 << 20]) {
      const m = row(run1, B, 'gmem', 'migrate', g);
      expect(m.status).toBe('ok');
      expect(m.extra?.moved).toBe(0);
      const refused = Object.values(m.extra?.refused as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(refused).toBe(m.extra?.pages);
      // the errno of every page's status, not a bucket of unknowns
      expect(m.extra?.refused).toMatchObject({ other: 0, stayed: 0 });
    }
    for (const h of [A, B]) {
      const moved = row(run1, h, 'shmem', 'migrate', 4096);
      expect(moved.extra?.verifiedOnTarget).toBe(moved.extra?.moved);
    }
    // guest_memfd NUMA placement: honoured from 6.19 (7.3: every page on the policy's node, read back
    // after); on 6.12 unsupported with the first reason (guest_memfd cannot even be mapped there)
    const numa = row(run1, B, 'gmem', 'gmem-numa', 4096);
    expect(numa.status, numa.reason).toBe('ok');
    expect(numa.extra?.pages).toBeGreaterThan(0);
    expect(numa.extra).toMatchObject({ onTarget: numa.extra?.pages, elsewhere: 0, queryErrors: 0 });
    expect(row(run1, A, 'gmem', 'gmem-numa', 4096).reason).toMatch(/cannot be mmap\(\)ed|honoured from 6\.19/);
    // 16 MiB of secretmem, twice the guests' default RLIMIT_MEMLOCK: measured, not a SIGBUS
    for (const h of [A, B]) expect(row(run1, h, 'secretmem', 'fault', 2 << 20).status).toBe('ok');
    // the guest's own conversion requests need a VM type with private memory: these two have none
    for (const h of [A, B])
      expect(row(run1, h, 'gmem', 'guest-convert', 4096).reason).toMatch(/no VM type with private memory/);
    // this machine has one node
    if (host('local').fingerprint!.numa.nodes === 1)
      expect(row(run1, 'local', 'shmem', 'migrate').reason).toMatch(/one NUMA node/);

    // the table flags the emulated hosts and says what that means
    expect(r.stdout).toContain(`${A} (tcg)`);
    expect(r.stdout.replace(/\s+/g, ' ')).toMatch(
      /measured under QEMU TCG emulation: the timings say nothing about real hardware/,
    );
    expect(r.stdout).not.toContain('local (tcg)');
  }, 600_000);

  it('secretmem past a limit the probe cannot raise (no CAP_SYS_RESOURCE): unsupported with why, not a SIGBUS', async () => {
    // 7.3 kills a secretmem fault past RLIMIT_MEMLOCK with SIGBUS; the probe tries in a child first
    const nocap = join(dir, 'nocap');
    await execa('cc', ['-O2', '-static', '-Wall', '-Wextra', '-o', nocap, resolve(ROOT, 'test/helpers/nocap.c')]);
    const host = (await loadInventory(invB)).hosts[0];
    const t = await openTransport(host);
    try {
      const remoteDir = '/root/.cache/gmembench'; // the guests log in as root
      const probe = await deliverProbeOverSsh(t, remoteDir, await buildProbe());
      await t.put(nocap, `${remoteDir}/nocap`, 0o755);
      const job = (region: number) =>
        JSON.stringify({
          path: 'secretmem',
          op: 'fault',
          granule: 2 << 20,
          region,
          threads: 1,
          repetitions: 1,
          warmup: 0,
          maxMemShare: 0.5,
          raw: false,
          params: {},
        });
      const result = async (region: number) => {
        const r = await t.exec([`${remoteDir}/nocap`, '8192', probe, 'run'], { stdin: job(region) });
        expect(r.exitCode, r.stderr).toBe(0);
        return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      };
      expect(await result(16 << 20)).toMatchObject({
        status: 'unsupported',
        reason: expect.stringMatching(
          /^memfd_secret: a fault past RLIMIT_MEMLOCK \(8192 KiB\) is a SIGBUS on this kernel.*16384 KiB.*CAP_SYS_RESOURCE/,
        ),
      });
      // within the limit it measures
      expect(await result(4 << 20)).toMatchObject({ status: 'ok' });
    } finally {
      await t.close();
    }
  }, 300_000);

  it('TCG rows stay out of the InfluxDB points and of regress unless --allow-emulated', async () => {
    const kept = await loadRun(run1Dir);
    const all = await loadRun(run1Dir, { allowEmulated: true });
    const rows = (h: string) => run1.results.filter((x) => x.host === h).length;
    expect(all.points.length - kept.points.length).toBeGreaterThan(0);
    expect(kept.leftOutEmulated).toContain(`${A} (${rows(A)} rows)`);
    expect(kept.leftOutEmulated).toContain(`${B} (${rows(B)} rows)`);
    expect(kept.points.every((p) => String(p.tags?.host) === 'local')).toBe(true);
    // pushed with --allow-emulated, they carry emulation=tcg (the local host's are none or kvm)
    for (const p of all.points)
      expect(String(p.tags?.emulation)).toEqual(
        String(p.tags?.host) === 'local' ? expect.not.stringMatching(/tcg/) : 'tcg',
      );
    const reg = await cli(['regress', '--history', dir]);
    // the text wraps at 100 columns: read it as one line per paragraph
    expect(reg.stdout.replace(/\n\s+/g, ' ')).toMatch(
      new RegExp(`skipped: three: rows of .*${A}.* left out: measured under TCG emulation`),
    );
    const regAll = await cli(['regress', '--history', dir, '--allow-emulated']);
    expect(regAll.stdout).not.toMatch(/left out: measured under TCG emulation/);
  });

  it('a lab host whose QEMU is killed mid-run ends lost; the others keep their rows', async () => {
    const id = 'killed';
    const child = execa('node', ['--import', 'tsx', resolve(ROOT, 'src/cli/index.ts'), ...runArgs(both, id)], {
      cwd: ROOT,
      reject: false,
      stdin: 'ignore',
    });
    const pid = (await labState(B))!.pid;
    // kill once B has measured a few rows
    for (let i = 0; i < 600; i++) {
      const s = await summary(join(dir, id)).catch(() => null);
      if (s && s.results.filter((x) => x.host === B).length >= 3) break;
      await new Promise((ok) => setTimeout(ok, 250));
    }
    process.kill(pid, 'SIGKILL');
    const r = await child;
    expect(r.exitCode).toBe(3); // some hosts failed
    const s = await summary(join(dir, id));
    const hb = s.hosts.find((h) => h.name === B)!;
    expect(hb.status).toBe('failed');
    expect(hb.subStatus).toBe('lost');
    expect(s.results.filter((x) => x.host === B).length).toBeGreaterThanOrEqual(3);
    for (const h of ['local', A]) {
      expect(s.hosts.find((x) => x.name === h)!.status).toBe('ok');
      expect(s.results.filter((x) => x.host === h).length).toBe(run1.results.filter((x) => x.host === h).length);
    }
    // its watchdog is gone with it; lab down cleans up what is left
    const down = await cli(['lab', 'down', B]);
    expect(down.stdout).toContain('was not running');
    expect(existsSync(resolve(invB, '..'))).toBe(false);
  }, 600_000);

  it('the cover-letter flow: one host on 6.12, then on 7.3, compared; it goes down with its owner', async () => {
    await cli(['lab', 'down', A]);
    // owned by a process that will end
    const owner = execa('sleep', ['900'], { reject: false });
    const k612 = await up(K, 'debian:6.12', String(owner.pid));
    const only = ['--only', 'op=alloc,op=fault,op=punch'];
    const r612 = await run(k612.inventory, 'k612', only);
    expect(r612.code, r612.why).toBe(0);
    await cli(['lab', 'down', K]);
    const k73 = await up(K, 'debian:7.3', String(owner.pid));
    const r73 = await run(k73.inventory, 'k73', only);
    expect(r73.code, r73.why).toBe(0);
    const cmp = await cli(['compare', r612.runDir, r73.runDir]);
    expect(cmp.code, cmp.stderr).toBe(0);
    expect(cmp.stdout).toMatch(/6\.12\.\d+\+deb\d+-amd64/);
    expect(cmp.stdout).toMatch(/7\.3\.\d+\+deb\d+-amd64/);
    expect(cmp.stdout).toMatch(/alloc/);
    // rows only one kernel can measure are listed with why
    expect(cmp.stdout).toMatch(/cannot be mmap\(\)ed/);

    const pid = (await labState(K))!.pid;
    expect(isOurQemu(pid, K)).toBe(true);
    owner.kill('SIGKILL');
    await owner;
    for (let i = 0; i < 100 && isOurQemu(pid, K); i++) await new Promise((ok) => setTimeout(ok, 100));
    expect(isOurQemu(pid, K)).toBe(false);
  }, 900_000);

  for (const { kernel, name: S, skip } of SW_PROTECTED)
    it.skipIf(skip !== null)(
      `a sw-protected ${kernel} host (KVM modules rebuilt): VM type 1, the attributes rows and guest-convert ok with integrity ok`,
      async () => {
        const r = await cli(
          [
            'lab',
            'up',
            S,
            '--kernel',
            `debian:${kernel}`,
            '--sw-protected',
            '--mem',
            '1G',
            '--owner',
            String(process.pid),
          ],
          { timeoutMs: 900_000 },
        );
        expect(r.code, r.stderr).toBe(0);
        const inventory = r.stdout.trim().split('\n').at(-1)!;
        expect(parse(await readFile(inventory, 'utf8')).hosts[0].labels.kvm).toBe('sw-protected');
        const x = await run(inventory, `swp${kernel}`, [
          '--only',
          'op=to-private,op=to-shared,op=vmm-to-private,op=vmm-to-shared,op=guest-convert',
        ]);
        expect(x.code, x.why).toBe(0);
        const s = await summary(x.runDir);
        expect(s.hosts[0].fingerprint!.kernel.release.startsWith(`${kernel}.`)).toBe(true);
        expect(s.hosts[0].fingerprint!.kvm.caps!.vmTypeNames).toContain('sw-protected');
        for (const op of ['to-private', 'to-shared', 'vmm-to-private', 'vmm-to-shared']) {
          const g = row(s, S, 'gmem', op);
          expect(g.status, `${op} ${g.reason}`).toBe('ok');
          expect(g.extra).toMatchObject({ vmType: 'sw-protected', attributesIoctl: true, stalePages: 0 });
          expect(g.extra?.integrityPages).toBeGreaterThan(0);
        }
        // the guest asks (KVM_HC_MAP_GPA_RANGE), the probe answers each exit as a VMM does: both granules
        for (const g of s.results.filter((r) => r.host === S && r.op === 'guest-convert')) {
          expect(g.status, g.reason).toBe('ok');
          expect(g.samples).toBe(2 * Math.floor(g.params.region / g.granule) * g.repetitions.length);
          expect(g.extra).toMatchObject({ vmType: 'sw-protected', stalePages: 0 });
          expect(g.extra?.hypercalls).toBe(g.samples);
          expect(g.extra?.integrityPages).toBeGreaterThan(0);
        }
        expect(s.results.filter((r) => r.host === S && r.op === 'guest-convert').map((r) => r.granule)).toEqual([
          4096,
          2 << 20,
        ]);
        await cli(['lab', 'down', S]);
      },
      900_000,
    );
});
