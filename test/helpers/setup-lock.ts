/**
 * Every test run takes the local host's lock in a directory of its own (GMEMBENCH_LOCAL_LOCK, inherited
 * by the CLI processes the tests start), so that a gmembench run elsewhere on this machine, or another
 * checkout's tests, cannot turn a test's host `locked`. The lock tests set their own lockPath.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

if (!process.env.GMEMBENCH_LOCAL_LOCK)
  process.env.GMEMBENCH_LOCAL_LOCK = join(mkdtempSync(join(tmpdir(), 'gmembench-test-lock-')), 'lock');
