/**
 * A lab host: `up` boots it (kernel + initramfs cached, keys generated, QEMU started under
 * scripts/lab-watchdog.sh, SSH awaited, retried once when the guest panics during boot), `down`
 * stops its QEMU by the pid in its pidfile, `status` lists them. Everything a host owns lives in
 * labHostDir(name); nothing outside it is touched.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { z } from 'zod';
import { PACKAGE_ROOT } from '../util/paths.js';
import { baseInitramfs, hostInitramfs, labToolsMissing } from './initramfs.js';
import { labKernel, swProtectedModules } from './kernel.js';
import { labCacheDir, labHostDir } from './paths.js';
import { chooseAccel, qemuArgs } from './qemu.js';

export interface LabUpOptions {
  name: string;
  kernel: string;
  modules?: string;
  numa: number;
  memMiB: number;
  cpus: number;
  accel?: 'kvm' | 'tcg';
  /** seconds to wait for SSH per boot attempt */
  bootTimeout?: number;
  /** the host goes down when this process ends; 'none': it runs until `lab down` */
  owner: number | 'none';
  /** KVM modules rebuilt with CONFIG_KVM_SW_PROTECTED_VM (scripts/lab-kvm-sw-protected.sh) */
  swProtected?: boolean;
  log?: (line: string) => void;
}

const stateSchema = z.object({
  name: z.string(),
  pid: z.number().int().positive(),
  port: z.number().int().positive(),
  kernel: z.string(),
  release: z.string(),
  accel: z.enum(['kvm', 'tcg']),
  numa: z.number().int().positive(),
  cpus: z.number().int().positive(),
  memMiB: z.number().int().positive(),
  owner: z.union([z.number().int().positive(), z.literal('none')]),
  swProtected: z.boolean().default(false),
  inventory: z.string(),
  startedAt: z.string(),
  /** seconds from starting QEMU to the SSH banner */
  bootSeconds: z.number(),
});
export type LabHostState = z.infer<typeof stateSchema>;

const NAME_RE = /^[A-Za-z0-9_.-]+$/;
const WATCHDOG = resolve(PACKAGE_ROOT, 'scripts/lab-watchdog.sh');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => ok(port));
    });
  });
}

/** The user-mode network accepts TCP before the guest listens: ready means an SSH banner came back. */
function sshBanner(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((ok) => {
    const sock = connect({ host: '127.0.0.1', port });
    const done = (v: boolean) => {
      sock.destroy();
      ok(v);
    };
    const t = setTimeout(() => done(false), timeoutMs);
    sock.once('data', (d) => {
      clearTimeout(t);
      done(d.toString().startsWith('SSH-'));
    });
    sock.once('error', () => {
      clearTimeout(t);
      done(false);
    });
    sock.once('close', () => {
      clearTimeout(t);
      done(false);
    });
  });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The session leader of this process (the terminal's shell, the CI job): the default owner of a lab host. */
export function sessionLeader(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const sid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
  return Number.isInteger(sid) && sid > 1 && alive(sid) ? sid : process.ppid;
}

export async function labUp(o: LabUpOptions): Promise<LabHostState> {
  if (!NAME_RE.test(o.name)) throw new Error(`lab up ${o.name}: a name of letters, digits, ".", "_" and "-"`);
  const missing = labToolsMissing();
  if (missing) throw new Error(`lab: ${missing}`);
  const dir = labHostDir(o.name);
  const prev = await labState(o.name).catch(() => null);
  if (prev && isOurQemu(prev.pid, o.name))
    throw new Error(`lab up ${o.name}: already running (pid ${prev.pid}); lab down ${o.name} first`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });

  const k = await labKernel(o.kernel, o.modules, o.log);
  const extraModules = o.swProtected ? await swProtectedModules(o.kernel, k.release, o.log) : undefined;
  const base = await baseInitramfs({
    release: k.release,
    modulesDir: k.modulesDir,
    flavour: o.swProtected ? 'swprot' : 'stock',
    extraModules,
  });

  const key = resolve(dir, 'id_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `gmembench-lab-${o.name}`, '-f', key]);
  const hostKey = resolve(dir, 'host_key');
  await execa('dropbearkey', ['-t', 'ed25519', '-f', hostKey]);
  const hostPub = (await execa('dropbearkey', ['-y', '-f', hostKey])).stdout
    .split('\n')
    .find((l) => l.startsWith('ssh-'));
  if (!hostPub) throw new Error('lab: dropbearkey printed no public key');
  const initrd = await hostInitramfs(base, dir, {
    name: o.name,
    hostKey,
    authorizedKey: await readFile(`${key}.pub`, 'utf8'),
  });

  const accel = o.accel ?? chooseAccel().accel;
  const timeout = (o.bootTimeout ?? 90) * 1000;
  // while booting, the host belongs to this process: if it dies, the watchdog takes QEMU down
  const ownerFile = resolve(dir, 'owner');
  await writeOwner(ownerFile, process.pid);
  let lastErr = '';
  for (let attempt = 1; attempt <= 2; attempt++) {
    const port = await freePort();
    const consoleLog = resolve(dir, `console-${attempt}.log`);
    const pidFile = resolve(dir, 'qemu.pid');
    await rm(pidFile, { force: true });
    const args = qemuArgs({
      kernel: k.image,
      initrd,
      consoleLog,
      pidFile,
      port,
      cpus: o.cpus,
      numa: o.numa,
      memMiB: o.memMiB,
      accel,
    });
    const qemuLog = resolve(dir, `qemu-${attempt}.log`);
    const fd = openSync(qemuLog, 'w');
    const watchdog = spawn('sh', [WATCHDOG, ownerFile, 'qemu-system-x86_64', ...args], {
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    closeSync(fd);
    let exited = false;
    watchdog.once('exit', () => {
      exited = true;
    });
    watchdog.unref();
    o.log?.(`booting ${o.name} (${accel}, ${o.cpus} CPUs, ${o.numa} node(s), ${o.memMiB} MiB), attempt ${attempt}`);
    const t0 = Date.now();
    let ready = false;
    while (!exited && Date.now() - t0 < timeout) {
      if (await sshBanner(port, 2000)) {
        ready = true;
        break;
      }
      await sleep(300);
    }
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
    if (ready && pid > 0) {
      const bootSeconds = (Date.now() - t0) / 1000;
      const state = await writeHost(o, dir, { pid, port, release: k.release, accel, key, hostPub, bootSeconds });
      await writeOwner(ownerFile, o.owner);
      o.log?.(
        `${o.name} up in ${bootSeconds.toFixed(1)} s on 127.0.0.1:${port} (QEMU pid ${pid}; ${o.owner === 'none' ? 'runs until lab down' : `goes down when pid ${o.owner} ends`})`,
      );
      return state;
    }
    if (pid > 0 && isOurQemu(pid, o.name)) process.kill(pid, 'SIGKILL');
    if (watchdog.pid && alive(watchdog.pid)) process.kill(watchdog.pid, 'SIGTERM');
    const tail = existsSync(consoleLog) ? (await readFile(consoleLog, 'utf8')).split('\n').slice(-8).join('\n') : '';
    const qemuErr = (await readFile(qemuLog, 'utf8').catch(() => '')).trim();
    lastErr = `${exited ? `QEMU exited (${qemuErr || 'guest panic or reboot'})` : `no SSH within ${timeout / 1000} s`}; console:\n${tail}`;
    o.log?.(`boot attempt ${attempt} failed: ${lastErr.split('\n')[0]}`);
  }
  throw new Error(`lab up ${o.name}: boot failed twice: ${lastErr}`);
}

/** atomically (the watchdog reads it every second; an empty read would stop the host) */
async function writeOwner(file: string, owner: number | 'none'): Promise<void> {
  await writeFile(`${file}.tmp`, `${owner}\n`);
  await rename(`${file}.tmp`, file);
}

interface Booted {
  pid: number;
  port: number;
  release: string;
  accel: 'kvm' | 'tcg';
  key: string;
  hostPub: string;
  bootSeconds: number;
}

async function writeHost(o: LabUpOptions, dir: string, s: Booted): Promise<LabHostState> {
  const knownHosts = resolve(dir, 'known_hosts');
  await writeFile(knownHosts, `[127.0.0.1]:${s.port} ${s.hostPub.split(' ').slice(0, 2).join(' ')}\n`);
  const inventory = resolve(dir, 'hosts.yaml');
  // emulation: the fingerprint takes it from here (src/lab/emulation.ts)
  const labels: Record<string, string> = {
    lab: 'qemu',
    emulation: s.accel,
    kernel: o.kernel,
    ...(o.swProtected && { kvm: 'sw-protected' }),
  };
  await writeFile(
    inventory,
    stringify({
      hosts: [
        {
          name: o.name,
          transport: 'ssh',
          address: '127.0.0.1',
          port: s.port,
          user: 'root',
          identityFile: s.key,
          knownHosts,
          connectTimeout: 30,
          commandTimeout: 300,
          keepaliveInterval: 5,
          keepaliveCountMax: 3,
          remoteDir: '/tmp/gmembench',
          labels,
        },
      ],
    }),
  );
  const state: LabHostState = {
    name: o.name,
    pid: s.pid,
    port: s.port,
    kernel: o.kernel,
    release: s.release,
    accel: s.accel,
    numa: o.numa,
    cpus: o.cpus,
    memMiB: o.memMiB,
    owner: o.owner,
    swProtected: !!o.swProtected,
    inventory,
    startedAt: new Date().toISOString(),
    bootSeconds: Math.round(s.bootSeconds * 10) / 10,
  };
  await writeFile(resolve(dir, 'state.json'), JSON.stringify(state, null, 2) + '\n');
  return state;
}

export async function labState(name: string): Promise<LabHostState | null> {
  const f = resolve(labHostDir(name), 'state.json');
  if (!existsSync(f)) return null;
  const parsed = stateSchema.safeParse(JSON.parse(await readFile(f, 'utf8')));
  if (!parsed.success)
    throw new Error(
      `${f}: not a lab host state (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`,
    );
  return parsed.data;
}

export async function labList(): Promise<Array<LabHostState & { running: boolean }>> {
  const d = resolve(labCacheDir(), 'hosts');
  if (!existsSync(d)) return [];
  const out: Array<LabHostState & { running: boolean }> = [];
  for (const n of (await readdir(d)).sort()) {
    const s = await labState(n).catch(() => null);
    if (s) out.push({ ...s, running: isOurQemu(s.pid, n) });
  }
  return out;
}

/** The pid is ours only if it is still a QEMU whose command line names this host's directory. */
export function isOurQemu(pid: number, name: string): boolean {
  if (!alive(pid)) return false;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return cmd[0].includes('qemu-system') && cmd.some((a) => a.includes(`${labHostDir(name)}/`));
  } catch {
    return false;
  }
}

/** Stop a lab host's QEMU (TERM, then KILL after 5 s) and remove its directory; false when it was not running. */
export async function labDown(name: string): Promise<boolean> {
  if (!NAME_RE.test(name)) throw new Error(`lab down ${name}: not a lab host name`);
  const s = await labState(name).catch(() => null);
  const dir = labHostDir(name);
  // a host still booting has no state yet: its pidfile names its QEMU
  const pidFile = resolve(dir, 'qemu.pid');
  const pid = s?.pid ?? (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0);
  let stopped = false;
  if (pid > 0 && isOurQemu(pid, name)) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    stopped = true;
  }
  if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
  return stopped;
}
