/** SSH inventory validation and the known_hosts parser (checked against ssh-keygen's own output). */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadInventory } from '../src/config/hosts.js';
import { ConfigError } from '../src/config/load.js';
import {
  addKnownHost,
  checkHostKey,
  fingerprint,
  parseKnownHosts,
  patternsMatch,
} from '../src/transport/ssh/known-hosts.js';
import { shellQuote } from '../src/util/shell.js';

async function inv(yaml: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gmembench-inv-'));
  const f = join(dir, 'lab.yaml');
  await writeFile(f, yaml);
  return f;
}

async function configErrors(yaml: string): Promise<string> {
  const f = await inv(yaml);
  try {
    await loadInventory(f);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.replaceAll(f, 'lab.yaml');
  }
  throw new Error('no error');
}

describe('ssh inventory', () => {
  it('loads hosts/example-lab.yaml with defaults filled in and ~ expanded', async () => {
    const i = await loadInventory('hosts/example-lab.yaml');
    const tdx = i.hosts.find((h) => h.name === 'tdx-01');
    expect(tdx).toMatchObject({ transport: 'ssh', port: 22, jump: 'bastion', labels: { platform: 'tdx' } });
    if (tdx?.transport !== 'ssh') throw new Error('not ssh');
    expect(tdx.identityFile?.startsWith('/')).toBe(true);
    const snp = i.hosts.find((h) => h.name === 'snp-01');
    expect(snp).toMatchObject({ connectTimeout: 15, keepaliveInterval: 15, remoteDir: '~/.cache/gmembench' });
  });

  it('names file:line:col and field for a jump to a host that is not there', async () => {
    const msg = await configErrors(
      'hosts:\n  - {name: a, transport: ssh, address: 10.0.0.1, user: root}\n  - name: b\n    transport: ssh\n    address: 10.0.0.2\n    user: root\n    jump: bastoin\n',
    );
    expect(msg).toMatch(/^lab\.yaml:7:11: hosts\[1\]\.jump: no host named "bastoin" in this inventory/);
  });

  it('refuses jump cycles', async () => {
    const msg = await configErrors(
      'hosts:\n  - {name: a, transport: ssh, address: x, user: u, jump: b}\n  - {name: b, transport: ssh, address: y, user: u, jump: c}\n  - {name: c, transport: ssh, address: z, user: u, jump: a}\n',
    );
    expect(msg).toContain('hosts[0].jump: jump hosts form a cycle: a -> b -> c -> a');
  });

  it('accepts user@host:port jumps and refuses a local jump host', async () => {
    const ok = await loadInventory(
      await inv('hosts:\n  - {name: a, transport: ssh, address: x, user: u, jump: "me@gw.example:2222"}\n'),
    );
    expect(ok.hosts[0]).toMatchObject({ jump: 'me@gw.example:2222' });
    const msg = await configErrors(
      'hosts:\n  - {name: l, transport: local}\n  - {name: a, transport: ssh, address: x, user: u, jump: l}\n',
    );
    expect(msg).toContain('hosts[1].jump: jump host "l" is not an ssh host');
  });

  it('names missing and misspelt ssh fields, and wants identityFile with passphraseEnv', async () => {
    expect(await configErrors('hosts:\n  - {name: a, transport: ssh, address: x}\n')).toMatch(
      /lab\.yaml:2:5: hosts\[0\]\.user: /,
    );
    expect(await configErrors('hosts:\n  - {name: a, transport: ssh, address: x, user: u, identityFiel: k}\n')).toMatch(
      /hosts\[0\]\.identityFiel: /,
    );
    expect(
      await configErrors('hosts:\n  - {name: a, transport: ssh, address: x, user: u, passphraseEnv: K}\n'),
    ).toContain('hosts[0].passphraseEnv: needs identityFile');
    expect(await configErrors('hosts:\n  - {name: a, transport: ssh, address: x, user: u, port: 70000}\n')).toContain(
      'hosts[0].port',
    );
  });
});

describe('known_hosts', () => {
  it('matches plain, [host]:port, wildcard, negated and ssh-keygen -H hashed names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gmembench-kh-'));
    const f = join(dir, 'kh');
    await writeFile(f, '[10.1.2.3]:2222 ssh-ed25519 AAAA\nlab-7.example ssh-ed25519 AAAA\n');
    await execa('ssh-keygen', ['-H', '-f', f]);
    const [hashedPort, hashedPlain] = (await readFile(f, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[0]);
    expect(hashedPort.startsWith('|1|')).toBe(true);
    expect(patternsMatch(hashedPort, '[10.1.2.3]:2222')).toBe(true);
    expect(patternsMatch(hashedPort, '10.1.2.3')).toBe(false);
    expect(patternsMatch(hashedPlain, 'lab-7.example')).toBe(true);
    expect(patternsMatch('*.lab.example,!bad.lab.example', 'good.lab.example')).toBe(true);
    expect(patternsMatch('*.lab.example,!bad.lab.example', 'bad.lab.example')).toBe(false);
    expect(patternsMatch('host-?', 'HOST-1')).toBe(true);
  });

  it('tells known, unknown, changed and revoked keys apart', () => {
    const a = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 1, 65])]);
    const b = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 1, 66])]);
    const lines = parseKnownHosts(
      [
        `# comment`,
        `h1 ssh-ed25519 ${a.toString('base64')}`,
        `h2 ssh-ed25519 ${b.toString('base64')}`,
        `@revoked * ssh-ed25519 ${b.toString('base64')}`,
        `@cert-authority *.ca ssh-ed25519 ${a.toString('base64')}`,
      ].join('\n'),
    );
    expect(checkHostKey(lines, 'h1', a)).toEqual({ kind: 'known', line: 2 });
    expect(checkHostKey(lines, 'h1', b)).toMatchObject({ kind: 'revoked' });
    expect(checkHostKey(lines, 'h3', a)).toEqual({ kind: 'unknown' });
    expect(checkHostKey(parseKnownHosts(`h1 ssh-ed25519 ${b.toString('base64')}`), 'h1', a)).toEqual({
      kind: 'changed',
      lines: [1],
    });
    // a CA line is not a host key: a host matching only it is unknown here (certificates unsupported)
    expect(checkHostKey(lines, 'x.ca', a)).toEqual({ kind: 'unknown' });
  });

  it('computes the same SHA256 fingerprint as ssh-keygen -l, and accept-new writes what ssh-keygen -F finds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gmembench-kh-'));
    await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    const pub = (await readFile(join(dir, 'k.pub'), 'utf8')).split(' ');
    const blob = Buffer.from(pub[1], 'base64');
    const fp = (await execa('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'k.pub')])).stdout.split(' ')[1];
    expect(fingerprint(blob)).toBe(fp);
    const kh = join(dir, 'known_hosts');
    await writeFile(kh, 'other ssh-ed25519 AAAA'); // no trailing newline: the new entry must start a line
    await addKnownHost(kh, '[127.0.0.1]:2200', blob);
    const found = await execa('ssh-keygen', ['-F', '[127.0.0.1]:2200', '-f', kh], { reject: false });
    expect(found.exitCode).toBe(0);
    expect(found.stdout).toContain(pub[1]);
    expect(checkHostKey(parseKnownHosts(await readFile(kh, 'utf8')), '[127.0.0.1]:2200', blob).kind).toBe('known');
  });

  it('quotes shell words', () => {
    expect(shellQuote(['echo', "it's", 'a b', '/x/y-1.2'])).toBe(`echo 'it'\\''s' 'a b' /x/y-1.2`);
  });
});
