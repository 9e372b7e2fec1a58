/**
 * Debian kernels for lab hosts, fetched with the system's own apt tools through a private apt
 * configuration (sources list, lists and package cache under the gmembench cache dir). The archive's
 * address is read from the system's apt sources at run time; no archive host name lives in this code.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { labCacheDir } from './paths.js';

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** The first main-archive URI (not the security one) in the system's deb822 or one-line sources. */
export async function systemArchiveUris(): Promise<{ main: string; security: string | null }> {
  const files: string[] = [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  if (existsSync('/etc/apt/sources.list.d')) {
    for (const f of await readdir('/etc/apt/sources.list.d')) {
      if (f.endsWith('.sources') || f.endsWith('.list')) files.push(resolve('/etc/apt/sources.list.d', f));
    }
  }
  const uris: string[] = [];
  for (const f of files) {
    const text = await readFile(f, 'utf8');
    for (const line of text.split('\n')) {
      const m = /^URIs:\s*(\S+)/.exec(line) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
      if (m && /^https?:/.test(m[1])) uris.push(m[1].replace(/\/+$/, ''));
    }
  }
  const main = uris.find((u) => !/security/.test(u) && /debian$/.test(u)) ?? uris.find((u) => !/security/.test(u));
  if (!main) throw new Error('lab: no Debian archive found in /etc/apt/sources.list{,.d} (the lab fetches kernels from it)');
  return { main, security: uris.find((u) => /security/.test(u)) ?? null };
}

export interface PrivateApt {
  dir: string;
  opts: string[];
}

export async function privateApt(): Promise<PrivateApt> {
  const dir = resolve(labCacheDir(), 'apt');
  await mkdir(resolve(dir, 'lists/partial'), { recursive: true });
  await mkdir(resolve(dir, 'archives/partial'), { recursive: true });
  await mkdir(resolve(dir, 'etc/preferences.d'), { recursive: true });
  const { main, security } = await systemArchiveUris();
  const src = (uri: string, suite: string) => `deb [signed-by=${KEYRING}] ${uri} ${suite} main`;
  const lines = [src(main, 'bookworm'), src(main, 'bookworm-backports'), src(main, 'trixie'), src(main, 'trixie-backports')];
  if (security) lines.push(src(security, 'bookworm-security'));
  const list = resolve(dir, 'etc/sources.list');
  const text = lines.join('\n') + '\n';
  const old = existsSync(list) ? await readFile(list, 'utf8') : '';
  if (old !== text) {
    await writeFile(list, text);
    await rm(resolve(dir, 'updated'), { force: true });
  }
  const opts = [
    '-o', `Dir::Etc::SourceList=${list}`, '-o', 'Dir::Etc::SourceParts=/nonexistent',
    '-o', `Dir::State::Lists=${resolve(dir, 'lists')}`, '-o', `Dir::Cache=${dir}`,
    '-o', `Dir::Cache::Archives=${resolve(dir, 'archives')}`,
    '-o', 'Dir::Etc::Preferences=/nonexistent', '-o', `Dir::Etc::PreferencesParts=${resolve(dir, 'etc/preferences.d')}`,
    '-o', 'Acquire::Languages=none', '-o', 'APT::Sandbox::User=root', '-qq',
  ];
  if (!existsSync(resolve(dir, 'updated'))) {
    await execa('apt-get', [...opts, 'update']);
    await writeFile(resolve(dir, 'updated'), new Date().toISOString() + '\n');
  }
  return { dir, opts };
}

export interface DebianKernel {
  /** uname -r, e.g. 7.3.4+deb13-amd64 */
  release: string;
  packages: string[];
}

/** debian:7.3 -> the newest 7.3.x amd64 kernel of the private apt's suites */
export async function resolveDebianKernel(apt: PrivateApt, series: string): Promise<DebianKernel> {
  if (!/^\d+\.\d+$/.test(series)) throw new Error(`--kernel debian:${series}: expected debian:MAJOR.MINOR, e.g. debian:7.3`);
  const names = (await execa('apt-cache', [...apt.opts, 'pkgnames', `linux-`])).stdout.split('\n');
  const esc = series.replace('.', '\\.');
  const image = new RegExp(`^linux-image-(${esc}\\.\\d+\\+deb\\d+-amd64)-unsigned$`);
  const binary = new RegExp(`^linux-binary-(${esc}\\.\\d+\\+deb\\d+-amd64)$`);
  const found = new Map<string, string[]>();
  for (const n of names) {
    let m = image.exec(n);
    if (m) found.set(m[1], [n]);
    m = binary.exec(n);
    if (m && !found.has(m[1])) found.set(m[1], [n, `linux-modules-${m[1]}`]);
  }
  const releases = [...found.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const release = releases.at(-1);
  if (!release) throw new Error(`--kernel debian:${series}: no amd64 kernel ${series}.x in bookworm, bookworm-backports, trixie or trixie-backports`);
  return { release, packages: found.get(release)! };
}

/** Download and extract (dpkg -x) a Debian kernel once; returns the tree holding boot/ and usr/lib/modules/. */
export async function fetchDebianKernel(apt: PrivateApt, k: DebianKernel): Promise<string> {
  const dest = resolve(labCacheDir(), 'kernels', k.release);
  if (existsSync(resolve(dest, '.complete'))) return dest;
  const tmp = `${dest}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(resolve(tmp, 'debs'), { recursive: true });
  await execa('apt-get', [...apt.opts, 'download', ...k.packages], { cwd: resolve(tmp, 'debs') });
  for (const deb of await readdir(resolve(tmp, 'debs'))) {
    await execa('dpkg', ['-x', resolve(tmp, 'debs', deb), resolve(tmp, 'root')]);
  }
  await rm(resolve(tmp, 'debs'), { recursive: true, force: true });
  await writeFile(resolve(tmp, '.complete'), `${k.packages.join(' ')}\n`);
  await rm(dest, { recursive: true, force: true });
  await rename(tmp, dest);
  return dest;
}
