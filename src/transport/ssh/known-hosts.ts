/**
 * OpenSSH known_hosts: look a host key up, and add one (accept-new).
 *
 * Written by hand: ssh2 leaves host key checking to the caller, and no maintained npm library parses
 * known_hosts with hashed entries (`|1|salt|hash`), `[host]:port` names, negated and wildcard
 * patterns and the @revoked / @cert-authority markers. Format: sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT".
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface KnownHostLine {
  line: number;
  marker: 'revoked' | 'cert-authority' | null;
  patterns: string;
  keyType: string;
  /** base64 of the key blob, as in the file */
  key: string;
}

export type HostKeyVerdict =
  /** the host has this key */
  | { kind: 'known'; line: number }
  /** the file has no key of any type for this host */
  | { kind: 'unknown' }
  /** the host has keys of this type, none of them this one: changed (or a man in the middle) */
  | { kind: 'changed'; lines: number[] }
  /** the key is listed as @revoked */
  | { kind: 'revoked'; line: number };

/** How a host is named in known_hosts: "host" on port 22, "[host]:port" otherwise. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** OpenSSH's fingerprint of a key blob: "SHA256:" + unpadded base64 of its sha256. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH wire-format public key blob (its first string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  return n > 0 && n < 64 && blob.length >= 4 + n ? blob.subarray(4, 4 + n).toString('latin1') : 'unknown';
}

export function parseKnownHosts(text: string): KnownHostLine[] {
  const out: KnownHostLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const s = raw.trim();
    if (s === '' || s.startsWith('#')) return;
    const f = s.split(/\s+/);
    let marker: KnownHostLine['marker'] = null;
    if (f[0].startsWith('@')) {
      const m = f.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return; // an unknown marker: OpenSSH skips the line too
    }
    if (f.length < 3) return;
    out.push({ line: i + 1, marker, patterns: f[0], keyType: f[1], key: f[2] });
  });
  return out;
}

/** Does one host pattern list (comma separated, `!` negation, `*`/`?` wildcards, or `|1|` hash) name this host? */
export function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) return hashedMatch(patterns, name);
  let matched = false;
  for (const p of patterns.split(',')) {
    const negated = p.startsWith('!');
    const pat = negated ? p.slice(1) : p;
    if (globMatch(pat.toLowerCase(), name.toLowerCase())) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** |1|base64(salt)|base64(HMAC-SHA1(salt, name)) as written by `ssh-keygen -H` / HashKnownHosts */
function hashedMatch(entry: string, name: string): boolean {
  const parts = entry.split('|');
  if (parts.length !== 4) return false;
  const salt = Buffer.from(parts[2], 'base64');
  return createHmac('sha1', salt).update(name).digest('base64') === parts[3];
}

function globMatch(pattern: string, s: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === s;
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(s);
}

/** Check a host's key (wire-format blob) against known_hosts lines. */
export function checkHostKey(lines: KnownHostLine[], name: string, blob: Buffer): HostKeyVerdict {
  const key64 = blob.toString('base64');
  const type = keyTypeOf(blob);
  const forHost = lines.filter((l) => l.marker !== 'cert-authority' && patternsMatch(l.patterns, name));
  // a revoked key is refused whatever else the file says (its host patterns may be "*")
  const revoked = lines.find((l) => l.marker === 'revoked' && l.key === key64);
  if (revoked) return { kind: 'revoked', line: revoked.line };
  const plain = forHost.filter((l) => l.marker === null);
  const same = plain.find((l) => l.key === key64);
  if (same) return { kind: 'known', line: same.line };
  const sameType = plain.filter((l) => l.keyType === type);
  if (sameType.length > 0) return { kind: 'changed', lines: sameType.map((l) => l.line) };
  // keys of other types only: the caller asks for those types first, so reaching here means the
  // host no longer offers them; OpenSSH also treats that as a changed host key
  if (plain.length > 0) return { kind: 'changed', lines: plain.map((l) => l.line) };
  return { kind: 'unknown' };
}

/** The key types known_hosts holds for a host (to ask the server for those first, as OpenSSH does). */
export function knownKeyTypes(lines: KnownHostLine[], name: string): string[] {
  return [...new Set(lines.filter((l) => l.marker === null && patternsMatch(l.patterns, name)).map((l) => l.keyType))];
}

export async function readKnownHosts(file: string): Promise<KnownHostLine[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`${file}: cannot read known_hosts: ${(err as Error).message}`, { cause: err });
  }
}

/** accept-new: append `name keytype base64` like OpenSSH does (a plain, unhashed entry). */
export async function addKnownHost(file: string, name: string, blob: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const text = await readFile(file, 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) prefix = '\n';
  } catch {
    /* a new file */
  }
  await appendFile(file, `${prefix}${name} ${keyTypeOf(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}
