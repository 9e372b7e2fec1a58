/**
 * Every test's temporary files in one directory of this test run's own: TMPDIR points into it before
 * the test workers start (they and the CLI processes, sshd, influxd, chromium and QEMU they start
 * inherit it, and os.tmpdir() reads it), and the teardown removes that directory and nothing else.
 * Without it, each run left a few hundred gmembench-* directories in /tmp.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const outer = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'gmembench-tests-'));
  process.env.TMPDIR = root;
  return () => {
    if (outer === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outer;
    if (process.env.GMEMBENCH_KEEP_TEST_TMP) {
      const left = readdirSync(root).length;
      console.log(`test temporary files kept in ${root} (${left} entries; GMEMBENCH_KEEP_TEST_TMP)`);
      return;
    }
    rmSync(root, { recursive: true, force: true });
  };
}
