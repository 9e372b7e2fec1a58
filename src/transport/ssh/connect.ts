/**
 * Open an authenticated ssh2 connection to an inventory host: host key checked against known_hosts
 * (refused when unknown unless accept-new, always refused when changed or revoked), identity file
 * or ssh-agent, connect timeout, keepalives, and ProxyJump through another host. Every failure is a
 * HostFailure with its sub-status. Nothing secret (key, passphrase) ever goes into a message.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { Client, type ConnectConfig, type ServerHostKeyAlgorithm } from 'ssh2';
import { parseJumpAddress, type HostConfig, type SshHostConfig } from '../../config/hosts.js';
import { HostFailure } from '../../benchmark/failure.js';
import {
  addKnownHost,
  checkHostKey,
  fingerprint,
  keyTypeOf,
  knownHostName,
  knownKeyTypes,
  readKnownHosts,
} from './known-hosts.js';

export interface SshConnectOptions {
  /** add an unknown host key to known_hosts (OpenSSH StrictHostKeyChecking=accept-new) */
  acceptNewHostKeys?: boolean;
  signal?: AbortSignal;
  /** the inventory's hosts, to resolve `jump` names */
  hosts?: readonly HostConfig[];
}

/** A live connection; `failure` is set once it is lost. */
export interface SshConnection {
  client: Client;
  /** what broke the connection after it was up (lost, keepalive timeout) */
  failure: HostFailure | null;
  /** called once when the connection goes down after it was up */
  onDown(cb: (f: HostFailure) => void): () => void;
  close(): void;
  /** set the failure (first one wins) */
  markDown(f: HostFailure): void;
  /** the host name, for messages */
  name: string;
}

const HOST_KEY_TYPES: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

export async function connectSsh(host: SshHostConfig, opts: SshConnectOptions = {}): Promise<SshConnection> {
  let jump: SshConnection | undefined;
  let sock: Readable | undefined;
  if (host.jump) {
    const jumpHost = resolveJump(host, opts.hosts ?? []);
    jump = await connectSsh(jumpHost, opts).catch((err: unknown) => {
      const f = err instanceof HostFailure ? err : new HostFailure(host.name, 'unreachable', String(err));
      throw new HostFailure(host.name, f.subStatus, `via jump host ${jumpHost.name}: ${f.message}`);
    });
    sock = await new Promise<Readable>((res, rej) => {
      jump!.client.forwardOut('127.0.0.1', 0, host.address, host.port, (err, stream) => {
        if (err) {
          jump!.close();
          rej(
            new HostFailure(
              host.name,
              'unreachable',
              `jump host ${jumpHost.name} cannot reach ${host.address}:${host.port}: ${err.message}`,
            ),
          );
        } else res(stream);
      });
    });
  }
  try {
    const conn = await connectOnce(host, opts, sock);
    if (jump) {
      const j = jump;
      // the forwarded stream ends with the jump connection, which ends this one; say why
      j.onDown((f) => conn.markDown(new HostFailure(host.name, 'lost', `jump host ${j.name}: ${f.message}`)));
      const close = conn.close;
      conn.close = () => {
        close();
        j.close();
      };
    }
    return conn;
  } catch (err) {
    jump?.close();
    throw err;
  }
}

/** A jump named by the inventory, or user@host:port with the target's own key and known_hosts. */
function resolveJump(host: SshHostConfig, hosts: readonly HostConfig[]): SshHostConfig {
  const named = hosts.find((h) => h.name === host.jump);
  if (named) {
    if (named.transport !== 'ssh')
      throw new HostFailure(host.name, 'unreachable', `jump host ${named.name} is not an ssh host`);
    return named;
  }
  const a = parseJumpAddress(host.jump!);
  if (!a)
    throw new HostFailure(
      host.name,
      'unreachable',
      `jump "${host.jump}" is neither an inventory host nor user@host[:port]`,
    );
  return { ...host, name: host.jump!, address: a.address, port: a.port, user: a.user, jump: undefined };
}

async function connectOnce(host: SshHostConfig, opts: SshConnectOptions, sock?: Readable): Promise<SshConnection> {
  if (opts.signal?.aborted) throw new Error(`${host.name}: connect cancelled`);
  const knownName = knownHostName(host.address, host.port);
  const known = await readKnownHosts(host.knownHosts).catch((err: Error) => {
    throw new HostFailure(host.name, 'hostkey', err.message);
  });
  // ask for the key types known_hosts has for this host first, as OpenSSH does
  // (an RSA key is stored as ssh-rsa but signed with rsa-sha2-512/256: ask for those first)
  const preferred = knownKeyTypes(known, knownName)
    .flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]))
    .filter((t): t is ServerHostKeyAlgorithm => HOST_KEY_TYPES.includes(t as ServerHostKeyAlgorithm));
  const auth = await authConfig(host);

  let hostKeyProblem: HostFailure | null = null;
  const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
    const fp = fingerprint(key);
    const verdict = checkHostKey(known, knownName, key);
    const where = `${host.knownHosts}`;
    switch (verdict.kind) {
      case 'known':
        verify(true);
        return;
      case 'revoked':
        hostKeyProblem = new HostFailure(
          host.name,
          'hostkey',
          `host key ${keyTypeOf(key)} ${fp} of ${knownName} is marked @revoked in ${where}:${verdict.line}`,
        );
        verify(false);
        return;
      case 'changed':
        hostKeyProblem = new HostFailure(
          host.name,
          'hostkey',
          `HOST KEY CHANGED for ${knownName}: it offers ${keyTypeOf(key)} ${fp}, which does not match ${where}:${verdict.lines.join(',')}; ` +
            `refused (if the host was reinstalled, remove the old entry with ssh-keygen -R '${knownName}' -f ${where})`,
        );
        verify(false);
        return;
      case 'unknown':
        if (!opts.acceptNewHostKeys) {
          hostKeyProblem = new HostFailure(
            host.name,
            'hostkey',
            `unknown host key for ${knownName}: ${keyTypeOf(key)} ${fp} is not in ${where}; refused ` +
              '(check the fingerprint, then run with --accept-new-host-keys to add it)',
          );
          verify(false);
          return;
        }
        addKnownHost(host.knownHosts, knownName, key).then(
          () => verify(true),
          (err: Error) => {
            hostKeyProblem = new HostFailure(host.name, 'hostkey', `cannot add ${fp} to ${where}: ${err.message}`);
            verify(false);
          },
        );
    }
  };

  const client = new Client();
  const config: ConnectConfig = {
    host: host.address,
    port: host.port,
    username: host.user,
    ...auth,
    ...(sock && { sock }),
    readyTimeout: host.connectTimeout * 1000,
    keepaliveInterval: host.keepaliveInterval * 1000,
    keepaliveCountMax: host.keepaliveCountMax,
    hostVerifier,
    ...(preferred.length > 0 && {
      algorithms: { serverHostKey: [...preferred, ...HOST_KEY_TYPES.filter((t) => !preferred.includes(t))] },
    }),
  };

  return new Promise<SshConnection>((res, rej) => {
    let ready = false;
    let downCbs: ((f: HostFailure) => void)[] = [];
    let closedByUs = false;
    const conn: SshConnection = {
      client,
      failure: null,
      onDown: (cb) => {
        if (conn.failure) cb(conn.failure);
        else downCbs.push(cb);
        return () => {
          downCbs = downCbs.filter((c) => c !== cb);
        };
      },
      close: () => {
        closedByUs = true;
        client.end();
      },
      markDown: (f) => down(f),
      name: host.name,
    };
    const down = (f: HostFailure) => {
      if (conn.failure || closedByUs) return;
      conn.failure = f;
      const cbs = downCbs;
      downCbs = [];
      for (const cb of cbs) cb(f);
    };
    const onAbort = () => {
      client.destroy();
      rej(new Error(`${host.name}: connect cancelled`));
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    client.on('ready', () => {
      ready = true;
      opts.signal?.removeEventListener('abort', onAbort);
      res(conn);
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (!ready) {
        opts.signal?.removeEventListener('abort', onAbort);
        rej(hostKeyProblem ?? connectFailure(host, err));
      } else {
        down(new HostFailure(host.name, 'lost', `connection to ${host.address}:${host.port} lost: ${err.message}`));
      }
    });
    client.on('close', () => {
      if (!ready) {
        opts.signal?.removeEventListener('abort', onAbort);
        rej(
          hostKeyProblem ??
            new HostFailure(
              host.name,
              'unreachable',
              `${host.address}:${host.port} closed the connection before login`,
            ),
        );
      } else {
        down(new HostFailure(host.name, 'lost', `connection to ${host.address}:${host.port} closed`));
      }
    });
    try {
      client.connect(config);
    } catch (err) {
      // ssh2 throws synchronously for a key it cannot parse or decrypt; its message holds no secret
      opts.signal?.removeEventListener('abort', onAbort);
      rej(new HostFailure(host.name, 'auth', `identity ${host.identityFile ?? 'agent'}: ${(err as Error).message}`));
    }
  });
}

function connectFailure(host: SshHostConfig, err: Error & { level?: string; code?: string }): HostFailure {
  const where = `${host.address}:${host.port}`;
  if (err.level === 'client-authentication' || /authentication methods failed/i.test(err.message)) {
    return new HostFailure(host.name, 'auth', `${host.user}@${where}: authentication refused (${err.message})`);
  }
  if (/Host denied/.test(err.message)) return new HostFailure(host.name, 'hostkey', `${where}: host key refused`);
  if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') {
    return new HostFailure(
      host.name,
      'unreachable',
      `${where}: no SSH login within ${host.connectTimeout} s (${err.message})`,
    );
  }
  if (
    ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'].includes(err.code ?? '')
  ) {
    return new HostFailure(host.name, 'unreachable', `${where}: ${err.code} (${err.message})`);
  }
  return new HostFailure(host.name, 'unreachable', `${where}: ${err.message}`);
}

/** The key or agent to log in with. A passphrase comes only from the environment variable named. */
async function authConfig(host: SshHostConfig): Promise<Pick<ConnectConfig, 'privateKey' | 'passphrase' | 'agent'>> {
  const out: Pick<ConnectConfig, 'privateKey' | 'passphrase' | 'agent'> = {};
  if (host.agent) {
    const sockPath = typeof host.agent === 'string' ? host.agent : process.env.SSH_AUTH_SOCK;
    if (!sockPath) throw new HostFailure(host.name, 'auth', 'agent: true but SSH_AUTH_SOCK is not set');
    out.agent = sockPath;
  }
  let keyFile = host.identityFile;
  if (!keyFile && !host.agent) {
    // neither given: the agent if there is one, else OpenSSH's default key files
    if (process.env.SSH_AUTH_SOCK) out.agent = process.env.SSH_AUTH_SOCK;
    else
      keyFile = ['id_ed25519', 'id_ecdsa', 'id_rsa']
        .map((n) => resolve(homedir(), '.ssh', n))
        .find((f) => existsSync(f));
    if (!out.agent && !keyFile)
      throw new HostFailure(host.name, 'auth', 'no identityFile, no agent (SSH_AUTH_SOCK) and no ~/.ssh/id_* key');
  }
  if (keyFile) {
    try {
      out.privateKey = await readFile(keyFile);
    } catch (err) {
      throw new HostFailure(
        host.name,
        'auth',
        `cannot read identityFile ${keyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  if (host.passphraseEnv) {
    const p = process.env[host.passphraseEnv];
    if (p === undefined)
      throw new HostFailure(host.name, 'auth', `passphraseEnv: environment variable ${host.passphraseEnv} is not set`);
    out.passphrase = p;
  }
  return out;
}
