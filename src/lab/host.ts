/**
 * A lab host: `up` boots it (kernel + initramfs cached, keys generated, QEMU started, SSH awaited,
 * retried once when the guest panics during boot), `down` stops its QEMU by the pid in its pidfile,
 * `status` lists them. Everything a host owns lives in labHostDir(name).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { fetchDebianKernel, privateApt, resolveDebianKernel } from './apt.js';
import { baseInitramfs, hostInitramfs, labToolsMissing, modulesDirOf } from './initramfs.js';
import { labCacheDir, labHostDir } from './paths.js';
import { chooseAccel, qemuArgs } from './qemu.js';
import { swProtectedModules } from './sw-protected.js';

export interface LabUpOptions {
  name: string;
  kernel: string;
  modules?: string;
  numa: number;
  memMiB: number;
  cpus: number;
  swProtected: boolean;
  accel?: 'kvm' | 'tcg';
  /** seconds to wait for SSH per boot attempt */
  bootTimeout?: number;
  /** QEMU dies with this process (setpriv --pdeathsig) instead of running on after it */
  attach?: boolean;
  log?: (line: string) => void;
}

export interface LabHostState {
  name: string;
  pid: number;
  port: number;
  kernel: string;
  release: string;
  accel: 'kvm' | 'tcg';
  numa: number;
  cpus: number;
  memMiB: number;
  swProtected: boolean;
  inventory: string;
  startedAt: string;
}

const NAME_RE = /^[A-Za-z0-9_.-]+$/;

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
    const done = (v: boolean) => { sock.destroy(); ok(v); };
    const t = setTimeout(() => done(false), timeoutMs);
    sock.once('data', (d) => { clearTimeout(t); done(d.toString().startsWith('SSH-')); });
    sock.once('error', () => { clearTimeout(t); done(false); });
    sock.once('close', () => { clearTimeout(t); done(false); });
  });
}

export function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** kernel + modules dir + a cache key for a --kernel value */
async function kernelFor(o: LabUpOptions): Promise<{ kernel: string; release: string; modulesDir: string; sourceTree: string | null }> {
  const m = /^debian:(.+)$/.exec(o.kernel);
  if (m) {
    const apt = await privateApt();
    const k = await resolveDebianKernel(apt, m[1]);
    o.log?.(`kernel ${k.release} (${k.packages.join(', ')})`);
    const tree = await fetchDebianKernel(apt, k);
    const boot = resolve(tree, 'root/boot', `vmlinuz-${k.release}`);
    if (!existsSync(boot)) throw new Error(`lab: ${boot} missing from ${k.packages.join(', ')}`);
    return { kernel: boot, release: k.release, modulesDir: modulesDirOf(resolve(tree, 'root'), k.release), sourceTree: tree };
  }
  const bz = resolve(o.kernel);
  if (!existsSync(bz)) throw new Error(`--kernel ${o.kernel}: no such file (debian:7.3, debian:6.12 or the path of a bzImage)`);
  if (!o.modules) throw new Error(`--kernel ${o.kernel}: give --modules DIR (the lib/modules/<release> of that build, with modules.dep)`);
  const modulesDir = resolve(o.modules);
  if (!existsSync(resolve(modulesDir, 'modules.dep'))) throw new Error(`--modules ${o.modules}: no modules.dep there (run depmod, or point at lib/modules/<release>)`);
  const release = (await execa('sh', ['-c', 'basename "$1"; sha256sum "$2" | cut -c1-12', 'sh', modulesDir, bz])).stdout.replace('\n', '-');
  return { kernel: bz, release, modulesDir, sourceTree: null };
}

export async function labUp(o: LabUpOptions): Promise<LabHostState> {
  if (!NAME_RE.test(o.name)) throw new Error(`lab up ${o.name}: a name of letters, digits, ".", "_" and "-"`);
  const missing = labToolsMissing();
  if (missing) throw new Error(`lab: ${missing}`);
  const dir = labHostDir(o.name);
  const prev = await labState(o.name);
  if (prev && alive(prev.pid)) throw new Error(`lab up ${o.name}: already running (pid ${prev.pid}); lab down ${o.name} first`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });

  const k = await kernelFor(o);
  let flavour = 'stock';
  let extraModules: string | undefined;
  if (o.swProtected) {
    if (!k.sourceTree) throw new Error('--sw-protected: only with debian:X.Y kernels (build your own kernel with CONFIG_KVM_SW_PROTECTED_VM=y)');
    extraModules = await swProtectedModules(k.release, o.log);
    flavour = 'swprot';
  }
  const base = await baseInitramfs({ release: k.release, modulesDir: k.modulesDir, flavour, extraModules });

  const key = resolve(dir, 'id_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `gmembench-lab-${o.name}`, '-f', key]);
  const hostKey = resolve(dir, 'host_key');
  await execa('dropbearkey', ['-t', 'ed25519', '-f', hostKey]);
  const hostPub = (await execa('dropbearkey', ['-y', '-f', hostKey])).stdout.split('\n').find((l) => l.startsWith('ssh-'));
  if (!hostPub) throw new Error('lab: dropbearkey printed no public key');
  const initrd = await hostInitramfs(base, dir, { name: o.name, hostKey, authorizedKey: await readFile(`${key}.pub`, 'utf8') });

  const accel = o.accel ?? chooseAccel().accel;
  const timeout = (o.bootTimeout ?? 90) * 1000;
  let lastErr = '';
  for (let attempt = 1; attempt <= 2; attempt++) {
    const port = await freePort();
    const consoleLog = resolve(dir, `console-${attempt}.log`);
    const pidFile = resolve(dir, 'qemu.pid');
    const args = qemuArgs({ kernel: k.kernel, initrd, consoleLog, pidFile, port, cpus: o.cpus, numa: o.numa, memMiB: o.memMiB, accel });
    const [cmd, argv] = o.attach
      ? ['setpriv', ['--pdeathsig', 'KILL', '--', 'qemu-system-x86_64', ...args]]
      : ['qemu-system-x86_64', args];
    const child: ChildProcess = spawn(cmd, argv as string[], { stdio: ['ignore', 'ignore', 'pipe'], detached: !o.attach });
    let stderr = '';
    child.stderr?.on('data', (d) => { stderr += d; });
    let exited = false;
    child.once('exit', () => { exited = true; });
    if (!o.attach) child.unref();
    o.log?.(`booting ${o.name} (${accel}, ${o.cpus} CPUs, ${o.numa} node(s), ${o.memMiB} MiB), attempt ${attempt}`);
    const t0 = Date.now();
    let ready = false;
    while (!exited && Date.now() - t0 < timeout) {
      if (await sshBanner(port, 2000)) { ready = true; break; }
      await new Promise((r) => setTimeout(r, 300));
    }
    if (ready && child.pid) {
      child.stderr?.removeAllListeners('data');
      child.stderr?.destroy();
      const state = await writeHost(o, dir, { pid: child.pid, port, release: k.release, accel, key, hostPub });
      o.log?.(`${o.name} up in ${((Date.now() - t0) / 1000).toFixed(1)} s on 127.0.0.1:${port}`);
      return state;
    }
    if (child.pid && alive(child.pid)) process.kill(child.pid, 'KILL');
    const tail = existsSync(consoleLog) ? (await readFile(consoleLog, 'utf8')).split('\n').slice(-8).join('\n') : '';
    lastErr = `${exited ? `QEMU exited (${stderr.trim() || 'guest panic or reboot'})` : `no SSH within ${timeout / 1000} s`}; console:\n${tail}`;
    o.log?.(`boot attempt ${attempt} failed: ${lastErr.split('\n')[0]}`);
  }
  throw new Error(`lab up ${o.name}: boot failed twice: ${lastErr}`);
}

async function writeHost(o: LabUpOptions, dir: string, s: { pid: number; port: number; release: string; accel: 'kvm' | 'tcg'; key: string; hostPub: string }): Promise<LabHostState> {
  const knownHosts = resolve(dir, 'known_hosts');
  await writeFile(knownHosts, `[127.0.0.1]:${s.port} ${s.hostPub.split(' ').slice(0, 2).join(' ')}\n`);
  const inventory = resolve(dir, 'hosts.yaml');
  const labels: Record<string, string> = { lab: 'qemu', emulation: s.accel, kernel: o.kernel };
  if (o.swProtected) labels.vmType = 'sw-protected';
  await writeFile(inventory, stringify({
    hosts: [{
      name: o.name, transport: 'ssh', address: '127.0.0.1', port: s.port, user: 'root',
      identityFile: s.key, knownHosts, connectTimeout: 30, commandTimeout: 300,
      keepaliveInterval: 5, keepaliveCountMax: 3, remoteDir: '/tmp/gmembench', labels,
    }],
  }));
  const state: LabHostState = {
    name: o.name, pid: s.pid, port: s.port, kernel: o.kernel, release: s.release, accel: s.accel,
    numa: o.numa, cpus: o.cpus, memMiB: o.memMiB, swProtected: o.swProtected, inventory, startedAt: new Date().toISOString(),
  };
  await writeFile(resolve(dir, 'state.json'), JSON.stringify(state, null, 2) + '\n');
  return state;
}

export async function labState(name: string): Promise<LabHostState | null> {
  const f = resolve(labHostDir(name), 'state.json');
  if (!existsSync(f)) return null;
  return JSON.parse(await readFile(f, 'utf8')) as LabHostState;
}

export async function labList(): Promise<Array<LabHostState & { running: boolean }>> {
  const d = resolve(labCacheDir(), 'hosts');
  if (!existsSync(d)) return [];
  const out: Array<LabHostState & { running: boolean }> = [];
  for (const n of (await readdir(d)).sort()) {
    const s = await labState(n);
    if (s) out.push({ ...s, running: isOurQemu(s.pid) });
  }
  return out;
}

/** The pid is ours only if it is still a QEMU whose command line names this host's directory. */
export function isOurQemu(pid: number): boolean {
  if (!alive(pid)) return false;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return cmd.includes('qemu-system') && cmd.includes('/lab/hosts/');
  } catch { return false; }
}

/** Stop a lab host's QEMU (TERM, then KILL after 5 s) and remove its directory. */
export async function labDown(name: string): Promise<boolean> {
  const s = await labState(name);
  const dir = labHostDir(name);
  let stopped = false;
  if (s && isOurQemu(s.pid)) {
    process.kill(s.pid, 'TERM');
    for (let i = 0; i < 50 && alive(s.pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (alive(s.pid)) process.kill(s.pid, 'KILL');
    stopped = true;
  }
  if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
  return stopped;
}
