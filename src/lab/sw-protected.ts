/**
 * KVM modules rebuilt with CONFIG_KVM_SW_PROTECTED_VM (VM type 1, the attributes ioctl) for a Debian
 * kernel: scripts/lab-kvm-sw-protected.sh does the out-of-tree build; the result is cached by release.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { PACKAGE_ROOT } from '../util/paths.js';
import { privateApt } from './apt.js';
import { labCacheDir } from './paths.js';

export async function swProtectedModules(release: string, log?: (l: string) => void): Promise<string> {
  const out = resolve(labCacheDir(), 'sw-protected', release);
  if (existsSync(resolve(out, 'kvm.ko'))) return out;
  const apt = await privateApt();
  log?.(`building KVM modules with CONFIG_KVM_SW_PROTECTED_VM for ${release} (once, about a minute on 2 cores)`);
  const r = await execa('bash', [resolve(PACKAGE_ROOT, 'scripts/lab-kvm-sw-protected.sh'), release, out, ...apt.opts], { reject: false, all: true });
  if (r.exitCode !== 0 || !existsSync(resolve(out, 'kvm.ko'))) {
    throw new Error(`--sw-protected: building the KVM modules for ${release} failed:\n${(r.all ?? '').split('\n').slice(-15).join('\n')}`);
  }
  return out;
}
