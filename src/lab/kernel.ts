/**
 * The kernel of a lab host: a Debian stock kernel (debian:X.Y), fetched once by
 * scripts/lab-kernel.sh (a private apt configuration, cached by release; setup-test-deps.sh calls
 * the same script), or a kernel the user built (a bzImage with its lib/modules/<release>).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { PACKAGE_ROOT } from '../util/paths.js';
import { modulesDirOf } from './initramfs.js';

export interface LabKernel {
  /** the bzImage QEMU boots */
  image: string;
  /** uname -r for Debian kernels; <modules dir name>-<sha256 of the bzImage> for one's own */
  release: string;
  /** lib/modules/<release>, with modules.dep */
  modulesDir: string;
}

export const KERNEL_SCRIPT = resolve(PACKAGE_ROOT, 'scripts/lab-kernel.sh');

export async function debianKernel(series: string, log?: (l: string) => void): Promise<LabKernel> {
  if (!/^\d+\.\d+$/.test(series))
    throw new Error(`--kernel debian:${series}: expected debian:MAJOR.MINOR, e.g. debian:7.3`);
  const r = await execa('bash', [KERNEL_SCRIPT, series], { reject: false, all: true, stdin: 'ignore' });
  const last =
    String(r.stdout ?? '')
      .trim()
      .split('\n')
      .at(-1) ?? '';
  const [release, tree] = last.split('\t');
  if (r.exitCode !== 0 || !release || !tree) {
    throw new Error(
      `--kernel debian:${series}: ${KERNEL_SCRIPT} failed (exit ${r.exitCode}):\n${String(r.all ?? '')
        .split('\n')
        .slice(-10)
        .join('\n')}`,
    );
  }
  log?.(`kernel ${release} (${tree})`);
  const modulesDir = modulesDirOf(tree, release);
  // bookworm's linux-image puts it in /boot; trixie's split linux-binary next to the modules
  const image = [resolve(tree, 'boot', `vmlinuz-${release}`), resolve(modulesDir, 'vmlinuz')].find((f) =>
    existsSync(f),
  );
  if (!image) throw new Error(`--kernel debian:${series}: no vmlinuz in ${tree} (looked in boot/ and ${modulesDir})`);
  return { image, release, modulesDir };
}

export async function ownKernel(bzImage: string, modules: string | undefined): Promise<LabKernel> {
  const image = resolve(bzImage);
  if (!existsSync(image))
    throw new Error(`--kernel ${bzImage}: no such file (debian:7.3, debian:6.12 or the path of a bzImage)`);
  if (!modules)
    throw new Error(
      `--kernel ${bzImage}: give --modules DIR (the lib/modules/<release> of that build, with modules.dep)`,
    );
  const modulesDir = resolve(modules);
  if (!existsSync(resolve(modulesDir, 'modules.dep')))
    throw new Error(`--modules ${modules}: no modules.dep there (run depmod, or point at lib/modules/<release>)`);
  const sum = (await execa('sha256sum', [image])).stdout.slice(0, 12);
  return { image, release: `${modulesDir.split('/').pop()}-${sum}`, modulesDir };
}

export function labKernel(spec: string, modules: string | undefined, log?: (l: string) => void): Promise<LabKernel> {
  const m = /^debian:(.+)$/.exec(spec);
  return m ? debianKernel(m[1], log) : ownKernel(spec, modules);
}

export const SW_PROTECTED_SCRIPT = resolve(PACKAGE_ROOT, 'scripts/lab-kvm-sw-protected.sh');

/**
 * kvm.ko, kvm-amd.ko, kvm-intel.ko with CONFIG_KVM_SW_PROTECTED_VM for a Debian kernel, built once (about
 * 1 minute on 2 cores; a kernel of another Debian release than this machine's, such as trixie's 7.3, in
 * a build root of that release, made once more: root and debootstrap).
 */
export async function swProtectedModules(spec: string, release: string, log?: (l: string) => void): Promise<string> {
  if (!spec.startsWith('debian:'))
    throw new Error(
      `--sw-protected: only with debian:X.Y kernels (build your own with CONFIG_KVM_SW_PROTECTED_VM=y instead)`,
    );
  log?.(`KVM modules with CONFIG_KVM_SW_PROTECTED_VM for ${release} (built once, then cached)`);
  const r = await execa('bash', [SW_PROTECTED_SCRIPT, release], { reject: false, all: true, stdin: 'ignore' });
  const dir =
    String(r.stdout ?? '')
      .trim()
      .split('\n')
      .at(-1) ?? '';
  if (r.exitCode !== 0 || !existsSync(resolve(dir, 'kvm.ko'))) {
    throw new Error(
      `--sw-protected: ${SW_PROTECTED_SCRIPT} ${release} failed (exit ${r.exitCode}):\n${String(r.all ?? '')
        .split('\n')
        .slice(-12)
        .join('\n')}`,
    );
  }
  return dir;
}
