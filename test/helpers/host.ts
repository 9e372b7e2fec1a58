/** What this machine can do, for tests that need a part it may lack (they skip and say why). */
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execaSync } from 'execa';

function canOpen(path: string): boolean {
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export const hasKvm = canOpen('/dev/kvm');
export const hasCc = (() => {
  try {
    execaSync('cc', ['--version']);
    return true;
  } catch {
    return false;
  }
})();
export const isRoot = process.getuid?.() === 0;

/**
 * Whether KVM here has guest_memfd (helpers/gmemcap.c asks a default VM), and if not why: /dev/kvm
 * alone does not tell, a kernel may build KVM without it. The gmem rows' tests need it.
 */
export const guestMemfd: { ok: boolean; why: string } = (() => {
  if (!hasKvm) return { ok: false, why: 'no /dev/kvm on this machine' };
  if (!hasCc) return { ok: false, why: 'no C compiler to ask KVM for guest_memfd' };
  const dir = mkdtempSync(join(tmpdir(), 'gmembench-gmemcap-'));
  try {
    const bin = join(dir, 'gmemcap');
    execaSync('cc', ['-O2', '-Wall', '-o', bin, resolve(import.meta.dirname, 'gmemcap.c')]);
    const out = execaSync(bin, { reject: false });
    if (out.exitCode !== 0) return { ok: false, why: `KVM_CREATE_VM failed: ${out.stderr.trim()}` };
    return /^guest_memfd 1/.test(out.stdout)
      ? { ok: true, why: '' }
      : {
          ok: false,
          why: `KVM_CAP_GUEST_MEMFD is 0 on this kernel (${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()})`,
        };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();
export const hasGuestMemfd = guestMemfd.ok;

export function hugePagesFree(): number {
  const m = /HugePages_Free:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) : 0;
}

export function skipReason(what: string, why: string): void {
  console.warn(`SKIP ${what}: ${why}`);
}
