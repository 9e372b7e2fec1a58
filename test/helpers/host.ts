/** What this machine can do, for tests that need a part it may lack (they skip and say why). */
import { accessSync, constants, readFileSync } from 'node:fs';
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

export function hugePagesFree(): number {
  const m = /HugePages_Free:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) : 0;
}

export function skipReason(what: string, why: string): void {
  console.warn(`SKIP ${what}: ${why}`);
}
