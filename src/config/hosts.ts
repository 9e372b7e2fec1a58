/**
 * The host inventory: hosts/*.yaml. `transport: local` runs on this machine; `transport: ssh`
 * reaches a lab host over SSH (src/transport/ssh/). hosts/example-lab.yaml documents every field.
 */
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { z } from 'zod';
import { loadYaml } from './load.js';
import { labelsSchema } from './names.js';

const NAME_RE = /^[A-Za-z0-9_.-]+$/;

export const DEFAULT_LOCK_PATH = '/tmp/gmembench.lock';

/** "~/x" -> "$HOME/x" on the controller */
export function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? resolve(homedir(), p.slice(2)) : p;
}

const seconds = (def: number) => z.number().positive().max(86_400).default(def);

const hostSettings = {
  name: z.string().min(1).regex(NAME_RE, 'letters, digits, ".", "_" and "-" only'),
  /** free-form labels: platform (tdx, snp, ...), lab, rack ...; platform becomes a time-series tag */
  labels: labelsSchema.default({}),
  /** override the suite's memory guard for this host */
  maxMemShare: z.number().gt(0).max(0.95).optional(),
  /** huge pages to reserve (root) before the run and give back after; 0 leaves the host as it is */
  hugetlbPages: z.number().int().min(0).optional(),
  /** the host-wide lock directory (default /tmp/gmembench.lock) that keeps two controllers from measuring the host at once */
  lockPath: z.string().startsWith('/', 'an absolute path on the host').optional(),
};

export const localHostSchema = z
  .object({
    transport: z.literal('local'),
    ...hostSettings,
  })
  .strict();

export const sshHostSchema = z
  .object({
    transport: z.literal('ssh'),
    ...hostSettings,
    /** DNS name or IP address */
    address: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(22),
    user: z.string().min(1),
    /** private key file on the controller (~ expanded) */
    identityFile: z.string().min(1).transform(expandHome).optional(),
    /** name of the environment variable holding the key's passphrase (never the passphrase itself) */
    passphraseEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .optional(),
    /** use ssh-agent: true = $SSH_AUTH_SOCK, or the agent socket's path */
    agent: z.union([z.boolean(), z.string().min(1).transform(expandHome)]).optional(),
    /** ProxyJump: another host of this inventory, or user@host[:port] */
    jump: z.string().min(1).optional(),
    /** OpenSSH known_hosts file checked for the host key (~ expanded) */
    knownHosts: z.string().min(1).default('~/.ssh/known_hosts').transform(expandHome),
    /** seconds: TCP connect + SSH handshake + authentication */
    connectTimeout: seconds(15),
    /** seconds: the limit for the harness's short commands (uname, sha256sum, mkdir, upload ...); probe jobs have --job-timeout */
    commandTimeout: seconds(120),
    /** seconds a command may print nothing before it is killed and the host marked `timeout` */
    idleTimeout: seconds(1800),
    /** seconds between SSH keepalives; keepaliveCountMax unanswered ones mean the host is lost */
    keepaliveInterval: seconds(15),
    keepaliveCountMax: z.number().int().min(1).max(100).default(4),
    /** the harness's directory on the host (probe cache); ~ is the remote user's home */
    remoteDir: z.string().min(1).default('~/.cache/gmembench'),
  })
  .strict()
  .superRefine((h, ctx) => {
    if (h.passphraseEnv && !h.identityFile) {
      ctx.addIssue({ code: 'custom', path: ['passphraseEnv'], message: 'needs identityFile (the key it unlocks)' });
    }
  });

export const hostSchema = z.discriminatedUnion('transport', [localHostSchema, sshHostSchema]);

/** A jump given as user@host[:port] rather than an inventory name. */
export interface JumpAddress {
  user: string;
  address: string;
  port: number;
}

const JUMP_RE = /^([^@\s]+)@(\[[^\]]+\]|[^:\s]+)(?::(\d+))?$/;

export function parseJumpAddress(s: string): JumpAddress | null {
  const m = JUMP_RE.exec(s);
  if (!m) return null;
  const port = m[3] ? Number(m[3]) : 22;
  if (port < 1 || port > 65535) return null;
  return { user: m[1], address: m[2].replace(/^\[|\]$/g, ''), port };
}

/** user@host:port with a port out of range: the port, else null */
function badJumpPort(s: string): string | null {
  const m = JUMP_RE.exec(s);
  return m?.[3] && !(Number(m[3]) >= 1 && Number(m[3]) <= 65535) ? m[3] : null;
}

export const inventorySchema = z
  .object({
    hosts: z.array(hostSchema).min(1),
  })
  .strict()
  .superRefine((inv, ctx) => {
    const byName = new Map<string, (typeof inv.hosts)[number]>();
    inv.hosts.forEach((h, i) => {
      if (byName.has(h.name))
        ctx.addIssue({ code: 'custom', path: ['hosts', i, 'name'], message: `duplicate host name "${h.name}"` });
      byName.set(h.name, h);
    });
    inv.hosts.forEach((h, i) => {
      if (h.transport !== 'ssh' || !h.jump) return;
      const target = byName.get(h.jump);
      if (!target) {
        const port = badJumpPort(h.jump);
        if (port) {
          ctx.addIssue({
            code: 'custom',
            path: ['hosts', i, 'jump'],
            message: `port ${port} of "${h.jump}" is out of range (1-65535)`,
          });
        } else if (!parseJumpAddress(h.jump)) {
          ctx.addIssue({
            code: 'custom',
            path: ['hosts', i, 'jump'],
            message: `no host named "${h.jump}" in this inventory (write user@host[:port] for a jump host outside it)`,
          });
        }
        return;
      }
      if (target.transport !== 'ssh') {
        ctx.addIssue({
          code: 'custom',
          path: ['hosts', i, 'jump'],
          message: `jump host "${h.jump}" is not an ssh host`,
        });
        return;
      }
      // follow the chain: a host met twice is a cycle
      const chain = [h.name];
      let cur: (typeof inv.hosts)[number] | undefined = target;
      while (cur && cur.transport === 'ssh') {
        if (chain.includes(cur.name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['hosts', i, 'jump'],
            message: `jump hosts form a cycle: ${[...chain, cur.name].join(' -> ')}`,
          });
          return;
        }
        chain.push(cur.name);
        cur = cur.jump ? byName.get(cur.jump) : undefined;
      }
    });
  });

export type HostConfig = z.output<typeof hostSchema>;
export type SshHostConfig = z.output<typeof sshHostSchema>;
export type LocalHostConfig = z.output<typeof localHostSchema>;
export type Inventory = z.output<typeof inventorySchema>;

export async function loadInventory(file: string): Promise<Inventory> {
  return loadYaml(file, inventorySchema);
}

export const LOCAL_INVENTORY: Inventory = {
  hosts: [{ name: 'local', transport: 'local', labels: { platform: 'local' } }],
};
