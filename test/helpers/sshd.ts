/**
 * Real OpenSSH sshd instances on free loopback ports, each with its own host key: several of them
 * are several "hosts" of a lab. They share one generated client key (authorized for all), and a
 * known_hosts file lists them (one entry hashed, as `ssh-keygen -H` writes it).
 */
import { execa, execaSync, type ResultPromise } from 'execa';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './influxd.js';

export const SSHD = '/usr/sbin/sshd';

/** why sshd tests cannot run here, or null */
export const sshdMissing: string | null = (() => {
  if (!existsSync(SSHD)) return `${SSHD} is not installed`;
  try {
    execaSync('ssh-keygen', ['-?'], { reject: false });
  } catch {
    return 'ssh-keygen is not installed';
  }
  if (process.getuid?.() !== 0 && !existsSync('/run/sshd'))
    return 'not root and no /run/sshd (sshd privilege separation directory)';
  return null;
})();

export interface Sshd {
  name: string;
  port: number;
  dir: string;
  config: string;
  /** "ssh-ed25519 AAAA..." (the first key type's) */
  hostKey: string;
  /** every host key by `ssh-keygen -t` type */
  hostKeys: Record<string, string>;
  proc: ResultPromise;
  /** SIGKILL the listener and every process under it (its sessions and their commands) */
  killTree(): void;
  stop(): Promise<void>;
}

async function keygen(file: string, comment: string, type = 'ed25519'): Promise<string> {
  await execa('ssh-keygen', [
    '-q',
    '-t',
    type,
    ...(type === 'rsa' ? ['-b', '2048'] : []),
    '-N',
    '',
    '-C',
    comment,
    '-f',
    file,
  ]);
  return (await readFile(`${file}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
}

export async function startSshd(
  root: string,
  name: string,
  authorizedKeys: string,
  keyTypes = ['ed25519'],
  extraConfig: string[] = [],
): Promise<Sshd> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  if (!existsSync('/run/sshd')) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKeys: Record<string, string> = {};
  for (const t of keyTypes) hostKeys[t] = await keygen(join(dir, `host_${t}`), `${name}-host`, t);
  const hostKey = hostKeys[keyTypes[0]];
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      ...keyTypes.map((t) => `HostKey ${join(dir, `host_${t}`)}`),
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'AllowTcpForwarding yes',
      'MaxStartups 100:30:200',
      'MaxSessions 50',
      'LogLevel ERROR',
      ...extraConfig,
      '',
    ].join('\n'),
  );
  const proc = execa(SSHD, ['-D', '-e', '-f', config], { reject: false, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const deadline = Date.now() + 15_000;
  while (!(await accepts(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`sshd ${name} did not start on port ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const self: Sshd = {
    name,
    port,
    dir,
    config,
    hostKey,
    hostKeys,
    proc,
    killTree: () => killTree(proc.pid!),
    stop: async () => {
      killTree(proc.pid!);
      await proc;
    },
  };
  return self;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/** every descendant of pid (by /proc/<pid>/stat ppid), parents first */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function killTree(pid: number): void {
  for (const p of [pid, ...descendants(pid)]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

export interface SshLab {
  dir: string;
  /** authorized on every sshd */
  clientKey: string;
  /** a key no sshd knows */
  wrongKey: string;
  knownHosts: string;
  hosts: Sshd[];
  /** an inventory YAML with one ssh host per sshd (remoteDir/lockPath of their own), extra fields merged */
  inventoryYaml(extra?: (h: Sshd, i: number) => Record<string, unknown>, names?: string[]): string;
  stop(): Promise<void>;
}

/** Start n sshds; known_hosts lists them all, the first one hashed. */
export async function startLab(n: number): Promise<SshLab> {
  const dir = await mkdtemp(join(tmpdir(), 'gmembench-sshlab-'));
  const clientKey = join(dir, 'client_ed25519');
  const wrongKey = join(dir, 'wrong_ed25519');
  const pub = await keygen(clientKey, 'gmembench-test-client');
  await keygen(wrongKey, 'gmembench-test-wrong');
  const authorized = join(dir, 'authorized_keys');
  await writeFile(authorized, `${pub}\n`);
  const hosts: Sshd[] = [];
  try {
    for (let i = 0; i < n; i++) hosts.push(await startSshd(dir, `h${i}`, authorized));
  } catch (err) {
    for (const h of hosts) await h.stop();
    throw err;
  }
  const knownHosts = join(dir, 'known_hosts');
  // the first host hashed by ssh-keygen itself, the others plain
  const hashed = join(dir, 'known_hosts.hashed');
  await writeFile(hashed, `[127.0.0.1]:${hosts[0].port} ${hosts[0].hostKey}\n`);
  await execa('ssh-keygen', ['-H', '-f', hashed]);
  const hashedLine = (await readFile(hashed, 'utf8')).trim();
  if (!hashedLine.startsWith('|1|')) throw new Error(`ssh-keygen -H wrote no hashed entry: ${hashedLine}`);
  await writeFile(
    knownHosts,
    [hashedLine, ...hosts.slice(1).map((h) => `[127.0.0.1]:${h.port} ${h.hostKey}`), ''].join('\n'),
  );
  return {
    dir,
    clientKey,
    wrongKey,
    knownHosts,
    hosts,
    inventoryYaml: (extra, names) =>
      JSON.stringify({
        hosts: hosts.map((h, i) => ({
          name: names?.[i] ?? h.name,
          transport: 'ssh',
          address: '127.0.0.1',
          port: h.port,
          user: userInfo().username,
          identityFile: clientKey,
          knownHosts,
          remoteDir: join(h.dir, 'remote'),
          lockPath: join(h.dir, 'lock'),
          connectTimeout: 10,
          labels: { platform: 'test', lab: 'loopback' },
          ...extra?.(h, i),
        })),
      }),
    stop: async () => {
      for (const h of hosts) await h.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
